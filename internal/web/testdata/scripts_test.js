// Unit tests of the dashboard's scripts, run by TestScripts with Node.js:
// node testdata/scripts_test.js DIR, where DIR holds i18n-en.js and
// i18n-zh.js (generated from the Go catalog). Each language gets a fresh
// context with a minimal document, the catalog, common.js and the page
// scripts whose pure parts are exposed for testing.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const assert = require('assert');

const dir = process.argv[2];
const js = (name) => fs.readFileSync(path.join(__dirname, '..', 'static', 'js', name), 'utf8');

function load(lang) {
  const metas = { 'csrf-token': 'tok-123' };
  const document = {
    readyState: 'complete',
    querySelector(sel) {
      const m = /meta\[name="([^"]+)"\]/.exec(sel);
      if (m && metas[m[1]] !== undefined) return { getAttribute: () => metas[m[1]] };
      return null;
    },
    querySelectorAll() { return []; },
    body: { getAttribute: (n) => ({ 'data-perms': 'dashboard.read query.sql', 'data-base-currency': 'USD' })[n] || '' },
  };
  const ctx = vm.createContext({ console, Intl, Date, Math, JSON, Promise, setTimeout, clearTimeout, URLSearchParams, document });
  ctx.window = ctx;
  vm.runInContext(fs.readFileSync(path.join(dir, 'i18n-' + lang + '.js'), 'utf8'), ctx);
  for (const f of ['common.js', 'overview.js', 'segments.js', 'sources.js', 'predictions.js', 'voc.js', 'alerts.js']) vm.runInContext(js(f), ctx, { filename: f });
  return ctx;
}

let failures = 0;
async function test(name, fn) {
  try {
    await fn();
    console.log('ok   ' + name);
  } catch (e) {
    failures++;
    console.log('FAIL ' + name + '\n     ' + (e && e.stack || e));
  }
}

(async () => {
  const en = load('en'), zh = load('zh');
  const E = en.TW, Z = zh.TW;

  await test('languages', () => {
    assert.strictEqual(E.lang, 'en');
    assert.strictEqual(Z.lang, 'zh');
    assert.strictEqual(Z.locale, 'zh-CN');
  });

  await test('messages with placeholders', () => {
    assert.strictEqual(E.t('overview.vs_previous', { days: 30 }), 'vs the 30 days before');
    assert.strictEqual(Z.t('overview.vs_previous', { days: 30 }), '较前 30 天');
    assert.strictEqual(E.t('no.such.key'), 'no.such.key');
    assert.strictEqual(E.t('privacy.days_left', {}), '{n} days left');
    assert.strictEqual(E.tOr('mp.nowhere', 'nowhere'), 'nowhere');
  });

  await test('API errors in the user language, or as the API says', () => {
    assert.strictEqual(E.errorMessage(401, 'e-mail or password is wrong'), 'E-mail or password is wrong.');
    assert.strictEqual(Z.errorMessage(401, 'e-mail or password is wrong'), '邮箱或密码错误。');
    assert.strictEqual(Z.errorMessage(403, 'your role does not allow this: it needs the permission query.sql'), '你的角色无权执行此操作（需要权限 query.sql）。');
    assert.strictEqual(E.errorMessage(429, 'too many requests; retry after 3s'), 'Too many requests. Try again in 3s.');
    assert.strictEqual(Z.errorMessage(400, 'rule: line 1, column 5: expected a value'), 'rule: line 1, column 5: expected a value');
    assert.ok(Z.errorMessage(0, '').indexOf('无法连接') === 0);
    assert.ok(E.errorMessage(502, '').indexOf('502') > 0);
    assert.strictEqual(E.errorMessage(404, ''), 'Not found.');
  });

  await test('identifiers', () => {
    assert.deepStrictEqual(JSON.parse(JSON.stringify(E.identifier('email', ' jane@example.com ', ''))), { identifier: { email: 'jane@example.com' } });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(E.identifier('user_id', 'u-1', 'shop'))), { identifier: { user_id: 'u-1', source: 'shop' } });
    assert.strictEqual(E.identifier('user_id', 'u-1', '').error, 'err.identifier_source');
    assert.strictEqual(E.identifier('email', '  ', '').error, 'err.identifier_value');
    assert.strictEqual(E.identifier('fax', '1', '').error, 'err.identifier_kind');
  });

  await test('only local paths are followed after sign-in', () => {
    for (const ok of ['/', '/customers/p1', '/audit?action=auth.']) assert.ok(E.safePath(ok), ok);
    for (const bad of ['', '//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/a\nb']) assert.ok(!E.safePath(bad), bad);
  });

  await test('lists, as arrays or as the text some answers give', () => {
    assert.strictEqual(E.list(['a', 'b']).join(), 'a,b');
    assert.strictEqual(E.list('[paid_search paid_social]').join(), 'paid_search,paid_social');
    assert.strictEqual(E.list('[]').length, 0);
    assert.strictEqual(E.list(null).length, 0);
  });

  await test('query strings', () => {
    assert.strictEqual(E.qs({ a: '', b: 'x y', c: null, d: 0 }), '?b=x%20y&d=0');
    assert.strictEqual(E.qs({}), '');
  });

  await test('formats follow the locale', () => {
    assert.strictEqual(E.money(1234.5, 'USD'), '$1,234.50');
    assert.strictEqual(Z.money('1234.5000', 'USD'), 'US$1,234.50');
    assert.strictEqual(E.money(null, 'USD'), '—');
    assert.strictEqual(E.pct(0.256), '25.6%');
    assert.strictEqual(E.sig(1234.5678), '1,235');
    assert.strictEqual(E.sig(0.000123456), '0.0001235');
    assert.strictEqual(E.num(1234567), '1,234,567');
    assert.strictEqual(E.date('0001-01-01T00:00:00Z'), '—');
    assert.ok(/2026/.test(Z.date('2026-03-05T10:00:00Z')));
    assert.strictEqual(E.market('amazon_de'), 'Amazon DE');
    assert.strictEqual(Z.market('amazon_de'), '亚马逊德国站');
    assert.strictEqual(Z.market('store:kiteline.example'), 'kiteline.example');
    assert.strictEqual(E.market('walmart_ca'), 'walmart_ca');
    assert.strictEqual(E.base(), 'USD');
  });

  await test('rows of a query answer', () => {
    const rows = E.rowsOf({ columns: ['a', 'b'], rows: [[1, 'x'], [2, 'y']] });
    assert.strictEqual(rows.length, 2);
    assert.strictEqual(rows[1].b, 'y');
  });

  await test('overview summary', () => {
    const s = E.overview.summarize([
      { market: null, cur: true, orders: 10, revenue: '1000.0000', priced_orders: 10, customers: 8, repeat_customers: 2, base_currency: 'EUR' },
      { market: null, cur: false, orders: 5, revenue: '400', priced_orders: 5, customers: 5, repeat_customers: 0 },
      { market: 'amazon_de', cur: true, orders: 4, revenue: '300', priced_orders: 4, customers: 4, repeat_customers: 0 },
      { market: 'amazon_us', cur: true, orders: 6, revenue: '700', priced_orders: 6, customers: 4, repeat_customers: 2 },
      { market: 'amazon_fr', cur: false, orders: 1, revenue: '10', priced_orders: 1, customers: 1, repeat_customers: 0 },
    ]);
    assert.strictEqual(s.base, 'EUR');
    assert.strictEqual(s.total.cur.revenue, 1000);
    assert.strictEqual(s.list.map((m) => m.market).join(), 'amazon_us,amazon_de');
    assert.strictEqual(E.overview.change(150, 100), 0.5);
    assert.ok(Number.isNaN(E.overview.change(1, 0)));
  });

  await test('overview buckets cover the period without gaps', () => {
    const d = E.overview.buckets(30);
    assert.strictEqual(d.length, 31);
    const w = E.overview.buckets(365);
    assert.ok(w.length >= 53 && w.length <= 54);
    for (const x of w) assert.strictEqual(new Date(x + 'T00:00:00Z').getUTCDay(), 1);
  });

  await test('chart axes show short days', () => {
    assert.strictEqual(E.overview.shortDay('2026-08-24'), 'Aug 24');
    assert.strictEqual(Z.overview.shortDay('2026-08-24'), '8月24日');
    assert.strictEqual(E.overview.shortDay('nope'), '');
  });

  await test('cluster descriptions are translated phrase by phrase', () => {
    assert.strictEqual(Z.segments.describe('buy often, large baskets'), '购买频繁，客单价高');
    assert.strictEqual(Z.segments.describe('buy often, something new'), '购买频繁，something new');
    assert.strictEqual(E.segments.describe('close to the average customer'), 'close to the average customer');
  });

  await test('RFM tints keep dark text readable', () => {
    assert.strictEqual(E.segments.tint([0, 0, 0], 1), 'rgb(77,77,77)');
    assert.strictEqual(E.segments.tint([0, 0, 0], 0), 'rgb(230,230,230)');
  });

  await test('sources page: rates, places and the chart', () => {
    assert.strictEqual(E.sources.rate(191.8), '192/min');
    assert.strictEqual(E.sources.rate(0.03), '0.03/min');
    assert.strictEqual(Z.sources.rate(7.99), '7.99 条/分钟');
    assert.strictEqual(E.sources.rate(null), '—');
    assert.strictEqual(E.sources.where({ import_id: 'imp_1', line: 12, index: null, seq: null }), 'import imp_1 · line 12');
    assert.strictEqual(Z.sources.where({ index: 3 }), '批次第 3 条');
    assert.strictEqual(E.sources.where({ line: null, index: null, seq: null }), '');
    const series = [];
    for (let i = 0; i < 9; i++) series.push({ source_id: 's' + i, name: 'S' + i, events: 9 - i, per_minute: [i, 1] });
    const opt = E.sources.rateOption({ window: 'hour', buckets: ['2026-11-22T10:00:00Z', '2026-11-22T10:01:00Z'], series, quarantined_per_minute: [0, 2] });
    // The seven busiest, the rest summed, and the quarantine.
    assert.strictEqual(opt.series.length, 9);
    assert.strictEqual(opt.series[7].name, 'Other sources');
    assert.deepStrictEqual(Array.from(opt.series[7].data), [15, 2]);
    assert.strictEqual(opt.series[8].type, 'bar');
    assert.strictEqual(opt.xAxis.data.length, 2);
    assert.strictEqual(opt.animation, true);
  });

  await test('churn reasons in the user language', () => {
    assert.strictEqual(E.reason('no order in 249 days, 41.5× their usual gap'), 'no order in 249 days, 41.5× their usual gap');
    assert.strictEqual(Z.reason('no order in 249 days, 41.5× their usual gap'), '已 249 天未下单，是其常规间隔的 41.5 倍');
    assert.strictEqual(Z.reason('purchase pattern gives 15% odds they are still a customer'), '按购买规律，仍是活跃客户的概率为 15%');
    assert.strictEqual(E.reason('spends 12.50 per order'), 'spends $12.50 per order');
    assert.strictEqual(Z.reason('buys on amazon_de'), '在亚马逊德国站购买');
    assert.strictEqual(Z.reason('came through paid search'), '来自搜索广告');
    assert.strictEqual(E.reason('came through carrier pigeon'), 'came through carrier pigeon');
    assert.strictEqual(Z.reason('1 order in the last 90 days against 3 in the 90 before'), '近 90 天下单 1 次，之前 90 天 3 次');
    assert.strictEqual(Z.reason('something the catalog does not know'), 'something the catalog does not know');
  });

  await test('dates of calendar days do not move with the time zone', () => {
    assert.strictEqual(E.day('2026-11-22'), 'Nov 22, 2026');
    assert.strictEqual(Z.day('2026-11-22'), '2026年11月22日');
    assert.strictEqual(E.day(''), '—');
  });

  await test('predictions page: labels, verdicts and charts', () => {
    const P = E.predictions, PZ = Z.predictions;
    assert.strictEqual(P.bucketLabel({ from: 16, to: 32 }, 'USD'), '$16–$32');
    assert.strictEqual(P.bucketLabel({ from: 0, to: 1 }, 'USD'), 'below $1');
    assert.strictEqual(P.bucketLabel({ from: null, to: null }, 'USD'), 'unknown');
    assert.strictEqual(P.decileLabel(7), '70%–80%');
    assert.strictEqual(P.featureName('days_since_visit'), 'Days since last visit');
    assert.strictEqual(PZ.featureName('market:amazon_jp'), '在亚马逊日本站购买');
    assert.strictEqual(P.featureName('channel:paid_social'), 'Came through Paid social');
    assert.strictEqual(P.featureName('brand_new_feature'), 'brand_new_feature');
    assert.strictEqual(P.groupName('tier', 'high'), 'High');
    assert.strictEqual(PZ.groupName('marketplace', '(none)'), '（无）');
    assert.strictEqual(P.groupName('segment', 'seg_x', { seg_x: 'VIPs' }), 'VIPs');
    assert.strictEqual(P.groupName('channel', 'paid_search'), 'Paid search');
    assert.strictEqual(P.tierOf(0.75), 'high');
    assert.strictEqual(P.tierOf(0.5), 'medium');
    assert.strictEqual(P.tierOf(0.49), 'low');
    const models = [
      { model: 'gbt', rows: 412, auc: 0.706, calibration: [{ mean_predicted: 0.4, observed_rate: 0.44, count: 41 }] },
      { model: 'logistic', rows: 412, auc: 0.667, calibration: [] },
      { model: 'p_alive', rows: 412, auc: 0.665, calibration: [{ mean_predicted: 0.01, observed_rate: 0.49, count: 41 }] },
    ];
    let v = P.churnVerdict({ chosen_model: 'gbt', beats_baseline: true, horizon_days: 90, test_cutoff: '2026-08-24', models });
    assert.strictEqual(v.kind, 'ok');
    assert.ok(v.text.includes('Gradient-boosted trees') && v.text.includes('0.706') && v.text.includes('0.665'), v.text);
    v = P.churnVerdict({ chosen_model: 'p_alive', beats_baseline: false, models: [Object.assign({}, models[0], { auc: 0.6 }), models[2]] });
    assert.strictEqual(v.kind, 'warn');
    assert.ok(v.text.startsWith('The supervised models do not beat 1 − P(alive)'), v.text);
    v = PZ.churnVerdict({ chosen_model: 'p_alive', beats_baseline: false, models: null });
    assert.ok(v.text.includes('1 − P(存活)'), v.text);
    const cal = P.calibrationOption(models);
    // The two models with bins, and the diagonal.
    assert.strictEqual(cal.series.length, 3);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(cal.series[2].data)), [[0, 0], [1, 1]]);
    assert.strictEqual(P.calibrationOption([]), null);
    const clv = P.clvOption({ clv: [{ from: null, to: null, customers: 3 }, { from: 16, to: 32, customers: 8, clv: 250 }] }, 'USD');
    assert.deepStrictEqual(JSON.parse(JSON.stringify(clv.series[0].data)), [8]);
    assert.strictEqual(P.clvOption({ clv: [{ from: null, to: null, customers: 3 }] }, 'USD'), null);
    const churn = P.churnOption({ churn_risk: [{ decile: 0, customers: 5 }, { decile: 9, customers: 2 }] });
    assert.strictEqual(churn.series[0].data.length, 10);
    assert.strictEqual(churn.series[0].data[9].value, 2);
    const holdout = [{ model: 'bgnbd', cumulative: [{ period: 1, actual: 7, predicted: 4.4 }], by_frequency: [{ frequency: 0, customers: 113, actual: 0.22, predicted: 0.26 }, { frequency: 5, or_more: true, customers: 4, actual: 3, predicted: 2 }] }];
    const cum = P.cumulativeOption(holdout, 'week');
    assert.strictEqual(cum.series.length, 2);
    assert.strictEqual(cum.xAxis.name, 'weeks into the holdout');
    const freq = P.frequencyOption(holdout);
    assert.deepStrictEqual(Array.from(freq.xAxis.data), ['0', '5+']);
    assert.strictEqual(P.importanceOption([{ feature: 'gap_ratio', weight: 0.2 }, { feature: 'refunds', weight: 0 }]).yAxis.data.length, 1);
    assert.strictEqual(P.params({ r: 0.7163, alpha: 20.33, std_errors: [0.334, null] }, ['r', 'alpha']), 'r = 0.7163 ± 0.334, α = 20.33');
  });

  await test('voice of the customer: names, rating impact and charts', () => {
    const V = E.voc, VZ = Z.voc;
    assert.strictEqual(V.langName('de'), 'German');
    assert.strictEqual(VZ.langName('ja'), '日语');
    assert.strictEqual(V.langName('und'), 'Unknown language');
    assert.strictEqual(V.topicName('size_fit'), 'Size and fit');
    assert.strictEqual(VZ.topicName('shipping'), '物流配送');
    assert.strictEqual(V.topicName('brand_new_topic'), 'brand new topic');
    assert.strictEqual(V.groupName('marketplace', 'amazon_de'), 'Amazon DE');
    assert.strictEqual(V.groupName('marketplace', '(none)'), 'No marketplace');
    assert.strictEqual(V.groupName('week', '2026-11-16'), 'Nov 16, 2026');
    assert.strictEqual(V.signedStars(0.4234), '+0.42 ★');
    assert.strictEqual(V.signedStars(-0.371), '-0.37 ★');
    assert.strictEqual(VZ.signedStars(-0.371), '-0.37 星');
    assert.strictEqual(V.signedStars(null), '—');
    assert.strictEqual(V.impactClass(-0.3), 'delta-down');
    assert.strictEqual(V.impactClass(0.3), 'delta-up');
    assert.strictEqual(V.impactClass(0.01), 'muted');
    const groups = [{ group: 'amazon_de', reviews: 10, positive: 6, neutral: 1, negative: 3 }, { group: 'amazon_us', reviews: 20, positive: 10, neutral: 5, negative: 5 }, { group: 'x', reviews: 0 }];
    const mix = V.mixOption('marketplace', groups);
    assert.deepStrictEqual(Array.from(mix.yAxis.data), ['Amazon DE', 'Amazon US']);
    assert.strictEqual(mix.series.length, 3);
    assert.deepStrictEqual(Array.from(mix.series[2].data), [0.3, 0.25]);
    assert.strictEqual(V.mixOption('language', []), null);
    const trend = V.trendOption([{ group: '2026-11-09', reviews: 4, positive: 2, neutral: 1, negative: 1 }]);
    assert.strictEqual(trend.series.length, 4);
    assert.deepStrictEqual(Array.from(trend.series[3].data), [0.25]);
  });

  await test('alerts: series in words, values and details', () => {
    const A = E.alerts, AZ = Z.alerts;
    assert.strictEqual(A.seriesName('marketplace=amazon_de'), 'Marketplace: Amazon DE');
    assert.strictEqual(AZ.seriesName('marketplace=amazon_de'), '平台：亚马逊德国站');
    assert.strictEqual(A.seriesName('all'), 'All reviews');
    assert.strictEqual(A.seriesName('country=DE'), 'Country: Germany');
    assert.strictEqual(A.seriesName('marketplace=amazon_de,product=K%2C1'), 'Marketplace: Amazon DE · Product: K,1');
    assert.strictEqual(A.metricName('negative_share'), 'Negative share');
    assert.strictEqual(A.value('negative_share', 0.375), '37.5%');
    assert.strictEqual(A.value('volume', 41.6), '42');
    assert.strictEqual(A.detailOf({ detail: '{"message":"m","examples":[{"id":"r1","text":"t"}]}' }).examples[0].id, 'r1');
    assert.strictEqual(A.detailOf({ detail: { message: 'm' } }).message, 'm');
    assert.deepStrictEqual(JSON.parse(JSON.stringify(A.detailOf({ detail: 'not json' }))), {});
  });

  await test('api sends the CSRF token on changes only, and decodes errors', async () => {
    const calls = [];
    let answer;
    en.fetch = (url, init) => {
      calls.push({ url, init });
      return Promise.resolve(answer);
    };
    const res = (status, body, ct) => ({
      ok: status >= 200 && status < 300, status,
      headers: { get: () => ct === undefined ? 'application/json' : ct },
      json: () => Promise.resolve(body), text: () => Promise.resolve(''),
    });
    answer = res(200, { x: 1 });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(await E.api('GET', '/v1/a'))), { x: 1 });
    assert.strictEqual(calls[0].init.headers['X-CSRF-Token'], undefined);
    assert.strictEqual(calls[0].init.credentials, 'same-origin');
    answer = res(204, null, '');
    assert.strictEqual(await E.api('DELETE', '/v1/tokens/t1'), null);
    assert.strictEqual(calls[1].init.headers['X-CSRF-Token'], 'tok-123');
    answer = res(201, { id: 's' });
    await E.api('POST', '/v1/segments', { name: 'n' });
    assert.strictEqual(calls[2].init.body, '{"name":"n"}');
    assert.strictEqual(calls[2].init.headers['Content-Type'], 'application/json');
    answer = res(400, { error: 'rule: bad', field: 'rule' });
    await assert.rejects(E.api('POST', '/v1/segments/preview', {}), (e) => e.status === 400 && e.field === 'rule' && e.message === 'rule: bad');
    let signedOut = 0;
    E.onSignedOut = () => { signedOut++; };
    answer = res(401, { error: 'authentication required: sign in, or send Authorization: Bearer <token>' });
    await assert.rejects(E.api('GET', '/v1/users'), (e) => e.status === 401 && e.message === 'Your session has ended. Please sign in again.');
    assert.strictEqual(signedOut, 1);
    await assert.rejects(E.api('POST', '/v1/auth/login', {}, { noRedirect: true }), (e) => e.status === 401);
    assert.strictEqual(signedOut, 1);
    en.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    await assert.rejects(E.api('GET', '/v1/a'), (e) => e.status === 0 && /reach the server/.test(e.message));
  });

  if (failures) {
    console.log(failures + ' failed');
    process.exit(1);
  }
})();
