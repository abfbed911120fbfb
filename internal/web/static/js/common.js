// common.js: what every dashboard page shares: messages in the user's
// language, number and date formats for their locale, calls of the JSON API
// (with the session's CSRF token on changes), and a few DOM helpers. Values
// from the API only ever reach the page as text (textContent), never as
// HTML. The page scripts use it as the global TW.
(function (root) {
  'use strict';

  var I18N = root.TW_I18N || { lang: 'en', messages: {}, apiErrors: {}, apiErrorPrefixes: [] };
  var TW = {};
  TW.lang = I18N.lang === 'zh' ? 'zh' : 'en';
  TW.locale = TW.lang === 'zh' ? 'zh-CN' : 'en';

  // ---- messages ----

  // t returns the message key in the user's language, with {name}
  // placeholders replaced from vars; an unknown key comes back as itself.
  TW.t = function (key, vars) {
    var m = Object.prototype.hasOwnProperty.call(I18N.messages, key) ? I18N.messages[key] : key;
    if (vars) {
      m = m.replace(/\{(\w+)\}/g, function (all, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : all;
      });
    }
    return m;
  };

  // has reports whether the catalog has key.
  TW.has = function (key) {
    return Object.prototype.hasOwnProperty.call(I18N.messages, key);
  };

  // tOr is t(key) when the catalog has key, else fallback (data the catalog
  // may not know: a marketplace code, a permission added later).
  TW.tOr = function (key, fallback, vars) {
    return TW.has(key) ? TW.t(key, vars) : fallback;
  };

  // ---- formats ----

  function toNumber(v) {
    if (v === null || v === undefined || v === '') return NaN;
    return typeof v === 'number' ? v : Number(v);
  }
  TW.toNumber = toNumber;

  var DASH = '—';
  TW.DASH = DASH;

  // num formats a number (or a decimal string) for the locale.
  TW.num = function (v, digits) {
    var n = toNumber(v);
    if (!isFinite(n)) return DASH;
    var o = {};
    if (digits !== undefined) { o.minimumFractionDigits = digits; o.maximumFractionDigits = digits; }
    else { o.maximumFractionDigits = Math.abs(n) >= 100 ? 0 : 2; }
    return new Intl.NumberFormat(TW.locale, o).format(n);
  };

  // sig formats a number to a number of significant digits (4 by
  // default): fitted parameters, from 0.0001234 to 12,340.
  TW.sig = function (v, digits) {
    var n = toNumber(v);
    if (!isFinite(n)) return DASH;
    return new Intl.NumberFormat(TW.locale, { maximumSignificantDigits: digits || 4 }).format(n);
  };

  // money formats an amount in a currency (ISO code); without a currency
  // it is a plain number.
  TW.money = function (v, currency, digits) {
    var n = toNumber(v);
    if (!isFinite(n)) return DASH;
    if (!currency) return TW.num(n, digits === undefined ? 2 : digits);
    var o = { style: 'currency', currency: currency };
    if (digits !== undefined) { o.minimumFractionDigits = digits; o.maximumFractionDigits = digits; }
    try {
      return new Intl.NumberFormat(TW.locale, o).format(n);
    } catch (e) {
      return TW.num(n, 2) + ' ' + currency;
    }
  };

  // compactMoney is money for chart axes: 12.3K, 1.2万.
  TW.compact = function (v) {
    var n = toNumber(v);
    if (!isFinite(n)) return DASH;
    return new Intl.NumberFormat(TW.locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
  };

  // pct formats a share (0–1) as a percentage.
  TW.pct = function (v, digits) {
    var n = toNumber(v);
    if (!isFinite(n)) return DASH;
    return new Intl.NumberFormat(TW.locale, { style: 'percent', maximumFractionDigits: digits === undefined ? 1 : digits, minimumFractionDigits: 0 }).format(n);
  };

  // parseTime reads an RFC 3339 time; Go's zero time and garbage are null.
  TW.parseTime = function (v) {
    if (!v) return null;
    var d = v instanceof Date ? v : new Date(v);
    if (isNaN(d.getTime()) || d.getUTCFullYear() < 1971) return null;
    return d;
  };

  TW.date = function (v) {
    var d = TW.parseTime(v);
    return d ? new Intl.DateTimeFormat(TW.locale, { dateStyle: 'medium' }).format(d) : DASH;
  };

  TW.dateTime = function (v) {
    var d = TW.parseTime(v);
    return d ? new Intl.DateTimeFormat(TW.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d) : DASH;
  };

  // day formats a calendar day (YYYY-MM-DD, or a time read as its UTC
  // day) as a date, the same everywhere on earth.
  TW.day = function (v) {
    var d = TW.parseTime(typeof v === 'string' && /^\d{4}-\d\d-\d\d$/.test(v) ? v + 'T00:00:00Z' : v);
    return d ? new Intl.DateTimeFormat(TW.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d) : DASH;
  };

  // isoDay is the UTC day of a time, YYYY-MM-DD.
  TW.isoDay = function (v) {
    var d = TW.parseTime(v);
    return d ? d.toISOString().slice(0, 10) : '';
  };

  // channel names an acquisition channel ("paid_search").
  TW.channel = function (code) {
    if (code === null || code === undefined || code === '') return TW.t('common.none');
    return TW.tOr('channel.' + code, String(code));
  };

  var storeNames = {};

  // market names a marketplace code ("amazon_de"), or a store without one
  // ("store:kiteline.example", by its source's name when known).
  TW.market = function (code) {
    if (code === null || code === undefined || code === '') return TW.t('common.none');
    code = String(code);
    if (code.indexOf('store:') === 0) return storeNames[code.slice(6)] || code.slice(6);
    return TW.tOr('mp.' + code, code);
  };

  // loadStoreNames learns the names of the sources of each store (for
  // orders without a marketplace), if the role may list sources; it always
  // resolves.
  TW.loadStoreNames = function () {
    if (!TW.can('sources.read')) return Promise.resolve();
    return TW.api('GET', '/v1/sources').then(function (res) {
      var by = {};
      (res.sources || []).forEach(function (s) {
        if (!s.store) return;
        (by[s.store] = by[s.store] || []).push(s.name);
      });
      Object.keys(by).forEach(function (st) { storeNames[st] = by[st].sort().join(' / '); });
    }, function () {});
  };

  // list reads a list value: a JSON array, or the "[a b]" text some API
  // answers give for a list of strings.
  TW.list = function (v) {
    if (Array.isArray(v)) return v;
    if (typeof v === 'string') {
      var m = /^\[(.*)\]$/.exec(v.trim());
      if (m) return m[1].trim() ? m[1].trim().split(/\s+/) : [];
      return v ? [v] : [];
    }
    return [];
  };

  // ---- predictions ----

  // tierBadge shows a churn tier (high, medium, low) as a badge.
  TW.tierBadge = function (tier) {
    if (!tier) return TW.badge(TW.t('tier.none'), 'muted');
    return TW.badge(TW.tOr('tier.' + tier, tier), { high: 'bad', medium: 'warn', low: 'ok' }[tier] || 'muted');
  };

  // The reasons the churn model gives (internal/predict: describe and
  // baselineReasons), each a pattern and the catalog key that says it in
  // the user's language; the numbers are formatted for the locale.
  var REASONS = [
    [/^no order in (\d+) days, ([\d.]+)× their usual gap$/, 'reason.gap', ['days', 'x']],
    [/^no order in (\d+) days since their only purchase$/, 'reason.only_purchase', ['days']],
    [/^only (\d+) orders? so far$/, 'reason.orders_so_far', ['n']],
    [/^first bought (\d+) days ago$/, 'reason.first_bought', ['days']],
    [/^spends ([\d.]+) per order$/, 'reason.spends', ['amount']],
    [/^no order in the last 180 days$/, 'reason.no_order_180', []],
    [/^(\d+) orders? in the last 90 days against (\d+) in the 90 before$/, 'reason.trend', ['n', 'before']],
    [/^no visit in the last 30 days$/, 'reason.no_visit_30', []],
    [/^only (\d+) visits? in the last 30 days$/, 'reason.visits_30', ['n']],
    [/^never seen on the site or app$/, 'reason.never_seen', []],
    [/^no visit in (\d+) days$/, 'reason.no_visit', ['days']],
    [/^nothing added to a cart in the last 30 days$/, 'reason.no_cart', []],
    [/^(\d+) refunds?$/, 'reason.refunds', ['n']],
    [/^has never reviewed a product$/, 'reason.no_review', []],
    [/^(\d+) reviews?$/, 'reason.reviews', ['n']],
    [/^average review rating ([\d.]+)$/, 'reason.rating', ['r']],
    [/^purchase pattern gives (\d+)% odds they are still a customer$/, 'reason.p_alive', ['pct']],
    [/^buys on (\S+)$/, 'reason.buys_on', ['market']],
    [/^does not buy on (\S+)$/, 'reason.not_on', ['market']],
    [/^came through (.+)$/, 'reason.came_through', ['channel']]
  ];

  // reason says one reason of a churn prediction in the user's language;
  // one the catalog does not know is shown as the model wrote it.
  TW.reason = function (text) {
    text = String(text || '');
    for (var i = 0; i < REASONS.length; i++) {
      var m = REASONS[i][0].exec(text);
      if (!m) continue;
      var vars = {};
      REASONS[i][2].forEach(function (name, j) {
        var v = m[j + 1];
        if (name === 'market') vars[name] = TW.market(v);
        else if (name === 'channel') vars[name] = TW.tOr('channel.' + v.replace(/ /g, '_'), v);
        else if (name === 'amount') vars[name] = TW.money(v, TW.base());
        else if (name === 'pct') vars[name] = TW.pct(Number(v) / 100, 0);
        else vars[name] = TW.num(v, name === 'x' || name === 'r' ? 1 : 0);
      });
      return TW.t(REASONS[i][1], vars);
    }
    return text;
  };

  // reasonList shows the reasons of a churn prediction as a list.
  TW.reasonList = function (reasons) {
    var list = TW.list(reasons);
    if (!list.length) return TW.el('span', { class: 'muted', text: TW.t('common.none') });
    return TW.el('ul', { class: 'reasons' }, list.map(function (r) { return TW.el('li', { text: TW.reason(r) }); }));
  };

  // ---- journeys ----

  // deliveryStatus shows the status of a journey's delivery (delivered,
  // skipped, failed, dead) as a badge.
  TW.deliveryStatus = function (s) {
    return TW.badge(TW.tOr('jdelivery.' + s, s || DASH), { delivered: 'ok', skipped: 'muted', failed: 'warn', dead: 'bad' }[s] || 'info');
  };

  // ---- the API ----

  function meta(name) {
    if (typeof document === 'undefined') return '';
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute('content') || '' : '';
  }

  var GRADE_KIND = { critical: 'bad', warning: 'warn', info: 'info' };

  // alertGrade is an alert's grade as a badge (alerts inbox, overview).
  TW.alertGrade = function (g) {
    return TW.badge(TW.tOr('grade.' + g, g || TW.DASH), GRADE_KIND[g] || 'muted');
  };

  function decode(v) {
    try { return decodeURIComponent(String(v).replace(/\+/g, ' ')); } catch (e) { return String(v); }
  }

  function countryName(code) {
    try {
      var n = new Intl.DisplayNames([TW.locale], { type: 'region' }).of(String(code).toUpperCase());
      if (n) return n;
    } catch (e) { /* not a region code */ }
    return code;
  }

  // alertSeries says an alert's series key in words: "all", or dimension=value
  // pairs joined by "," (values query-escaped), e.g. marketplace=amazon_de.
  TW.alertSeries = function (key) {
    key = String(key || '');
    if (!key || key === 'all') return TW.t('alerts.series_all');
    return key.split(',').map(function (pair) {
      var i = pair.indexOf('=');
      if (i < 0) return decode(pair);
      var dim = pair.slice(0, i), v = decode(pair.slice(i + 1));
      var value = dim === 'marketplace' ? TW.market(v) : dim === 'country' ? countryName(v) : dim === 'channel' ? TW.channel(v) : v;
      return TW.t('alerts.series_pair', { dim: TW.tOr('dim.' + dim, dim), value: value });
    }).join(' · ');
  };

  TW.csrf = function () { return meta('csrf-token'); };

  // APIError is an answer of the API that is not a success: status, the
  // API's own message, the field it names, and the message to show.
  function APIError(status, body) {
    this.name = 'APIError';
    this.status = status;
    this.apiMessage = body && typeof body.error === 'string' ? body.error : '';
    this.field = body && typeof body.field === 'string' ? body.field : '';
    // body is the whole answer, for the pages that read more of it (the
    // reasons of a journey that content compliance blocks).
    this.body = body && typeof body === 'object' ? body : null;
    this.message = TW.errorMessage(status, this.apiMessage);
  }
  APIError.prototype = Object.create(Error.prototype);
  APIError.prototype.constructor = APIError;
  TW.APIError = APIError;

  // errorMessage is what to tell the user about a failed call: the API's
  // message in their language when it is one of ours, else the API's own
  // message, else what the status says.
  TW.errorMessage = function (status, apiMessage) {
    var key = apiMessage && I18N.apiErrors[apiMessage];
    if (key) return TW.t(key);
    var prefixes = I18N.apiErrorPrefixes || [];
    for (var i = 0; i < prefixes.length; i++) {
      var p = prefixes[i];
      if (apiMessage && apiMessage.indexOf(p.prefix) === 0) {
        return TW.t(p.key, { rest: apiMessage.slice(p.prefix.length) });
      }
    }
    if (apiMessage) return apiMessage;
    if (status === 0) return TW.t('err.network');
    if (status === 401) return TW.t('err.signed_out');
    if (status === 403) return TW.t('err.forbidden_plain');
    if (status === 404) return TW.t('err.not_found');
    if (status === 429) return TW.t('err.rate_limited');
    if (status >= 500) return TW.t('err.server', { status: status });
    return TW.t('err.status', { status: status });
  };

  // safePath reports whether p is a path of this site ("/customers?x=1"),
  // not another site's address ("//evil.example", "https://…", "/\\evil").
  TW.safePath = function (p) {
    return typeof p === 'string' && p.charAt(0) === '/' && p.charAt(1) !== '/' && p.charAt(1) !== '\\' && !/[\u0000-\u001f]/.test(p);
  };

  // onSignedOut is what a 401 does: back to the sign-in page, and from there
  // back to this page.
  TW.onSignedOut = function () {
    if (typeof location === 'undefined') return;
    location.assign('/login' + TW.qs({ next: location.pathname + location.search }));
  };

  // api calls the JSON API: method, path (with its query), and a body sent
  // as JSON. It resolves to the decoded answer (null for 204) and rejects
  // with an APIError; a 401 (the session ended) goes to the sign-in page.
  TW.api = function (method, path, body, opts) {
    opts = opts || {};
    var headers = { 'Accept': 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (!/^(GET|HEAD|OPTIONS)$/.test(method)) headers['X-CSRF-Token'] = TW.csrf();
    var init = { method: method, headers: headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (opts.signal) init.signal = opts.signal;
    return fetch(path, init).then(function (res) {
      var ct = res.headers.get('Content-Type') || '';
      var parse = res.status === 204 ? Promise.resolve(null)
        : ct.indexOf('json') >= 0 ? res.json().catch(function () { return null; })
        : res.text().then(function () { return null; });
      return parse.then(function (data) {
        if (res.ok) return data;
        if (res.status === 401 && !opts.noRedirect) TW.onSignedOut();
        throw new APIError(res.status, data);
      });
    }, function (err) {
      if (err && err.name === 'AbortError') throw err;
      throw new APIError(0, null);
    });
  };

  // sql runs a read-only query through POST /v1/query and gives its rows
  // as objects keyed by column.
  TW.sql = function (query, opts) {
    return TW.api('POST', '/v1/query', { sql: query }, opts).then(function (res) {
      return TW.rowsOf(res);
    });
  };

  // rowsOf turns a query answer (columns, rows) into objects.
  TW.rowsOf = function (res) {
    var cols = (res && res.columns) || [];
    return ((res && res.rows) || []).map(function (r) {
      var o = {};
      for (var i = 0; i < cols.length; i++) o[cols[i]] = r[i];
      return o;
    });
  };

  // qs builds a query string from params, leaving out empty values.
  TW.qs = function (params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === undefined || v === null || v === '') return;
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
    });
    return parts.length ? '?' + parts.join('&') : '';
  };

  // can reports whether the signed-in user's role allows perm (to hide
  // what they cannot use; the API checks again).
  TW.can = function (perm) {
    if (typeof document === 'undefined' || !document.body) return false;
    var ps = (document.body.getAttribute('data-perms') || '').split(' ');
    return ps.indexOf(perm) >= 0;
  };

  // ---- identifiers ----

  // identifier reads an identifier from a kind ("email", "phone",
  // "user_id", "anonymous_id"), a value and, for a user id, a source: the
  // object the API takes ({"email": …} or {"user_id": …, "source": …}), or
  // an error message key.
  TW.identifier = function (kind, value, source) {
    value = (value || '').trim();
    source = (source || '').trim();
    if (!value) return { error: 'err.identifier_value' };
    var out = {};
    switch (kind) {
      case 'email': out.email = value; break;
      case 'phone': out.phone = value; if (source) out.source = source; break;
      case 'user_id':
        if (!source) return { error: 'err.identifier_source' };
        out.user_id = value; out.source = source; break;
      case 'anonymous_id': out.anonymous_id = value; break;
      default: return { error: 'err.identifier_kind' };
    }
    return { identifier: out };
  };

  // base is the base currency, if the server said it.
  TW.base = function () {
    if (typeof document === 'undefined' || !document.body) return '';
    return document.body.getAttribute('data-base-currency') || '';
  };

  // ---- identifier forms (templates/layout.html "identifier") ----

  // wireIdentifier shows the source field for the identifier kinds that
  // take one, and fills the sources list when the role may read sources.
  TW.wireIdentifier = function (form) {
    var kind = form.querySelector('[data-id-kind]');
    var source = form.querySelector('[data-id-source]');
    var value = form.elements.value;
    var placeholders = { email: 'jane@example.com', phone: '+49 30 1234567', user_id: 'u-1001', anonymous_id: 'a1b2c3…' };
    function sync() {
      var k = kind.value;
      if (source) source.hidden = !(k === 'user_id' || k === 'phone');
      if (form.elements.source) form.elements.source.required = k === 'user_id';
      value.type = k === 'email' ? 'email' : k === 'phone' ? 'tel' : 'text';
      value.placeholder = placeholders[k] || '';
    }
    kind.addEventListener('change', sync);
    sync();
  };

  var sourcesLoaded = false;
  TW.loadSourceList = function () {
    var list = TW.$('#sources-list');
    if (!list || sourcesLoaded || !TW.can('sources.read')) return;
    sourcesLoaded = true;
    TW.api('GET', '/v1/sources').then(function (res) {
      (res.sources || []).forEach(function (s) {
        list.appendChild(TW.el('option', { value: s.id, text: s.name }));
      });
    }, function () { /* the field still takes a typed id */ });
  };

  // readIdentifier reads an identifier form, or shows what is missing.
  TW.readIdentifier = function (form, errBox) {
    var r = TW.identifier(form.elements.kind.value, form.elements.value.value,
      form.elements.source ? form.elements.source.value : '');
    if (r.error) {
      TW.showError(errBox, { message: TW.t(r.error) });
      return null;
    }
    TW.hide(errBox);
    return r.identifier;
  };

  // renderConsent shows a consent answer (GET /v1/consent): the current
  // decision per purpose, then the history.
  TW.renderConsent = function (box, c) {
    var current = (c && c.current) || {};
    var purposes = Object.keys(current).sort();
    if (purposes.length === 0) {
      box.appendChild(TW.el('p', { class: 'empty', text: TW.t('consent.none') }));
    } else {
      box.appendChild(TW.el('div', { class: 'badges' }, purposes.map(function (p) {
        var d = current[p];
        return TW.badge(TW.tOr('purpose.' + p, p) + ': ' + TW.t(d.granted ? 'consent.granted' : 'consent.denied'), d.granted ? 'ok' : 'bad');
      })));
    }
    var hist = (c && c.history) || [];
    if (hist.length) {
      box.appendChild(TW.el('h3', { text: TW.t('consent.history') }));
      box.appendChild(TW.table([
        { label: TW.t('consent.when'), value: function (d) { return TW.dateTime(d.timestamp); } },
        { label: TW.t('consent.purpose'), value: function (d) { return TW.tOr('purpose.' + d.purpose, d.purpose); } },
        { label: TW.t('consent.decision'), value: function (d) { return TW.badge(TW.t(d.granted ? 'consent.granted' : 'consent.denied'), d.granted ? 'ok' : 'bad'); } },
        { label: TW.t('consent.basis'), value: function (d) { return d.lawful_basis ? TW.tOr('basis.' + d.lawful_basis, d.lawful_basis) : ''; } },
        { label: TW.t('consent.origin'), value: function (d) { return TW.tOr('origin.' + d.origin, d.origin); } },
        { label: TW.t('consent.proof'), value: function (d) { return d.proof || ''; } },
        { label: TW.t('consent.source'), value: function (d) { return d.source; } }
      ], hist.slice(0, 50), { label: TW.t('consent.history') }));
    }
  };

  // reducedMotion reports whether the user asked the system for less
  // motion: charts then appear at once instead of animating in.
  TW.reducedMotion = function () {
    return typeof window !== 'undefined' && typeof window.matchMedia === 'function' &&
      window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  };

  // ---- DOM ----

  // el makes an element: attrs are attributes (text sets textContent,
  // class the class, on<event> a listener, a false or null value leaves the
  // attribute out); children are nodes or strings (as text).
  TW.el = function (tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') e.textContent = String(v);
        else if (k === 'class') e.className = v;
        else if (k.slice(0, 2) === 'on' && typeof v === 'function') e.addEventListener(k.slice(2), v);
        else if (v === true) e.setAttribute(k, '');
        else e.setAttribute(k, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  };

  function append(parent, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(parent, x); }); return; }
    parent.appendChild(typeof c === 'object' && c.nodeType ? c : document.createTextNode(String(c)));
  }
  TW.append = append;

  TW.clear = function (node) {
    while (node && node.firstChild) node.removeChild(node.firstChild);
    return node;
  };

  TW.$ = function (sel, root) { return (root || document).querySelector(sel); };
  TW.$$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  // badge is a small label; kind is ok, warn, bad, info or muted.
  TW.badge = function (text, kind) {
    return TW.el('span', { class: 'badge' + (kind ? ' badge-' + kind : ''), text: text });
  };

  // card is a key figure: a label, a value (long values in a smaller
  // type) and an optional line below (a node, or text).
  TW.card = function (label, value, sub, title) {
    value = String(value);
    return TW.el('div', { class: 'card' },
      TW.el('div', { class: 'label', text: label }),
      TW.el('div', { class: 'value' + (value.length > 11 ? ' value-long' : ''), text: value, title: title || null }),
      typeof sub === 'string' ? TW.el('div', { class: 'delta muted', text: sub }) : sub || null);
  };

  // link to a page of the dashboard.
  TW.link = function (href, text) {
    return TW.el('a', { href: href, text: text });
  };

  // table builds a table: columns are {label, value(row) → node or text,
  // num (right-aligned)}; an empty list shows the empty message instead.
  TW.table = function (columns, rows, opts) {
    opts = opts || {};
    if (!rows || rows.length === 0) {
      return TW.el('p', { class: 'empty', text: opts.empty || TW.t('common.empty') });
    }
    var thead = TW.el('thead', null, TW.el('tr', null, columns.map(function (c) {
      return TW.el('th', { scope: 'col', class: c.num ? 'num' : null, text: c.label });
    })));
    var tbody = TW.el('tbody', null, rows.map(function (r) {
      return TW.el('tr', null, columns.map(function (c, i) {
        var v = c.value(r);
        var cell = TW.el(i === 0 && opts.rowHeader ? 'th' : 'td', { class: c.num ? 'num' : null, scope: i === 0 && opts.rowHeader ? 'row' : null });
        append(cell, v === null || v === undefined || v === '' ? DASH : v);
        return cell;
      }));
    }));
    var t = TW.el('table', { class: 'data' }, opts.caption ? TW.el('caption', { text: opts.caption }) : null, thead, tbody);
    return TW.el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.caption || opts.label || null }, t);
  };

  // showError puts err's message into a box (role=alert) and returns it.
  TW.showError = function (box, err) {
    if (!box) return null;
    var msg = err && err.message ? err.message : TW.t('err.unknown');
    TW.clear(box);
    box.hidden = false;
    box.classList.add('alert', 'alert-error');
    box.setAttribute('role', 'alert');
    box.textContent = msg;
    return box;
  };

  // showNote puts an informational message into box.
  TW.showNote = function (box, text, kind) {
    if (!box) return null;
    TW.clear(box);
    box.hidden = false;
    box.className = 'alert alert-' + (kind || 'info');
    box.setAttribute('role', 'status');
    box.textContent = text;
    return box;
  };

  TW.hide = function (box) {
    if (box) { TW.clear(box); box.hidden = true; }
  };

  // loading replaces the contents of node with a "loading" line.
  TW.loading = function (node) {
    TW.clear(node);
    node.appendChild(TW.el('p', { class: 'loading', text: TW.t('common.loading') }));
    return node;
  };

  // fieldError marks the form input named by an API error's field.
  TW.fieldError = function (form, err) {
    TW.$$('[aria-invalid="true"]', form).forEach(function (i) { i.removeAttribute('aria-invalid'); });
    if (!err || !err.field) return;
    var input = form.querySelector('[name="' + err.field.replace(/[^\w.]/g, '') + '"]');
    if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
  };

  // debounce calls fn ms after the last of a run of calls.
  TW.debounce = function (fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  };

  // busy disables a button while a promise runs.
  TW.busy = function (button, promise) {
    if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
    var done = function () { if (button) { button.disabled = false; button.removeAttribute('aria-busy'); } };
    return promise.then(function (v) { done(); return v; }, function (e) { done(); throw e; });
  };

  // json shows a JSON value as indented text (in a <pre>).
  TW.json = function (v) {
    try { return JSON.stringify(v, null, 2); } catch (e) { return String(v); }
  };

  // copyButton copies the text of target to the clipboard.
  TW.copyButton = function (getText) {
    var b = TW.el('button', { type: 'button', class: 'btn btn-small', text: TW.t('common.copy') });
    b.addEventListener('click', function () {
      if (navigator.clipboard) {
        navigator.clipboard.writeText(getText()).then(function () { b.textContent = TW.t('common.copied'); });
      }
    });
    return b;
  };

  // onReady runs fn once the page is parsed.
  TW.onReady = function (fn) {
    if (typeof document === 'undefined') return;
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  };

  // ---- the layout: navigation, sign-out ----

  TW.onReady(function () {
    var toggle = TW.$('#nav-toggle');
    var nav = TW.$('#site-nav');
    if (toggle && nav) {
      toggle.addEventListener('click', function () {
        var open = toggle.getAttribute('aria-expanded') === 'true';
        toggle.setAttribute('aria-expanded', open ? 'false' : 'true');
        nav.classList.toggle('open', !open);
      });
    }
    var out = TW.$('#sign-out');
    if (out) {
      out.addEventListener('click', function () {
        TW.busy(out, TW.api('POST', '/v1/auth/logout', undefined, { noRedirect: true })).then(function () {
          location.assign('/login');
        }, function (err) {
          if (err && err.status === 401) { location.assign('/login'); return; }
          var box = TW.$('#layout-error');
          TW.showError(box, err);
        });
      });
    }
  });

  root.TW = TW;
  if (typeof module === 'object' && module.exports) module.exports = TW;
})(typeof window !== 'undefined' ? window : globalThis);
