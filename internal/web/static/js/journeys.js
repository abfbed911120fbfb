// journeys.js: the journeys page. The list with each journey's status,
// trigger and tallies (GET /v1/journeys, with each one's summary); one
// journey opened: its definition in words, entered/active/converted, the
// treatment against the control group (a bar chart), per-step stats, the
// recent deliveries (GET /v1/journeys/{id}/deliveries, customers.read) and
// dead letters with replay (GET /v1/dead-letters, POST
// /v1/dead-letters/replay, actions.write), start / pause / stop (POST
// /v1/journeys/{id}/start|pause|stop); the JSON editor with save (POST or
// PUT /v1/journeys) and dry run (POST /v1/journeys/dry-run); the webhook
// destinations (GET/POST /v1/destinations, DELETE /v1/destinations/{name}).
(function () {
  'use strict';
  var TW = window.TW;

  var STATUS_KIND = { draft: 'muted', active: 'ok', paused: 'warn', stopped: 'bad' };

  function statusBadge(s) {
    return TW.badge(TW.tOr('jstatus.' + s, s || TW.DASH), STATUS_KIND[s] || 'muted');
  }

  function val(v) {
    if (v === null || v === undefined) return '';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }

  // triggerText says what brings people into a journey.
  function triggerText(tr) {
    tr = tr || {};
    var text;
    switch (tr.type) {
      case 'event': text = TW.t('jtrigger.event', { event: tr.event || '' }); break;
      case 'segment_entered': text = TW.t('jtrigger.segment_entered', { segment: tr.segment || '' }); break;
      case 'segment_exited': text = TW.t('jtrigger.segment_exited', { segment: tr.segment || '' }); break;
      case 'prediction': text = TW.t('jtrigger.prediction', { cond: [tr.attribute, tr.op, val(tr.value)].join(' ') }); break;
      case 'inactivity': text = TW.t('jtrigger.inactivity', { event: tr.event || '', days: TW.num(tr.days) }); break;
      case 'abandoned_checkout': text = TW.t('jtrigger.abandoned_checkout', { hours: TW.num(tr.hours || 1) }); break;
      case 'before_next_order': text = TW.t('jtrigger.before_next_order', { days: TW.num(tr.days) }); break;
      case 'alert': text = TW.t('jtrigger.alert', { grade: TW.tOr('grade.' + tr.grade, tr.grade || '') }); break;
      default: text = tr.type || TW.DASH;
    }
    var where = (tr.where || []).map(function (f) { return [f.property, f.op, val(f.value)].join(' ').trim(); });
    if (where.length) text += ' ' + TW.t('jtrigger.where', { cond: where.join(', ') });
    return text;
  }

  function conditionText(c) {
    c = c || {};
    if (c.segment) return TW.t('jcond.segment', { segment: c.segment });
    if (c.event) return TW.t('jcond.event', { event: c.event });
    var attr = c.trait ? 'traits.' + c.trait : c.computed || '';
    return [attr, c.op, val(c.value)].join(' ').trim();
  }

  function stepDetail(s) {
    switch (s.type) {
      case 'wait': return s.until ? TW.t('jstep.wait_until', { time: s.until }) : TW.t('jstep.wait_for', { d: val(s.duration) });
      case 'branch':
        return TW.t('jstep.branch', { cond: conditionText(s.if), then: s.then || TW.t('jstep.next'), else: s['else'] || TW.t('jstep.next') });
      case 'webhook': return TW.t('jstep.webhook', { dest: s.destination || '' });
      case 'email':
        var t = s.template || {};
        var locs = Object.keys(t.variants || {}).sort();
        var def = (t.variants || {})[t.default_locale] || {};
        return TW.t('jstep.email', { locales: locs.join(', '), subject: def.subject || '' });
      case 'notify': return TW.t('jstep.notify', { message: s.message || '' });
      case 'exit': return TW.t('jstep.exit');
    }
    return '';
  }

  // renderDefinition shows a definition read-only: the trigger, the steps
  // as a flow, the goal, re-entry, the control group and the audience.
  function renderDefinition(box, j) {
    TW.clear(box);
    var dl = TW.el('dl', { class: 'kv' });
    function row(k, v) { dl.appendChild(TW.el('dt', { text: k })); dl.appendChild(TW.el('dd', null, v)); }
    row(TW.t('journeys.trigger'), triggerText(j.trigger));
    row(TW.t('journeys.goal'), j.goal ? TW.t('journeys.goal_text', { event: j.goal.event, within: val(j.goal.within) }) : TW.t('journeys.no_goal'));
    var re = j.reentry || {};
    row(TW.t('journeys.reentry'), re.mode === 'after' ? TW.t('jreentry.after', { after: val(re.after) }) : TW.tOr('jreentry.' + re.mode, re.mode || TW.DASH));
    row(TW.t('journeys.control'), TW.pct((j.control_percent || 0) / 100, 1));
    row(TW.t('journeys.consent'), TW.tOr('jconsent.' + j.consent, j.consent || TW.DASH));
    if (j.countries && j.countries.length) row(TW.t('journeys.countries'), j.countries.join(', '));
    box.appendChild(dl);
    box.appendChild(TW.el('h4', { text: TW.t('journeys.steps') }));
    box.appendChild(TW.el('ol', { class: 'flow' }, (j.steps || []).map(function (s) {
      return TW.el('li', null, TW.el('code', { text: s.id }), ' ', TW.badge(TW.tOr('jsteptype.' + s.type, s.type), 'info'), ' ',
        TW.el('span', { text: stepDetail(s) }), s.next ? TW.el('span', { class: 'muted', text: ' → ' + s.next }) : null);
    })));
    if (j.description) box.appendChild(TW.el('p', { class: 'hint', text: j.description }));
  }

  // armsOf sums the arms of a journey's stats.
  function armsOf(st) {
    var out = { treatment: { entered: 0, converted: 0, conversion_rate: 0 }, control: { entered: 0, converted: 0, conversion_rate: 0 } };
    ((st && st.arms) || []).forEach(function (a) { out[a.arm] = a; });
    return out;
  }

  // ---- the list ----

  var journeys = [];
  var current = '';

  function loadList() {
    var box = TW.$('#j-list');
    TW.loading(box);
    return TW.api('GET', '/v1/journeys').then(function (res) {
      journeys = res.journeys || [];
      TW.clear(box);
      if (!journeys.length) {
        box.appendChild(TW.el('p', { class: 'empty', text: TW.t(TW.can('actions.write') ? 'journeys.none' : 'journeys.none_readonly') }));
        return;
      }
      // Each journey's headline tallies come with the list (summary).
      function tally(k) {
        return function (j) { return TW.el('span', { text: j.summary ? TW.num(j.summary[k] || 0) : TW.DASH }); };
      }
      box.appendChild(TW.table([
        { label: TW.t('journeys.name'), value: function (j) {
          return TW.el('a', { href: '/journeys/' + encodeURIComponent(j.id), class: 'j-open', 'data-id': j.id, text: j.name || j.id,
            onclick: function (ev) { ev.preventDefault(); open(j.id, true); } });
        } },
        { label: TW.t('journeys.status'), value: function (j) { return statusBadge(j.status); } },
        { label: TW.t('journeys.trigger'), value: function (j) { return triggerText(j.trigger); } },
        { label: TW.t('journeys.entered'), num: true, value: tally('entered') },
        { label: TW.t('journeys.active'), num: true, value: tally('active') },
        { label: TW.t('journeys.converted'), num: true, value: tally('converted') },
        { label: TW.t('journeys.updated'), value: function (j) { return TW.dateTime(j.updated_at); } }
      ], journeys, { label: TW.t('journeys.list'), rowHeader: true }));
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#j-error'), err);
    });
  }

  // ---- one journey ----

  var chart = null;

  function drawArms(a) {
    var el = TW.$('#chart-j-arms');
    if (!el || !window.echarts) return;
    if (!chart) chart = window.echarts.init(el, null, { locale: TW.lang === 'zh' ? 'ZH' : 'EN' });
    chart.resize();
    chart.setOption({
      animation: !TW.reducedMotion(),
      aria: { enabled: true },
      grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: function (v) { return TW.pct(v, 1); } },
      xAxis: { type: 'category', data: [TW.t('jarm.treatment'), TW.t('jarm.control')] },
      yAxis: { type: 'value', axisLabel: { formatter: function (v) { return TW.pct(v, 0); } } },
      series: [{ name: TW.t('journeys.conversion_rate'), type: 'bar', barMaxWidth: 48,
        label: { show: true, position: 'top', formatter: function (p) { return TW.pct(p.value, 1); } },
        data: [a.treatment.conversion_rate || 0, a.control.conversion_rate || 0] }]
    }, true);
  }

  function renderStats(st) {
    var a = armsOf(st);
    var entered = (a.treatment.entered || 0) + (a.control.entered || 0);
    var converted = (a.treatment.converted || 0) + (a.control.converted || 0);
    var cards = TW.clear(TW.$('#j-cards'));
    TW.append(cards, [
      TW.card(TW.t('journeys.entered'), TW.num(entered), st.watching ? TW.t('journeys.watching', { n: TW.num(st.watching) }) : null),
      TW.card(TW.t('journeys.active'), TW.num(st.active || 0)),
      TW.card(TW.t('journeys.converted'), TW.num(converted), entered ? TW.pct(converted / entered, 1) : null),
      TW.card(TW.t('journeys.outbox'), TW.num(st.outbox || 0), TW.t('journeys.outbox_hint')),
      TW.card(TW.t('journeys.dead'), TW.num(st.dead || 0))
    ]);
    drawArms(a);
    TW.clear(TW.$('#j-arms')).appendChild(TW.table([
      { label: TW.t('journeys.arm'), value: function (r) { return TW.t('jarm.' + (r.arm === 'control' ? 'control' : 'treatment')); } },
      { label: TW.t('journeys.entered'), num: true, value: function (r) { return TW.num(r.entered || 0); } },
      { label: TW.t('journeys.converted'), num: true, value: function (r) { return TW.num(r.converted || 0); } },
      { label: TW.t('journeys.conversion_rate'), num: true, value: function (r) { return r.entered ? TW.pct(r.conversion_rate, 1) : TW.DASH; } }
    ], [a.treatment, a.control].map(function (r, i) { r.arm = i ? 'control' : 'treatment'; return r; }), { label: TW.t('journeys.arms') }));
    TW.clear(TW.$('#j-steps')).appendChild(TW.table([
      { label: TW.t('journeys.step'), value: function (s) { return TW.el('code', { text: s.id }); } },
      { label: TW.t('journeys.step_type'), value: function (s) { return TW.tOr('jsteptype.' + s.type, s.type); } },
      { label: TW.t('journeys.reached'), num: true, value: function (s) { return TW.num(s.reached || 0); } },
      { label: TW.t('journeys.delivered'), num: true, value: function (s) { return TW.num(s.delivered || 0); } },
      { label: TW.t('journeys.skipped'), num: true, value: function (s) { return TW.num(s.skipped || 0); } },
      { label: TW.t('journeys.dead'), num: true, value: function (s) { return TW.num(s.dead || 0); } }
    ], st.steps || [], { label: TW.t('journeys.step_stats'), empty: TW.t('journeys.no_steps') }));
  }

  function profileCell(pid) {
    if (!pid) return '';
    if (!TW.can('customers.read')) return TW.el('span', { class: 'mono', text: pid });
    return TW.el('a', { class: 'mono', href: '/customers/' + encodeURIComponent(pid), text: pid });
  }

  function loadDeliveries(id) {
    var box = TW.$('#j-deliveries');
    if (!box) return Promise.resolve();
    TW.loading(box);
    return TW.api('GET', '/v1/journeys/' + encodeURIComponent(id) + '/deliveries' + TW.qs({ limit: 50 })).then(function (res) {
      TW.clear(box).appendChild(TW.table([
        { label: TW.t('journeys.when'), value: function (d) { return TW.dateTime(d.at); } },
        { label: TW.t('journeys.person'), value: function (d) { return profileCell(d.person); } },
        { label: TW.t('journeys.step'), value: function (d) { return TW.el('code', { text: d.step }); } },
        { label: TW.t('journeys.kind'), value: function (d) { return TW.tOr('jsteptype.' + d.kind, d.kind); } },
        { label: TW.t('journeys.status'), value: function (d) { return TW.deliveryStatus(d.status); } },
        { label: TW.t('journeys.reason'), value: function (d) { return d.reason || ''; } },
        { label: TW.t('journeys.locale'), value: function (d) { return d.locale || ''; } },
        { label: TW.t('journeys.attempts'), num: true, value: function (d) { return TW.num(d.attempts || 0); } }
      ], res.deliveries || [], { label: TW.t('journeys.deliveries'), empty: TW.t('journeys.no_deliveries') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  function loadDead(id) {
    var box = TW.$('#j-dead');
    if (!box) return Promise.resolve();
    var replay = TW.$('#j-replay');
    TW.loading(box);
    return TW.api('GET', '/v1/dead-letters' + TW.qs({ journey: id, limit: 100 })).then(function (res) {
      var rows = res.dead_letters || [];
      if (replay) replay.hidden = rows.length === 0;
      TW.clear(box).appendChild(TW.table([
        { label: TW.t('journeys.when'), value: function (d) { return TW.dateTime(d.created); } },
        { label: TW.t('journeys.person'), value: function (d) { return profileCell(d.person); } },
        { label: TW.t('journeys.step'), value: function (d) { return TW.el('code', { text: d.step }); } },
        { label: TW.t('journeys.kind'), value: function (d) { return TW.tOr('jsteptype.' + d.kind, d.kind); } },
        { label: TW.t('journeys.attempts'), num: true, value: function (d) { return TW.num(d.attempts || 0); } },
        { label: TW.t('journeys.error'), value: function (d) { return d.error || ''; } },
        { label: '', value: function (d) {
          return TW.el('button', { type: 'button', class: 'btn btn-small', text: TW.t('journeys.replay'),
            onclick: function (ev) { replayDead([d.id], ev.currentTarget); } });
        } }
      ], rows, { label: TW.t('journeys.dead_letters'), empty: TW.t('journeys.no_dead') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  function replayDead(ids, button) {
    TW.busy(button, TW.api('POST', '/v1/dead-letters/replay', { journey: current, ids: ids })).then(function (res) {
      TW.showNote(TW.$('#j-note'), TW.t(res.replayed === 1 ? 'journeys.replayed_one' : 'journeys.replayed', { n: TW.num(res.replayed || 0) }), 'ok');
      refreshDetail();
    }, function (err) { TW.showError(TW.$('#j-note'), err); });
  }

  var currentDef = null;

  function showControls(status) {
    var show = function (id, on) { var b = TW.$(id); if (b) b.hidden = !on; };
    show('#j-start', status === 'draft' || status === 'paused');
    show('#j-pause', status === 'active');
    show('#j-stop', status === 'active' || status === 'paused' || status === 'draft');
    show('#j-edit', status !== 'stopped');
    var start = TW.$('#j-start');
    if (start) start.textContent = TW.t(status === 'paused' ? 'journeys.resume' : 'journeys.start');
  }

  function renderHeader(j) {
    currentDef = j;
    TW.$('#j-name').textContent = j.name || j.id;
    TW.clear(TW.$('#j-status')).appendChild(statusBadge(j.status));
    TW.$('#j-meta').textContent = TW.t('journeys.meta', { id: j.id, version: TW.num(j.version || 0), updated: TW.dateTime(j.updated_at),
      started: j.started_at ? TW.dateTime(j.started_at) : TW.DASH });
    renderDefinition(TW.$('#j-def'), j);
    showControls(j.status);
  }

  function refreshDetail() {
    if (!current) return Promise.resolve();
    var id = current;
    return Promise.all([
      TW.api('GET', '/v1/journeys/' + encodeURIComponent(id)).then(renderHeader),
      TW.api('GET', '/v1/journeys/' + encodeURIComponent(id) + '/stats').then(renderStats),
      loadDeliveries(id),
      loadDead(id)
    ]).catch(function (err) {
      TW.clear(TW.$('#j-def'));
      if (err && err.status === 404) {
        TW.$('#j-detail').hidden = true;
        TW.showNote(TW.$('#j-error'), TW.t('journeys.not_found', { id: id }), 'warn');
        return;
      }
      TW.showError(TW.$('#j-note'), err);
    });
  }

  function open(id, push) {
    current = id;
    TW.hide(TW.$('#j-note'));
    TW.hide(TW.$('#j-error'));
    TW.$('#j-detail').hidden = false;
    TW.loading(TW.$('#j-def'));
    if (push && history.pushState) {
      history.pushState(null, '', '/journeys/' + encodeURIComponent(id));
      followPath();
    }
    var h = TW.$('#j-detail-h');
    if (push && h && h.scrollIntoView) h.scrollIntoView({ block: 'start' });
    return refreshDetail();
  }

  // followPath points the language links at the address the page moved
  // to (the server wrote them for the address it served).
  function followPath() {
    TW.$$('.lang-switch a').forEach(function (a) {
      var m = /[?&]lang=([^&]+)/.exec(a.getAttribute('href') || '');
      if (m) a.setAttribute('href', location.pathname + '?lang=' + m[1]);
    });
  }

  // showWarnings shows the content check's warnings (or a block's reasons)
  // prominently.
  function showWarnings(box, list, blocked) {
    if (!box) return;
    TW.clear(box);
    if (!list || !list.length) { box.hidden = true; return; }
    box.hidden = false;
    box.className = 'alert ' + (blocked ? 'alert-error' : 'alert-warn');
    box.setAttribute('role', blocked ? 'alert' : 'status');
    box.appendChild(TW.el('strong', { text: TW.t(blocked ? 'journeys.blocked' : 'journeys.warnings') }));
    box.appendChild(TW.el('ul', { class: 'j-warning-list' }, list.map(function (w) { return TW.el('li', { text: issueText(w) }); })));
  }

  // issueText says a content issue in the reader's language: the
  // structured form (content_issues) carries the reason in both; a plain
  // line is shown as it is.
  function issueText(w) {
    if (typeof w === 'string') return w;
    var where = w.step ? TW.t('journeys.issue_where', { step: w.step, locale: w.locale || '', country: w.country || '' }) : (w.country || '');
    var reason = (w.reason && (TW.lang === 'zh' ? w.reason.zh : w.reason.en)) || (w.reason && w.reason.en) || '';
    return where + ': ' + reason + (w.excerpt ? ' “' + w.excerpt + '”' : '') + ' (' + w.rule_id + ') — ' + (w.source || '');
  }

  // issuesOf prefers an answer's structured issues to its lines.
  function issuesOf(answer, lines) {
    return answer && Array.isArray(answer.content_issues) && answer.content_issues.length ? answer.content_issues : lines;
  }

  // blockedReasons reads a 422 "blocked" answer: the blocking issues.
  function blockedReasons(err) {
    if (!(err && err.status === 422 && err.body && Array.isArray(err.body.blocked))) return null;
    var issues = (err.body.content_issues || []).filter(function (i) { return i.severity === 'block'; });
    return issues.length ? issues : err.body.blocked;
  }

  function setStatus(action, button) {
    var id = current;
    TW.busy(button, TW.api('POST', '/v1/journeys/' + encodeURIComponent(id) + '/' + action)).then(function (j) {
      var note = TW.$('#j-note');
      TW.showNote(note, TW.t('journeys.now_' + (j.status || action)), 'ok');
      if (j.warnings && j.warnings.length) showWarnings(note, issuesOf(j, j.warnings), false);
      loadList();
      return refreshDetail();
    }, function (err) {
      var reasons = blockedReasons(err);
      if (reasons) showWarnings(TW.$('#j-note'), reasons, true);
      else TW.showError(TW.$('#j-note'), err);
    });
  }

  // ---- the editor ----

  // editable strips what the engine keeps itself from a saved definition.
  function editable(j) {
    var out = {};
    Object.keys(j).forEach(function (k) {
      if (['status', 'version', 'created_at', 'created_by', 'updated_at', 'updated_by', 'started_at', 'start_seq', 'warnings', 'content_issues', 'summary'].indexOf(k) < 0) out[k] = j[k];
    });
    return out;
  }

  function setEditor(def, editing) {
    var form = TW.$('#j-form');
    if (!form) return;
    var h = TW.$('#j-editor-h');
    form.elements.id.value = editing || '';
    h.textContent = h.getAttribute(editing ? 'data-edit' : 'data-new');
    TW.$('#j-json').value = def;
    TW.hide(TW.$('#j-editor-error'));
    TW.hide(TW.$('#j-editor-note'));
    showWarnings(TW.$('#j-warnings'), [], false);
    TW.clear(TW.$('#j-dry-result'));
  }

  function readEditor() {
    var errBox = TW.$('#j-editor-error');
    var text = TW.$('#j-json').value;
    try {
      var def = JSON.parse(text);
      if (!def || typeof def !== 'object' || Array.isArray(def)) throw new Error('not an object');
      TW.$('#j-json').removeAttribute('aria-invalid');
      TW.hide(errBox);
      return def;
    } catch (e) {
      TW.$('#j-json').setAttribute('aria-invalid', 'true');
      TW.showError(errBox, { message: TW.t('journeys.bad_json', { error: e.message }) });
      return null;
    }
  }

  function editorError(err) {
    var reasons = blockedReasons(err);
    if (reasons) {
      TW.hide(TW.$('#j-editor-error'));
      showWarnings(TW.$('#j-warnings'), reasons, true);
      return;
    }
    var msg = err.field ? TW.t('journeys.field_error', { field: err.field, error: err.message }) : err.message;
    TW.showError(TW.$('#j-editor-error'), { message: msg });
  }

  function save(ev) {
    ev.preventDefault();
    var def = readEditor();
    if (!def) return;
    var form = TW.$('#j-form');
    var editing = form.elements.id.value;
    var req = editing ? TW.api('PUT', '/v1/journeys/' + encodeURIComponent(editing), def) : TW.api('POST', '/v1/journeys', def);
    TW.busy(TW.$('#j-save'), req).then(function (j) {
      form.elements.id.value = j.id;
      TW.$('#j-editor-h').textContent = TW.$('#j-editor-h').getAttribute('data-edit');
      TW.showNote(TW.$('#j-editor-note'), TW.t('journeys.saved', { name: j.name || j.id, version: TW.num(j.version || 1) }), 'ok');
      showWarnings(TW.$('#j-warnings'), issuesOf(j, j.warnings), false);
      TW.$('#j-json').value = TW.json(editable(j));
      return loadList().then(function () { return open(j.id, true); });
    }, editorError);
  }

  function outcomeText(key) {
    // "email:send", "email:skip: no consent", "webhook:defer: quiet hours"
    var i = key.indexOf(':');
    if (i < 0) return TW.tOr('joutcome.' + key, key);
    var kind = key.slice(0, i), rest = key.slice(i + 1);
    var j = rest.indexOf(':');
    var outcome = j < 0 ? rest : rest.slice(0, j);
    var reason = j < 0 ? '' : rest.slice(j + 1).trim();
    return TW.tOr('jsteptype.' + kind, kind) + ' · ' + TW.tOr('joutcome.' + outcome, outcome) + (reason ? ' (' + reason + ')' : '');
  }

  function renderDryRun(rep) {
    var box = TW.clear(TW.$('#j-dry-result'));
    showWarnings(TW.$('#j-warnings'), issuesOf(rep, rep.warnings), false);
    box.appendChild(TW.el('h3', { text: TW.t('journeys.dry_title', { n: TW.num(rep.sampled || 0) }) }));
    var outcomes = rep.outcomes || {};
    var keys = Object.keys(outcomes).sort(function (a, b) { return outcomes[b] - outcomes[a] || (a < b ? -1 : 1); });
    box.appendChild(TW.el('div', { id: 'j-dry-outcomes' }, TW.table([
      { label: TW.t('journeys.outcome'), value: function (k) { return outcomeText(k); } },
      { label: TW.t('journeys.people'), num: true, value: function (k) { return TW.num(outcomes[k]); } }
    ], keys, { label: TW.t('journeys.outcomes'), empty: TW.t('journeys.no_outcomes') })));
    box.appendChild(TW.el('h4', { text: TW.t('journeys.per_person') }));
    box.appendChild(TW.el('div', { id: 'j-dry-people' }, TW.table([
      { label: TW.t('journeys.person'), value: function (p) { return profileCell(p.profile_id); } },
      { label: TW.t('journeys.country_locale'), value: function (p) { return [p.country, p.locale].filter(Boolean).join(' · '); } },
      { label: TW.t('journeys.arm'), value: function (p) { return TW.t('jarm.' + (p.arm === 'control' ? 'control' : 'treatment')); } },
      { label: TW.t('journeys.path'), value: function (p) {
        if (p.excluded) return TW.el('span', { class: 'muted', text: TW.t('journeys.excluded', { reason: p.excluded }) });
        return TW.el('span', { class: 'mono', text: (p.path || []).join(' → ') });
      } },
      { label: TW.t('journeys.actions'), value: function (p) {
        var acts = p.actions || [];
        if (!acts.length) return '';
        return TW.el('ul', { class: 'plain' }, acts.map(function (a) {
          return TW.el('li', null, TW.el('code', { text: a.step }), ' ',
            TW.badge(TW.tOr('joutcome.' + a.outcome, a.outcome), { send: 'ok', skip: 'muted', defer: 'warn' }[a.outcome] || 'info'),
            a.reason ? ' ' + a.reason : '', a.locale ? ' [' + a.locale + ']' : '');
        }));
      } }
    ], rep.people || [], { label: TW.t('journeys.per_person'), empty: TW.t('journeys.no_people') })));
  }

  function dryRun(body, button) {
    var sample = parseInt((TW.$('#j-sample') || {}).value, 10);
    if (sample > 0) body.sample = Math.min(sample, 500);
    TW.hide(TW.$('#j-editor-error'));
    TW.loading(TW.$('#j-dry-result'));
    TW.busy(button, TW.api('POST', '/v1/journeys/dry-run', body)).then(renderDryRun, function (err) {
      TW.clear(TW.$('#j-dry-result'));
      editorError(err);
    });
  }

  // ---- destinations ----

  function loadDestinations() {
    var box = TW.$('#j-dests');
    TW.loading(box);
    return TW.api('GET', '/v1/destinations').then(function (res) {
      TW.clear(box).appendChild(TW.table([
        { label: TW.t('journeys.dest_name'), value: function (d) { return TW.el('code', { text: d.name }); } },
        { label: TW.t('journeys.dest_url'), value: function (d) { return TW.el('span', { class: 'mono', text: d.url }); } },
        { label: TW.t('journeys.dest_limits'), value: function (d) {
          return TW.t('journeys.dest_limits_text', { n: TW.num(d.concurrency || 0), rate: TW.num(d.rate_per_second || 0) });
        } },
        { label: TW.t('journeys.dest_pii'), value: function (d) { return d.include_pii ? TW.badge(TW.t('journeys.dest_pii_yes'), 'warn') : TW.t('journeys.dest_pii_no'); } },
        { label: TW.t('journeys.dest_created'), value: function (d) { return TW.dateTime(d.created_at); } },
        { label: '', value: function (d) {
          if (!TW.can('actions.write')) return '';
          return TW.el('button', { type: 'button', class: 'btn btn-small btn-danger', text: TW.t('journeys.dest_delete'),
            onclick: function (ev) { removeDestination(d, ev.currentTarget); } });
        } }
      ], res.destinations || [], { label: TW.t('journeys.destinations'), empty: TW.t('journeys.no_destinations') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#j-dest-error'), err);
    });
  }

  function removeDestination(d, button) {
    if (!window.confirm(TW.t('journeys.dest_confirm_delete', { name: d.name }))) return;
    TW.busy(button, TW.api('DELETE', '/v1/destinations/' + encodeURIComponent(d.name))).then(loadDestinations, function (err) {
      TW.showError(TW.$('#j-dest-error'), err);
    });
  }

  function createDestination(ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    var errBox = TW.$('#j-dest-form-error');
    var body = {
      name: form.elements.name.value.trim(),
      url: form.elements.url.value.trim(),
      concurrency: parseInt(form.elements.concurrency.value, 10) || 0,
      rate_per_second: parseFloat(form.elements.rate_per_second.value) || 0,
      include_pii: form.elements.include_pii.checked
    };
    TW.busy(form.querySelector('button[type=submit]'), TW.api('POST', '/v1/destinations', body)).then(function (d) {
      TW.hide(errBox);
      TW.fieldError(form, null);
      var out = TW.clear(TW.$('#j-dest-secret'));
      out.hidden = false;
      out.className = 'alert alert-ok';
      out.appendChild(TW.el('p', { text: TW.t('journeys.dest_secret_once', { name: d.name }) }));
      out.appendChild(TW.el('div', { class: 'secret', text: d.secret || '' }));
      out.appendChild(TW.el('p', null, TW.copyButton(function () { return d.secret || ''; }), ' ',
        TW.el('span', { class: 'hint', text: TW.t('journeys.dest_secret_hint') })));
      form.reset();
      return loadDestinations();
    }, function (err) {
      TW.fieldError(form, err);
      TW.showError(errBox, err);
    });
  }

  // ---- wiring ----

  TW.onReady(function () {
    var root = TW.$('#journeys');
    if (!root) return;
    var initial = root.getAttribute('data-journey-id');
    loadList().then(function () { if (initial) open(initial, false); });
    loadDestinations();
    TW.$('#j-refresh').addEventListener('click', function (ev) {
      TW.busy(ev.currentTarget, Promise.all([loadList(), refreshDetail(), loadDestinations()]));
    });
    var form = TW.$('#j-form');
    if (form) {
      form.addEventListener('submit', save);
      TW.$('#j-dry').addEventListener('click', function (ev) {
        var def = readEditor();
        if (def) dryRun({ journey: def }, ev.currentTarget);
      });
      TW.$('#j-example').addEventListener('click', function () {
        setEditor(TW.$('#j-json').getAttribute('data-example'), '');
      });
      TW.$('#j-new').addEventListener('click', function () {
        setEditor(TW.$('#j-json').getAttribute('data-example'), '');
        TW.$('#j-editor').scrollIntoView({ block: 'start' });
        TW.$('#j-json').focus();
      });
      TW.$('#j-edit').addEventListener('click', function () {
        if (!currentDef) return;
        setEditor(TW.json(editable(currentDef)), currentDef.id);
        TW.$('#j-editor').scrollIntoView({ block: 'start' });
      });
      TW.$('#j-dry-saved').addEventListener('click', function (ev) {
        if (!current) return;
        TW.$('#j-editor').scrollIntoView({ block: 'start' });
        dryRun({ id: current }, ev.currentTarget);
      });
      TW.$('#j-start').addEventListener('click', function (ev) { setStatus('start', ev.currentTarget); });
      TW.$('#j-pause').addEventListener('click', function (ev) { setStatus('pause', ev.currentTarget); });
      TW.$('#j-stop').addEventListener('click', function (ev) {
        if (!window.confirm(TW.t('journeys.confirm_stop', { name: currentDef ? currentDef.name || currentDef.id : current }))) return;
        setStatus('stop', ev.currentTarget);
      });
      var replay = TW.$('#j-replay');
      if (replay) replay.addEventListener('click', function (ev) { replayDead([], ev.currentTarget); });
    }
    var df = TW.$('#j-dest-form');
    if (df) df.addEventListener('submit', createDestination);
    window.addEventListener('popstate', function () {
      var m = /^\/journeys\/([^/]+)$/.exec(location.pathname);
      if (m) open(decodeURIComponent(m[1]), false);
      else { current = ''; TW.$('#j-detail').hidden = true; }
      followPath();
    });
  });
})();
