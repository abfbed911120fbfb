// Package journey runs journeys: real-time triggers on the event log that
// take a person through steps of waits, branches and actions (webhooks,
// e-mail, audience sync, trait and segment changes, team notices), with
// frequency caps, quiet hours, consent and a control group, keeping each
// person's journey state durable so a restart neither skips nor repeats an
// action.
package journey
