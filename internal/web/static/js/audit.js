// audit.js: the audit page. Search of the audit log (GET /v1/audit by
// action prefix, actor, outcome, time and text, newest first, paged) and
// the verification of its hash chain (GET /v1/audit/verify).
(function () {
  'use strict';
  var TW = window.TW;

  var filter = {}, lastSeq = '';

  function outcomeBadge(o) {
    return TW.badge(TW.tOr('audit.outcome_' + o, o), { ok: 'ok', denied: 'bad', failed: 'warn' }[o] || null);
  }

  function detail(e) {
    var d = e.detail;
    if (!d || Object.keys(d).length === 0) return '';
    var keys = Object.keys(d);
    var brief = keys.slice(0, 3).map(function (k) {
      var v = d[k];
      var s = typeof v === 'object' ? JSON.stringify(v) : String(v);
      return k + ': ' + (s.length > 60 ? s.slice(0, 57) + '…' : s);
    }).join(' · ');
    return TW.el('details', null, TW.el('summary', { text: brief }), TW.el('pre', { text: TW.json(d) }));
  }

  function columns() {
    return [
      { label: TW.t('audit.time'), value: function (e) { return TW.dateTime(e.time); } },
      { label: TW.t('audit.actor'), value: function (e) {
        return TW.el('span', null, e.actor_email || e.actor, TW.el('div', { class: 'muted', text: [TW.tOr('actor.' + e.actor_kind, e.actor_kind), e.role ? TW.tOr('role.' + e.role, e.role) : ''].filter(Boolean).join(' · ') }));
      } },
      { label: TW.t('audit.action'), value: function (e) { return TW.el('code', { text: e.action }); } },
      { label: TW.t('audit.target'), value: function (e) { return e.target ? TW.el('span', { class: 'mono', text: e.target }) : ''; } },
      { label: TW.t('audit.outcome'), value: function (e) { return outcomeBadge(e.outcome); } },
      { label: TW.t('audit.ip'), value: function (e) { return e.ip; } },
      { label: TW.t('audit.detail'), value: detail },
      { label: '#', num: true, value: function (e) { return String(e.seq); } }
    ];
  }

  function search(more) {
    var box = TW.$('#entries');
    var older = TW.$('#audit-older');
    var limit = 100;
    var q = Object.assign({}, filter, { limit: limit, before: more ? lastSeq : '' });
    if (!more) TW.loading(box);
    TW.hide(TW.$('#audit-error'));
    TW.busy(more ? older : null, TW.api('GET', '/v1/audit' + TW.qs(q))).then(function (res) {
      var es = res.entries || [];
      var cols = columns();
      var tbody = more ? box.querySelector('tbody') : null;
      if (!tbody) {
        TW.clear(box);
        if (es.length === 0) {
          box.appendChild(TW.el('p', { class: 'empty', text: TW.t('audit.none') }));
          older.hidden = true;
          return;
        }
        tbody = TW.el('tbody');
        box.appendChild(TW.el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': TW.t('audit.search') },
          TW.el('table', { class: 'data' },
            TW.el('thead', null, TW.el('tr', null, cols.map(function (c) { return TW.el('th', { scope: 'col', class: c.num ? 'num' : null, text: c.label }); }))),
            tbody)));
      }
      es.forEach(function (e) {
        tbody.appendChild(TW.el('tr', null, cols.map(function (c) {
          var td = TW.el('td', { class: c.num ? 'num' : null });
          TW.append(td, c.value(e));
          return td;
        })));
      });
      if (es.length) lastSeq = String(es[es.length - 1].seq);
      older.hidden = es.length < limit;
    }, function (err) {
      if (!more) TW.clear(box);
      TW.showError(TW.$('#audit-error'), err);
    });
  }

  function readFilter(form) {
    var since = form.elements.since.value;
    var f = {
      action: form.elements.action.value.trim(),
      actor: form.elements.actor.value.trim(),
      outcome: form.elements.outcome.value,
      q: form.elements.q.value.trim()
    };
    if (since) {
      var d = new Date(since); // local time, from the datetime-local field
      if (!isNaN(d.getTime())) f.since = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    return f;
  }

  function verify() {
    var box = TW.$('#verify');
    TW.loading(box);
    TW.busy(TW.$('#verify-again'), TW.api('GET', '/v1/audit/verify')).then(function (rep) {
      TW.clear(box);
      var ok = rep.ok;
      var msg = ok ? TW.t('audit.verify_ok', { n: TW.num(rep.entries), seq: rep.head_seq }) : TW.t('audit.verify_bad', { n: TW.num((rep.problems || []).length) });
      TW.showNote(box.appendChild(TW.el('div')), msg, ok ? 'ok' : 'error');
      var dl = TW.el('dl', { class: 'kv' });
      [['audit.entries', TW.num(rep.entries)], ['audit.head', rep.head_seq + ' · ' + String(rep.head_hash || '').slice(0, 16) + '…'],
        ['audit.checkpoint', rep.checkpoint_seq ? rep.checkpoint_seq + ' · ' + String(rep.checkpoint_hash || '').slice(0, 16) + '…' : TW.DASH]].forEach(function (kv) {
        dl.appendChild(TW.el('dt', { text: TW.t(kv[0]) }));
        dl.appendChild(TW.el('dd', { class: 'mono', text: kv[1] }));
      });
      box.appendChild(dl);
      var problems = (rep.problems || []).concat(rep.recorded || []);
      if (problems.length) {
        box.appendChild(TW.table([
          { label: TW.t('audit.problem'), value: function (p) { return TW.el('code', { text: p.kind }); } },
          { label: '#', value: function (p) { return p.seq ? String(p.seq) : p.line ? TW.t('audit.line', { n: p.line }) : ''; } },
          { label: TW.t('audit.detail'), value: function (p) { return p.detail; } }
        ], problems, { label: TW.t('audit.problem') }));
      }
      if (rep.omitted) box.appendChild(TW.el('p', { class: 'hint', text: TW.t('audit.omitted', { n: rep.omitted }) }));
    }, function (err) {
      TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  TW.onReady(function () {
    var form = TW.$('#audit-form');
    if (!form) return;
    var q = new URLSearchParams(location.search);
    ['action', 'actor', 'outcome', 'q'].forEach(function (k) { if (q.get(k)) form.elements[k].value = q.get(k); });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      filter = readFilter(form);
      search(false);
    });
    TW.$('#audit-older').addEventListener('click', function () { search(true); });
    TW.$('#verify-again').addEventListener('click', verify);
    filter = readFilter(form);
    search(false);
    verify();
  });
})();
