// segments.js: the segments page. The list with member counts
// (GET /v1/segments, GET /v1/segments/{id}); the rule editor with a live
// count as one types (POST /v1/segments/preview, debounced) and save
// (POST or PUT /v1/segments); a segment's members, paged, and their CSV
// export (GET /v1/segments/{id}/members); the RFM grid (GET /v1/rfm, and
// per-cell counts with query.sql); behavioural clusters (GET /v1/clusters).
(function () {
  'use strict';
  var TW = window.TW;

  // ---- list ----

  var segments = [];

  function loadList(select) {
    var box = TW.$('#seg-list');
    return TW.api('GET', '/v1/segments').then(function (res) {
      segments = (res.segments || []).slice().sort(function (a, b) { return a.name.localeCompare(b.name); });
      TW.clear(box);
      if (segments.length === 0) {
        box.appendChild(TW.el('p', { class: 'empty', text: TW.t('segments.none') }));
        return;
      }
      var ul = TW.el('ul', { class: 'seg-list' });
      segments.forEach(function (s) {
        var count = TW.el('span', { class: 'badge badge-info', text: '…', 'aria-label': TW.t('segments.members') });
        var actions = TW.el('div', { class: 'seg-actions' },
          TW.el('button', { type: 'button', class: 'btn btn-small', text: TW.t('segments.show_members'), onclick: function () { showMembers(s); } }),
          TW.el('button', { type: 'button', class: 'btn btn-small', text: TW.t(TW.can('segments.write') ? 'segments.edit' : 'segments.view_rule'), onclick: function () { edit(s); } }),
          TW.can('segments.write') ? TW.el('button', { type: 'button', class: 'btn btn-small btn-danger', text: TW.t('segments.delete'), onclick: function (ev) { remove(s, ev.currentTarget); } }) : null);
        ul.appendChild(TW.el('li', { 'data-id': s.id },
          TW.el('div', { class: 'seg-title' }, TW.el('span', { class: 'seg-name', text: s.name }), count),
          s.description ? TW.el('div', { class: 'muted', text: s.description }) : null,
          TW.el('div', { class: 'seg-rule', text: s.rule_text }),
          actions));
        TW.api('GET', '/v1/segments/' + encodeURIComponent(s.id)).then(function (r) {
          count.textContent = r.members === undefined ? TW.DASH : TW.t(r.members === 1 ? 'segments.one_member' : 'segments.n_members', { n: TW.num(r.members) });
        }, function () { count.textContent = TW.DASH; });
      });
      box.appendChild(ul);
      if (select) {
        var s = segments.filter(function (x) { return x.id === select; })[0];
        if (s) showMembers(s);
      }
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#seg-list-error'), err);
    });
  }

  function remove(s, button) {
    if (!window.confirm(TW.t('segments.confirm_delete', { name: s.name }))) return;
    TW.busy(button, TW.api('DELETE', '/v1/segments/' + encodeURIComponent(s.id))).then(function () {
      if (currentMembers === s.id) TW.$('#members-panel').hidden = true;
      loadList();
    }, function (err) {
      TW.showError(TW.$('#seg-list-error'), err);
    });
  }

  // ---- editor ----

  var form, previewSeq = 0, previewAbort = null;

  function edit(s) {
    form.elements.id.value = s.id;
    form.elements.name.value = s.name;
    form.elements.description.value = s.description || '';
    form.elements.rule_text.value = s.rule_text;
    var h = TW.$('#editor-h');
    h.textContent = h.getAttribute('data-edit') + ': ' + s.name;
    TW.hide(TW.$('#seg-error'));
    preview();
    form.elements.rule_text.focus();
  }

  function reset() {
    form.reset();
    form.elements.id.value = '';
    var h = TW.$('#editor-h');
    h.textContent = h.getAttribute('data-new');
    TW.hide(TW.$('#seg-error'));
    setCount('', false);
  }

  function setCount(text, isError) {
    var c = TW.$('#seg-count');
    c.textContent = text;
    c.classList.toggle('error', !!isError);
  }

  // preview asks for the rule's count; an answer to an older rule than the
  // one now in the box is dropped.
  function preview() {
    var rule = form.elements.rule_text.value.trim();
    var seq = ++previewSeq;
    if (previewAbort) previewAbort.abort();
    if (!rule) { setCount('', false); form.elements.rule_text.removeAttribute('aria-invalid'); return; }
    previewAbort = typeof AbortController !== 'undefined' ? new AbortController() : null;
    setCount(TW.t('segments.counting'), false);
    TW.api('POST', '/v1/segments/preview', { rule_text: rule }, { signal: previewAbort ? previewAbort.signal : undefined }).then(function (r) {
      if (seq !== previewSeq) return;
      form.elements.rule_text.removeAttribute('aria-invalid');
      setCount(TW.t('segments.count', { n: TW.num(r.count) }), false);
    }, function (err) {
      if (seq !== previewSeq || (err && err.name === 'AbortError')) return;
      form.elements.rule_text.setAttribute('aria-invalid', 'true');
      setCount(err.message, true);
    });
  }

  function save(ev) {
    ev.preventDefault();
    var box = TW.$('#seg-error');
    var id = form.elements.id.value;
    var body = {
      name: form.elements.name.value.trim(),
      description: form.elements.description.value.trim(),
      rule_text: form.elements.rule_text.value.trim()
    };
    if (!body.name) { TW.showError(box, { message: TW.t('segments.need_name') }); form.elements.name.focus(); return; }
    if (!body.rule_text) { TW.showError(box, { message: TW.t('segments.need_rule') }); form.elements.rule_text.focus(); return; }
    var call = id ? TW.api('PUT', '/v1/segments/' + encodeURIComponent(id), body) : TW.api('POST', '/v1/segments', body);
    TW.busy(form.querySelector('button[type=submit]'), call).then(function (d) {
      TW.showNote(box, TW.t('segments.saved', { name: d.name }), 'ok');
      form.elements.id.value = d.id;
      var h = TW.$('#editor-h');
      h.textContent = h.getAttribute('data-edit') + ': ' + d.name;
      loadList(d.id);
    }, function (err) {
      TW.showError(box, err);
      TW.fieldError(form, err.field === 'rule' ? { field: 'rule_text' } : err);
    });
  }

  // ---- members ----

  var currentMembers = '';

  function showMembers(s, after) {
    var panel = TW.$('#members-panel');
    panel.hidden = false;
    var h = TW.$('#members-h');
    h.textContent = h.getAttribute('data-label') + ': ' + s.name;
    var csv = TW.$('#members-csv');
    if (csv) {
      csv.setAttribute('href', '/v1/segments/' + encodeURIComponent(s.id) + '/members?format=csv');
      csv.setAttribute('download', s.id + '.csv');
    }
    currentMembers = s.id;
    TW.$$('.seg-list li').forEach(function (li) { li.classList.toggle('selected', li.getAttribute('data-id') === s.id); });
    var box = TW.$('#members');
    TW.loading(box);
    TW.hide(TW.$('#members-error'));
    var base = TW.base();
    TW.api('GET', '/v1/segments/' + encodeURIComponent(s.id) + '/members' + TW.qs({ limit: 50, after: after || '' })).then(function (res) {
      TW.clear(box);
      box.appendChild(TW.table([
        { label: TW.t('customer.profile'), value: function (m) { return TW.link('/customers/' + encodeURIComponent(m.profile_id), m.profile_id); } },
        { label: TW.t('customer.country'), value: function (m) { return m.country; } },
        { label: TW.t('customer.orders'), num: true, value: function (m) { return TW.num(m.orders); } },
        { label: TW.t('customer.net_revenue'), num: true, value: function (m) { return TW.money(m.net_revenue_base, base); } },
        { label: TW.t('customer.last_order'), value: function (m) { return TW.date(m.last_order_at); } },
        { label: TW.t('customer.marketplaces'), value: function (m) { return TW.list(m.marketplaces).map(TW.market).join(', '); } },
        { label: TW.t('segments.member_since'), value: function (m) { return TW.dateTime(m.since); } }
      ], res.members || [], { empty: TW.t('segments.no_members'), label: h.textContent }));
      var next = TW.$('#members-next'), first = TW.$('#members-first');
      next.hidden = !res.next_after;
      first.hidden = !after;
      next.onclick = function () { showMembers(s, res.next_after); };
      first.onclick = function () { showMembers(s, ''); };
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#members-error'), err);
    });
    if (!after) panel.scrollIntoView({ block: 'nearest' });
  }

  // ---- RFM ----

  var SEG_COLORS = {
    'Champions': [26, 127, 55], 'Loyal': [46, 139, 87], 'Potential Loyalist': [45, 125, 185], 'New': [86, 180, 233],
    'Promising': [127, 179, 213], 'Need Attention': [230, 184, 0], 'About to Sleep': [230, 159, 0], 'At Risk': [213, 94, 0],
    "Can't Lose Them": [179, 38, 30], 'Hibernating': [140, 140, 140], 'Lost': [95, 99, 104]
  };

  // tint mixes a colour with white; alpha 0–1. Dark text stays readable on
  // it up to the 0.7 it is capped at.
  function tint(rgb, alpha) {
    var a = Math.max(0.1, Math.min(0.7, alpha));
    return 'rgb(' + rgb.map(function (c) { return Math.round(a * c + (1 - a) * 255); }).join(',') + ')';
  }

  function segName(s) { return TW.tOr('rfm.' + s, s); }

  function loadRFM() {
    var root = TW.$('#rfm');
    var grid = JSON.parse(root.getAttribute('data-grid') || '[]');
    var cellsSQL = root.getAttribute('data-cells-sql');
    var calls = [TW.api('GET', '/v1/rfm'), cellsSQL ? TW.api('POST', '/v1/query/shared', { sql: cellsSQL }).then(TW.rowsOf) : Promise.resolve(null)];
    Promise.all(calls).then(function (res) {
      var summary = (res[0].segments || []).filter(function (r) { return r.scope === 'all'; });
      var bySeg = {};
      summary.forEach(function (r) { bySeg[r.segment] = r; });
      var cells = null, max = 0;
      if (res[1]) {
        cells = {};
        res[1].forEach(function (c) {
          var n = TW.toNumber(c.customers);
          cells[c.r_score + ',' + c.f_score] = n;
          if (n > max) max = n;
        });
      }
      TW.clear(root);
      var total = summary.reduce(function (a, r) { return a + (TW.toNumber(r.customers) || 0); }, 0);
      if (total === 0) {
        root.appendChild(TW.el('p', { class: 'empty', text: TW.t('segments.rfm_empty') }));
        return;
      }
      var table = TW.el('table', { class: 'rfm-grid' },
        TW.el('caption', { class: 'visually-hidden', text: TW.t('segments.rfm_caption') }),
        TW.el('thead', null, TW.el('tr', null, TW.el('th', { scope: 'col', text: 'R \\ F' }),
          [1, 2, 3, 4, 5].map(function (f) { return TW.el('th', { scope: 'col', text: 'F' + f }); }))));
      var tbody = TW.el('tbody');
      for (var r = 5; r >= 1; r--) {
        var tr = TW.el('tr', null, TW.el('th', { scope: 'row', text: 'R' + r }));
        for (var f = 1; f <= 5; f++) {
          var name = grid[r - 1] ? grid[r - 1][f - 1] : '';
          var n = cells ? cells[r + ',' + f] || 0 : null;
          var seg = bySeg[name];
          var weight = cells ? (max ? n / max : 0) : (seg ? TW.toNumber(seg.customer_share) * 3 : 0);
          var td = TW.el('td', { title: segName(name) + (n !== null ? ': ' + TW.num(n) : '') },
            TW.el('span', { text: segName(name) }),
            n !== null ? TW.el('span', { class: 'n', text: TW.num(n) }) : null);
          td.style.background = tint(SEG_COLORS[name] || [120, 120, 120], 0.12 + 0.6 * weight);
          tr.appendChild(td);
        }
        tbody.appendChild(tr);
      }
      table.appendChild(tbody);
      var legend = TW.table([
        { label: TW.t('rfm.segment'), value: function (s) {
          var sw = TW.el('span', { class: 'swatch', 'aria-hidden': 'true' });
          sw.style.background = tint(SEG_COLORS[s.segment] || [120, 120, 120], 0.6);
          return TW.el('span', null, sw, segName(s.segment));
        } },
        { label: TW.t('rfm.customers'), num: true, value: function (s) { return TW.num(s.customers); } },
        { label: TW.t('rfm.customer_share'), num: true, value: function (s) { return TW.pct(s.customer_share); } },
        { label: TW.t('rfm.revenue_share'), num: true, value: function (s) { return TW.pct(s.revenue_share); } },
        { label: TW.t('rfm.recency'), num: true, value: function (s) { return TW.num(s.avg_recency_days, 0); } },
        { label: TW.t('rfm.frequency'), num: true, value: function (s) { return TW.num(s.avg_frequency, 1); } }
      ], summary, { label: TW.t('segments.rfm') });
      root.appendChild(TW.el('div', { class: 'rfm-layout' },
        TW.el('div', null, table, TW.el('p', { class: 'hint', text: TW.t(cells ? 'segments.rfm_cells' : 'segments.rfm_shades') })),
        legend));
    }, function (err) {
      TW.clear(root);
      TW.showError(TW.$('#rfm-error'), err);
    });
  }

  // ---- clusters ----

  // describe translates a cluster's description, phrase by phrase.
  function describe(text) {
    return String(text || '').split(', ').map(function (p) {
      return TW.tOr('cluster.' + p.replace(/[^a-z]+/gi, '_'), p);
    }).join(TW.lang === 'zh' ? '，' : ', ');
  }

  function loadClusters() {
    var box = TW.$('#clusters');
    var base = TW.base();
    TW.api('GET', '/v1/clusters').then(function (res) {
      TW.clear(box);
      box.appendChild(TW.el('p', { class: 'hint', text: TW.t('segments.clusters_summary', { k: res.k, n: TW.num(res.customers), s: TW.num(res.silhouette, 2) }) }));
      var ul = TW.el('ul', { class: 'cluster-list' });
      (res.clusters || []).forEach(function (c, i) {
        var m = c.means || {};
        var dl = TW.el('dl', { class: 'kv' });
        [['orders', TW.num(m.orders, 1)], ['aov_base', TW.money(m.aov_base, base)], ['days_since_last_order', TW.num(m.days_since_last_order, 0)],
          ['order_interval_days', TW.num(m.order_interval_days, 0)], ['refund_rate', TW.pct(m.refund_rate)], ['review_rate', TW.pct(m.review_rate)],
          ['marketplaces', TW.num(m.marketplaces, 1)]].forEach(function (kv) {
          dl.appendChild(TW.el('dt', { text: TW.t('feature.' + kv[0]) }));
          dl.appendChild(TW.el('dd', { text: kv[1] }));
        });
        ul.appendChild(TW.el('li', null,
          TW.el('div', { class: 'muted', text: TW.t('segments.cluster_n', { i: i + 1, n: TW.num(c.size), share: TW.pct(c.share) }) }),
          TW.el('div', { class: 'cluster-desc', text: describe(c.description) }),
          dl));
      });
      box.appendChild(ul);
    }, function (err) {
      TW.clear(box);
      if (err.status === 422) TW.showNote(box, TW.t('segments.clusters_empty'), 'info');
      else TW.showError(TW.$('#clusters-error'), err);
    });
  }

  TW.onReady(function () {
    form = TW.$('#seg-form');
    if (!form) return;
    form.elements.rule_text.addEventListener('input', TW.debounce(preview, 400));
    form.addEventListener('submit', save);
    TW.$('#seg-new').addEventListener('click', reset);
    TW.$$('[data-rule]').forEach(function (b) {
      b.addEventListener('click', function () {
        form.elements.rule_text.value = b.getAttribute('data-rule');
        if (!form.elements.name.value) form.elements.name.value = b.textContent.trim();
        preview();
        form.elements.rule_text.focus();
      });
    });
    var select = location.hash ? decodeURIComponent(location.hash.slice(1)) : '';
    loadList(select);
    loadRFM();
    loadClusters();
  });

  TW.segments = { tint: tint, describe: describe };
})();
