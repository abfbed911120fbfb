// predictions.js: the predictions page. The newest run's model report
// (GET /v1/predictions/report: the lifetime models' holdout check and
// parameters, the churn models' comparison, calibration and feature
// importance), what it predicted (GET /v1/predictions/summary and
// /distribution: lifetime value, churn tiers, per marketplace, channel,
// segment or tier), the customers worth winning back (GET
// /v1/predictions?tier=high&order=clv, with customers.read) and, with
// models.run, a run on demand (POST /v1/predictions/refresh).
(function () {
  'use strict';
  var TW = window.TW;

  var PALETTE = ['#0f5c8c', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7a6fd0', '#6b7280'];
  var TIER_COLORS = { high: '#b3261e', medium: '#d68a00', low: '#2e8b57' };
  var ACTUAL_COLOR = '#1f2937';
  // Churn tiers by probability of no order (internal/predict: TierHighAt,
  // TierMediumAt).
  var HIGH_AT = 0.75, MEDIUM_AT = 0.5;
  var WIN_LIMIT = 10;

  function modelName(m) { return TW.tOr('model.' + m, m || TW.DASH); }

  // featureName names a churn feature ("market:amazon_de" is buying on a
  // marketplace, "channel:paid_search" coming through a channel).
  function featureName(f) {
    f = String(f || '');
    if (f.indexOf('market:') === 0) return TW.t('feature.market', { market: TW.market(f.slice(7)) });
    if (f.indexOf('channel:') === 0) return TW.t('feature.channel', { channel: TW.channel(f.slice(8)) });
    return TW.tOr('feature.' + f, f);
  }

  // groupName names a group of the summary: a marketplace, a channel, a
  // segment (by its name when known) or a tier.
  function groupName(by, g, segNames) {
    if (g === '(none)' || g === null || g === undefined || g === '') return TW.t('common.none');
    if (by === 'marketplace') return TW.market(g);
    if (by === 'tier') return TW.tOr('tier.' + g, g);
    if (by === 'segment') return (segNames && segNames[g]) || g;
    if (by === 'channel') return TW.channel(g);
    if (by === 'all') return TW.t('predictions.all_customers');
    return String(g);
  }

  // bucketLabel names a CLV bucket: its range in the base currency.
  function bucketLabel(b, base) {
    if (b.from === null || b.from === undefined) return TW.t('predictions.clv_unknown');
    if (!b.from) return TW.t('predictions.clv_below', { v: TW.money(b.to, base, 0) });
    return TW.money(b.from, base, 0) + '–' + TW.money(b.to, base, 0);
  }

  function decileLabel(d) {
    return TW.pct(d / 10, 0) + '–' + TW.pct((d + 1) / 10, 0);
  }

  function tierOf(p) { return p >= HIGH_AT ? 'high' : p >= MEDIUM_AT ? 'medium' : 'low'; }

  // ---- charts ----

  var charts = {};

  function chart(id) {
    var el = TW.$('#' + id);
    if (!el || !window.echarts) return null;
    if (!charts[id]) charts[id] = window.echarts.init(el, null, { locale: TW.lang === 'zh' ? 'ZH' : 'EN' });
    return charts[id];
  }

  // draw sets a chart's option, or hides the chart when there is none.
  function draw(id, option) {
    var el = TW.$('#' + id);
    if (!el) return;
    el.hidden = !option;
    if (!option) return;
    var c = chart(id);
    if (!c) return;
    c.resize();
    c.setOption(option, true);
  }

  // yName is a value axis's name, starting at the axis (centred, a long
  // name is cut at the chart's edge).
  function yName(text) {
    return { name: text, nameTextStyle: { align: 'left' } };
  }

  function baseOption(extra) {
    return Object.assign({
      color: PALETTE,
      animation: !TW.reducedMotion(),
      aria: { enabled: true },
      grid: { left: 8, right: 20, top: 28, bottom: 56, containLabel: true },
      legend: { bottom: 0, type: 'scroll' }
    }, extra);
  }

  // clvOption: customers per CLV bucket (each twice the one before).
  function clvOption(dist, base) {
    var known = (dist.clv || []).filter(function (b) { return b.from !== null && b.from !== undefined; });
    if (!known.length) return null;
    return baseOption({
      legend: { show: false },
      grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', formatter: function (ps) {
        var b = known[ps[0].dataIndex];
        return bucketLabel(b, base) + '<br>' + TW.t('predictions.n_customers', { n: TW.num(b.customers) }) +
          '<br>' + TW.t('predictions.clv_sum', { v: TW.money(b.clv, base, 0) });
      } },
      // Every bucket labelled, slanted when there are many.
      xAxis: { type: 'category', data: known.map(function (b) { return bucketLabel(b, base); }),
        axisLabel: { interval: 0, rotate: known.length > 4 ? 30 : 0, fontSize: 11 } },
      yAxis: Object.assign(yName(TW.t('predictions.axis_customers')), { type: 'value', axisLabel: { formatter: function (v) { return TW.compact(v); } } }),
      series: [{ name: TW.t('predictions.axis_customers'), type: 'bar', data: known.map(function (b) { return TW.toNumber(b.customers); }), color: PALETTE[0], barMaxWidth: 48 }]
    });
  }

  // churnOption: customers per tenth of churn risk, coloured by tier.
  function churnOption(dist) {
    var counts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    (dist.churn_risk || []).forEach(function (r) {
      var d = TW.toNumber(r.decile);
      if (d >= 0 && d <= 9) counts[d] += TW.toNumber(r.customers) || 0;
    });
    if (!counts.some(function (n) { return n > 0; })) return null;
    return baseOption({
      legend: { show: false },
      grid: { left: 8, right: 20, top: 28, bottom: 36, containLabel: true },
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return TW.t('predictions.n_customers', { n: TW.num(v) }); } },
      xAxis: { type: 'category', data: counts.map(function (n, d) { return decileLabel(d); }), name: TW.t('predictions.axis_risk'),
        nameLocation: 'middle', nameGap: 28, axisLabel: { hideOverlap: true } },
      yAxis: Object.assign(yName(TW.t('predictions.axis_customers')), { type: 'value', axisLabel: { formatter: function (v) { return TW.compact(v); } } }),
      series: [{ name: TW.t('predictions.axis_customers'), type: 'bar', barMaxWidth: 40,
        data: counts.map(function (n, d) { return { value: n, itemStyle: { color: TIER_COLORS[tierOf((d + 0.5) / 10)] } }; }) }]
    });
  }

  // calibrationOption: observed churn against predicted probability per
  // bin, one line per model, and the diagonal of a perfect model.
  function calibrationOption(models) {
    var ms = (models || []).filter(function (m) { return m.calibration && m.calibration.length; });
    if (!ms.length) return null;
    var series = ms.map(function (m, i) {
      return { name: modelName(m.model), type: 'line', symbolSize: 7, color: PALETTE[i % PALETTE.length],
        data: m.calibration.map(function (b) { return [b.mean_predicted, b.observed_rate, b.count]; }) };
    });
    series.push({ name: TW.t('predictions.perfect'), type: 'line', data: [[0, 0], [1, 1]], symbol: 'none', silent: true,
      lineStyle: { type: 'dashed', color: '#9aa6b5', width: 1 }, color: '#9aa6b5', tooltip: { show: false } });
    return baseOption({
      tooltip: { trigger: 'item', formatter: function (p) {
        var v = p.value || [];
        return p.seriesName + '<br>' + TW.t('predictions.cal_point', { p: TW.pct(v[0]), o: TW.pct(v[1]), n: TW.num(v[2]) });
      } },
      xAxis: { type: 'value', min: 0, max: 1, name: TW.t('predictions.axis_predicted'), nameLocation: 'middle', nameGap: 26,
        axisLabel: { formatter: function (v) { return TW.pct(v, 0); } } },
      yAxis: Object.assign(yName(TW.t('predictions.axis_observed')), { type: 'value', min: 0, max: 1, axisLabel: { formatter: function (v) { return TW.pct(v, 0); } } }),
      // Every model and the diagonal in the legend, on as many lines as
      // they need.
      legend: { bottom: 0, type: 'plain' },
      grid: { left: 8, right: 20, top: 36, bottom: 84, containLabel: true },
      series: series
    });
  }

  // importanceOption: each feature's mean contribution, largest on top.
  function importanceOption(imp) {
    var rows = (imp || []).filter(function (f) { return TW.toNumber(f.weight) > 0; }).slice(0, 12).reverse();
    if (!rows.length) return null;
    return baseOption({
      legend: { show: false },
      grid: { left: 8, right: 28, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: function (v) { return TW.num(v, 3); } },
      xAxis: { type: 'value', axisLabel: { formatter: function (v) { return TW.num(v, 2); } } },
      yAxis: { type: 'category', data: rows.map(function (f) { return featureName(f.feature); }), axisLabel: { width: 170, overflow: 'truncate' } },
      series: [{ name: TW.t('predictions.importance'), type: 'bar', color: PALETTE[0], barMaxWidth: 18,
        data: rows.map(function (f) { return Math.round(TW.toNumber(f.weight) * 1000) / 1000; }) }]
    });
  }

  // cumulativeOption: repeat purchases over the holdout, as they happened
  // and as each lifetime model predicted them.
  function cumulativeOption(holdout, period) {
    var hs = (holdout || []).filter(function (h) { return h.cumulative && h.cumulative.length; });
    if (!hs.length) return null;
    var unit = TW.t(period === 'day' ? 'predictions.unit_day' : 'predictions.unit_week');
    var series = [{ name: TW.t('predictions.actual'), type: 'line', color: ACTUAL_COLOR, symbolSize: 5, lineStyle: { width: 2.5 },
      data: hs[0].cumulative.map(function (c) { return [c.period, c.actual]; }) }];
    hs.forEach(function (h, i) {
      series.push({ name: TW.t('predictions.predicted_by', { model: modelName(h.model) }), type: 'line', showSymbol: false,
        color: PALETTE[(i + 1) % PALETTE.length], lineStyle: { type: 'dashed', width: 2 },
        data: h.cumulative.map(function (c) { return [c.period, Math.round(c.predicted * 10) / 10]; }) });
    });
    return baseOption({
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return TW.num(v, 1); } },
      xAxis: { type: 'value', name: unit, nameLocation: 'middle', nameGap: 26, minInterval: 1 },
      yAxis: Object.assign(yName(TW.t('predictions.axis_repeat')), { type: 'value', axisLabel: { formatter: function (v) { return TW.compact(v); } } }),
      grid: { left: 8, right: 20, top: 36, bottom: 64, containLabel: true },
      series: series
    });
  }

  // frequencyOption: mean holdout purchases per customer by how often
  // they bought in the calibration period, actual and predicted.
  function frequencyOption(holdout) {
    var hs = (holdout || []).filter(function (h) { return h.by_frequency && h.by_frequency.length; });
    if (!hs.length) return null;
    var buckets = hs[0].by_frequency;
    var labels = buckets.map(function (b) { return b.or_more ? TW.t('predictions.or_more', { n: b.frequency }) : String(b.frequency); });
    var series = [{ name: TW.t('predictions.actual'), type: 'bar', color: ACTUAL_COLOR, barMaxWidth: 22,
      data: buckets.map(function (b) { return Math.round(b.actual * 100) / 100; }) }];
    hs.forEach(function (h, i) {
      series.push({ name: TW.t('predictions.predicted_by', { model: modelName(h.model) }), type: 'bar', barMaxWidth: 22,
        color: PALETTE[(i + 1) % PALETTE.length], data: h.by_frequency.map(function (b) { return Math.round(b.predicted * 100) / 100; }) });
    });
    return baseOption({
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: function (ps) {
        var b = buckets[ps[0].dataIndex];
        return TW.t('predictions.freq_tip', { f: labels[ps[0].dataIndex], n: TW.num(b.customers) }) + '<br>' +
          ps.map(function (p) { return p.marker + p.seriesName + ': ' + TW.num(p.value, 2); }).join('<br>');
      } },
      xAxis: { type: 'category', data: labels, name: TW.t('predictions.axis_frequency'), nameLocation: 'middle', nameGap: 26, axisLabel: { interval: 0 } },
      yAxis: Object.assign(yName(TW.t('predictions.axis_mean_purchases')), { type: 'value' }),
      grid: { left: 8, right: 20, top: 36, bottom: 64, containLabel: true },
      series: series
    });
  }

  // ---- key figures, distribution, tiers ----

  function renderCards(run, all) {
    var base = TW.base();
    var box = TW.clear(TW.$('#p-cards'));
    var n = TW.toNumber(all.customers) || 0;
    var high = TW.toNumber(all.churn_high) || 0;
    var months = run && run.config ? run.config.clv_months : null;
    var repeat = run && run.lifetime ? run.lifetime.repeat_customers : null;
    var version = run ? run.model_version || '' : '';
    var models = run && run.lifetime && run.churn ? TW.t('predictions.models_used', { lifetime: modelName(run.lifetime.chosen_model), churn: modelName(run.churn.chosen_model) }) : '';
    TW.append(box, [
      TW.card(TW.t('predictions.scored'), TW.num(n), repeat !== null && repeat !== undefined ? TW.t('predictions.repeat_buyers', { n: TW.num(repeat) }) : null),
      TW.card(TW.t('predictions.clv_total', { currency: base }), all.clv_total === null || all.clv_total === undefined ? TW.DASH : TW.money(all.clv_total, base, 0),
        all.clv_mean === null || all.clv_mean === undefined ? TW.t('predictions.no_clv_short') : TW.t('predictions.clv_mean_months', { v: TW.money(all.clv_mean, base), months: months || 12 })),
      TW.card(TW.t('predictions.high_risk'), TW.num(high),
        TW.el('div', { class: 'delta' }, n ? TW.t('predictions.share_of', { share: TW.pct(high / n) }) + ' · ' : '', TW.link('#p-win-h', TW.t('predictions.see_list')))),
      TW.card(TW.t('predictions.as_of'), run ? TW.day(run.as_of) : TW.DASH,
        TW.el('div', { class: 'delta muted' }, models ? TW.el('div', { text: models }) : null,
          version ? TW.el('div', { class: 'mono model-version', title: TW.t('predictions.model_version'), text: version }) : null))
    ]);
    if (!TW.can('customers.read')) {
      var link = box.querySelector('a[href="#p-win-h"]');
      if (link) link.parentNode.removeChild(link);
    }
  }

  function renderDistribution(run, dist) {
    var base = TW.base();
    var months = run && run.config ? run.config.clv_months : 12;
    var rate = run && run.config ? run.config.annual_discount_rate : 0.1;
    var margin = run && run.config ? run.config.margin : 1;
    TW.$('#p-clv-hint').textContent = TW.t('predictions.clv_hint', { months: months, margin: TW.pct(margin, 0), rate: TW.pct(rate, 0), currency: base || '' });
    var unknown = (dist.clv || []).filter(function (b) { return b.from === null || b.from === undefined; })[0];
    var note = TW.$('#p-clv-note');
    var opt = clvOption(dist, base);
    if (!opt) {
      var why = run && run.lifetime && run.lifetime.refused ? run.lifetime.refused.gamma_gamma : '';
      TW.showNote(note, TW.t('predictions.no_clv') + (why ? ' ' + TW.t('predictions.model_said', { why: why }) : ''), 'warn');
    } else if (unknown && TW.toNumber(unknown.customers) > 0) {
      TW.showNote(note, TW.t('predictions.clv_some_unknown', { n: TW.num(unknown.customers) }), 'info');
    } else {
      TW.hide(note);
    }
    draw('chart-clv', opt);
    var days = run && run.config ? run.config.churn_horizon_days : 90;
    TW.$('#p-churn-hint').textContent = TW.t('predictions.churn_hint', { days: days, high: TW.pct(HIGH_AT, 0), medium: TW.pct(MEDIUM_AT, 0) });
    draw('chart-churn', churnOption(dist));
  }

  function renderTiers(all) {
    var box = TW.clear(TW.$('#p-tiers'));
    var n = TW.toNumber(all.customers) || 0;
    ['high', 'medium', 'low'].forEach(function (t) {
      var c = TW.toNumber(all['churn_' + t]) || 0;
      var b = TW.tierBadge(t);
      b.textContent = TW.t('predictions.tier_count', { tier: TW.t('tier.' + t), n: TW.num(c), share: n ? TW.pct(c / n) : TW.DASH });
      box.appendChild(b);
    });
  }

  // ---- worth winning back ----

  var winSeq = 0;

  function loadWinback(offset) {
    var box = TW.$('#p-winback');
    if (!box) return Promise.resolve();
    var seq = ++winSeq;
    var base = TW.base();
    TW.loading(box);
    TW.hide(TW.$('#p-win-error'));
    return TW.api('GET', '/v1/predictions' + TW.qs({ tier: 'high', order: 'clv', limit: WIN_LIMIT, offset: offset || '' })).then(function (res) {
      if (seq !== winSeq) return;
      var list = res.customers || [];
      TW.clear(box);
      box.appendChild(TW.table([
        { label: TW.t('customer.profile'), value: function (c) { return TW.el('a', { href: '/customers/' + encodeURIComponent(c.profile_id), class: 'mono', text: c.profile_id }); } },
        { label: TW.t('predictions.clv'), num: true, value: function (c) { return TW.money(c.clv, base); } },
        { label: TW.t('predictions.churn_risk'), num: true, value: function (c) { return TW.pct(c.churn_risk, 0); } },
        { label: TW.t('predictions.p_alive'), num: true, value: function (c) { return TW.pct(c.p_alive, 0); } },
        { label: TW.t('predictions.expected_purchases'), num: true, value: function (c) { return TW.num(c.expected_purchases, 1); } },
        { label: TW.t('predictions.reasons'), value: function (c) { return TW.reasonList(c.reasons); } }
      ], list, { empty: TW.t(offset ? 'predictions.winback_no_more' : 'predictions.winback_empty'), label: TW.t('predictions.winback') }));
      var next = TW.$('#p-win-next'), first = TW.$('#p-win-first');
      next.hidden = list.length < WIN_LIMIT;
      first.hidden = !offset;
      next.onclick = function () { loadWinback((offset || 0) + WIN_LIMIT); };
      first.onclick = function () { loadWinback(0); };
    }, function (err) {
      if (seq !== winSeq) return;
      TW.clear(box);
      TW.showError(TW.$('#p-win-error'), err);
    });
  }

  // ---- by group ----

  var by = 'marketplace', sumSeq = 0, segNames = null;

  function segmentNames() {
    if (segNames) return Promise.resolve(segNames);
    return TW.api('GET', '/v1/segments').then(function (res) {
      segNames = {};
      (res.segments || []).forEach(function (s) { segNames[s.id] = s.name; });
      return segNames;
    }, function () { return {}; });
  }

  function loadSummary(grouping) {
    by = grouping;
    var seq = ++sumSeq;
    var box = TW.$('#p-summary');
    var base = TW.base();
    TW.$$('#p-by button').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-by') === by)); });
    TW.loading(box);
    TW.hide(TW.$('#p-sum-error'));
    var names = by === 'segment' ? segmentNames() : Promise.resolve(null);
    return Promise.all([TW.api('GET', '/v1/predictions/summary' + TW.qs({ by: by })), names]).then(function (res) {
      if (seq !== sumSeq) return;
      var groups = res[0].groups || [];
      TW.clear(box);
      var label = TW.t('predictions.by_group') + ' · ' + TW.t('predictions.by_' + by);
      box.appendChild(TW.table([
        { label: TW.t('predictions.group_' + by), value: function (g) { return groupName(by, g.group, res[1]); } },
        { label: TW.t('predictions.customers'), num: true, value: function (g) { return TW.num(g.customers); } },
        { label: TW.t('predictions.clv_total_col'), num: true, value: function (g) { return TW.money(g.clv_total, base, 0); } },
        { label: TW.t('predictions.clv_mean'), num: true, value: function (g) { return TW.money(g.clv_mean, base); } },
        { label: TW.t('predictions.clv_median'), num: true, value: function (g) { return TW.money(g.clv_median, base); } },
        { label: TW.t('predictions.p_alive_mean'), num: true, value: function (g) { return TW.pct(g.p_alive_mean, 0); } },
        { label: TW.t('predictions.churn_risk_mean'), num: true, value: function (g) { return TW.pct(g.churn_risk_mean, 0); } },
        { label: TW.t('predictions.expected_purchases'), num: true, value: function (g) { return TW.num(g.expected_purchases, 0); } },
        { label: TW.t('tier.high'), num: true, value: function (g) { return TW.num(g.churn_high); } },
        { label: TW.t('tier.medium'), num: true, value: function (g) { return TW.num(g.churn_medium); } },
        { label: TW.t('tier.low'), num: true, value: function (g) { return TW.num(g.churn_low); } }
      ], groups, { empty: TW.t(by === 'segment' ? 'predictions.no_segments' : 'common.empty'), label: label, rowHeader: true }));
    }, function (err) {
      if (seq !== sumSeq) return;
      TW.clear(box);
      TW.showError(TW.$('#p-sum-error'), err);
    });
  }

  // ---- the churn model ----

  // churnVerdict says which churn model scores and whether it beats
  // 1 − P(alive) — plainly when it does not.
  function churnVerdict(c) {
    var models = c.models || [];
    var base = models.filter(function (m) { return m.model === 'p_alive'; })[0];
    var supervised = models.filter(function (m) { return m.model !== 'p_alive'; });
    var best = supervised.slice().sort(function (a, b) { return b.auc - a.auc; })[0];
    var chosen = models.filter(function (m) { return m.model === c.chosen_model; })[0];
    if (c.chosen_model !== 'p_alive' && c.beats_baseline && chosen) {
      return { kind: 'ok', text: TW.t('predictions.verdict_beats', { model: modelName(c.chosen_model), auc: TW.num(chosen.auc, 3),
        base: base ? TW.num(base.auc, 3) : TW.DASH, rows: TW.num(chosen.rows), days: c.horizon_days, date: TW.day(c.test_cutoff) }) };
    }
    if (best && base) {
      return { kind: 'warn', text: TW.t('predictions.verdict_loses', { model: modelName(best.model), auc: TW.num(best.auc, 3), base: TW.num(base.auc, 3) }) };
    }
    return { kind: 'warn', text: TW.t('predictions.verdict_fallback') };
  }

  function renderChurn(c) {
    var box = TW.clear(TW.$('#p-churn-verdict'));
    if (!c) {
      box.appendChild(TW.el('p', { class: 'empty', text: TW.t('predictions.no_churn_report') }));
      draw('chart-calibration', null);
      draw('chart-importance', null);
      TW.clear(TW.$('#p-models'));
      TW.$('#p-models-hint').textContent = '';
      return;
    }
    var v = churnVerdict(c);
    box.appendChild(TW.el('div', { class: 'alert alert-' + v.kind, role: 'status', text: v.text }));
    if (c.note) box.appendChild(TW.el('p', { class: 'hint' }, TW.t('predictions.model_note') + ' ', TW.el('span', { lang: 'en', text: c.note })));
    var models = c.models || [];
    draw('chart-calibration', calibrationOption(models));
    draw('chart-importance', importanceOption(c.importance));
    if (!models.length) {
      TW.$('#chart-calibration').parentNode.appendChild(TW.el('p', { class: 'empty', 'data-generated': '', text: TW.t('predictions.no_calibration') }));
    }
    if (!(c.importance || []).length) {
      TW.$('#chart-importance').parentNode.appendChild(TW.el('p', { class: 'empty', 'data-generated': '', text: TW.t('predictions.no_importance') }));
    }
    TW.$('#p-models-hint').textContent = c.train_cutoff ? TW.t('predictions.models_hint', { train: TW.day(c.train_cutoff), test: TW.day(c.test_cutoff),
      train_rows: TW.num(c.train_rows), test_rows: TW.num(c.test_rows), days: c.horizon_days }) : '';
    TW.clear(TW.$('#p-models')).appendChild(TW.table([
      { label: TW.t('predictions.model'), value: function (m) {
        return TW.el('span', null, modelName(m.model), m.model === c.chosen_model ? [' ', TW.badge(TW.t('predictions.chosen'), 'ok')] : null,
          m.model === 'p_alive' ? [' ', TW.badge(TW.t('predictions.baseline'), 'muted')] : null);
      } },
      { label: TW.t('predictions.rows'), num: true, value: function (m) { return TW.num(m.rows); } },
      { label: TW.t('predictions.positives'), num: true, value: function (m) { return TW.num(m.positives); } },
      { label: 'AUC', num: true, value: function (m) { return TW.num(m.auc, 3); } },
      { label: TW.t('predictions.log_loss'), num: true, value: function (m) { return TW.num(m.log_loss, 3); } },
      { label: 'Brier', num: true, value: function (m) { return TW.num(m.brier, 3); } },
      { label: 'ECE', num: true, value: function (m) { return TW.num(m.ece, 3); } }
    ], models, { empty: TW.t('predictions.no_models'), label: TW.t('predictions.comparison'), rowHeader: true }));
  }

  // ---- the lifetime models ----

  var GREEK = { alpha: 'α', beta: 'β', gamma: 'γ' };

  // params lists a fitted model's parameters with their standard errors.
  function params(m, names) {
    var se = m.std_errors || [];
    return names.map(function (k, i) {
      var s = (GREEK[k] || k) + ' = ' + TW.sig(m[k]);
      if (isFinite(TW.toNumber(se[i]))) s += ' ± ' + TW.sig(se[i], 3);
      return s;
    }).join(', ');
  }

  var PARAMS = { bgnbd: ['r', 'alpha', 'a', 'b'], pareto_nbd: ['r', 'alpha', 's', 'beta'], gamma_gamma: ['p', 'q', 'gamma'] };

  // fitRows lists the models of a lifetime report: fitted (with their
  // parameters, log-likelihood and holdout error) or refused (and why).
  function fitRows(rep, scope) {
    if (!rep) return [];
    var out = [];
    var holdout = {};
    (rep.holdout || []).forEach(function (h) { holdout[h.model] = h; });
    ['bgnbd', 'pareto_nbd', 'gamma_gamma'].forEach(function (k) {
      var m = rep[k];
      var refused = rep.refused && rep.refused[k];
      if (!m && !refused) return;
      out.push({ key: k, scope: scope, fit: m, refused: refused, holdout: holdout[k], chosen: rep.chosen_model === k, rep: rep });
    });
    return out;
  }

  // chosenBy says how a lifetime model was chosen.
  function chosenBy(why) {
    var key = String(why || '').toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_+|_+$/g, '');
    return TW.tOr('chosenby.' + key, why || TW.DASH);
  }

  function renderLifetime(run) {
    var ev = run ? run.evaluation : null, lt = run ? run.lifetime : null;
    var hint = TW.$('#p-life-hint');
    var verdict = TW.clear(TW.$('#p-life-verdict'));
    var days = run && run.config ? run.config.churn_horizon_days : 90;
    var holdout = ev && ev.holdout ? ev.holdout : [];
    hint.textContent = ev ? TW.t('predictions.lifetime_hint', { date: TW.day(ev.calibration_end), days: days }) : '';
    var evRefused = ev && ev.refused ? Object.keys(ev.refused).length : 0;
    if (!ev || !holdout.length) {
      var why = !ev ? TW.t('predictions.no_lifetime_report')
        : evRefused ? TW.t('predictions.no_holdout_refused', { date: TW.day(ev.calibration_end) })
          : TW.t('predictions.no_holdout', { date: TW.day(ev.calibration_end), n: TW.num(ev.customers), repeat: TW.num(ev.repeat_customers) });
      verdict.appendChild(TW.el('div', { class: 'alert alert-info', role: 'status', text: why }));
    } else {
      var best = holdout.filter(function (h) { return h.model === ev.chosen_model; })[0] || holdout[0];
      verdict.appendChild(TW.el('p', { text: TW.t('predictions.holdout_verdict', { model: modelName(ev.chosen_model),
        actual: TW.num(best.actual, 0), predicted: TW.num(best.predicted, 0), rmse: TW.num(best.rmse, 3), n: TW.num(ev.customers) }) }));
    }
    if (lt && lt.chosen_model) {
      var why = ev && ev.chosen_model === lt.chosen_model && ev.chosen_by ? ev.chosen_by : lt.chosen_by;
      verdict.appendChild(TW.el('p', { class: 'hint', text: TW.t('predictions.lifetime_chosen', { model: modelName(lt.chosen_model),
        by: chosenBy(why), n: TW.num(lt.customers) }) }));
    }
    (ev && ev.warnings || []).concat(lt && lt.warnings || []).forEach(function (w) {
      verdict.appendChild(TW.el('div', { class: 'alert alert-warn', role: 'status', lang: 'en', text: w }));
    });
    TW.$('#p-holdout-charts').hidden = !holdout.length;
    if (holdout.length) {
      draw('chart-cumulative', cumulativeOption(holdout, ev.period));
      draw('chart-frequency', frequencyOption(holdout));
    }
    var rows = fitRows(ev, 'evaluation').concat(fitRows(lt, 'lifetime'));
    TW.clear(TW.$('#p-params')).appendChild(TW.table([
      { label: TW.t('predictions.model'), value: function (r) {
        return TW.el('span', null, modelName(r.key), r.chosen ? [' ', TW.badge(TW.t('predictions.chosen'), 'ok')] : null,
          r.refused ? [' ', TW.badge(TW.t('predictions.refused_badge'), 'warn')] : null);
      } },
      { label: TW.t('predictions.fitted_on'), value: function (r) {
        return r.scope === 'evaluation' ? TW.t('predictions.fitted_until', { date: TW.day(r.rep.calibration_end) }) : TW.t('predictions.fitted_all');
      } },
      { label: TW.t('predictions.parameters'), value: function (r) {
        if (r.refused) return TW.el('span', { class: 'muted', lang: 'en', text: r.refused });
        var text = TW.el('span', { class: 'mono', text: params(r.fit, PARAMS[r.key]) });
        if (r.key !== 'gamma_gamma') return text;
        var corr = TW.toNumber(r.fit.frequency_monetary_correlation);
        return TW.el('span', null, text, TW.el('div', { class: Math.abs(corr) > 0.3 ? 'warn-text' : 'muted',
          text: TW.t(Math.abs(corr) > 0.3 ? 'predictions.corr_bad' : 'predictions.corr_ok', { c: TW.num(corr, 2) }) }));
      } },
      { label: TW.t('predictions.log_likelihood'), num: true, value: function (r) { return r.fit ? TW.num(r.fit.log_likelihood, 2) : ''; } },
      { label: TW.t('predictions.customers'), num: true, value: function (r) { return r.fit ? TW.num(r.fit.customers) : ''; } },
      { label: TW.t('predictions.holdout_error'), num: true, value: function (r) {
        return r.holdout ? TW.t('predictions.mae_rmse', { mae: TW.num(r.holdout.mae, 3), rmse: TW.num(r.holdout.rmse, 3) }) : '';
      } }
    ], rows, { empty: TW.t('predictions.no_fits'), label: TW.t('predictions.params'), rowHeader: true }));
  }

  // ---- the page ----

  var lastRun = null;

  function show(state) {
    if (state !== 'data') {
      // What waits for data that will not come says nothing.
      TW.$$('#p-body .loading').forEach(function (e) { e.parentNode.removeChild(e); });
    }
    TW.$('#p-empty').hidden = state !== 'empty';
    TW.$('#p-body').hidden = state !== 'data';
    var head = TW.$('#p-run');
    if (head) head.hidden = state === 'empty';
  }

  // refusedNote tells that the newest run could not score, and why (the
  // model's own words).
  function refusedNote(run, hasData) {
    var box = TW.$('#p-note');
    TW.showNote(box, TW.t(hasData ? 'predictions.refused_old' : 'predictions.refused', { date: TW.dateTime(run.created_at) }), 'warn');
    box.appendChild(TW.el('div', { class: 'mono refused-error', lang: 'en', text: run.error || TW.t('err.unknown') }));
  }

  function render(run, all, dist) {
    lastRun = run;
    TW.$$('[data-generated]').forEach(function (e) { e.parentNode.removeChild(e); });
    var has = all && TW.toNumber(all.customers) > 0;
    TW.hide(TW.$('#p-note'));
    if (run && run.status === 'refused') refusedNote(run, has);
    if (!has) {
      show('empty');
      return;
    }
    show('data');
    renderCards(run, all);
    renderTiers(all);
    renderDistribution(run, dist);
    renderChurn(run ? run.churn : null);
    renderLifetime(run);
    loadWinback(0);
    loadSummary(by);
  }

  function loadAll() {
    TW.hide(TW.$('#p-error'));
    var report = TW.api('GET', '/v1/predictions/report').then(null, function (err) {
      if (err.status === 404) return null;
      throw err;
    });
    return Promise.all([report, TW.api('GET', '/v1/predictions/summary?by=all'), TW.api('GET', '/v1/predictions/distribution'), TW.loadStoreNames()]).then(function (res) {
      var groups = res[1].groups || [];
      render(res[0], groups[0] || null, res[2]);
    }, function (err) {
      TW.clear(TW.$('#p-cards'));
      show('none');
      TW.showError(TW.$('#p-error'), err);
    });
  }

  // waitForRun follows a run someone else started: it reads the report
  // until a newer one is there, then shows it.
  function waitForRun(since, tries) {
    setTimeout(function () {
      TW.api('GET', '/v1/predictions/report').then(function (run) { return run; }, function () { return null; }).then(function (run) {
        if (run && run.run_id !== since) { loadAll(); return; }
        if (tries > 0) waitForRun(since, tries - 1);
        else TW.hide(TW.$('#p-note'));
      });
    }, 3000);
  }

  function runNow(ev) {
    var button = ev.currentTarget;
    var note = TW.$('#p-note');
    TW.hide(TW.$('#p-error'));
    TW.showNote(note, TW.t('predictions.running'), 'info');
    TW.$$('[data-run]').forEach(function (b) { if (b !== button) b.disabled = true; });
    var since = lastRun ? lastRun.run_id : '';
    TW.busy(button, TW.api('POST', '/v1/predictions/refresh')).then(function (run) {
      return loadAll().then(function () {
        if (run.status === 'scored') TW.showNote(note, TW.t('predictions.ran', { n: TW.num(run.customers), date: TW.day(run.as_of) }), 'ok');
      });
    }, function (err) {
      if (err.status === 409) {
        TW.showNote(note, TW.t('predictions.busy'), 'info');
        waitForRun(since, 60);
        return;
      }
      TW.hide(note);
      TW.showError(TW.$('#p-error'), err);
    }).then(function () {
      TW.$$('[data-run]').forEach(function (b) { b.disabled = false; });
      var target = TW.$('#p-note:not([hidden])') || TW.$('#p-error:not([hidden])');
      if (target && target.scrollIntoView) target.scrollIntoView({ block: 'nearest' });
      // The button may be gone with the empty state: keep the keyboard
      // focus in the page.
      if (button.offsetParent === null) TW.$('#main').focus();
    });
  }

  TW.onReady(function () {
    if (!TW.$('#p-body')) return;
    TW.$$('[data-run]').forEach(function (b) { b.addEventListener('click', runNow); });
    TW.$$('#p-by button').forEach(function (b) {
      b.addEventListener('click', function () { loadSummary(b.getAttribute('data-by')); });
    });
    loadAll();
    window.addEventListener('resize', TW.debounce(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    }, 150));
  });

  // For tests.
  TW.predictions = {
    bucketLabel: bucketLabel, decileLabel: decileLabel, featureName: featureName, groupName: groupName, churnVerdict: churnVerdict,
    clvOption: clvOption, churnOption: churnOption, calibrationOption: calibrationOption, cumulativeOption: cumulativeOption,
    frequencyOption: frequencyOption, importanceOption: importanceOption, params: params, tierOf: tierOf
  };
})();
