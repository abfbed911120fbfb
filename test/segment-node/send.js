#!/usr/bin/env node
// Sends N Segment calls to tradewind with the official Segment Node SDK
// (@segment/analytics-node): N/2 track and N/2 identify, each with a
// deterministic messageId, so running it again with the same RUN resends the
// very same messages. One track call in five is an e-commerce
// "Order Completed" with products and an exact decimal total.
//
// Environment:
//   TW_HOST       tradewind's base URL, e.g. http://127.0.0.1:8080 (required)
//   TW_WRITE_KEY  the source's write key (required)
//   RUN           run id; every messageId starts with "<RUN>-" (required)
//   N             number of calls, default 10000 (an odd N sends one more track)
//   FLUSH_AT      messages per /v1/batch request, default 100
//   ORDERS_OUT    if set, a file to write {order_id: total} to, each total as
//                 the exact decimal text sent on the wire
//
// Exits non-zero if the SDK reports any delivery error, if tradewind answers
// any request with a status other than 200, or if a 200 answer lists
// rejected messages (the SDK itself treats every 2xx as delivered and would
// not notice). On success it prints one JSON line describing what was sent.
'use strict'

const { Analytics } = require('@segment/analytics-node')

function env(name, dflt) {
  const v = process.env[name]
  if (v === undefined || v === '') {
    if (dflt === undefined) {
      console.error(`send.js: ${name} is required`)
      process.exit(2)
    }
    return dflt
  }
  return v
}

const host = env('TW_HOST')
const writeKey = env('TW_WRITE_KEY')
const run = env('RUN')
const n = Number.parseInt(env('N', '10000'), 10)
const flushAt = Number.parseInt(env('FLUSH_AT', '100'), 10)
const ordersOut = process.env.ORDERS_OUT || ''
const sentTotals = {}
if (!Number.isInteger(n) || n < 0 || !Number.isInteger(flushAt) || flushAt < 1) {
  console.error('send.js: N must be a non-negative integer and FLUSH_AT a positive one')
  process.exit(2)
}

const problems = []
const report = {
  run,
  sent: { track: 0, identify: 0, orders: 0 },
  delivered: 0,
  requests: 0,
  retries: 0,
  statuses: {},
  paths: {},
  methods: {},
  requestHeaders: {},
  contentEncoding: 'none',
  bodyKeys: [],
  messageKeys: {},
  maxMessagesPerRequest: 0,
  library: null,
}

// The SDK's own HTTP client is fetch; wrap it to read tradewind's answer,
// which the SDK discards: a 200 may still list rejected messages.
async function inspectingFetch(url, init) {
  const res = await globalThis.fetch(url, init)
  if (res.status === 200) {
    try {
      const body = await res.clone().json()
      if (Array.isArray(body.rejected) && body.rejected.length > 0) {
        problems.push({ kind: 'rejected', url, rejected: body.rejected.slice(0, 5), count: body.rejected.length })
      }
      if (body.success !== true) {
        problems.push({ kind: 'unexpected body', url, body })
      }
    } catch (err) {
      problems.push({ kind: 'response not JSON', url, error: String(err) })
    }
  } else {
    let text = ''
    try {
      text = await res.clone().text()
    } catch (_) {}
    problems.push({ kind: 'status', url, status: res.status, body: text.slice(0, 500) })
  }
  return res
}

const analytics = new Analytics({
  writeKey,
  host,
  flushAt,
  flushInterval: 200,
  maxRetries: 3,
  httpRequestTimeout: 30000,
  httpClient: inspectingFetch,
})

analytics.on('error', (err) => {
  problems.push({
    kind: 'sdk error',
    code: err.code,
    reason: String(err.reason && err.reason.message ? err.reason.message : err.reason),
    messageId: err.ctx && err.ctx.event ? err.ctx.event.messageId : undefined,
  })
})

analytics.on('http_request', (req) => {
  report.requests++
  if (req.headers['X-Retry-Count']) report.retries++
  const path = new URL(req.url).pathname
  report.paths[path] = (report.paths[path] || 0) + 1
  report.methods[req.method] = (report.methods[req.method] || 0) + 1
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === 'Authorization') {
      report.requestHeaders[k] = v.split(' ')[0] + ' …'
    } else if (k !== 'X-Retry-Count') {
      report.requestHeaders[k] = v
    }
    if (k.toLowerCase() === 'content-encoding') report.contentEncoding = v
  }
  const body = JSON.parse(req.body)
  report.bodyKeys = Object.keys(body).sort()
  report.maxMessagesPerRequest = Math.max(report.maxMessagesPerRequest, body.batch.length)
  for (const m of body.batch) {
    const keys = report.messageKeys[m.type] || (report.messageKeys[m.type] = new Set())
    for (const k of Object.keys(m)) keys.add(k)
    if (!report.library && m.context) report.library = m.context.library
  }
})

analytics.on('http_response', (res) => {
  report.statuses[res.status] = (report.statuses[res.status] || 0) + 1
  if (res.status !== 200) {
    problems.push({ kind: 'http_response', url: res.url, status: res.status, statusText: res.statusText })
  }
})

analytics.on('track', () => report.delivered++)
analytics.on('identify', () => report.delivered++)

// Deterministic test data.
const CATALOG = [
  { product_id: 'sku-1001', sku: 'TW-MUG-BLU', name: 'Ceramic Mug, Blue', category: 'Kitchen', price_cents: 1499 },
  { product_id: 'sku-1002', sku: 'TW-TEE-M', name: 'Organic Cotton T-Shirt M', category: 'Apparel', price_cents: 2450 },
  { product_id: 'sku-1003', sku: 'TW-BOTTLE', name: 'Insulated Bottle 750 ml', category: 'Outdoor', price_cents: 3199 },
  { product_id: 'sku-1004', sku: 'TW-SOCKS-3', name: 'Merino Socks (3 pairs)', category: 'Apparel', price_cents: 1895 },
  { product_id: 'sku-1005', sku: 'TW-LAMP', name: 'Desk Lamp LED', category: 'Home', price_cents: 4990 },
]
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY']
const COUNTRIES = ['US', 'DE', 'GB', 'JP', 'FR']
const BASE_TIME = Date.UTC(2025, 0, 6, 9, 0, 0) // a Monday

// money turns integer minor units into a JS number whose JSON form is the
// exact decimal (an integer divided by 100 is the double nearest to it, and
// JSON.stringify prints the shortest form that reads back as that double).
const money = (cents, currency) => (currency === 'JPY' ? cents : cents / 100)

function order(i, userId) {
  const currency = CURRENCIES[i % CURRENCIES.length]
  const products = []
  let subtotal = 0
  const lines = 1 + (i % 3)
  for (let k = 0; k < lines; k++) {
    const p = CATALOG[(i + k) % CATALOG.length]
    const quantity = 1 + ((i + k) % 4)
    subtotal += p.price_cents * quantity
    products.push({
      product_id: p.product_id,
      sku: p.sku,
      name: p.name,
      category: p.category,
      price: money(p.price_cents, currency),
      quantity,
      position: k + 1,
    })
  }
  const shipping = subtotal >= 5000 ? 0 : 495
  const discount = i % 7 === 0 ? Math.round(subtotal / 10) : 0
  const tax = Math.round(((subtotal - discount) * 19) / 100)
  const total = subtotal - discount + tax + shipping
  return {
    order_id: `${run}-o-${i}`,
    checkout_id: `${run}-c-${i}`,
    affiliation: 'Web shop',
    total: money(total, currency),
    subtotal: money(subtotal, currency),
    revenue: money(subtotal - discount, currency),
    shipping: money(shipping, currency),
    tax: money(tax, currency),
    discount: money(discount, currency),
    coupon: discount ? 'WELCOME10' : undefined,
    currency,
    products,
    user: userId,
  }
}

function trackCall(i) {
  const userId = `${run}-u-${i % 997}`
  const timestamp = new Date(BASE_TIME + i * 60000)
  const context = { ip: '203.0.113.7', locale: 'en-US', page: { path: '/checkout', url: 'https://shop.example/checkout' } }
  if (i % 5 === 0) {
    report.sent.orders++
    const properties = order(i, userId)
    sentTotals[properties.order_id] = JSON.stringify(properties.total)
    return { userId, event: 'Order Completed', messageId: `${run}-t-${i}`, timestamp, context, properties }
  }
  const p = CATALOG[i % CATALOG.length]
  const event = ['Product Viewed', 'Product Added', 'Checkout Started', 'Products Searched'][i % 4]
  const properties =
    event === 'Products Searched'
      ? { query: ['mug', 'socks', 'lamp'][i % 3] }
      : { product_id: p.product_id, sku: p.sku, name: p.name, category: p.category, price: p.price_cents / 100, currency: 'USD', quantity: 1 }
  return { anonymousId: `${run}-a-${i}`, userId, event, messageId: `${run}-t-${i}`, timestamp, context, properties }
}

function identifyCall(i) {
  const userId = `${run}-u-${i % 997}`
  return {
    userId,
    messageId: `${run}-i-${i}`,
    timestamp: new Date(BASE_TIME + i * 60000 + 30000),
    traits: {
      email: `customer${i % 997}@example.com`,
      firstName: 'Customer',
      lastName: `No. ${i % 997}`,
      plan: i % 3 === 0 ? 'vip' : 'standard',
      address: { country: COUNTRIES[i % COUNTRIES.length], city: 'Springfield' },
      createdAt: new Date(BASE_TIME - 86400000 * (i % 365)).toISOString(),
      lifetimeValue: (i % 500) + 0.25,
    },
    context: { locale: 'en-US' },
  }
}

async function main() {
  const started = Date.now()
  const tracks = Math.ceil(n / 2)
  const identifies = n - tracks
  for (let i = 0; i < Math.max(tracks, identifies); i++) {
    if (i < tracks) {
      analytics.track(trackCall(i))
      report.sent.track++
    }
    if (i < identifies) {
      analytics.identify(identifyCall(i))
      report.sent.identify++
    }
  }
  await analytics.closeAndFlush({ timeout: 100000 })
  if (ordersOut) require('node:fs').writeFileSync(ordersOut, JSON.stringify(sentTotals))
  report.seconds = (Date.now() - started) / 1000
  for (const [t, s] of Object.entries(report.messageKeys)) report.messageKeys[t] = [...s].sort()
  const sent = report.sent.track + report.sent.identify
  if (report.delivered !== sent) {
    problems.push({ kind: 'undelivered', sent, delivered: report.delivered })
  }
  console.log(JSON.stringify(report))
  if (problems.length) {
    console.error(`send.js: ${problems.length} delivery problem(s):`)
    for (const p of problems.slice(0, 20)) console.error(JSON.stringify(p))
    process.exit(1)
  }
}

main().catch((err) => {
  console.error('send.js:', err)
  process.exit(1)
})
