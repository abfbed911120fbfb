// marketing.js: which marketing works. The attribution models compared
// per channel (GET /v1/attribution?model=all&by=channel), the return on ad
// spend per channel or campaign (GET /v1/roi?group=…), the influencer
// board (GET /v1/influencers) and the experiments with, on demand, their
// results (GET /v1/experiments/{id}/results).
(function () {
  'use strict';
  var TW = window.TW;

  var MODELS = ['first', 'last', 'last_non_direct', 'linear', 'time_decay', 'position', 'markov', 'shapley'];

  function modelName(m) { return TW.tOr('attrmodel.' + m, m || TW.DASH); }

  // ---- charts ----

  var charts = {};

  function draw(id, option) {
    var el = TW.$('#' + id);
    if (!el) return;
    el.hidden = !option;
    if (!option || !window.echarts) return;
    if (!charts[id]) charts[id] = window.echarts.init(el, null, { locale: TW.lang === 'zh' ? 'ZH' : 'EN' });
    charts[id].resize();
    charts[id].setOption(option, true);
  }

  // credits arranges the reports: the channels (most credited by the
  // first model that has any, first) and per model its credit per channel.
  function credits(res) {
    var reports = (res && res.models) || [];
    var by = {}, total = {};
    reports.forEach(function (r) {
      by[r.model] = {};
      (r.channels || []).forEach(function (c) {
        by[r.model][c.channel] = c;
        total[c.channel] = (total[c.channel] || 0) + (TW.toNumber(c.conversions) || 0);
      });
    });
    var channels = Object.keys(total).sort(function (a, b) { return total[b] - total[a] || (a < b ? -1 : 1); });
    var models = reports.map(function (r) { return r.model; }).sort(function (a, b) {
      var i = MODELS.indexOf(a), j = MODELS.indexOf(b);
      return (i < 0 ? 99 : i) - (j < 0 ? 99 : j);
    });
    return { channels: channels, models: models, by: by };
  }

  function creditOf(cr, model, channel, measure) {
    var c = cr.by[model] && cr.by[model][channel];
    return c ? TW.toNumber(c[measure]) || 0 : 0;
  }

  // attrOption: a grouped bar chart, the channels on the axis and a bar
  // per model.
  function attrOption(cr, measure) {
    if (!cr.channels.length) return null;
    var fmt = measure === 'value' ? function (v) { return TW.money(v, TW.base(), 0); } : function (v) { return TW.num(v, 1); };
    return {
      animation: !TW.reducedMotion(),
      aria: { enabled: true },
      grid: { left: 8, right: 8, top: 16, bottom: 56, containLabel: true },
      legend: { bottom: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: fmt },
      xAxis: { type: 'category', data: cr.channels.map(TW.channel), axisLabel: { hideOverlap: true, interval: 0, width: 90, overflow: 'truncate' } },
      yAxis: { type: 'value', axisLabel: { formatter: function (v) { return TW.compact(v); } } },
      series: cr.models.map(function (m) {
        return { name: modelName(m), type: 'bar', barMaxWidth: 14,
          data: cr.channels.map(function (ch) { return Math.round(creditOf(cr, m, ch, measure) * 100) / 100; }) };
      })
    };
  }

  // attrTable: the same numbers, a row per channel and a column per
  // model, each cell the orders credited and the revenue below.
  function attrTable(cr) {
    var cols = [{ label: TW.t('marketing.channel'), value: function (ch) { return TW.channel(ch); } }];
    cr.models.forEach(function (m) {
      cols.push({ label: modelName(m), num: true, value: function (ch) {
        return TW.el('span', null, TW.el('strong', { text: TW.num(creditOf(cr, m, ch, 'conversions'), 1) }), TW.el('br'),
          TW.el('span', { class: 'muted', text: TW.money(creditOf(cr, m, ch, 'value'), TW.base(), 0) }));
      } });
    });
    return TW.table(cols, cr.channels, { rowHeader: true, caption: TW.t('marketing.attr_caption'), empty: TW.t('marketing.attr_none') });
  }

  var attrData = null;

  function showAttribution() {
    var box = TW.$('#mk-attr');
    TW.clear(box);
    if (!attrData) return;
    var cr = credits(attrData);
    draw('chart-mk-attr', attrOption(cr, TW.$('#mk-measure').value));
    box.appendChild(attrTable(cr));
  }

  function loadAttribution() {
    TW.loading(TW.$('#mk-attr'));
    return TW.api('GET', '/v1/attribution' + TW.qs({ model: 'all', by: 'channel', lookback_days: 30 })).then(function (res) {
      attrData = res;
      var converting = TW.toNumber(res.converting_journeys) || 0;
      TW.$('#mk-empty').hidden = converting > 0;
      TW.$('#mk-attr-summary').textContent = TW.t('marketing.attr_summary', {
        converting: TW.num(converting), others: TW.num(res.non_converting_journeys || 0),
        from: res.from || TW.DASH, to: res.to || TW.DASH, days: TW.num(res.lookback_days, 0) });
      showAttribution();
    });
  }

  function opt(v, f) { return v === null || v === undefined ? TW.DASH : f(v); }

  function loadROI() {
    var box = TW.$('#mk-roi');
    var group = TW.$('#mk-roi-group').value;
    TW.loading(box);
    return TW.api('GET', '/v1/roi' + TW.qs({ group: group })).then(function (res) {
      var cur = res.currency || TW.base();
      var money = function (v) { return TW.money(v, cur, 2); };
      var cols = [
        { label: TW.t('marketing.channel'), value: function (r) { return TW.channel(r.channel); } }
      ];
      if (group === 'campaign') cols.push({ label: TW.t('marketing.campaign'), value: function (r) { return r.campaign || TW.t('common.none'); } });
      cols = cols.concat([
        { label: TW.t('marketing.spend'), num: true, value: function (r) { return money(r.spend); } },
        { label: TW.t('marketing.orders'), num: true, value: function (r) { return TW.num(r.conversions, 1); } },
        { label: TW.t('marketing.revenue'), num: true, value: function (r) { return money(r.revenue); } },
        { label: TW.t('marketing.roas'), num: true, value: function (r) { return opt(r.roas, function (v) { return TW.num(v, 2) + '×'; }); } },
        { label: TW.t('marketing.cac'), num: true, value: function (r) { return opt(r.cac, money); } },
        { label: TW.t('marketing.cost_per_order'), num: true, value: function (r) { return opt(r.cost_per_order, money); } },
        { label: TW.t('marketing.ltv_cac'), num: true, value: function (r) { return opt(r.ltv_to_cac, function (v) { return TW.num(v, 2); }); } }
      ]);
      var rows = res.rows || [];
      TW.clear(box);
      if (!rows.length) {
        box.appendChild(TW.el('p', { class: 'empty', text: TW.t('marketing.roi_none') }));
        return;
      }
      var total = Object.assign({}, res.total, { _total: true });
      cols[0].value = function (r) { return r._total ? TW.t('marketing.total') : TW.channel(r.channel); };
      if (group === 'campaign') cols[1].value = function (r) { return r._total ? '' : r.campaign || TW.t('common.none'); };
      box.appendChild(TW.table(cols, rows.concat([total]), { rowHeader: true, caption: TW.t('marketing.roi') }));
      if (res.unpriced_spend_rows > 0) box.appendChild(TW.el('p', { class: 'hint', text: TW.t('marketing.unpriced_spend', { n: TW.num(res.unpriced_spend_rows) }) }));
    });
  }

  function loadInfluencers() {
    var box = TW.$('#mk-inf');
    TW.loading(box);
    return TW.api('GET', '/v1/influencers').then(function (res) {
      var list = res.influencers || [];
      var cur = TW.base();
      var anyFees = list.some(function (x) { return TW.toNumber(x.fees) > 0 || x.return_on_fees !== null && x.return_on_fees !== undefined; });
      var cols = [
        { label: TW.t('marketing.rank'), num: true, value: function (x) { return TW.num(x.rank, 0); } },
        { label: TW.t('marketing.influencer'), value: function (x) {
          return TW.el('span', null, TW.el('span', { text: x.campaign || TW.t('common.none') }), ' ',
            TW.el('span', { class: 'muted', text: TW.channel(x.channel) + (x.coupon ? ' · ' + x.coupon : '') }));
        } },
        { label: TW.t('marketing.sessions'), num: true, value: function (x) { return TW.num(x.sessions, 0); } },
        { label: TW.t('marketing.orders'), num: true, value: function (x) { return TW.num(x.orders, 0); } },
        { label: TW.t('marketing.conv_raw'), num: true, value: function (x) { return TW.pct(x.conversion_rate); } },
        { label: TW.t('marketing.conv_shrunk'), num: true, value: function (x) { return TW.pct(x.shrunk_rate); } },
        { label: TW.t('marketing.revenue'), num: true, value: function (x) { return TW.money(x.revenue, cur, 0); } },
        { label: TW.t('marketing.new_share'), num: true, value: function (x) { return TW.pct(x.new_customer_share, 0); } }
      ];
      if (anyFees) {
        cols.push({ label: TW.t('marketing.fees'), num: true, value: function (x) { return TW.money(x.fees, cur, 0); } });
        cols.push({ label: TW.t('marketing.return_on_fees'), num: true, value: function (x) { return opt(x.return_on_fees, function (v) { return TW.num(v, 2) + '×'; }); } });
      }
      TW.clear(box);
      box.appendChild(TW.table(cols, list, { caption: TW.t('marketing.influencers'), empty: TW.t('marketing.inf_none') }));
    });
  }

  function signedPct(v) {
    var n = TW.toNumber(v);
    if (!isFinite(n)) return TW.DASH;
    return (n > 0 ? '+' : '') + TW.pct(n);
  }

  // results shows an experiment's results: per metric the variants, each
  // against the control.
  function results(res) {
    var out = TW.el('div', { class: 'exp-results' });
    var users = res.users || {};
    out.appendChild(TW.el('p', { class: 'hint', text: TW.t('marketing.exp_users', {
      users: Object.keys(users).map(function (k) { return k + ': ' + TW.num(users[k], 0); }).join(' · ') || TW.DASH,
      at: TW.dateTime(res.analyzed_at) }) }));
    (res.metrics || []).forEach(function (m) {
      var name = (m.metric && (m.metric.name || m.metric.kind)) || TW.DASH;
      out.appendChild(TW.el('h3', { text: TW.t('marketing.exp_metric', { name: name }) }));
      if (m.error) {
        out.appendChild(TW.el('p', { class: 'empty', text: m.error }));
        return;
      }
      var rep = m.report;
      if (!rep) return;
      if (rep.srm_warning) {
        out.appendChild(TW.el('div', { class: 'alert alert-warn', role: 'note',
          text: TW.t('marketing.srm_warning', { p: TW.sig(rep.srm_p_value, 2) }) }));
      }
      var ci = Math.round((1 - (TW.toNumber(rep.alpha) || 0.05)) * 100);
      out.appendChild(TW.table([
        { label: TW.t('marketing.variant'), value: function (v) { return v.control ? TW.t('marketing.control', { name: v.name }) : v.name; } },
        { label: TW.t('marketing.users'), num: true, value: function (v) { return TW.num(v.n, 0); } },
        { label: TW.t('marketing.mean'), num: true, value: function (v) { return TW.sig(v.mean, 4); } },
        { label: TW.t('marketing.lift'), num: true, value: function (v) { return v.relative ? signedPct(v.relative.lift) : v.error || TW.DASH; } },
        { label: TW.t('marketing.ci', { level: ci }), num: true, value: function (v) {
          return v.relative ? signedPct(v.relative.ci_low) + ' … ' + signedPct(v.relative.ci_high) : TW.DASH;
        } },
        { label: TW.t('marketing.p_value'), num: true, value: function (v) { return v.relative ? TW.sig(v.relative.p_value, 2) : TW.DASH; } },
        { label: TW.t('marketing.chance_to_win'), num: true, value: function (v) { return v.chance_to_win !== undefined ? TW.pct(v.chance_to_win) : TW.DASH; } }
      ], rep.variants || [], { rowHeader: true, caption: TW.t('marketing.exp_metric', { name: name }) }));
    });
    return out;
  }

  function loadExperiments() {
    var box = TW.$('#mk-exp');
    TW.loading(box);
    return TW.api('GET', '/v1/experiments').then(function (res) {
      var list = res.experiments || [];
      TW.clear(box);
      if (!list.length) {
        box.appendChild(TW.el('p', { class: 'empty', text: TW.t('marketing.exp_none') }));
        return;
      }
      var cols = [TW.t('marketing.experiment'), TW.t('marketing.variants'), TW.t('marketing.metrics'), TW.t('marketing.period')];
      var thead = TW.el('thead', null, TW.el('tr', null,
        TW.el('th', { scope: 'col' }, TW.el('span', { class: 'visually-hidden', text: TW.t('marketing.results') })),
        cols.map(function (c) { return TW.el('th', { scope: 'col', text: c }); })));
      var tbody = TW.el('tbody');
      list.forEach(function (e, i) {
        var id = 'mk-exp-' + i;
        var btn = TW.el('button', { type: 'button', class: 'btn btn-small', 'aria-expanded': 'false', 'aria-controls': id,
          'aria-label': TW.t('marketing.show_results', { name: e.name || e.id }), text: TW.t('marketing.results') });
        var detail = TW.el('tr', { id: id, hidden: true }, TW.el('td', { colspan: String(cols.length + 1) }));
        btn.addEventListener('click', function () {
          var open = btn.getAttribute('aria-expanded') === 'true';
          btn.setAttribute('aria-expanded', String(!open));
          detail.hidden = open;
          if (open || detail.firstChild.firstChild) return;
          var cell = detail.firstChild;
          TW.loading(cell);
          TW.busy(btn, TW.api('GET', '/v1/experiments/' + encodeURIComponent(e.id) + '/results').then(function (r) {
            TW.clear(cell);
            cell.appendChild(results(r));
          }, function (err) {
            TW.clear(cell);
            TW.showError(cell.appendChild(TW.el('div')), err);
          }));
        });
        tbody.appendChild(TW.el('tr', null,
          TW.el('td', null, btn),
          TW.el('th', { scope: 'row' }, TW.el('div', { text: e.name || e.id }), TW.el('div', { class: 'muted mono', text: e.id })),
          TW.el('td', { text: (e.variants || []).map(function (v) { return v.name || v.id; }).join(' · ') }),
          TW.el('td', { text: (e.metrics || []).map(function (m) { return m.name || m.kind; }).join(' · ') }),
          TW.el('td', { class: 'nowrap', text: (e.start ? TW.day(e.start) : TW.DASH) + ' – ' + (e.end ? TW.day(e.end) : TW.t('marketing.ongoing')) })));
        tbody.appendChild(detail);
      });
      box.appendChild(TW.el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': TW.t('marketing.experiments') },
        TW.el('table', { class: 'data' }, thead, tbody)));
    });
  }

  // guard shows a section's error in its own box, so one failing report
  // leaves the others.
  function guard(sel, p) {
    return p.then(null, function (err) {
      var box = TW.$(sel);
      TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  function load() {
    TW.hide(TW.$('#mk-error'));
    return Promise.all([
      guard('#mk-attr', loadAttribution()),
      guard('#mk-roi', loadROI()),
      guard('#mk-inf', loadInfluencers()),
      guard('#mk-exp', loadExperiments())
    ]);
  }

  TW.onReady(function () {
    if (!TW.$('#mk-attr')) return;
    TW.$('#mk-measure').addEventListener('change', showAttribution);
    TW.$('#mk-roi-group').addEventListener('change', function () { guard('#mk-roi', loadROI()); });
    TW.$('#mk-refresh').addEventListener('click', function (e) { TW.busy(e.currentTarget, load()); });
    load();
    window.addEventListener('resize', TW.debounce(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    }, 150));
  });

  // For tests.
  TW.marketing = { credits: credits, attrOption: attrOption, modelName: modelName };
})();
