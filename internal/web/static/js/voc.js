// voc.js: the voice of the customer. The sentiment mix of the scored
// reviews by marketplace and by language and its trend by week (GET
// /v1/voc/summary?by=…&days=N), the topics they mention with each topic's
// rating impact (GET /v1/voc/topics), example texts in the customer's own
// language (GET /v1/voc/reviews) and, with models.run, a brand-health check
// on demand (POST /v1/voc/check).
(function () {
  'use strict';
  var TW = window.TW;

  var SENT = ['positive', 'neutral', 'negative'];
  var SENT_COLORS = { positive: '#2e8b57', neutral: '#9aa6b5', negative: '#b3261e' };
  var EXAMPLES = 10;

  // langName names a language code (en, zh, und) in the user's language.
  function langName(code) {
    if (code === null || code === undefined || code === '' || code === 'und') return TW.t('voc.lang_und');
    code = String(code);
    try {
      var n = new Intl.DisplayNames([TW.locale], { type: 'language' }).of(code);
      if (n && n !== code) return n;
    } catch (e) { /* an old browser, or a code Intl does not take */ }
    return code;
  }

  function topicName(id) {
    if (!id) return TW.t('common.none');
    return TW.tOr('topic.' + id, String(id).replace(/_/g, ' '));
  }

  function sentimentName(s) { return TW.tOr('sentiment.' + s, s || TW.DASH); }

  // groupName names a group of the summary.
  function groupName(by, g) {
    if (by === 'marketplace') return g === '(none)' ? TW.t('voc.no_marketplace') : TW.market(g);
    if (by === 'language') return langName(g);
    if (by === 'week') return TW.day(g);
    return String(g);
  }

  // signedStars formats a rating impact: +0.42 or −0.37 stars.
  function signedStars(v) {
    var n = TW.toNumber(v);
    if (!isFinite(n)) return TW.DASH;
    var s = new Intl.NumberFormat(TW.locale, { signDisplay: 'exceptZero', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
    return TW.t('voc.stars', { v: s });
  }

  // impactClass colours a rating impact: below −0.05 stars bad, above
  // +0.05 good, else plain.
  function impactClass(v) {
    var n = TW.toNumber(v);
    if (!isFinite(n) || Math.abs(n) < 0.05) return 'muted';
    return n > 0 ? 'delta-up' : 'delta-down';
  }

  // ---- charts ----

  var charts = {};

  function draw(id, option) {
    var el = TW.$('#' + id);
    if (!el) return;
    el.hidden = !option;
    if (!option || !window.echarts) return;
    if (!charts[id]) charts[id] = window.echarts.init(el, null, { locale: TW.lang === 'zh' ? 'ZH' : 'EN' });
    charts[id].resize();
    charts[id].setOption(option, true);
  }

  function share(g, s) {
    var n = TW.toNumber(g.reviews) || 0;
    return n ? (TW.toNumber(g[s]) || 0) / n : 0;
  }

  // mixOption: the sentiment mix of each group as bars of 100% stacked
  // by sentiment, the largest group on top.
  function mixOption(by, groups) {
    var gs = (groups || []).filter(function (g) { return TW.toNumber(g.reviews) > 0; })
      .sort(function (a, b) { return TW.toNumber(a.reviews) - TW.toNumber(b.reviews); });
    if (!gs.length) return null;
    var labels = gs.map(function (g) { return groupName(by, g.group); });
    return {
      animation: !TW.reducedMotion(),
      aria: { enabled: true },
      grid: { left: 8, right: 24, top: 8, bottom: 40, containLabel: true },
      legend: { bottom: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: function (ps) {
        var g = gs[ps[0].dataIndex];
        return labels[ps[0].dataIndex] + ' · ' + TW.t('voc.n_reviews', { n: TW.num(g.reviews) }) + '<br>' +
          SENT.map(function (s, i) { return ps[i] ? ps[i].marker + sentimentName(s) + ': ' + TW.pct(share(g, s), 0) + ' (' + TW.num(g[s]) + ')' : ''; }).join('<br>');
      } },
      xAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: function (v) { return TW.pct(v, 0); } } },
      yAxis: { type: 'category', data: labels, axisLabel: { width: 130, overflow: 'truncate' } },
      series: SENT.map(function (s) {
        return { name: sentimentName(s), type: 'bar', stack: 'mix', color: SENT_COLORS[s], barMaxWidth: 26,
          data: gs.map(function (g) { return Math.round(share(g, s) * 1000) / 1000; }) };
      })
    };
  }

  // trendOption: reviews per week stacked by sentiment, and the negative
  // share as a line on its own axis.
  function trendOption(groups) {
    var gs = (groups || []).filter(function (g) { return TW.toNumber(g.reviews) > 0; });
    if (!gs.length) return null;
    var labels = gs.map(function (g) { return TW.day(g.group); });
    var series = SENT.map(function (s) {
      return { name: sentimentName(s), type: 'bar', stack: 'n', color: SENT_COLORS[s], barMaxWidth: 28,
        data: gs.map(function (g) { return TW.toNumber(g[s]) || 0; }) };
    });
    series.push({ name: TW.t('voc.negative_share'), type: 'line', yAxisIndex: 1, color: '#1f2937', symbolSize: 5,
      data: gs.map(function (g) { return Math.round(share(g, 'negative') * 1000) / 1000; }),
      tooltip: { valueFormatter: function (v) { return TW.pct(v); } } });
    return {
      animation: !TW.reducedMotion(),
      aria: { enabled: true },
      grid: { left: 8, right: 8, top: 36, bottom: 48, containLabel: true },
      legend: { bottom: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return TW.num(v); } },
      xAxis: { type: 'category', data: labels, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: 'value', name: TW.t('voc.axis_reviews'), nameTextStyle: { align: 'left' }, minInterval: 1, axisLabel: { formatter: function (v) { return TW.compact(v); } } },
        { type: 'value', name: TW.t('voc.negative_share'), nameTextStyle: { align: 'right' }, min: 0, splitLine: { show: false },
          axisLabel: { formatter: function (v) { return TW.pct(v, 0); } } }
      ],
      series: series
    };
  }

  // mixTable is the numbers behind a mix chart, for those who read tables.
  function mixTable(by, groups) {
    return TW.table([
      { label: TW.t(by === 'marketplace' ? 'voc.marketplace' : 'voc.language'), value: function (g) {
        return by === 'language' ? TW.el('span', { class: 'nowrap' }, groupName(by, g.group), ' ', TW.el('span', { class: 'muted mono', text: g.group })) : groupName(by, g.group);
      } },
      { label: TW.t('voc.reviews'), num: true, value: function (g) { return TW.num(g.reviews); } },
      { label: TW.t('sentiment.positive'), num: true, value: function (g) { return TW.pct(share(g, 'positive'), 0); } },
      { label: TW.t('sentiment.negative'), num: true, value: function (g) { return TW.pct(share(g, 'negative'), 0); } },
      { label: TW.t('voc.mean_rating'), num: true, value: function (g) { return TW.num(g.mean_rating, 2); } }
    ], groups, { empty: TW.t('voc.no_reviews_window', { days: days }), label: TW.t(by === 'marketplace' ? 'voc.by_marketplace' : 'voc.by_language'), rowHeader: true });
  }

  // ---- the page ----

  var days = 90, seq = 0, topicsSeq = 0, exSeq = 0;

  function show(state) {
    if (state !== 'data') TW.$$('#v-body .loading').forEach(function (e) { e.parentNode.removeChild(e); });
    TW.$('#v-empty').hidden = state !== 'empty';
    TW.$('#v-body').hidden = state !== 'data';
  }

  function renderCards(all) {
    var box = TW.clear(TW.$('#v-cards'));
    var n = TW.toNumber(all && all.reviews) || 0;
    TW.append(box, [
      TW.card(TW.t('voc.reviews_scored'), TW.num(n), TW.t('voc.last_days', { days: days })),
      TW.card(TW.t('sentiment.positive'), n ? TW.pct(share(all, 'positive')) : TW.DASH, n ? TW.t('voc.n_reviews', { n: TW.num(all.positive) }) : null),
      TW.card(TW.t('sentiment.negative'), n ? TW.pct(share(all, 'negative')) : TW.DASH, n ? TW.t('voc.n_reviews', { n: TW.num(all.negative) }) : null),
      TW.card(TW.t('voc.mean_rating'), TW.num(all && all.mean_rating, 2), TW.t('voc.mean_score_is', { v: TW.num(all && all.mean_score, 2) }))
    ]);
  }

  function fillMarkets(groups) {
    var sel = TW.$('#v-topic-market');
    var keep = sel.value;
    while (sel.options.length > 1) sel.remove(1);
    (groups || []).forEach(function (g) {
      if (!g.group || g.group === '(none)') return;
      sel.appendChild(TW.el('option', { value: g.group, text: TW.market(g.group) }));
    });
    sel.value = keep;
    if (sel.value !== keep) sel.value = '';
  }

  // load reads the summaries of the chosen window; first says whether any
  // review was ever scored (else the empty state).
  function load() {
    var my = ++seq;
    TW.hide(TW.$('#v-error'));
    TW.$$('#v-days button').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-days') === String(days))); });
    TW.loading(TW.$('#v-cards'));
    var sum = function (by, d) { return TW.api('GET', '/v1/voc/summary' + TW.qs({ by: by, days: d || days })); };
    return Promise.all([sum('all', 3650), sum('all'), sum('marketplace'), sum('language'), sum('week'), TW.loadStoreNames()]).then(function (res) {
      if (my !== seq) return;
      var ever = (res[0].groups || [])[0];
      if (!ever || !(TW.toNumber(ever.reviews) > 0)) {
        TW.clear(TW.$('#v-cards'));
        show('empty');
        return;
      }
      show('data');
      var all = (res[1].groups || [])[0] || null;
      renderCards(all);
      var note = TW.$('#v-window-note');
      if (!all || !(TW.toNumber(all.reviews) > 0)) TW.showNote(note, TW.t('voc.no_reviews_window', { days: days }), 'info');
      else TW.hide(note);
      var markets = res[2].groups || [], langs = res[3].groups || [];
      draw('chart-v-market', mixOption('marketplace', markets));
      draw('chart-v-lang', mixOption('language', langs));
      draw('chart-v-trend', trendOption(res[4].groups));
      TW.clear(TW.$('#v-market-table')).appendChild(mixTable('marketplace', markets));
      TW.clear(TW.$('#v-lang-table')).appendChild(mixTable('language', langs));
      fillMarkets(markets);
      return Promise.all([loadTopics(), loadExamples(), loadSuspicious()]);
    }, function (err) {
      if (my !== seq) return;
      TW.clear(TW.$('#v-cards'));
      show('none');
      TW.showError(TW.$('#v-error'), err);
    });
  }

  // topicsTable lists the topics, most mentioned first; each topic's
  // button shows its example texts.
  function topicsTable(topics) {
    return TW.table([
      { label: TW.t('voc.topic'), value: function (t) {
        return TW.el('button', { type: 'button', class: 'link-button nowrap', 'data-topic': t.topic, text: topicName(t.topic),
          title: TW.t('voc.show_examples', { topic: topicName(t.topic) }) });
      } },
      { label: TW.t('voc.mentions'), num: true, value: function (t) { return TW.num(t.mentions); } },
      { label: TW.t('voc.share'), num: true, value: function (t) { return TW.pct(t.share); } },
      { label: TW.t('voc.rating_impact'), num: true, value: function (t) {
        return TW.el('span', { class: impactClass(t.rating_impact), text: signedStars(t.rating_impact) });
      } },
      { label: TW.t('voc.negatives'), num: true, value: function (t) { return TW.num(t.negative); } },
      { label: TW.t('voc.mean_score'), num: true, value: function (t) { return TW.num(t.mean_score, 2); } },
      { label: TW.t('voc.mean_rating'), num: true, value: function (t) { return TW.num(t.mean_rating, 2); } }
    ], topics, { empty: TW.t('voc.no_topics'), label: TW.t('voc.topics'), rowHeader: true });
  }

  function loadTopics() {
    var my = ++topicsSeq;
    var box = TW.$('#v-topics');
    TW.loading(box);
    TW.hide(TW.$('#v-topics-error'));
    var market = TW.$('#v-topic-market').value;
    return TW.api('GET', '/v1/voc/topics' + TW.qs({ days: days, marketplace: market })).then(function (res) {
      if (my !== topicsSeq) return;
      var topics = (res.topics || []).slice().sort(function (a, b) { return TW.toNumber(b.mentions) - TW.toNumber(a.mentions); });
      TW.clear(box).appendChild(topicsTable(topics));
      TW.$$('button[data-topic]', box).forEach(function (b) {
        b.addEventListener('click', function () {
          TW.$('#v-ex-topic').value = b.getAttribute('data-topic');
          loadExamples().then(function () {
            var h = TW.$('#v-ex-h');
            if (h && h.scrollIntoView) h.scrollIntoView({ block: 'start' });
            TW.$('#v-ex-topic').focus();
          });
        });
      });
      var sel = TW.$('#v-ex-topic'), keep = sel.value;
      while (sel.options.length > 1) sel.remove(1);
      topics.forEach(function (t) { sel.appendChild(TW.el('option', { value: t.topic, text: topicName(t.topic) })); });
      sel.value = keep;
      if (sel.value !== keep) sel.value = '';
    }, function (err) {
      if (my !== topicsSeq) return;
      TW.clear(box);
      TW.showError(TW.$('#v-topics-error'), err);
    });
  }

  // review shows one example text: its language, sentiment, rating and
  // topics, and the text in the customer's own language (marked with its
  // lang, so it is read and rendered as that language).
  function review(r) {
    var lang = r.detected_language && r.detected_language !== 'und' ? r.detected_language : (r.language || null);
    var stars = TW.toNumber(r.rating);
    var kind = { positive: 'ok', negative: 'bad', neutral: 'muted' }[r.sentiment] || 'muted';
    var topics = TW.list(r.topics);
    return TW.el('li', { class: 'review' },
      TW.el('div', { class: 'review-meta' },
        TW.el('span', { class: 'badge badge-info', title: TW.t('voc.review_language'), text: langName(lang) + (lang ? ' · ' + lang : '') }), ' ',
        TW.badge(sentimentName(r.sentiment) + ' ' + TW.num(r.sentiment_score, 2), kind), ' ',
        isFinite(stars) ? TW.el('span', { class: 'stars', role: 'img', 'aria-label': TW.t('voc.rating_of', { n: TW.num(stars, 0) }), text: '★'.repeat(Math.max(0, Math.min(5, Math.round(stars)))) + '☆'.repeat(Math.max(0, 5 - Math.round(stars))) }) : null, ' ',
        TW.el('span', { class: 'muted', text: TW.date(r.timestamp) + (r.product_id ? ' · ' + r.product_id : '') })),
      r.title ? TW.el('div', { class: 'review-title', lang: lang, text: r.title }) : null,
      TW.el('blockquote', { class: 'review-text', lang: lang, text: r.body || '' }),
      topics.length ? TW.el('div', { class: 'badges' }, topics.map(function (t) { return TW.badge(topicName(t)); })) : null);
  }

  function loadExamples() {
    var my = ++exSeq;
    var box = TW.$('#v-examples');
    TW.loading(box);
    TW.hide(TW.$('#v-ex-error'));
    var topic = TW.$('#v-ex-topic').value, sentiment = TW.$('#v-ex-sentiment').value;
    return TW.api('GET', '/v1/voc/reviews' + TW.qs({ sentiment: sentiment, topic: topic, limit: EXAMPLES })).then(function (res) {
      if (my !== exSeq) return;
      var list = res.reviews || [];
      TW.clear(box);
      if (!list.length) {
        box.appendChild(TW.el('p', { class: 'empty', text: TW.t('voc.no_examples') }));
        return;
      }
      box.appendChild(TW.el('ul', { class: 'review-list' }, list.map(review)));
    }, function (err) {
      if (my !== exSeq) return;
      TW.clear(box);
      TW.showError(TW.$('#v-ex-error'), err);
    });
  }

  function checkNow(ev) {
    var button = ev.currentTarget;
    var note = TW.$('#v-note');
    TW.hide(TW.$('#v-error'));
    TW.showNote(note, TW.t('voc.checking'), 'info');
    TW.busy(button, TW.api('POST', '/v1/voc/check')).then(function (res) {
      TW.showNote(note, TW.t('voc.checked', { texts: TW.num(res.texts), from: TW.day(res.from), to: TW.day(res.to),
        alerts: TW.num((res.alerts || []).length), new: TW.num(res.new) }), (res.alerts || []).length ? 'warn' : 'ok');
      if ((res.alerts || []).length) {
        note.appendChild(document.createTextNode(' '));
        note.appendChild(TW.link('/alerts', TW.t('voc.see_alerts')));
      }
      return load();
    }, function (err) {
      TW.hide(note);
      TW.showError(TW.$('#v-error'), err);
    });
  }

  // ---- suspicious reviews: bursts, near-duplicates, contradictions ----

  var susSeq = 0;
  function loadSuspicious() {
    var my = ++susSeq;
    var box = TW.$('#v-suspicious');
    if (!box) return null;
    TW.loading(box);
    TW.hide(TW.$('#v-sus-error'));
    return TW.api('GET', '/v1/voc/suspicious' + TW.qs({ days: days })).then(function (res) {
      if (my !== susSeq) return;
      var flags = res.flags || [];
      TW.clear(box);
      var counts = {};
      flags.forEach(function (f) { counts[f.reason] = (counts[f.reason] || 0) + 1; });
      box.appendChild(TW.el('p', { class: 'hint', text: TW.t('vocsus.summary', { reviews: TW.num(res.reviews || 0), flagged: TW.num(flags.length),
        burst: TW.num(counts.burst || 0), dup: TW.num(counts.near_duplicate || 0), contra: TW.num(counts.contradiction || 0) }) }));
      box.appendChild(TW.table([
        { label: TW.t('vocsus.reason'), value: function (f) { return TW.badge(TW.tOr('vocsus.reason.' + f.reason, f.reason), f.reason === 'contradiction' ? 'warn' : 'bad'); } },
        { label: TW.t('vocsus.review'), value: function (f) { return TW.el('span', { class: 'mono', text: f.review_id }); } },
        { label: TW.t('vocsus.detail'), value: function (f) { return TW.el('span', { lang: 'en', text: f.detail }); } }
      ], flags.slice(0, 50), { empty: TW.t('vocsus.none'), label: TW.t('vocsus.title') }));
    }, function (err) {
      if (my !== susSeq) return;
      TW.clear(box);
      TW.showError(TW.$('#v-sus-error'), err);
    });
  }

  // ---- the sentiment model: built-in or the seller's own (voc train) ----

  function metricText(m) {
    return m ? TW.pct(m.accuracy, 1) + ' · F1 ' + TW.num(m.macro_f1, 3) : TW.DASH;
  }

  function loadModel() {
    var box = TW.$('#v-model');
    if (!box) return;
    TW.api('GET', '/v1/voc/model').then(function (st) {
      TW.clear(box);
      box.appendChild(TW.el('p', { class: 'hint', text: st.seller ? TW.t('vocmodel.serving_seller', { version: st.seller }) : TW.t('vocmodel.serving_builtin') }));
      box.appendChild(TW.table([
        { label: TW.t('vocmodel.lang'), value: function (l) { return langName(l.lang); } },
        { label: TW.t('vocmodel.model'), value: function (l) { return TW.badge(TW.tOr('vocmodel.model.' + l.model, l.model), l.model === 'seller' ? 'ok' : 'muted'); } },
        { label: TW.t('vocmodel.builtin_heldout'), value: function (l) { return metricText(l.builtin); } },
        { label: TW.t('vocmodel.trained_heldout'), value: function (l) { return metricText(l.trained); } }
      ], st.languages || [], { label: TW.t('vocmodel.title') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(TW.$('#v-model-error'), err);
    });
  }

  function train(button, dryRun) {
    TW.hide(TW.$('#v-model-error'));
    var out = TW.$('#v-train-report');
    TW.loading(out);
    TW.busy(button, TW.api('POST', '/v1/voc/train', { dry_run: dryRun, rescore: !dryRun })).then(function (res) {
      var rep = res.report || {};
      TW.clear(out);
      out.appendChild(TW.el('p', { class: 'hint', text: TW.t(rep.activated ? 'vocmodel.activated' : (dryRun ? 'vocmodel.dry_done' : 'vocmodel.none_accepted'),
        { reviews: TW.num(rep.reviews || 0), accepted: (rep.accepted || []).join(', ') || TW.DASH }) }));
      if (rep.rule) out.appendChild(TW.el('p', { class: 'hint', text: rep.rule }));
      out.appendChild(TW.table([
        { label: TW.t('vocmodel.lang'), value: function (l) { return langName(l.lang); } },
        { label: TW.t('vocmodel.examples'), num: true, value: function (l) { return TW.num((l.negative || 0) + (l.positive || 0)); } },
        { label: TW.t('vocmodel.heldout'), num: true, value: function (l) { return TW.num(l.heldout || 0); } },
        { label: TW.t('vocmodel.builtin_heldout'), value: function (l) { return metricText(l.builtin); } },
        { label: TW.t('vocmodel.trained_heldout'), value: function (l) { return metricText(l.trained); } },
        { label: 'p', num: true, value: function (l) { return l.p_value !== undefined && l.trained ? TW.sig(l.p_value, 2) : TW.DASH; } },
        { label: TW.t('vocmodel.decision'), value: function (l) { return TW.el('span', { title: l.reason || '' }, TW.badge(TW.tOr('vocmodel.decision.' + l.decision, l.decision), l.decision === 'accepted' ? 'ok' : 'muted'), ' ', l.reason || ''); } }
      ], rep.languages || [], { label: TW.t('vocmodel.report') }));
      loadModel();
    }, function (err) {
      TW.clear(out);
      TW.showError(TW.$('#v-model-error'), err);
    });
  }

  function wireModel() {
    var tr = TW.$('#v-train'), dry = TW.$('#v-train-dry'), rev = TW.$('#v-revert');
    if (tr) tr.addEventListener('click', function () { train(tr, false); });
    if (dry) dry.addEventListener('click', function () { train(dry, true); });
    if (rev) rev.addEventListener('click', function () {
      if (!window.confirm(TW.t('vocmodel.confirm_revert'))) return;
      TW.busy(rev, TW.api('DELETE', '/v1/voc/model')).then(loadModel, function (err) { TW.showError(TW.$('#v-model-error'), err); });
    });
    loadModel();
  }

  TW.onReady(function () {
    wireModel();
    if (!TW.$('#v-body')) return;
    TW.$$('#v-days button').forEach(function (b) {
      b.addEventListener('click', function () { days = Number(b.getAttribute('data-days')) || 90; load(); });
    });
    TW.$('#v-topic-market').addEventListener('change', loadTopics);
    TW.$('#v-ex-topic').addEventListener('change', loadExamples);
    TW.$('#v-ex-sentiment').addEventListener('change', loadExamples);
    var check = TW.$('#v-check');
    if (check) check.addEventListener('click', checkNow);
    load();
    window.addEventListener('resize', TW.debounce(function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    }, 150));
  });

  // For tests.
  TW.voc = { langName: langName, topicName: topicName, groupName: groupName, signedStars: signedStars, impactClass: impactClass,
    mixOption: mixOption, trendOption: trendOption };
})();
