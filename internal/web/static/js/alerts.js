// alerts.js: the alerts inbox. The brand-health monitor's alerts (GET
// /v1/alerts?status=…&grade=…), newest first, each with its series in words,
// what departed from the baseline and by how much, and on demand its
// details: the message and the example texts attached (the detail column,
// the alert as JSON).
(function () {
  'use strict';
  var TW = window.TW;

  var gradeBadge = TW.alertGrade, seriesName = TW.alertSeries;

  function statusBadge(s) {
    return TW.badge(TW.tOr('alertstatus.' + s, s || TW.DASH), s === 'open' ? 'warn' : 'muted');
  }

  function metricName(m) { return TW.tOr('metric.' + m, m || TW.DASH); }

  // value formats an observed or expected value: a share as a percentage,
  // a volume as a count of texts.
  function value(metric, v) {
    return metric === 'negative_share' ? TW.pct(v) : TW.num(v, 0);
  }

  // detailOf reads the detail column (the alert as JSON, as text or
  // already decoded).
  function detailOf(a) {
    var d = a.detail;
    if (typeof d === 'string') {
      try { d = JSON.parse(d); } catch (e) { d = null; }
    }
    return d && typeof d === 'object' ? d : {};
  }

  function details(a) {
    var d = detailOf(a);
    var examples = d.examples || [];
    var facts = [
      [TW.t('alerts.opened_at'), TW.day(d.opened_at)],
      [TW.t('alerts.closed_at'), d.closed_at ? TW.day(d.closed_at) : TW.t('alerts.still_open')],
      [TW.t('alerts.texts_that_day'), TW.num(a.count) + (d.negatives !== undefined ? ' · ' + TW.t('alerts.negatives', { n: TW.num(d.negatives) }) : '')],
      [TW.t('alerts.raised_at'), TW.dateTime(a.raised_at)],
      [TW.t('alerts.incident'), TW.el('span', { class: 'mono', text: a.incident_id || '' })]
    ];
    return TW.el('div', { class: 'alert-detail' },
      TW.el('dl', { class: 'kv' }, facts.map(function (f) { return [TW.el('dt', { text: f[0] }), TW.el('dd', null, f[1])]; })),
      d.message ? TW.el('p', { class: 'hint' }, TW.t('alerts.message') + ' ', TW.el('span', { lang: 'en', class: 'mono', text: d.message })) : null,
      TW.el('h3', { text: TW.t('alerts.examples') }),
      examples.length ? TW.el('ul', { class: 'review-list' }, examples.map(function (x) {
        var stars = TW.toNumber(x.rating);
        return TW.el('li', { class: 'review' },
          TW.el('div', { class: 'review-meta' },
            TW.badge(TW.t('alerts.score', { v: TW.num(x.score, 2) }), TW.toNumber(x.score) < 0 ? 'bad' : 'muted'), ' ',
            stars > 0 ? TW.el('span', { class: 'stars', role: 'img', 'aria-label': TW.t('voc.rating_of', { n: TW.num(stars, 0) }),
              text: '★'.repeat(Math.round(Math.min(5, stars))) + '☆'.repeat(Math.max(0, 5 - Math.round(stars))) }) : null, ' ',
            TW.el('span', { class: 'muted mono', text: x.id || '' })),
          // The customer's own words, in their language (which the alert
          // does not name: the browser and the reader tell).
          TW.el('blockquote', { class: 'review-text', text: x.text || '' }));
      })) : TW.el('p', { class: 'empty', text: TW.t('alerts.no_examples') }));
  }

  // table lists the alerts; each row's first cell is a button that shows
  // or hides the row of its details below.
  function table(alerts) {
    var cols = [
      TW.t('alerts.grade_status'), TW.t('alerts.series_metric'), TW.t('alerts.day'), TW.t('alerts.observed_expected'), 'z'
    ];
    var num = { 3: true, 4: true };
    var thead = TW.el('thead', null, TW.el('tr', null, TW.el('th', { scope: 'col' }, TW.el('span', { class: 'visually-hidden', text: TW.t('alerts.details') })),
      cols.map(function (c, i) { return TW.el('th', { scope: 'col', class: num[i] ? 'num' : null, text: c }); })));
    var tbody = TW.el('tbody');
    alerts.forEach(function (a, i) {
      var id = 'al-detail-' + i;
      var btn = TW.el('button', { type: 'button', class: 'btn btn-small', 'aria-expanded': 'false', 'aria-controls': id,
        'aria-label': TW.t('alerts.show_details', { series: seriesName(a.series), day: TW.day(a.day) }), text: '▸' });
      var row = TW.el('tr', { class: 'alert-row' },
        TW.el('td', null, btn),
        TW.el('td', null, TW.el('div', { class: 'badges' }, gradeBadge(a.grade), statusBadge(a.status))),
        TW.el('th', { scope: 'row', title: a.series }, TW.el('div', { text: seriesName(a.series) }),
          TW.el('div', { class: 'muted metric', text: metricName(a.metric) })),
        TW.el('td', { class: 'nowrap', text: TW.day(a.day) }),
        TW.el('td', { class: 'num' }, TW.el('strong', { text: value(a.metric, a.observed) }), ' ',
          TW.el('span', { class: 'muted', text: TW.t('alerts.vs_expected', { v: value(a.metric, a.expected) }) })),
        TW.el('td', { class: 'num', text: TW.num(a.z, 1) }));
      var detailRow = TW.el('tr', { id: id, class: 'alert-detail-row', hidden: true }, TW.el('td', { colspan: String(cols.length + 1) }));
      btn.addEventListener('click', function () {
        var open = btn.getAttribute('aria-expanded') === 'true';
        if (!open && !detailRow.firstChild.firstChild) detailRow.firstChild.appendChild(details(a));
        detailRow.hidden = open;
        btn.setAttribute('aria-expanded', String(!open));
        btn.textContent = open ? '▸' : '▾';
      });
      tbody.appendChild(row);
      tbody.appendChild(detailRow);
    });
    return TW.el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': TW.t('alerts.list') },
      TW.el('table', { class: 'data alerts-table' }, thead, tbody));
  }

  var seq = 0;

  function load() {
    var my = ++seq;
    var box = TW.$('#al-list');
    var status = TW.$('#al-status').value, grade = TW.$('#al-grade').value;
    TW.hide(TW.$('#al-error'));
    TW.loading(box);
    TW.$('#al-count').textContent = '';
    return TW.api('GET', '/v1/alerts' + TW.qs({ status: status, grade: grade })).then(function (res) {
      if (my !== seq) return null;
      var alerts = res.alerts || [];
      TW.clear(box);
      // No alert at all: the empty state says how alerts come; none under
      // the filters: say so, and offer every alert.
      var any = alerts.length ? Promise.resolve(true) : status === 'all' && grade === '' ? Promise.resolve(false)
        : TW.api('GET', '/v1/alerts' + TW.qs({ status: 'all', limit: 1 })).then(function (r) { return (r.alerts || []).length > 0; });
      return any.then(function (some) {
        if (my !== seq) return null;
        TW.$('#al-empty').hidden = some;
        TW.$('#al-panel').hidden = !some;
        if (!some) return null;
        if (!alerts.length) {
          box.appendChild(TW.el('p', { class: 'empty' }, TW.t('alerts.none_filtered') + ' ',
            TW.el('button', { type: 'button', class: 'link-button', id: 'al-show-all', text: TW.t('alerts.show_all'), onclick: function () {
              TW.$('#al-status').value = 'all';
              TW.$('#al-grade').value = '';
              load().then(function () { TW.$('#al-status').focus(); });
            } })));
          return null;
        }
        TW.$('#al-count').textContent = TW.t('alerts.count', { n: TW.num(alerts.length) });
        box.appendChild(table(alerts));
        return null;
      });
    }).then(null, function (err) {
      if (my !== seq) return null;
      TW.clear(box);
      TW.$('#al-empty').hidden = true;
      TW.showError(TW.$('#al-error'), err);
      return null;
    });
  }

  TW.onReady(function () {
    if (!TW.$('#al-list')) return;
    TW.$('#al-status').addEventListener('change', load);
    TW.$('#al-grade').addEventListener('change', load);
    TW.$('#al-filters').addEventListener('submit', function (e) { e.preventDefault(); load(); });
    TW.$('#al-refresh').addEventListener('click', function (e) { TW.busy(e.currentTarget, load()); });
    load();
  });

  // For tests.
  TW.alerts = { seriesName: seriesName, metricName: metricName, value: value, detailOf: detailOf };
})();
