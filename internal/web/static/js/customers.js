// customers.js: find a customer by an identifier (GET /v1/profiles?…, an
// exact match) and open their page; with query.sql, the top customers by
// net revenue.
(function () {
  'use strict';
  var TW = window.TW;

  function search(form) {
    var box = TW.$('#search-error');
    var id = TW.readIdentifier(form, box);
    if (!id) return;
    TW.busy(form.querySelector('button[type=submit]'), TW.api('GET', '/v1/profiles' + TW.qs(id))).then(function (p) {
      location.assign('/customers/' + encodeURIComponent(p.profile_id));
    }, function (err) {
      if (err.status === 404) TW.showNote(box, TW.t('customers.not_found'), 'warn');
      else TW.showError(box, err);
      TW.fieldError(form, err.field === 'email' || err.field === 'phone' ? { field: 'value' } : err);
    });
  }

  var TOP_SQL = 'SELECT profile_id, country, orders, net_revenue_base, aov_base, last_order_at, marketplaces\n' +
    'FROM profiles WHERE orders > 0 ORDER BY net_revenue_base DESC NULLS LAST, profile_id LIMIT 25';

  function loadTop() {
    var box = TW.$('#top-customers');
    if (!box) return;
    TW.sql(TOP_SQL).then(function (rows) {
      var base = TW.base();
      TW.clear(box);
      box.appendChild(TW.table([
        { label: TW.t('customer.profile'), value: function (r) { return TW.link('/customers/' + encodeURIComponent(r.profile_id), r.profile_id); } },
        { label: TW.t('customer.country'), value: function (r) { return r.country; } },
        { label: TW.t('customer.orders'), num: true, value: function (r) { return TW.num(r.orders); } },
        { label: TW.t('customer.net_revenue'), num: true, value: function (r) { return TW.money(r.net_revenue_base, base); } },
        { label: TW.t('customer.aov'), num: true, value: function (r) { return TW.money(r.aov_base, base); } },
        { label: TW.t('customer.last_order'), value: function (r) { return TW.date(r.last_order_at); } },
        { label: TW.t('customer.marketplaces'), value: function (r) { return TW.list(r.marketplaces).map(TW.market).join(', '); } }
      ], rows, { empty: TW.t('customers.top_empty'), label: TW.t('customers.top') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(box, err);
    });
  }

  TW.onReady(function () {
    var form = TW.$('#customer-search');
    if (!form) return;
    TW.wireIdentifier(form);
    TW.loadSourceList();
    form.addEventListener('submit', function (ev) { ev.preventDefault(); search(form); });
    // /customers?email=… searches at once (links from elsewhere).
    var q = new URLSearchParams(location.search);
    ['email', 'phone', 'user_id', 'anonymous_id'].some(function (k) {
      if (!q.get(k)) return false;
      form.elements.kind.value = k;
      form.elements.kind.dispatchEvent(new Event('change'));
      form.elements.value.value = q.get(k);
      if (q.get('source')) form.elements.source.value = q.get('source');
      search(form);
      return true;
    });
    loadTop();
  });
})();
