// sources.js: the sources and data-quality page. Each source with what it
// sent in the last hour and day (GET /v1/quality/sources), events per
// minute per source over the last hour or day (GET /v1/quality/rates), and
// the quarantine: messages and rows that were refused, with where they came
// from, the field and the reason (GET /v1/quality/quarantine). The
// quarantine keeps no message content, so nothing personal is shown.
(function () {
  'use strict';
  var TW = window.TW;

  var PALETTE = ['#0f5c8c', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7a6fd0', '#6b7280'];
  var QUARANTINE_COLOR = '#a4262c';

  // rate formats events per minute.
  function rate(v) {
    var n = TW.toNumber(v);
    if (!isFinite(n)) return TW.DASH;
    return TW.t('sources.per_minute', { n: TW.num(n, n > 0 && n < 10 ? 2 : 0) });
  }

  // volume shows a number of events with its rate below.
  function volume(events, perMinute) {
    return TW.el('span', null, TW.num(events), TW.el('div', { class: 'muted', text: rate(perMinute) }));
  }

  // sourceName is a source's name, or its id for one found only in the data
  // ("_tradewind" is tradewind's own profile events).
  function sourceName(s) {
    if (s.source_id === '_tradewind' || s.id === '_tradewind') return TW.t('sources.internal');
    return s.name || s.source_name || s.source_id || s.id || TW.t('common.none');
  }

  // ---- sources and totals ----

  var sourceIDs = {};

  function renderCards(res) {
    var box = TW.clear(TW.$('#q-cards'));
    var t = res.totals || {};
    box.appendChild(TW.card(TW.t('sources.count'), TW.num(t.sources)));
    box.appendChild(TW.card(TW.t('sources.events_hour'), TW.num(t.events_hour), rate(t.per_minute_hour)));
    box.appendChild(TW.card(TW.t('sources.events_day'), TW.num(t.events_day), rate(t.per_minute_day)));
    var q = TW.toNumber(t.quarantined_day) || 0;
    box.appendChild(TW.card(TW.t('sources.quarantined_day'), TW.num(q),
      TW.el('div', { class: 'delta' }, TW.badge(TW.t(q ? 'sources.needs_look' : 'sources.all_clean'), q ? 'warn' : 'ok'))));
  }

  function renderSources(res) {
    var box = TW.clear(TW.$('#q-sources'));
    var list = res.sources || [];
    var select = TW.$('#q-source');
    var chosen = select.value;
    TW.$$('option', select).forEach(function (o) { if (o.value) select.removeChild(o); });
    list.forEach(function (s) {
      sourceIDs[s.id] = s;
      select.appendChild(TW.el('option', { value: s.id, text: sourceName(s), selected: s.id === chosen }));
    });
    if (list.filter(function (s) { return s.registered; }).length === 0) {
      var p = TW.el('p', { class: 'empty' }, TW.t('sources.no_sources') + ' ');
      if (TW.can('sources.write')) p.appendChild(TW.link('/settings#sources-section', TW.t('sources.create_one')));
      box.appendChild(p);
      if (list.length === 0) return;
    }
    var cols = [
      { label: TW.t('settings.source_name'), value: function (s) {
        return TW.el('span', null, sourceName(s), TW.el('div', { class: 'muted mono', text: s.id }),
          s.registered || s.id === '_tradewind' ? null : TW.badge(TW.t('sources.unregistered'), 'muted'));
      } },
      { label: TW.t('settings.source_kind'), value: function (s) { return s.kind ? TW.tOr('kind.' + s.kind, s.kind) : ''; } },
      { label: TW.t('settings.source_marketplace'), value: function (s) { return s.marketplace ? TW.market(s.marketplace) : ''; } },
      { label: TW.t('settings.created'), value: function (s) { return TW.date(s.created_at); } },
      { label: TW.t('sources.last_hour'), num: true, value: function (s) { return volume(s.events_hour, s.per_minute_hour); } },
      { label: TW.t('sources.last_day'), num: true, value: function (s) { return volume(s.events_day, s.per_minute_day); } },
      { label: TW.t('sources.last_received'), value: function (s) {
        return s.last_received_at ? TW.dateTime(s.last_received_at) : TW.el('span', { class: 'muted', text: TW.t('sources.never') });
      } },
      { label: TW.t('sources.quarantined_day'), num: true, value: function (s) {
        var n = TW.toNumber(s.quarantined_day) || 0;
        if (!n) return TW.num(n);
        var b = TW.el('button', { type: 'button', class: 'link-button', text: TW.num(n),
          'aria-label': TW.t('sources.show_quarantine_of', { name: sourceName(s) }) });
        b.addEventListener('click', function () {
          select.value = s.id;
          TW.$('#q-origin').value = '';
          loadQuarantine(0);
          TW.$('#q-quar-h').scrollIntoView({ block: 'start' });
          select.focus();
        });
        return b;
      } }
    ];
    if (TW.can('sources.write')) {
      cols.push({ label: TW.t('settings.write_key'), value: function (s) {
        return s.write_key_hint ? TW.el('span', { class: 'mono', title: TW.t('sources.key_hint'), text: s.write_key_hint }) : '';
      } });
    }
    box.appendChild(TW.table(cols, list, { label: TW.t('sources.sources') }));
  }

  function loadSources() {
    return TW.api('GET', '/v1/quality/sources').then(function (res) {
      TW.hide(TW.$('#q-error'));
      renderCards(res);
      renderSources(res);
    }, function (err) {
      TW.clear(TW.$('#q-cards'));
      TW.clear(TW.$('#q-sources'));
      TW.showError(TW.$('#q-error'), err);
    });
  }

  // ---- rates ----

  var chart = null, windowName = 'hour', rateSeq = 0, lastRates = null;

  // bucketLabel is a bucket's start as the axis shows it: the time of day,
  // with the date for the day window.
  function bucketLabel(v, win) {
    var d = TW.parseTime(v);
    if (!d) return '';
    var o = win === 'day' ? { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
    return new Intl.DateTimeFormat(TW.locale, o).format(d);
  }

  // rateOption is the chart of a rates answer: a line of events per minute
  // per source (the busiest seven, the rest summed) and the quarantined
  // messages per minute.
  function rateOption(res) {
    var series = res.series || [];
    var labels = (res.buckets || []).map(function (b) { return bucketLabel(b, res.window); });
    var shown = series.slice(0, 7).map(function (s, i) {
      return { name: sourceName(s), type: 'line', showSymbol: false, smooth: false, data: s.per_minute, color: PALETTE[i % PALETTE.length], emphasis: { focus: 'series' } };
    });
    if (series.length > 7) {
      var rest = labels.map(function () { return 0; });
      series.slice(7).forEach(function (s) { s.per_minute.forEach(function (v, i) { rest[i] += v; }); });
      shown.push({ name: TW.t('sources.other'), type: 'line', showSymbol: false, data: rest.map(function (v) { return Math.round(v * 100) / 100; }), color: PALETTE[7] });
    }
    shown.push({ name: TW.t('sources.quarantined'), type: 'bar', data: res.quarantined_per_minute || [], color: QUARANTINE_COLOR, barMaxWidth: 8 });
    return {
      animation: !TW.reducedMotion(),
      aria: { enabled: true },
      grid: { left: 8, right: 16, top: 40, bottom: 64, containLabel: true },
      legend: { bottom: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return rate(v); } },
      xAxis: { type: 'category', data: labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', name: TW.t('sources.axis_per_minute'), nameTextStyle: { align: 'left' }, axisLabel: { formatter: function (v) { return TW.compact(v); } } },
      series: shown
    };
  }

  function renderRates(res) {
    var el = TW.$('#chart-rates');
    var note = TW.$('#q-rates-note');
    var total = (res.series || []).reduce(function (a, s) { return a + (TW.toNumber(s.events) || 0); }, 0);
    if (total === 0) {
      TW.showNote(note, TW.t(res.window === 'day' ? 'sources.no_events_day' : 'sources.no_events_hour'), 'info');
    } else {
      TW.hide(note);
    }
    if (!window.echarts || !el) return;
    // An empty chart says nothing the note does not: hide it.
    el.hidden = total === 0;
    if (el.hidden) return;
    if (!chart) chart = window.echarts.init(el, null, { locale: TW.lang === 'zh' ? 'ZH' : 'EN' });
    chart.resize();
    chart.setOption(rateOption(res), true);
  }

  function loadRates(win) {
    windowName = win;
    var seq = ++rateSeq;
    TW.$$('#q-window button').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-window') === win));
    });
    TW.hide(TW.$('#q-rates-error'));
    return TW.api('GET', '/v1/quality/rates' + TW.qs({ window: win })).then(function (res) {
      if (seq !== rateSeq) return;
      lastRates = res;
      renderRates(res);
    }, function (err) {
      if (seq !== rateSeq) return;
      TW.showError(TW.$('#q-rates-error'), err);
    });
  }

  // ---- quarantine ----

  var quarSeq = 0;

  // where says where a refused message or row was: a line of an import, a
  // message of a batch, a message of the log.
  function where(e) {
    var parts = [];
    if (e.import_id) parts.push(TW.t('sources.where_import', { id: e.import_id }));
    if (e.line !== null && e.line !== undefined) parts.push(TW.t('sources.where_line', { n: TW.num(e.line, 0) }));
    if (e.index !== null && e.index !== undefined) parts.push(TW.t('sources.where_index', { n: TW.num(e.index, 0) }));
    if (e.seq !== null && e.seq !== undefined) parts.push(TW.t('sources.where_seq', { n: e.seq }));
    return parts.join(' · ');
  }

  function renderReasons(top) {
    var box = TW.clear(TW.$('#q-reasons'));
    if (!top || top.length === 0) return;
    box.appendChild(TW.el('h3', { text: TW.t('sources.top_reasons') }));
    box.appendChild(TW.table([
      { label: TW.t('sources.field'), value: function (r) { return r.field ? TW.el('code', { text: r.field }) : ''; } },
      { label: TW.t('sources.reason'), value: function (r) { return r.reason; } },
      { label: TW.t('sources.times'), num: true, value: function (r) { return TW.num(r.count); } },
      { label: TW.t('sources.last_seen'), value: function (r) { return TW.dateTime(r.last); } }
    ], top, { label: TW.t('sources.top_reasons') }));
  }

  function loadQuarantine(offset) {
    var seq = ++quarSeq;
    var box = TW.$('#q-quarantine');
    var form = TW.$('#q-filter');
    TW.loading(box);
    TW.hide(TW.$('#q-quar-error'));
    var params = { source: form.elements.source.value, origin: form.elements.origin.value, limit: 50, offset: offset || '' };
    var filtered = !!(params.source || params.origin);
    return TW.api('GET', '/v1/quality/quarantine' + TW.qs(params)).then(function (res) {
      if (seq !== quarSeq) return;
      TW.clear(box);
      if (!offset) renderReasons(res.top_reasons);
      if (res.top_reasons && res.top_reasons.length) box.appendChild(TW.el('h3', { text: TW.t('sources.recent') }));
      box.appendChild(TW.table([
        { label: TW.t('sources.when'), value: function (e) { return TW.dateTime(e.quarantined_at); } },
        { label: TW.t('sources.source'), value: function (e) { return e.source_id ? sourceName(e) : TW.t('common.none'); } },
        { label: TW.t('sources.origin'), value: function (e) { return TW.tOr('qorigin.' + e.origin, e.origin); } },
        { label: TW.t('sources.where'), value: function (e) { return where(e); } },
        { label: TW.t('sources.field'), value: function (e) { return e.field ? TW.el('code', { text: e.field }) : ''; } },
        { label: TW.t('sources.reason'), value: function (e) { return e.reason; } }
      ], res.entries || [], { empty: TW.t(filtered ? 'sources.quarantine_none_filtered' : 'sources.quarantine_empty'), label: TW.t('sources.quarantine') }));
      var next = TW.$('#q-next'), first = TW.$('#q-first');
      next.hidden = !res.next_offset;
      first.hidden = !offset;
      next.onclick = function () { loadQuarantine(res.next_offset); };
      first.onclick = function () { loadQuarantine(0); };
    }, function (err) {
      if (seq !== quarSeq) return;
      TW.clear(box);
      TW.showError(TW.$('#q-quar-error'), err);
    });
  }

  function loadAll() {
    return Promise.all([loadSources(), loadRates(windowName), loadQuarantine(0)]);
  }

  TW.onReady(function () {
    var form = TW.$('#q-filter');
    if (!form) return;
    form.addEventListener('submit', function (ev) { ev.preventDefault(); loadQuarantine(0); });
    TW.$$('#q-window button').forEach(function (b) {
      b.addEventListener('click', function () { loadRates(b.getAttribute('data-window')); });
    });
    var refresh = TW.$('#q-refresh');
    refresh.addEventListener('click', function () { TW.busy(refresh, loadAll()); });
    loadAll();
    window.addEventListener('resize', TW.debounce(function () {
      if (chart) chart.resize();
      if (lastRates) renderRates(lastRates);
    }, 150));
  });

  // For tests.
  TW.sources = { rate: rate, where: where, rateOption: rateOption, bucketLabel: bucketLabel };
})();
