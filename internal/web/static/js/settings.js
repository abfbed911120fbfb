// settings.js: the settings page. Users and their roles (GET/POST
// /v1/users, PATCH /v1/users/{id}), the user's own API tokens
// (GET/POST/DELETE /v1/tokens), sources and their write keys
// (GET/POST /v1/sources) and the retention policy (GET/PUT /v1/retention,
// POST /v1/retention/run). Each part shows only with its permission.
(function () {
  'use strict';
  var TW = window.TW;

  var ROLES = ['owner', 'admin', 'analyst', 'marketer', 'viewer'];

  // ---- users ----

  function loadUsers() {
    var box = TW.$('#users');
    if (!box) return;
    var me = document.body.getAttribute('data-user-id');
    var write = TW.can('users.write');
    TW.api('GET', '/v1/users').then(function (res) {
      TW.clear(box);
      var users = (res.users || []).slice().sort(function (a, b) { return a.email.localeCompare(b.email); });
      box.appendChild(TW.table([
        { label: TW.t('login.email'), value: function (u) { return TW.el('span', null, u.email, u.id === me ? [' ', TW.badge(TW.t('settings.you'), 'info')] : null); } },
        { label: TW.t('setup.name'), value: function (u) { return u.name || ''; } },
        { label: TW.t('settings.role'), value: function (u) {
          if (!write) return TW.t('role.' + u.role);
          var sel = TW.el('select', { 'aria-label': TW.t('settings.role_of', { email: u.email }) }, ROLES.map(function (r) {
            return TW.el('option', { value: r, selected: r === u.role, text: TW.t('role.' + r) });
          }));
          sel.addEventListener('change', function () {
            var prev = u.role;
            TW.api('PATCH', '/v1/users/' + encodeURIComponent(u.id), { role: sel.value }).then(function (nu) {
              u.role = nu.role;
              TW.showNote(TW.$('#users-error'), TW.t('settings.role_changed', { email: u.email, role: TW.t('role.' + nu.role) }), 'ok');
            }, function (err) {
              sel.value = prev;
              TW.showError(TW.$('#users-error'), err);
            });
          });
          return sel;
        } },
        { label: TW.t('settings.status'), value: function (u) {
          var badge = TW.badge(TW.t(u.disabled ? 'settings.disabled' : 'settings.enabled'), u.disabled ? 'bad' : 'ok');
          if (!write || u.id === me) return badge;
          var b = TW.el('button', { type: 'button', class: 'btn btn-small' + (u.disabled ? '' : ' btn-danger'), text: TW.t(u.disabled ? 'settings.enable' : 'settings.disable') });
          b.addEventListener('click', function () {
            if (!u.disabled && !window.confirm(TW.t('settings.confirm_disable', { email: u.email }))) return;
            TW.busy(b, TW.api('PATCH', '/v1/users/' + encodeURIComponent(u.id), { disabled: !u.disabled })).then(loadUsers, function (err) {
              TW.showError(TW.$('#users-error'), err);
            });
          });
          return TW.el('span', { class: 'seg-actions' }, badge, b);
        } },
        { label: TW.t('settings.created'), value: function (u) { return TW.date(u.created_at); } }
      ], users, { label: TW.t('settings.users') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#users-error'), err);
    });
  }

  function createUser(form) {
    var box = TW.$('#user-form-error');
    var body = { email: form.elements.email.value.trim(), name: form.elements.name.value.trim(), role: form.elements.role.value, password: form.elements.password.value };
    TW.busy(form.querySelector('button[type=submit]'), TW.api('POST', '/v1/users', body)).then(function (u) {
      TW.showNote(box, TW.t('settings.user_created', { email: u.email }), 'ok');
      form.reset();
      loadUsers();
    }, function (err) {
      TW.showError(box, err);
      TW.fieldError(form, err);
    });
  }

  // ---- tokens ----

  function loadTokens() {
    var box = TW.$('#tokens');
    if (!box) return;
    TW.api('GET', '/v1/tokens').then(function (res) {
      TW.clear(box);
      box.appendChild(TW.table([
        { label: TW.t('settings.token_name'), value: function (t) { return t.name; } },
        { label: TW.t('settings.token_scopes'), value: function (t) { return TW.el('span', null, (t.scopes || []).map(function (s) { return TW.el('code', { title: TW.tOr('perm.' + s, s), text: s + ' ' }); })); } },
        { label: TW.t('settings.created'), value: function (t) { return TW.date(t.created_at); } },
        { label: TW.t('settings.expires'), value: function (t) { return TW.date(t.expires_at); } },
        { label: TW.t('settings.last_used'), value: function (t) { return TW.dateTime(t.last_used_at); } },
        { label: TW.t('privacy.actions'), value: function (t) {
          var b = TW.el('button', { type: 'button', class: 'btn btn-small btn-danger', text: TW.t('settings.revoke') });
          b.addEventListener('click', function () {
            if (!window.confirm(TW.t('settings.confirm_revoke', { name: t.name }))) return;
            TW.busy(b, TW.api('DELETE', '/v1/tokens/' + encodeURIComponent(t.id))).then(loadTokens, function (err) {
              TW.showError(TW.$('#tokens-error'), err);
            });
          });
          return b;
        } }
      ], res.tokens || [], { empty: TW.t('settings.no_tokens'), label: TW.t('settings.tokens') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#tokens-error'), err);
    });
  }

  function createToken(form) {
    var box = TW.$('#token-form-error');
    var out = TW.$('#token-secret');
    TW.hide(out);
    var scopes = TW.$$('input[name=scopes]:checked', form).map(function (i) { return i.value; });
    if (scopes.length === 0) { TW.showError(box, { message: TW.t('settings.need_scope') }); return; }
    var days = Number(form.elements.days.value) || 90;
    var expires = new Date(Date.now() + days * 86400000 - 60000).toISOString();
    var body = { name: form.elements.name.value.trim(), scopes: scopes, expires_at: expires };
    TW.busy(form.querySelector('button[type=submit]'), TW.api('POST', '/v1/tokens', body)).then(function (res) {
      TW.hide(box);
      TW.clear(out);
      out.hidden = false;
      out.className = 'alert alert-ok';
      out.appendChild(TW.el('p', { text: TW.t('settings.token_once') }));
      var secret = TW.el('div', { class: 'secret', text: res.token });
      out.appendChild(secret);
      out.appendChild(TW.el('p', null, TW.copyButton(function () { return res.token; })));
      form.reset();
      loadTokens();
    }, function (err) {
      TW.showError(box, err);
      TW.fieldError(form, err);
    });
  }

  // ---- sources ----

  function secretCell(v) {
    if (!v) return TW.DASH;
    var shown = false;
    var text = TW.el('span', { class: 'mono', text: v.slice(0, 6) + '…' });
    var b = TW.el('button', { type: 'button', class: 'btn btn-small', text: TW.t('settings.show') });
    b.addEventListener('click', function () {
      shown = !shown;
      text.textContent = shown ? v : v.slice(0, 6) + '…';
      b.textContent = TW.t(shown ? 'settings.hide' : 'settings.show');
    });
    return TW.el('span', { class: 'seg-actions' }, text, b, TW.copyButton(function () { return v; }));
  }

  function loadSources() {
    var box = TW.$('#sources');
    if (!box) return;
    TW.api('GET', '/v1/sources').then(function (res) {
      var list = TW.$('#sources-list');
      TW.clear(box);
      var sources = res.sources || [];
      if (list) {
        TW.clear(list);
        sources.forEach(function (s) { list.appendChild(TW.el('option', { value: s.id, text: s.name })); });
      }
      var cols = [
        { label: TW.t('settings.source_name'), value: function (s) { return TW.el('span', null, s.name, TW.el('div', { class: 'muted mono', text: s.id })); } },
        { label: TW.t('settings.source_kind'), value: function (s) { return s.kind || ''; } },
        { label: TW.t('settings.source_store'), value: function (s) { return s.store; } },
        { label: TW.t('settings.source_marketplace'), value: function (s) { return s.marketplace ? TW.market(s.marketplace) : ''; } },
        { label: TW.t('settings.source_currency'), value: function (s) { return s.currency || ''; } },
        { label: TW.t('settings.source_country'), value: function (s) { return s.country || ''; } },
        { label: TW.t('settings.created'), value: function (s) { return TW.date(s.created_at); } }
      ];
      if (TW.can('sources.write')) cols.push({ label: TW.t('settings.write_key'), value: function (s) { return secretCell(s.write_key); } });
      box.appendChild(TW.table(cols, sources, { empty: TW.t('settings.no_sources'), label: TW.t('settings.sources') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#sources-error'), err);
    });
  }

  function createSource(form) {
    var box = TW.$('#source-form-error');
    var out = TW.$('#source-created');
    TW.hide(out);
    var body = {};
    ['name', 'currency', 'marketplace', 'country'].forEach(function (k) {
      var v = form.elements[k].value.trim();
      if (v) body[k] = k === 'currency' || k === 'country' ? v.toUpperCase() : v;
    });
    TW.busy(form.querySelector('button[type=submit]'), TW.api('POST', '/v1/sources', body)).then(function (s) {
      TW.hide(box);
      TW.clear(out);
      out.hidden = false;
      out.className = 'alert alert-ok';
      out.appendChild(TW.el('p', { text: TW.t('settings.source_created', { name: s.name, id: s.id }) }));
      out.appendChild(TW.el('div', { class: 'secret', text: s.write_key }));
      form.reset();
      loadSources();
    }, function (err) {
      TW.showError(box, err);
      TW.fieldError(form, err);
    });
  }

  // ---- retention ----

  var TABLES = ['events', 'orders', 'customers', 'reviews', 'consent', 'quarantine', 'ad_spend'];
  var TYPES = ['', 'identify', 'track', 'page', 'screen', 'group', 'alias'];

  function ruleRow(rule, write) {
    rule = rule || { table: 'events', keep_days: 90 };
    if (!write) {
      return TW.el('tr', null,
        TW.el('td', { text: TW.tOr('table.' + rule.table, rule.table) }),
        TW.el('td', { text: rule.type || '' }),
        TW.el('td', { text: rule.event || '' }),
        TW.el('td', { class: 'num', text: TW.num(rule.keep_days) }));
    }
    var table = TW.el('select', { name: 'table', 'aria-label': TW.t('settings.ret_table') }, TABLES.map(function (t) {
      return TW.el('option', { value: t, selected: t === rule.table, text: TW.tOr('table.' + t, t) });
    }));
    var type = TW.el('select', { name: 'type', 'aria-label': TW.t('settings.ret_type') }, TYPES.map(function (t) {
      return TW.el('option', { value: t, selected: t === (rule.type || ''), text: t || TW.t('settings.ret_any') });
    }));
    var event = TW.el('input', { type: 'text', name: 'event', value: rule.event || '', 'aria-label': TW.t('settings.ret_event'), autocomplete: 'off' });
    var days = TW.el('input', { type: 'number', name: 'keep_days', min: '1', max: '36500', value: String(rule.keep_days || 90), 'aria-label': TW.t('settings.ret_days') });
    function sync() { var ev = table.value === 'events'; type.disabled = !ev; event.disabled = !ev; }
    table.addEventListener('change', sync);
    sync();
    var rm = TW.el('button', { type: 'button', class: 'btn btn-small btn-danger', text: TW.t('settings.ret_remove') });
    var tr = TW.el('tr', null, TW.el('td', null, table), TW.el('td', null, type), TW.el('td', null, event), TW.el('td', null, days), TW.el('td', null, rm));
    rm.addEventListener('click', function () { tr.parentNode.removeChild(tr); });
    return tr;
  }

  function rulesTable(rules, write) {
    var head = [TW.t('settings.ret_table'), TW.t('settings.ret_type'), TW.t('settings.ret_event'), TW.t('settings.ret_days')];
    if (write) head.push('');
    var tbody = TW.el('tbody', null, rules.map(function (r) { return ruleRow(r, write); }));
    return TW.el('div', { class: 'table-wrap' }, TW.el('table', { class: 'data' },
      TW.el('thead', null, TW.el('tr', null, head.map(function (h) { return TW.el('th', { scope: 'col', text: h }); }))), tbody));
  }

  function renderLastRun(rep) {
    var box = TW.clear(TW.$('#retention-last'));
    if (!rep) { box.appendChild(TW.el('p', { class: 'empty', text: TW.t('settings.ret_never') })); return; }
    box.appendChild(TW.el('p', { class: 'hint', text: TW.t('settings.ret_ran', { when: TW.dateTime(rep.started_at), s: TW.num(rep.seconds, 2) }) }));
    if (rep.error) box.appendChild(TW.el('div', { class: 'alert alert-error', text: rep.error }));
    box.appendChild(TW.table([
      { label: TW.t('settings.ret_table'), value: function (r) { return TW.tOr('table.' + r.table, r.table) + (r.type ? ' · ' + r.type : '') + (r.event ? ' · ' + r.event : ''); } },
      { label: TW.t('settings.ret_cutoff'), value: function (r) { return TW.dateTime(r.cutoff); } },
      { label: TW.t('settings.ret_deleted'), num: true, value: function (r) { return TW.num(r.rows_deleted); } }
    ], rep.rules || [], { empty: TW.t('settings.ret_no_rules'), label: TW.t('settings.retention_last') }));
  }

  function loadRetention() {
    var box = TW.$('#retention-rules');
    var write = TW.can('retention.write');
    return TW.api('GET', '/v1/retention').then(function (res) {
      TW.clear(box);
      var rules = (res.policy && res.policy.rules) || [];
      if (rules.length === 0 && !write) box.appendChild(TW.el('p', { class: 'empty', text: TW.t('settings.ret_no_rules') }));
      else box.appendChild(rulesTable(rules, write));
      renderLastRun(res.last_run);
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#retention-error'), err);
    });
  }

  function readRules() {
    return TW.$$('#retention-rules tbody tr').map(function (tr) {
      var r = { table: tr.querySelector('[name=table]').value, keep_days: Number(tr.querySelector('[name=keep_days]').value) };
      if (r.table === 'events') {
        var type = tr.querySelector('[name=type]').value, ev = tr.querySelector('[name=event]').value.trim();
        if (type) r.type = type;
        if (ev) r.event = ev;
      }
      return r;
    });
  }

  TW.onReady(function () {
    loadUsers();
    loadTokens();
    loadSources();
    loadRetention();
    var uf = TW.$('#user-form');
    if (uf) uf.addEventListener('submit', function (ev) { ev.preventDefault(); createUser(uf); });
    var tf = TW.$('#token-form');
    if (tf) tf.addEventListener('submit', function (ev) { ev.preventDefault(); createToken(tf); });
    var sf = TW.$('#source-form');
    if (sf) sf.addEventListener('submit', function (ev) { ev.preventDefault(); createSource(sf); });
    var rf = TW.$('#retention-form');
    var add = TW.$('#retention-add');
    if (add) {
      add.addEventListener('click', function () {
        var tbody = TW.$('#retention-rules tbody');
        if (tbody) tbody.appendChild(ruleRow(null, true));
      });
    }
    if (rf) {
      rf.addEventListener('submit', function (ev) {
        ev.preventDefault();
        if (!TW.can('retention.write')) return;
        var saved = TW.$('#retention-saved');
        TW.busy(rf.querySelector('button[type=submit]'), TW.api('PUT', '/v1/retention', { rules: readRules() })).then(function () {
          TW.hide(TW.$('#retention-error'));
          TW.showNote(saved, TW.t('settings.ret_saved'), 'ok');
          loadRetention();
        }, function (err) {
          TW.hide(saved);
          TW.showError(TW.$('#retention-error'), err);
        });
      });
    }
    var run = TW.$('#retention-run');
    if (run) {
      run.addEventListener('click', function () {
        if (!window.confirm(TW.t('settings.ret_confirm_run'))) return;
        TW.busy(run, TW.api('POST', '/v1/retention/run')).then(function (rep) {
          renderLastRun(rep);
        }, function (err) {
          TW.showError(TW.$('#retention-error'), err);
        });
      });
    }
  });
})();
