// customer.js: the customer-360 page. The profile (GET /v1/profiles/{id}:
// identities, traits masked unless the role has pii.read, computed traits,
// segments, deviations, predictions), its consent (GET
// /v1/consent?profile_id=: under its user and device ids, with
// consent.read), the messages journeys sent or skipped (GET
// /v1/profiles/{id}/deliveries) and its timeline (GET
// /v1/profiles/{id}/timeline, newest first, paged).
(function () {
  'use strict';
  var TW = window.TW;

  var MASKED = /\*\*\*|\[erased\]|\[unreadable\]/;

  function idKind(kind) {
    return TW.tOr('idkind.' + kind, kind);
  }

  function shortToken(v) {
    v = String(v || '');
    return v.length > 18 ? v.slice(0, 16) + '…' : v;
  }

  // valueText shows a trait or property value as text.
  function valueText(v) {
    if (v === null || v === undefined) return TW.DASH;
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function renderBadges(p) {
    var box = TW.clear(TW.$('#c-badges'));
    box.appendChild(TW.badge(TW.tOr('state.' + p.state, p.state || ''), p.state === 'live' ? 'ok' : 'warn'));
    if (p.masked) box.appendChild(TW.badge(TW.t('customer.masked'), 'info'));
    if (p.deviations && p.deviations.length) box.appendChild(TW.badge(TW.t('customer.has_deviations', { n: p.deviations.length }), 'warn'));
    if (p.requested_id && p.requested_id !== p.profile_id) {
      TW.showNote(TW.$('#c-note'), TW.t('customer.merged_note', { requested: p.requested_id, id: p.profile_id }), 'info');
      if (history.replaceState) history.replaceState(null, '', '/customers/' + encodeURIComponent(p.profile_id));
    }
    TW.$('#c-id').textContent = p.profile_id;
  }

  function renderCards(c) {
    var base = TW.base();
    var box = TW.clear(TW.$('#c-cards'));
    var card = TW.card;
    var langs = [c.country, c.language].filter(Boolean).join(' · ');
    TW.append(box, [
      card(TW.t('customer.orders'), TW.num(c.orders), c.refunded_orders ? TW.t('customer.refunded_orders', { n: TW.num(c.refunded_orders) }) : null),
      card(TW.t('customer.net_revenue'), TW.money(c.net_revenue_base, base), TW.t('customer.gross', { v: TW.money(c.revenue_base, base) })),
      card(TW.t('customer.aov'), TW.money(c.aov_base, base)),
      card(TW.t('customer.last_order'), TW.date(c.last_order_at),
        c.days_since_last_order !== undefined && c.days_since_last_order !== null ? TW.t('customer.days_ago', { n: TW.num(c.days_since_last_order, 0) }) : null),
      card(TW.t('customer.first_order'), TW.date(c.first_order_at), TW.t('customer.first_seen', { d: TW.date(c.first_seen) })),
      card(TW.t('customer.interval'), c.order_interval_days !== undefined && c.order_interval_days !== null ? TW.t('customer.days', { n: TW.num(c.order_interval_days, 0) }) : TW.DASH),
      card(TW.t('customer.marketplaces'), TW.list(c.marketplaces).map(TW.market).join(', ') || TW.DASH),
      card(TW.t('customer.country_language'), langs || TW.DASH, c.timezone || null),
      card(TW.t('customer.reviews'), TW.num(c.reviews), c.rating_avg ? TW.t('customer.rating', { r: TW.num(c.rating_avg, 1) }) : null)
    ]);
  }

  function renderIdentities(ids) {
    var box = TW.clear(TW.$('#c-identities'));
    box.appendChild(TW.table([
      { label: TW.t('customer.id_kind'), value: function (i) { return idKind(i.kind); } },
      { label: TW.t('customer.id_ns'), value: function (i) { return i.ns || ''; } },
      { label: TW.t('customer.id_value'), value: function (i) {
        var token = i.kind === 'email' || i.kind === 'phone';
        return TW.el('span', { class: 'mono', title: token ? i.value : null, text: token ? shortToken(i.value) : i.value });
      } }
    ], ids || [], { empty: TW.t('customer.no_identities'), label: TW.t('customer.identities') }));
  }

  function renderTraits(traits, masked) {
    var box = TW.clear(TW.$('#c-traits'));
    var mb = TW.clear(TW.$('#c-masked'));
    if (masked) mb.appendChild(TW.badge(TW.t('customer.masked'), 'info'));
    var keys = Object.keys(traits || {}).sort();
    box.appendChild(TW.table([
      { label: TW.t('customer.trait'), value: function (k) { return TW.el('code', { text: k }); } },
      { label: TW.t('customer.value'), value: function (k) {
        var t = valueText(traits[k]);
        var v = traits[k];
        var hidden = masked && v !== null && MASKED.test(typeof v === 'object' ? JSON.stringify(v) : String(v));
        return TW.el('span', null, t, hidden ? [' ', TW.badge(TW.t('customer.masked'), 'info')] : null);
      } }
    ], keys, { empty: TW.t('customer.no_traits'), label: TW.t('customer.traits') }));
    if (masked && keys.length) box.appendChild(TW.el('p', { class: 'hint', text: TW.t('customer.masked_hint') }));
  }

  function renderComputed(c) {
    var box = TW.clear(TW.$('#c-computed'));
    var dl = TW.el('dl', { class: 'kv' });
    Object.keys(c || {}).sort().forEach(function (k) {
      var v = c[k];
      var text;
      if (Array.isArray(v) || (typeof v === 'string' && /^\[.*\]$/.test(v))) text = TW.list(v).join(', ');
      else if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) text = TW.dateTime(v);
      else if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) text = TW.num(v);
      else text = valueText(v);
      dl.appendChild(TW.el('dt', null, TW.el('code', { text: k })));
      dl.appendChild(TW.el('dd', { text: text || TW.DASH }));
    });
    box.appendChild(dl.firstChild ? dl : TW.el('p', { class: 'empty', text: TW.t('common.empty') }));
  }

  // renderPredictions shows the customer's lifetime value and churn risk
  // from the newest prediction run, with the reasons for the risk.
  function renderPredictions(p) {
    var box = TW.clear(TW.$('#c-predictions'));
    if (!p) {
      box.appendChild(TW.el('p', { class: 'empty' }, TW.t('customer.no_predictions') + ' ', TW.link('/predictions', TW.t('customer.predictions_link'))));
      return;
    }
    var base = TW.base();
    var dl = TW.el('dl', { class: 'kv' });
    [
      [TW.t('predictions.clv'), TW.money(p.clv, base)],
      [TW.t('predictions.p_alive'), TW.pct(p.p_alive, 0)],
      [TW.t('predictions.expected_purchases'), TW.num(p.expected_purchases, 1)],
      [TW.t('predictions.churn_risk'), TW.el('span', null, TW.pct(p.churn_risk, 0), ' ', TW.tierBadge(p.churn_tier))],
      [TW.t('predictions.reasons'), TW.reasonList(p.reasons)]
    ].forEach(function (kv) {
      dl.appendChild(TW.el('dt', { text: kv[0] }));
      dl.appendChild(TW.el('dd', null, kv[1]));
    });
    box.appendChild(dl);
    box.appendChild(TW.el('p', { class: 'hint' }, TW.t('customer.predictions_as_of', { when: TW.dateTime(p.scored_at) }) + ' ',
      TW.el('span', { class: 'mono model-version', text: p.model_version || '' }), ' · ', TW.link('/predictions', TW.t('customer.predictions_link'))));
  }

  function renderSegments(segs) {
    var box = TW.clear(TW.$('#c-segments'));
    box.appendChild(TW.table([
      { label: TW.t('customer.segment'), value: function (s) { return TW.link('/segments#' + encodeURIComponent(s.segment_id), s.name || s.segment_id); } },
      { label: TW.t('customer.since'), value: function (s) { return TW.dateTime(s.since); } }
    ], segs || [], { empty: TW.t('customer.no_segments'), label: TW.t('customer.segments') }));
  }

  function field(d, k) { return d[k] !== undefined ? d[k] : d[k.charAt(0).toUpperCase() + k.slice(1)]; }

  function renderDeviations(devs) {
    var box = TW.clear(TW.$('#c-deviations'));
    box.appendChild(TW.table([
      { label: TW.t('customer.metric'), value: function (d) { var m = field(d, 'metric'); return TW.tOr('metric.' + m, m); } },
      { label: TW.t('customer.observed'), num: true, value: function (d) { return TW.num(field(d, 'value')); } },
      { label: TW.t('customer.usual'), num: true, value: function (d) { return TW.num(field(d, 'mean')) + ' ± ' + TW.num(d.SD !== undefined ? d.SD : d.sd); } },
      { label: 'z', num: true, value: function (d) { return TW.num(d.Z !== undefined ? d.Z : d.z, 1); } },
      { label: TW.t('customer.when'), value: function (d) { return TW.dateTime(field(d, 'at')); } }
    ], devs || [], { empty: TW.t('customer.no_deviations'), label: TW.t('customer.deviations') }));
  }

  function renderConsent(p) {
    var box = TW.$('#c-consent');
    if (!box) return;
    TW.loading(box);
    // The consent given under the profile's own user and device ids (the
    // store's identity mapping), not a search through every message.
    TW.api('GET', '/v1/consent' + TW.qs({ profile_id: p.profile_id })).then(function (c) {
      TW.clear(box);
      box.appendChild(TW.el('p', { class: 'hint', text: TW.t('customer.consent_profile') }));
      TW.renderConsent(box, c);
    }, function (err) {
      TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  // loadMessages lists what journeys sent this person, or skipped and
  // why (consent, caps, quiet hours, a blocked content check).
  function loadMessages(id) {
    var box = TW.$('#c-messages');
    if (!box) return;
    TW.loading(box);
    TW.api('GET', '/v1/profiles/' + encodeURIComponent(id) + '/deliveries' + TW.qs({ limit: 50 })).then(function (res) {
      TW.clear(box).appendChild(TW.table([
        { label: TW.t('customer.when'), value: function (d) { return TW.dateTime(d.at); } },
        { label: TW.t('customer.journey'), value: function (d) { return TW.link('/journeys/' + encodeURIComponent(d.journey), d.journey); } },
        { label: TW.t('customer.step'), value: function (d) { return TW.el('span', null, TW.el('code', { text: d.step }), ' ', TW.el('span', { class: 'muted', text: TW.tOr('jsteptype.' + d.kind, d.kind) })); } },
        { label: TW.t('customer.status'), value: function (d) { return TW.deliveryStatus(d.status); } },
        { label: TW.t('customer.reason'), value: function (d) { return [d.reason, d.locale ? '[' + d.locale + ']' : ''].filter(Boolean).join(' '); } }
      ], res.deliveries || [], { empty: TW.t('customer.no_messages'), label: TW.t('customer.messages') }));
    }, function (err) {
      TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  var before = '';
  var tbody = null;
  function loadTimeline(id, more) {
    var box = TW.$('#c-timeline');
    var btn = TW.$('#c-more');
    var limit = 50;
    if (!more) { TW.loading(box); before = ''; }
    TW.busy(btn, TW.api('GET', '/v1/profiles/' + encodeURIComponent(id) + '/timeline' + TW.qs({ limit: limit, before: before }))).then(function (res) {
      var evs = res.events || [];
      var cols = timelineColumns();
      if (!more) { TW.clear(box); tbody = null; }
      if (!tbody) {
        if (evs.length === 0) {
          box.appendChild(TW.el('p', { class: 'empty', text: TW.t('customer.no_events') }));
          btn.hidden = true;
          return;
        }
        tbody = TW.el('tbody');
        box.appendChild(TW.el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': TW.t('customer.timeline') },
          TW.el('table', { class: 'data' },
            TW.el('thead', null, TW.el('tr', null, cols.map(function (c) { return TW.el('th', { scope: 'col', text: c.label }); }))),
            tbody)));
      }
      evs.forEach(function (e) {
        tbody.appendChild(TW.el('tr', null, cols.map(function (c) {
          var cell = TW.el('td');
          TW.append(cell, c.value(e));
          return cell;
        })));
      });
      if (evs.length) before = String(evs[evs.length - 1].seq);
      btn.hidden = evs.length < limit;
    }, function (err) {
      if (!more) TW.clear(box);
      TW.showError(box.appendChild(TW.el('div')), err);
    });
  }

  function eventSummary(e) {
    var p = e.properties && typeof e.properties === 'object' ? e.properties : {};
    var parts = [];
    if (p.order_id) parts.push('#' + p.order_id);
    var total = p.total !== undefined ? p.total : p.revenue;
    if (total !== undefined && total !== null) parts.push(TW.money(total, p.currency));
    if (p.rating !== undefined) parts.push('★ ' + p.rating);
    if (p.marketplace) parts.push(TW.market(p.marketplace));
    return parts.join(' · ');
  }

  function timelineColumns() {
    return [
      { label: TW.t('customer.when'), value: function (e) { return TW.dateTime(e.timestamp); } },
      { label: TW.t('customer.type'), value: function (e) { return TW.badge(e.type, e.type === 'track' ? 'info' : null); } },
      { label: TW.t('customer.event'), value: function (e) { return e.event || e.name || ''; } },
      { label: TW.t('customer.details'), value: function (e) {
        var s = eventSummary(e);
        var props = e.properties;
        if (!props || (typeof props === 'object' && Object.keys(props).length === 0)) return s;
        return TW.el('div', null, s ? TW.el('div', { text: s }) : null,
          TW.el('details', null, TW.el('summary', { text: TW.t('customer.properties') }), TW.el('pre', { text: TW.json(props) })));
      } },
      { label: TW.t('customer.source'), value: function (e) { return e.source_id; } }
    ];
  }

  TW.onReady(function () {
    var root = TW.$('#customer');
    if (!root) return;
    var id = root.getAttribute('data-profile-id');
    TW.api('GET', '/v1/profiles/' + encodeURIComponent(id)).then(function (p) {
      renderBadges(p);
      renderCards(p.computed || {});
      renderIdentities(p.identities);
      renderTraits(p.traits, p.masked);
      renderComputed(p.computed);
      renderPredictions(p.predictions);
      renderSegments(p.segments);
      renderDeviations(p.deviations);
      renderConsent(p);
      loadMessages(p.profile_id);
      loadTimeline(p.profile_id, false);
      TW.$('#c-more').addEventListener('click', function () { loadTimeline(p.profile_id, true); });
    }, function (err) {
      TW.clear(TW.$('#c-cards'));
      if (err.status === 404) TW.showNote(TW.$('#c-error'), TW.t('customer.not_found'), 'warn');
      else TW.showError(TW.$('#c-error'), err);
    });
  });
})();
