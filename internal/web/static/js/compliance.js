// compliance.js: the content compliance check. The countries come from
// the rules in force (GET /v1/compliance/rules: every rule's countries,
// groups such as EU expanded); Check posts the message (POST
// /v1/compliance/check) and shows the verdict and each finding with its
// reason in the user's language, the excerpt and the rule's source; the
// rules of the chosen country are listed below (GET
// /v1/compliance/rules?country=XX).
(function () {
  'use strict';
  var TW = window.TW;

  var VERDICT_KIND = { ok: 'ok', warn: 'warn', block: 'bad' };

  var regionNames = null;
  try {
    regionNames = new Intl.DisplayNames([TW.locale], { type: 'region' });
  } catch (e) { regionNames = null; }

  function countryName(cc) {
    var n = '';
    try { n = regionNames ? regionNames.of(cc) : ''; } catch (e) { n = ''; }
    return n && n !== cc ? n + ' (' + cc + ')' : cc;
  }

  // reasonText is a rule's reason in the user's language.
  function reasonText(r) {
    r = r || {};
    return (TW.lang === 'zh' ? r.zh || r.en : r.en || r.zh) || '';
  }

  function verdictBadge(v) {
    var b = TW.badge(TW.tOr('cverdict.' + v, v || TW.DASH), VERDICT_KIND[v] || 'muted');
    b.classList.add('verdict');
    return b;
  }

  function severityBadge(s) {
    return TW.badge(TW.tOr('cverdict.' + s, s), VERDICT_KIND[s] || 'muted');
  }

  function channelsText(list) {
    return (list || []).map(function (c) { return TW.tOr('cchannel.' + c, c); }).join(', ');
  }

  // countriesOf lists the countries rules name, groups expanded.
  function countriesOf(res) {
    var groups = res.groups || {};
    var set = {};
    (res.rules || []).forEach(function (r) {
      (r.countries || []).forEach(function (c) {
        if (c === '*') return;
        if (groups[c]) groups[c].forEach(function (m) { set[m] = true; });
        else set[c] = true;
      });
    });
    return Object.keys(set).sort(function (a, b) { return countryName(a).localeCompare(countryName(b), TW.locale); });
  }

  function loadRules(cc) {
    var box = TW.$('#cc-rules');
    TW.$('#cc-rules-country').textContent = cc ? '· ' + countryName(cc) : '';
    TW.loading(box);
    return TW.api('GET', '/v1/compliance/rules' + TW.qs({ country: cc })).then(function (res) {
      TW.clear(box).appendChild(TW.table([
        { label: TW.t('compliance.rule'), value: function (r) { return TW.el('code', { text: r.id }); } },
        { label: TW.t('compliance.severity'), value: function (r) { return severityBadge(r.severity); } },
        { label: TW.t('compliance.channels'), value: function (r) { return channelsText(r.channels); } },
        { label: TW.t('compliance.reason'), value: function (r) { return reasonText(r.reason); } },
        { label: TW.t('compliance.source'), value: function (r) { return TW.el('span', { class: 'muted', text: r.source || '' }); } }
      ], res.rules || [], { label: TW.t('compliance.rules'), empty: TW.t('compliance.no_rules') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  function renderReport(rep) {
    var box = TW.clear(TW.$('#cc-result'));
    box.appendChild(TW.el('p', { id: 'cc-verdict' }, TW.t('compliance.verdict') + ' ', verdictBadge(rep.verdict)));
    box.appendChild(TW.el('p', { class: 'hint', text: TW.t('compliance.applied', { n: TW.num(rep.rules_applied || 0), country: countryName(rep.country),
      channel: TW.tOr('cchannel.' + rep.channel, rep.channel) }) }));
    box.appendChild(TW.el('div', { id: 'cc-findings' }, TW.table([
      { label: TW.t('compliance.severity'), value: function (f) { return severityBadge(f.severity); } },
      { label: TW.t('compliance.reason'), value: function (f) { return TW.el('span', null, reasonText(f.reason), TW.el('br'), TW.el('code', { class: 'muted', text: f.rule_id })); } },
      { label: TW.t('compliance.where'), value: function (f) { return TW.tOr('cfield.' + f.field, f.field || ''); } },
      { label: TW.t('compliance.excerpt'), value: function (f) {
        if (!f.excerpt && (f.offset === -1 || !f.match)) return TW.el('em', { text: TW.t('compliance.missing') });
        return TW.el('span', null, TW.el('q', { text: f.excerpt || f.match }), f.match ? [' ', TW.el('mark', { text: f.match })] : null);
      } },
      { label: TW.t('compliance.source'), value: function (f) { return TW.el('span', { class: 'muted', text: f.source || '' }); } }
    ], rep.findings || [], { label: TW.t('compliance.findings'), empty: TW.t('compliance.no_findings') })));
  }

  function check(ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    var errBox = TW.$('#cc-form-error');
    var body = {
      country: form.elements.country.value,
      channel: form.elements.channel.value,
      locale: TW.locale,
      subject: form.elements.subject.value,
      text: form.elements.text.value,
      html: form.elements.html.value
    };
    if (!body.subject.trim() && !body.text.trim() && !body.html.trim()) {
      TW.showError(errBox, { message: TW.t('compliance.need_text') });
      return;
    }
    TW.busy(TW.$('#cc-check'), TW.api('POST', '/v1/compliance/check', body)).then(function (rep) {
      TW.hide(errBox);
      TW.fieldError(form, null);
      renderReport(rep);
    }, function (err) {
      TW.fieldError(form, err);
      TW.showError(errBox, err);
    });
  }

  TW.onReady(function () {
    var form = TW.$('#cc-form');
    if (!form) return;
    var sel = TW.$('#cc-country');
    TW.api('GET', '/v1/compliance/rules').then(function (res) {
      var list = countriesOf(res);
      list.forEach(function (cc) { sel.appendChild(TW.el('option', { value: cc, text: countryName(cc) })); });
      var want = TW.lang === 'zh' ? 'CN' : 'US';
      if (list.indexOf(want) >= 0) sel.value = want;
      return loadRules(sel.value);
    }, function (err) {
      TW.clear(TW.$('#cc-rules'));
      TW.showError(TW.$('#cc-error'), err);
    });
    sel.addEventListener('change', function () { loadRules(sel.value); });
    form.addEventListener('submit', check);
  });
})();
