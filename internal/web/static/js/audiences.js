// audiences.js: ad-platform customer lists on the segments page. Download
// a segment as a Meta or Google customer-match file (GET
// /v1/segments/{id}/audience?format=…: normalised, SHA-256-hashed e-mails
// and phones), and the syncs that keep such files current on a schedule
// or when membership changes (GET/POST/DELETE /v1/audience-syncs, POST
// …/{id}/run, GET …/{id}/latest).
(function () {
  'use strict';
  var TW = window.TW;

  function segmentOptions(select) {
    return TW.api('GET', '/v1/segments').then(function (res) {
      TW.clear(select);
      (res.segments || []).forEach(function (s) {
        select.appendChild(TW.el('option', { value: s.id, text: s.name + ' (' + s.id + ')' }));
      });
    });
  }

  function runText(run) {
    if (!run) return TW.t('aud.never_ran');
    var what = run.error ? TW.t('aud.run_failed', { error: run.error }) :
      TW.t('aud.run_ok', { written: TW.num(run.written || 0), skipped: TW.num(run.skipped || 0), no_consent: TW.num(run.no_consent || 0) });
    return TW.dateTime(run.at) + ' · ' + TW.tOr('aud.trigger.' + run.trigger, run.trigger) + ' · ' + what;
  }

  function loadSyncs() {
    var box = TW.$('#aud-syncs');
    TW.loading(box);
    TW.api('GET', '/v1/audience-syncs').then(function (res) {
      var syncs = res.syncs || [];
      TW.clear(box);
      if (!syncs.length) {
        box.appendChild(TW.el('p', { class: 'empty', text: TW.t('aud.none') }));
        return;
      }
      var last = {};
      box.appendChild(TW.table([
        { label: TW.t('aud.id'), value: function (x) { return TW.el('span', { class: 'mono', text: x.id }); } },
        { label: TW.t('aud.segment'), value: function (x) { return x.segment; } },
        { label: TW.t('aud.format'), value: function (x) { return TW.tOr('aud.format.' + x.format, x.format); } },
        { label: TW.t('aud.when'), value: function (x) {
          var parts = [];
          if (x.every) parts.push(TW.t('aud.every', { every: x.every }));
          if (x.on_change) parts.push(TW.t('aud.on_change'));
          return parts.join(' · ') || TW.DASH;
        } },
        { label: TW.t('aud.last_run'), value: function (x) { return (last[x.id] = TW.el('span', { text: '…' })); } },
        { label: '', value: function (x) {
          if (!TW.can('actions.write')) return null;
          return TW.el('div', { class: 'actions' },
            TW.el('button', { type: 'button', class: 'btn aud-run', 'data-id': x.id, text: TW.t('aud.run_now'), onclick: function (ev) {
              TW.busy(ev.target, TW.api('POST', '/v1/audience-syncs/' + encodeURIComponent(x.id) + '/run')).then(loadSyncs, function (err) {
                TW.showError(TW.$('#aud-error'), err);
                loadSyncs();
              });
            } }),
            TW.el('a', { class: 'btn', href: '/v1/audience-syncs/' + encodeURIComponent(x.id) + '/latest', download: x.id + '.csv', text: TW.t('aud.latest') }),
            TW.el('button', { type: 'button', class: 'btn btn-danger', text: TW.t('aud.delete'), onclick: function (ev) {
              if (!window.confirm(TW.t('aud.confirm_delete', { id: x.id }))) return;
              TW.busy(ev.target, TW.api('DELETE', '/v1/audience-syncs/' + encodeURIComponent(x.id))).then(loadSyncs, function (err) {
                TW.showError(TW.$('#aud-error'), err);
              });
            } }));
        } }
      ], syncs, { label: TW.t('aud.syncs') }));
      syncs.forEach(function (x) {
        TW.api('GET', '/v1/audience-syncs/' + encodeURIComponent(x.id)).then(function (r) {
          last[x.id].textContent = runText(r.last_run);
        }, function () { last[x.id].textContent = TW.DASH; });
      });
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#aud-error'), err);
    });
  }

  function wireForm(form) {
    var segs = form.querySelector('select[name=segment]');
    segmentOptions(segs).then(function () {
      var exp = TW.$('#aud-export-segment');
      if (exp) {
        TW.clear(exp);
        Array.prototype.forEach.call(segs.options, function (o) { exp.appendChild(TW.el('option', { value: o.value, text: o.text })); });
        updateExport();
      }
    });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      TW.hide(TW.$('#aud-error'));
      var body = {
        id: form.querySelector('input[name=id]').value.trim(),
        segment: segs.value,
        format: form.querySelector('select[name=format]').value,
        every: form.querySelector('input[name=every]').value.trim(),
        on_change: form.querySelector('input[name=on_change]').checked
      };
      TW.busy(form.querySelector('button[type=submit]'), TW.api('POST', '/v1/audience-syncs', body)).then(function () {
        form.reset();
        loadSyncs();
      }, function (err) {
        TW.fieldError(form, err);
        TW.showError(TW.$('#aud-error'), err);
      });
    });
  }

  // updateExport points the download links at the chosen segment.
  function updateExport() {
    var sel = TW.$('#aud-export-segment');
    if (!sel || !sel.value) return;
    TW.$$('.aud-download').forEach(function (a) {
      var f = a.getAttribute('data-format');
      a.setAttribute('href', '/v1/segments/' + encodeURIComponent(sel.value) + '/audience?format=' + f);
      a.setAttribute('download', sel.value + '-' + f + '.csv');
    });
  }

  TW.onReady(function () {
    if (!TW.$('#aud-panel')) return;
    var sel = TW.$('#aud-export-segment');
    if (sel) sel.addEventListener('change', updateExport);
    var form = TW.$('#aud-form');
    if (form) wireForm(form);
    else if (sel) segmentOptions(sel).then(updateExport);
    loadSyncs();
  });
})();
