// overview.js: the overview page. Revenue, orders, customers, repeat rate
// and average order value per marketplace in the base currency over the
// last 30, 90 or 365 days, compared with the period before, with trend
// charts, all read with POST /v1/query/shared from the orders_net view. A role
// without query.sql sees the RFM segments (GET /v1/rfm) instead. Every role
// sees the most serious open alerts first (GET /v1/alerts).
(function () {
  'use strict';
  var TW = window.TW;

  var PALETTE = ['#0f5c8c', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7a6fd0', '#6b7280'];
  // periodSQL is a period's question (kind kpi or trend), which the server
  // writes on the period's button (internal/web/overview.go): it asks the
  // same ones itself when it starts, so the first visitor finds them
  // answered.
  //   kpi: per marketplace (market) and overall (market NULL), for the
  //   current period (cur) and the one before it: orders, net revenue in
  //   the base currency, orders with a base amount, customers, and
  //   customers with two or more orders in the period.
  //   trend: orders and net revenue per day (week for a year) and
  //   marketplace.
  function periodSQL(days, kind) {
    var b = TW.$('#period button[data-days="' + days + '"]');
    return b ? b.getAttribute('data-' + kind + '-sql') : '';
  }

  var NEWEST_SQL = 'SELECT max("timestamp") AS newest FROM orders';

  // sharedSQL reads the page's own questions through the shared answers
  // (POST /v1/query/shared): every visitor asks the same ones, and at
  // 1,000,000 customers each takes seconds (bench/dashboard), so the
  // server keeps the answers for a minute and refreshes them behind.
  function sharedSQL(q) {
    return TW.api('POST', '/v1/query/shared', { sql: q }).then(TW.rowsOf);
  }

  var GRADE_RANK = { critical: 3, warning: 2, info: 1 };

  // loadAlerts shows the five most serious open alerts, newest first
  // within a grade.
  function loadAlerts() {
    var box = TW.$('#ov-alerts');
    if (!box) return;
    TW.api('GET', '/v1/alerts?status=open&limit=200').then(function (res) {
      var alerts = (res.alerts || []).slice().sort(function (a, b) {
        return (GRADE_RANK[b.grade] || 0) - (GRADE_RANK[a.grade] || 0) || String(b.day).localeCompare(String(a.day));
      }).slice(0, 5);
      TW.clear(box);
      if (!alerts.length) {
        box.appendChild(TW.el('p', { class: 'empty', text: TW.t('overview.no_alerts') }));
        return;
      }
      box.appendChild(TW.el('ul', { class: 'alert-list' }, alerts.map(function (a) {
        return TW.el('li', null, TW.alertGrade(a.grade), ' ', TW.el('strong', { text: TW.alertSeries(a.series) }), ' · ',
          TW.tOr('metric.' + a.metric, a.metric || ''), ' · ', TW.day(a.day));
      })));
    }, function (err) {
      TW.clear(box);
      TW.showError(box, err);
    });
  }

  // summarize folds the KPI rows into {total, markets: [{market, cur, prev}]}.
  function summarize(rows) {
    var out = { total: { cur: null, prev: null }, markets: {}, base: '' };
    rows.forEach(function (r) {
      var k = r.cur ? 'cur' : 'prev';
      var m = {
        orders: TW.toNumber(r.orders), revenue: TW.toNumber(r.revenue) || 0, priced: TW.toNumber(r.priced_orders),
        customers: TW.toNumber(r.customers), repeat: TW.toNumber(r.repeat_customers)
      };
      if (r.base_currency && !out.base) out.base = r.base_currency;
      if (r.market === null || r.market === undefined) { out.total[k] = m; return; }
      if (!out.markets[r.market]) out.markets[r.market] = { market: r.market, cur: null, prev: null };
      out.markets[r.market][k] = m;
    });
    out.base = out.base || TW.base();
    out.list = Object.keys(out.markets).map(function (k) { return out.markets[k]; })
      .filter(function (m) { return m.cur; })
      .sort(function (a, b) { return b.cur.revenue - a.cur.revenue; });
    return out;
  }

  function aov(m) { return m && m.priced ? m.revenue / m.priced : NaN; }
  function repeatRate(m) { return m && m.customers ? m.repeat / m.customers : NaN; }

  // change is the relative change from prev to cur, NaN if prev is 0.
  function change(cur, prev) {
    if (!isFinite(cur) || !isFinite(prev) || prev === 0) return NaN;
    return (cur - prev) / Math.abs(prev);
  }

  function deltaNode(cur, prev, days, points) {
    var d = points ? cur - prev : change(cur, prev);
    if (!isFinite(d)) return TW.el('div', { class: 'delta muted', text: TW.t('overview.no_previous') });
    var sign = d > 0 ? '+' : '';
    var text = points ? sign + TW.num(d * 100, 1) + ' ' + TW.t('overview.points') : sign + TW.pct(d);
    return TW.el('div', { class: 'delta ' + (d > 0 ? 'delta-up' : d < 0 ? 'delta-down' : 'muted') },
      text + ' ' + TW.t('overview.vs_previous', { days: days }));
  }

  // bigMoney is an amount for a key figure: in full below a million,
  // compact above (the full amount is in its title and in the table).
  function bigMoney(v, base) {
    return Math.abs(v) >= 1e6 ? (base ? TW.money(0, base, 0).replace(/[\d.,\s]+/, '') : '') + TW.compact(v) : TW.money(v, base, 0);
  }

  function renderKPIs(s, days) {
    var box = TW.clear(TW.$('#kpis'));
    var c = s.total.cur || { orders: 0, revenue: 0, priced: 0, customers: 0, repeat: 0 };
    var p = s.total.prev || { orders: 0, revenue: 0, priced: 0, customers: 0, repeat: 0 };
    TW.append(box, [
      TW.card(TW.t('overview.revenue', { currency: s.base || '' }), bigMoney(c.revenue, s.base), deltaNode(c.revenue, p.revenue, days), TW.money(c.revenue, s.base, 0)),
      TW.card(TW.t('overview.orders'), TW.num(c.orders), deltaNode(c.orders, p.orders, days)),
      TW.card(TW.t('overview.customers'), TW.num(c.customers), deltaNode(c.customers, p.customers, days)),
      TW.card(TW.t('overview.repeat_rate'), TW.pct(repeatRate(c)), deltaNode(repeatRate(c), repeatRate(p), days, true)),
      TW.card(TW.t('overview.aov'), TW.money(aov(c), s.base), deltaNode(aov(c), aov(p), days))
    ]);
  }

  function renderMarkets(s, days) {
    var box = TW.clear(TW.$('#by-market'));
    var total = s.total.cur;
    var rows = s.list.slice();
    var cols = [
      { label: TW.t('overview.marketplace'), value: function (m) { return m.total ? TW.t('overview.all_marketplaces') : TW.market(m.market); } },
      { label: TW.t('overview.revenue', { currency: s.base || '' }), num: true, value: function (m) { return TW.money(m.cur.revenue, s.base, 0); } },
      { label: TW.t('overview.share'), num: true, value: function (m) { return total && total.revenue ? TW.pct(m.cur.revenue / total.revenue) : TW.DASH; } },
      { label: TW.t('overview.change'), num: true, value: function (m) { var d = change(m.cur.revenue, m.prev ? m.prev.revenue : NaN); return isFinite(d) ? (d > 0 ? '+' : '') + TW.pct(d) : TW.DASH; } },
      { label: TW.t('overview.orders'), num: true, value: function (m) { return TW.num(m.cur.orders); } },
      { label: TW.t('overview.customers'), num: true, value: function (m) { return TW.num(m.cur.customers); } },
      { label: TW.t('overview.repeat_rate'), num: true, value: function (m) { return TW.pct(repeatRate(m.cur)); } },
      { label: TW.t('overview.aov'), num: true, value: function (m) { return TW.money(aov(m.cur), s.base); } }
    ];
    if (total) rows.push({ total: true, cur: total, prev: s.total.prev });
    var t = TW.table(cols, rows, { caption: TW.t('overview.table_caption', { days: days }), empty: TW.t('overview.empty'), rowHeader: true });
    var last = t.querySelector && t.querySelector('tbody tr:last-child');
    if (total && last) last.className = 'total';
    box.appendChild(t);
  }

  // buckets lists every day (or Monday) from the start of the period to
  // today, so that days without orders show as zero.
  function buckets(days) {
    var week = days > 120;
    var out = [];
    var now = new Date();
    var end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    var d = end - days * 86400000;
    if (week) {
      var wd = (new Date(d).getUTCDay() + 6) % 7; // days since Monday
      d -= wd * 86400000;
    }
    for (; d <= end; d += (week ? 7 : 1) * 86400000) out.push(new Date(d).toISOString().slice(0, 10));
    return out;
  }

  var charts = {};

  // shortDay is a day (YYYY-MM-DD) as month and day in the user's locale:
  // "Aug 24", "8月24日".
  function shortDay(day) {
    var d = TW.parseTime(day + 'T00:00:00Z');
    return d ? new Intl.DateTimeFormat(TW.locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d) : '';
  }

  // legendSpace is the room below a chart for its axis labels and a legend
  // of these names, wrapped onto as many lines as the width needs.
  function legendSpace(id, names) {
    var el = TW.$('#' + id);
    var width = el && el.clientWidth ? el.clientWidth - 20 : 600;
    var total = names.reduce(function (a, n) {
      var w = 0;
      for (var i = 0; i < n.length; i++) w += n.charCodeAt(i) > 0x2e80 ? 13 : 7;
      return a + w + 45;
    }, 0);
    return 36 + 24 * Math.max(1, Math.ceil(total / width));
  }

  function chart(id) {
    var el = TW.$('#' + id);
    if (!el || !window.echarts) return null;
    if (!charts[id]) {
      charts[id] = window.echarts.init(el, null, { locale: TW.lang === 'zh' ? 'ZH' : 'EN' });
    }
    return charts[id];
  }

  function renderTrends(rows, s, days) {
    var xs = buckets(days);
    var idx = {};
    xs.forEach(function (x, i) { idx[x] = i; });
    var markets = s.list.map(function (m) { return m.market; });
    rows.forEach(function (r) { if (markets.indexOf(r.market) < 0) markets.push(r.market); });
    var rev = {}, totalOrders = xs.map(function () { return 0; }), totalRev = xs.map(function () { return 0; }), priced = xs.map(function () { return 0; });
    markets.forEach(function (m) { rev[m] = xs.map(function () { return 0; }); });
    rows.forEach(function (r) {
      var i = idx[String(r.bucket).slice(0, 10)];
      if (i === undefined) return;
      var v = TW.toNumber(r.revenue) || 0;
      rev[r.market][i] += v;
      totalRev[i] += v;
      totalOrders[i] += TW.toNumber(r.orders) || 0;
      priced[i] += TW.toNumber(r.priced_orders) || 0;
    });
    var labels = xs.map(function (x) { return TW.date(x + 'T00:00:00Z'); });
    var names = markets.map(TW.market);
    var base = s.base;
    var tooltipMoney = function (v) { return TW.money(v, base, 0); };
    var common = {
      color: PALETTE,
      animation: !TW.reducedMotion(),
      aria: { enabled: true },
      grid: { left: 8, right: 16, top: 16, bottom: legendSpace('chart-revenue', names), containLabel: true },
      legend: { bottom: 0, itemGap: 14 },
      tooltip: { trigger: 'axis', valueFormatter: tooltipMoney },
      // The axis shows month and day (a full date does not fit under the
      // first bar); the tooltip shows the full date.
      xAxis: { type: 'category', data: labels, axisTick: { alignWithLabel: true },
        axisLabel: { hideOverlap: true, formatter: function (v, i) { return shortDay(xs[i]); } } }
    };
    var c1 = chart('chart-revenue');
    if (c1) {
      c1.setOption(Object.assign({}, common, {
        yAxis: { type: 'value', axisLabel: { formatter: function (v) { return TW.compact(v); } } },
        series: markets.map(function (m) {
          return { name: TW.market(m), type: 'bar', stack: 'revenue', data: rev[m], emphasis: { focus: 'series' } };
        })
      }), true);
    }
    var c2 = chart('chart-orders');
    if (c2) {
      c2.setOption(Object.assign({}, common, {
        grid: Object.assign({}, common.grid, { bottom: legendSpace('chart-orders', [TW.t('overview.orders'), TW.t('overview.aov')]) }),
        tooltip: { trigger: 'axis' },
        yAxis: [
          { type: 'value', axisLabel: { formatter: function (v) { return TW.compact(v); } } },
          { type: 'value', axisLabel: { formatter: function (v) { return TW.compact(v); } }, splitLine: { show: false } }
        ],
        series: [
          { name: TW.t('overview.orders'), type: 'bar', data: totalOrders, tooltip: { valueFormatter: function (v) { return TW.num(v); } } },
          { name: TW.t('overview.aov'), type: 'line', yAxisIndex: 1, smooth: true, showSymbol: false,
            data: totalRev.map(function (v, i) { return priced[i] ? Math.round(v / priced[i] * 100) / 100 : null; }),
            tooltip: { valueFormatter: tooltipMoney } }
        ]
      }), true);
    }
  }

  var current = 0, storeNames = null, last = null;

  function load(days) {
    var seq = ++current;
    TW.hide(TW.$('#ov-error'));
    TW.hide(TW.$('#ov-note'));
    TW.$$('#period button').forEach(function (b) {
      b.setAttribute('aria-pressed', String(Number(b.getAttribute('data-days')) === days));
    });
    TW.loading(TW.$('#kpis'));
    Promise.all([sharedSQL(periodSQL(days, 'kpi')), sharedSQL(periodSQL(days, 'trend')), storeNames]).then(function (res) {
      if (seq !== current) return;
      var s = summarize(res[0]);
      renderKPIs(s, days);
      renderMarkets(s, days);
      last = { rows: res[1], s: s, days: days };
      renderTrends(res[1], s, days);
      if (!s.total.cur) {
        TW.sql(NEWEST_SQL).then(function (r) {
          var newest = r.length ? r[0].newest : null;
          TW.showNote(TW.$('#ov-note'), newest ? TW.t('overview.no_orders_since', { date: TW.date(newest) }) : TW.t('overview.no_orders'));
        }, function () {});
      }
    }, function (err) {
      if (seq !== current) return;
      TW.clear(TW.$('#kpis'));
      TW.showError(TW.$('#ov-error'), err);
    });
  }

  // ---- without query.sql: the RFM segments ----

  function loadRFM() {
    var box = TW.$('#ov-rfm');
    TW.api('GET', '/v1/rfm').then(function (res) {
      var rows = (res.segments || []).filter(function (r) { return r.scope === 'all'; });
      TW.clear(box);
      var cols = [
        { label: TW.t('rfm.segment'), value: function (r) { return TW.tOr('rfm.' + r.segment, r.segment); } },
        { label: TW.t('rfm.customers'), num: true, value: function (r) { return TW.num(r.customers); } },
        { label: TW.t('rfm.customer_share'), num: true, value: function (r) { return TW.pct(r.customer_share); } },
        { label: TW.t('rfm.revenue_share'), num: true, value: function (r) { return TW.pct(r.revenue_share); } }
      ];
      box.appendChild(TW.table(cols, rows, { empty: TW.t('overview.no_orders'), label: TW.t('overview.rfm_title') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#ov-error'), err);
    });
  }

  TW.onReady(function () {
    var root = TW.$('#overview');
    if (!root) return;
    loadAlerts();
    if (root.getAttribute('data-sql') !== 'true') { loadRFM(); return; }
    storeNames = TW.loadStoreNames();
    TW.$$('#period button').forEach(function (b) {
      b.addEventListener('click', function () { load(Number(b.getAttribute('data-days'))); });
    });
    var first = TW.$('#period button[aria-pressed="true"]');
    load(first ? Number(first.getAttribute('data-days')) : 90);
    window.addEventListener('resize', TW.debounce(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      if (last) renderTrends(last.rows, last.s, last.days);
    }, 150));
  });

  // For tests.
  TW.overview = { summarize: summarize, buckets: buckets, change: change, shortDay: shortDay };
})();
