// Package deliver performs the deliveries that journeys decide on: signed
// webhooks, e-mail over SMTP rendered from per-locale templates, and the
// per-destination lanes that run them so one slow or failing destination never
// delays another.
//
// Every sender makes exactly one attempt and classifies its outcome, because
// retrying, back-off and dead-lettering belong to the caller's durable outbox:
// only the outbox knows whether an attempt was recorded, and a retry loop
// hidden in here would hold a lane's worker for minutes. A failure is either a
// *RetryableError (try again later, perhaps after RetryAfter) or a
// *PermanentError (dead-letter it; trying again will not help). Each delivery
// carries an idempotency key chosen by the caller (the webhook's Tradewind-Id
// header, the e-mail's Message-ID), so the one repeat a crash can cause —
// between a delivery and its record — can be dropped by the receiver.
//
// Error messages name the destination by host or by recipient number, never
// by full URL (paths and queries often carry tokens), secret or address.
package deliver
