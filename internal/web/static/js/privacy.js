// privacy.js: the privacy page. Data-subject requests with their status and
// legal deadline (GET /v1/privacy/requests), approval of another person's
// export (POST /v1/privacy/requests/{id}/approve), download of finished
// exports, new erasure and export requests (POST /v1/privacy/erasure,
// /v1/privacy/export), and consent lookup (GET /v1/consent).
(function () {
  'use strict';
  var TW = window.TW;

  var poll = null;

  function statusBadge(r) {
    if (r.awaiting_approval) return TW.badge(TW.t('privacy.awaiting_approval'), 'warn');
    var kind = { completed: 'ok', failed: 'bad', pending: 'info' }[r.status] || null;
    return TW.badge(TW.tOr('status.' + r.status, r.status), kind);
  }

  function deadlineNode(r) {
    var d = TW.parseTime(r.deadline);
    if (!d) return TW.DASH;
    var text = TW.date(r.deadline);
    if (r.status === 'completed' || r.status === 'failed') return text;
    var days = Math.ceil((d.getTime() - Date.now()) / 86400000);
    var late = days < 0;
    return TW.el('span', null, text, ' ', TW.badge(late ? TW.t('privacy.overdue', { n: -days }) : TW.t('privacy.days_left', { n: days }), late ? 'bad' : days <= 7 ? 'warn' : null));
  }

  function actions(r) {
    var me = document.body.getAttribute('data-user-id');
    var out = [];
    if (r.kind === 'export' && r.awaiting_approval && TW.can('privacy.approve') && r.requested_by !== me) {
      out.push(TW.el('button', { type: 'button', class: 'btn btn-small btn-primary', text: TW.t('privacy.approve'), onclick: function (ev) { approve(r, ev.currentTarget); } }));
    }
    if (r.kind === 'export' && r.awaiting_approval && r.requested_by === me) {
      out.push(TW.el('span', { class: 'hint', text: TW.t('privacy.needs_second') }));
    }
    var ready = r.kind === 'export' && r.status === 'completed' && !r.awaiting_approval;
    if (ready && TW.can('privacy.export') && (r.masked || TW.can('pii.read'))) {
      var base = '/v1/privacy/requests/' + encodeURIComponent(r.request_id) + '/download';
      out.push(TW.el('a', { class: 'btn btn-small', href: base, download: r.request_id + '.json', text: TW.t('privacy.download_json') }));
      out.push(TW.el('a', { class: 'btn btn-small', href: base + '?format=zip', download: r.request_id + '.zip', text: TW.t('privacy.download_zip') }));
    }
    if (r.error) out.push(TW.el('span', { class: 'muted', text: r.error }));
    return out.length ? TW.el('div', { class: 'seg-actions' }, out) : '';
  }

  function result(r) {
    var res = r.result;
    if (!res) return '';
    if (r.kind === 'erasure') return TW.t('privacy.erasure_result', { ids: TW.num(res.identities), keys: TW.num(res.keys_destroyed || 0), msgs: TW.num(res.messages_deleted || 0) });
    return TW.t('privacy.export_result', { ids: TW.num(res.identities), rows: TW.num(res.rows || 0) });
  }

  function load() {
    var box = TW.$('#requests');
    return TW.api('GET', '/v1/privacy/requests').then(function (res) {
      TW.hide(TW.$('#pr-error'));
      var rows = (res.requests || []).slice().sort(function (a, b) { return String(b.created_at).localeCompare(String(a.created_at)); });
      TW.clear(box);
      box.appendChild(TW.table([
        { label: TW.t('privacy.request'), value: function (r) { return TW.el('span', { class: 'mono', text: r.request_id }); } },
        { label: TW.t('privacy.kind'), value: function (r) { return TW.t(r.kind === 'erasure' ? 'privacy.kind_erasure' : 'privacy.kind_export') + (r.masked ? ' · ' + TW.t('privacy.masked_short') : ''); } },
        { label: TW.t('privacy.identifier'), value: function (r) { var i = r.identifier || {}; return TW.tOr('id.' + i.kind, i.kind || '') + ' ' + (i.masked || '') + (i.source ? ' (' + i.source + ')' : ''); } },
        { label: TW.t('privacy.status'), value: statusBadge },
        { label: TW.t('privacy.regulation'), value: function (r) { return String(r.regulation || '').toUpperCase(); } },
        { label: TW.t('privacy.created'), value: function (r) { return TW.dateTime(r.created_at); } },
        { label: TW.t('privacy.deadline'), value: deadlineNode },
        { label: TW.t('privacy.result'), value: result },
        { label: TW.t('privacy.actions'), value: actions }
      ], rows, { empty: TW.t('privacy.none'), label: TW.t('privacy.requests') }));
      var pending = rows.some(function (r) { return r.status === 'pending' && !r.awaiting_approval; });
      clearTimeout(poll);
      if (pending) poll = setTimeout(load, 3000);
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#pr-error'), err);
    });
  }

  function approve(r, button) {
    TW.busy(button, TW.api('POST', '/v1/privacy/requests/' + encodeURIComponent(r.request_id) + '/approve')).then(load, function (err) {
      TW.showError(TW.$('#pr-error'), err);
    });
  }

  function kindOf(form) {
    var checked = form.querySelector('input[name=rkind]:checked');
    return checked ? checked.value : '';
  }

  function syncKind(form) {
    var k = kindOf(form);
    TW.$$('[data-for-kind]', form).forEach(function (el) { el.hidden = el.getAttribute('data-for-kind') !== k; });
  }

  function submit(form) {
    var errBox = TW.$('#request-error');
    var out = TW.$('#request-result');
    TW.hide(out);
    var id = TW.readIdentifier(form, errBox);
    if (!id) return;
    var kind = kindOf(form);
    var body = { identifier: id, regulation: form.elements.regulation.value };
    if (kind === 'erasure') {
      if (!form.elements.confirm.checked) {
        TW.showError(errBox, { message: TW.t('privacy.confirm_needed') });
        form.elements.confirm.focus();
        return;
      }
    } else {
      body.masked = form.elements.masked.checked;
    }
    var path = kind === 'erasure' ? '/v1/privacy/erasure' : '/v1/privacy/export';
    TW.busy(form.querySelector('button[type=submit]'), TW.api('POST', path, body)).then(function (r) {
      TW.showNote(out, TW.t(r.awaiting_approval ? 'privacy.submitted_approval' : 'privacy.submitted', { id: r.request_id }), 'ok');
      form.elements.value.value = '';
      if (form.elements.confirm) form.elements.confirm.checked = false;
      load();
    }, function (err) {
      TW.showError(errBox, err);
      TW.fieldError(form, /^identifier|email|phone/.test(err.field || '') ? { field: 'value' } : err);
    });
  }

  function consent(form) {
    var errBox = TW.$('#consent-error');
    var box = TW.clear(TW.$('#consent-result'));
    var id = TW.readIdentifier(form, errBox);
    if (!id) return;
    TW.busy(form.querySelector('button[type=submit]'), TW.api('GET', '/v1/consent' + TW.qs(id))).then(function (c) {
      TW.renderConsent(box, c);
    }, function (err) {
      TW.showError(errBox, err);
    });
  }

  TW.onReady(function () {
    if (!TW.$('#requests')) return;
    TW.loadSourceList();
    load();
    TW.$('#pr-refresh').addEventListener('click', function (ev) { TW.busy(ev.currentTarget, load()); });
    var form = TW.$('#request-form');
    if (form) {
      TW.wireIdentifier(form);
      TW.$$('input[name=rkind]', form).forEach(function (r) { r.addEventListener('change', function () { syncKind(form); }); });
      syncKind(form);
      form.addEventListener('submit', function (ev) { ev.preventDefault(); submit(form); });
    }
    var cf = TW.$('#consent-form');
    if (cf) {
      TW.wireIdentifier(cf);
      cf.addEventListener('submit', function (ev) { ev.preventDefault(); consent(cf); });
    }
  });
})();
