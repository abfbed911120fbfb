// Package audit is tradewind's tamper-evident audit log: one record of every
// sign-in, permission change, export, query, erasure and configuration
// change — who did it, what, to what, when, from where and with what
// outcome.
//
// Compliance work (GDPR accountability, CCPA, SOC 2 style reviews) needs two
// things from such a log that an ordinary log file does not give: that
// nothing in it was changed or removed after the fact, and that it does not
// itself become a store of the personal data it is meant to protect. This
// package is built around those two needs.
//
// # Storage
//
// A Log is an append-only JSON Lines file (mode 0600), in the manner of
// Vault's file audit device: one entry per line, written by one goroutine,
// fsynced before Append returns. Concurrent appends are committed together
// (group commit): while one batch is being synced the next one gathers, so
// throughput grows with concurrency while every entry stays durable before it
// is acknowledged.
//
// That sync is an audited request's wait: the API answers only after its
// entry is durable (an audited action must not be lost), so POST /v1/query
// answers SELECT 1 after one fsync. On a quiet disk that is well under a
// millisecond. While the disk writes back a lot of data — a data directory
// just copied, a large store checkpoint — the fsync waits for the file
// system's journal commit behind it. On a copy of the 1,000,000-customer
// node, one of ten SELECT 1 took 236 ms (the others 1.7–3.4 ms), and an
// execution trace of the server (go tool trace -pprof=syscall) put 238 ms
// of the ten calls' waits in this writer's fsync. It is the disk's
// latency, not a batching interval: nothing here waits on a timer.
//
// # Hash chain
//
// Every entry carries Seq (1, 2, 3, … without gaps), Prev (the Hash of the
// entry before it; 64 zeros for Seq 1) and Hash, computed over everything
// else. Changing any byte of an entry changes its Hash; removing, inserting
// or reordering entries breaks the Seq sequence and the Prev links. Verify
// walks the chain and classifies what it finds.
//
// # Canonical encoding (for outside verifiers)
//
// Each line is exactly
//
//	M' + `,"hash":"` + H + `"}` + "\n"
//
// where M' is the message M without its final '}', and H is 64 lower-case
// hex digits. M is the JSON object
//
//	{"seq":…,"time":"…","actor":"…","actor_email":"…","actor_kind":"…",
//	 "role":"…","action":"…","target":"…","outcome":"…","ip":"…",
//	 "user_agent":"…","detail":{…},"prev":"…"}
//
// with exactly these members in exactly this order, no white space, every
// member present (empty strings as "", an empty detail as {}), time in UTC in
// RFC 3339 with as many fractional-second digits as needed (Go's
// time.RFC3339Nano), detail's object keys sorted bytewise at every level,
// strings escaped as package jsonw documents (only '"', '\' and control
// characters are escaped). And
//
//	H = hex(SHA-256(M))              without a key
//	H = hex(HMAC-SHA256(key, M))     with Options.Key
//
// A verifier does not need to re-encode anything: it takes the line without
// its newline, checks that it ends with `,"hash":"` + 64 hex digits + `"}`,
// cuts those 75 bytes off, appends '}' to obtain M, and compares the digest
// of M with H. It then parses the line as JSON for seq and prev to follow
// the chain. Because the digest is over the stored bytes, any change — a
// field, white space, key order — is detected, and the encoding rules above
// describe what this package writes rather than something a verifier must
// reproduce.
//
// # What the chain does and does not protect against
//
// Plain SHA-256 detects accidental damage and naive tampering: an edited
// line no longer matches its hash. But anyone who can write the file can
// also recompute every hash after an edit, because SHA-256 has no secret.
// With Options.Key the hash is an HMAC: without the key, a rewritten chain
// does not verify. Keep the key outside the data directory (an environment
// variable or a secret store) so that whoever can read or write the log
// cannot also forge it.
//
// A chain alone cannot show that its last entries were cut off: a shorter
// chain is still a valid chain. So after every commit the head (Seq and Hash
// of the last entry) is saved to a Checkpointer that lives outside the log —
// FileCheckpointer for one machine, a JetStream key-value bucket when the
// app runs clustered. Verify compares the end of the log with the checkpoint
// and reports truncation. The checkpoint is only as good as its separation
// from the log: an attacker who controls both can roll both back together.
//
// # When Open finds damage
//
// The server must start even if its audit log was damaged, so Open never
// fails because of what is in the file. It reports problems through Health
// and also records them durably in the log itself, as entries with Action
// "audit.integrity" written by Actor "system" — otherwise the next commit
// would overwrite the checkpoint and the evidence of a truncation would
// vanish. After a truncation the chain continues from the checkpoint (Seq
// one past the checkpointed entry, Prev its hash), so the gap stays visible
// in the chain for every later Verify.
//
// # Personal data
//
// Audit entries are kept for years and read by many; they must not become a
// copy of customers' personal data. Callers pass masked details (MaskEmail,
// MaskPhone). As a safety net, Append also scrubs Target and every string
// and key in Detail with ScrubString, which masks anything that looks like
// an email address or a phone number. Actor and ActorEmail identify the
// staff member or token that acted — the point of the record — and are kept
// as given.
//
// AccessMonitor, in the same package, watches how many personal records each
// actor reads or exports per day and raises an Alert on unusual volumes.
package audit
