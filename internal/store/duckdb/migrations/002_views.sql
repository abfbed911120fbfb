-- Convenience views for analysts: net order value after refunds, and how
-- stale each order's exchange rate is.

CREATE VIEW orders_net AS
SELECT o.*,
       coalesce(r.refunded, 0)                          AS refunded,
       coalesce(r.refunded_base, 0)                     AS refunded_base,
       o.total - coalesce(r.refunded, 0)                AS net_total,
       o.total_base - coalesce(r.refunded_base, 0)      AS net_total_base,
       date_diff('day', o.fx_rate_date, CAST(o."timestamp" AS DATE)) AS fx_rate_age_days
FROM orders o
LEFT JOIN (
    SELECT store, order_id, sum(amount) AS refunded, sum(amount_base) AS refunded_base
    FROM refunds GROUP BY store, order_id
) r USING (store, order_id);
