// Package identity is tradewind's identity graph: it decides which
// identifiers — userIds, anonymousIds, email and phone blind-index tokens,
// marketplace and shop ids — belong to one person, keeps those people as
// profiles, and refuses the links that would fuse two people into one.
//
// Wrong merges are the most common complaint about customer-data
// platforms: one fused profile poisons every number computed from it. So
// the graph links greedily only where nothing contradicts the link, keeps
// the evidence (which identifiers each message linked) to take a link
// back, and records every refused link for review.
//
// # Feeding it
//
// The real-time engine calls Observe once per message, in event-log order,
// with the identifiers the message carries together. The graph keeps no
// state in memory: everything is read from and written to the KV it is
// given — the engine's Pebble batch (NewPebbleKV), committed atomically
// with the engine's own progress. State is a pure function of the
// observations: no wall clock, no randomness, no dependence on map order.
// Profile ids are derived from the identifier that founded the profile and
// the sequence number of the message ("p_" + 16 base32 characters of a
// SHA-256), log entries from sequence numbers, so a replay of the log from
// the start rebuilds byte-identical state, and a replay that resumes after
// a committed prefix ends where a single run ends. Admin actions (Unmerge,
// Forget) are deterministic in their arguments; for a replay to reproduce
// them, the engine must record them in the log and repeat them at their
// position.
//
// Writes (Observe, Unmerge, Forget) must be made one at a time: the engine
// calls them from one goroutine. A Graph holds only its configuration, so
// read methods may be called concurrently on KVs nobody writes meanwhile.
//
// # Identifiers
//
// An ID is a kind, a namespace and a value. Strong kinds — User and every
// platform kind ("amazon_buyer", "shopify_customer", …) — are namespaced
// by the source (a userId of the web shop and the same string in the app
// are different people, unless Config.SharedUserSpaces puts both sources
// in one space) and unique per profile and namespace: a profile holds at
// most one value (Config.MaxPerKind, default 1) per namespace. Weak kinds
// — Anon, Email, Phone — are global; a profile may hold several (default
// at most 200 anonymousIds, 5 emails, 5 phones).
//
// Junk never becomes an identifier: built-in placeholders of raw kinds
// ("", "null", "undefined", "0", "guest", "test", "n/a", "-", zero UUIDs,
// strings of zeros, values over 512 bytes, …) and the tokens in
// Config.Blocklist (the caller tokenises "test@test.com", "0000000000", …).
//
// # How a message links
//
//  1. Witnesses. Every weak identifier records the strong identifiers it
//     is seen with on a message (as 64-bit digests, per strong namespace,
//     a few per namespace). Its level is the number of distinct values of
//     one strong namespace it was seen with (less the values one profile
//     may hold beyond the first). At level 2 an email or phone is
//     ambiguous: it evidently belongs to two accounts of one source (a
//     household address, an agency, one person's two accounts). Past
//     Config.SharedThreshold (default 3) it is shared. An anonymousId is
//     shared past Config.DeviceThreshold (default 1): a browser that two
//     accounts log into says nothing about who browses it anonymously.
//  2. Ambiguous identifiers stay in their profile but link nothing any
//     more, and the profile is split along the links they alone provided
//     (see Splits). Shared identifiers are also detached into a profile of
//     their own ("shared" state) that never merges; messages carrying
//     nothing else belong to it.
//  3. Plan. The linking identifiers of the message belong to profiles, or
//     are new. The strongest of those profiles seeds the merge (strongest
//     kind held, by Config.Priority — default user, platform kinds, email,
//     phone, anon — then the oldest, then the smallest id: the profile
//     that survives a merge). The other profiles join it, strongest first,
//     unless the guard-rails refuse: two values of one strong kind in one
//     namespace (CodeStrong), more identifiers of a weak kind than
//     MaxPerKind (CodeLimit), or an admin separated the two (CodeUnmerged).
//     A refusal is recorded as a Conflict, once per pair of profiles.
//  4. New identifiers join the merged profile only if nothing was refused:
//     after a refusal, which side a new identifier belongs to is ambiguous,
//     so each becomes a profile of its own (a later message that links it
//     unambiguously merges it where it belongs). A new identifier that
//     would itself break a guard-rail also becomes a profile of its own.
//  5. A refusal for a strong conflict is evidence against the weak
//     identifiers that offered the link: if the message carries a value
//     of the conflicting namespace, its weak identifiers on the other side
//     are linked to two accounts; otherwise all of them are. They get both
//     values as witnesses (becoming ambiguous, or shared devices), and the
//     message is planned again without them.
//  6. The message's identifiers that ended in one profile are linked by
//     edges from the strongest of them (a star), stamped with the
//     sequence number of the message that first linked them.
//
// The message belongs to the strongest profile among those of its linking
// identifiers (Result.Profile, Locate); if none links, the same among its
// ambiguous and shared ones.
//
// Every merge is logged (Merges, newest first) with a sentence naming the
// identifiers that met, masked ("email token fcv-KM… seen with
// anonymousId ab…e9 on message m-123": tokens shortened, raw ids to their
// first and last two characters). The log's Via and With hold the two
// identifiers in clear, since Unmerge needs them: show Reason, not those,
// to people who may not read personal data.
//
// # Splits
//
// A profile's identifiers must stay connected by the edges messages left,
// not counting edges that touch ambiguous or shared identifiers. When an
// identifier becomes ambiguous or shared, its profile's connected
// components are recomputed: the one holding the strongest identifier
// keeps the profile id, the others become new profiles (CodeSplit
// conflicts, Result.Splits). So a household address that fused two
// partners before anything showed it was shared is taken back as soon as
// something does. An ambiguous identifier stays with the part it was
// first linked to.
//
// # Unmerge
//
// Unmerge undoes a logged merge: the profile's components are recomputed
// with every edge that joins the merge's two sides — from the merge's own
// message or later — cut (edges in order of the message that made them;
// an edge is cut when it would join the side of the merge's Via identifier
// with the side of its With identifier). The With side gets the
// merged-away profile id back, identifiers that only linked through the
// merge go with the side they came from, the merge is marked undone (by,
// at), and the two profiles are marked "do not merge": later messages
// linking them record CodeUnmerged conflicts ("unmerged by admin…"). The
// mark follows a profile into later merges.
//
// # Forget
//
// Forget erases a profile for a data-subject erasure: its identifiers,
// their records and edges, the merged-away profile ids that led to it,
// every merge and conflict log entry naming any of them, "do not merge"
// marks others hold against it, and its strong identifiers in the witness
// lists of other profiles' identifiers (an address it made ambiguous may
// link again). Pebble deletes by tombstones: the bytes leave the disk at
// compaction.
//
// # Key layout
//
// Every key starts with Config.KeyPrefix (default "idg/"); hkey is the
// 128-bit SHA-256 digest of an identifier's kind, namespace and value,
// pid a profile id (18 bytes), ^seq the bitwise inverse of a sequence
// number (big-endian, so logs iterate newest first), idx a 16-bit index
// within the message:
//
//	I hkey            identifier: profile, flags (ambiguous, shared), first seq,
//	                  witnesses, edges (identifier, flags, seq) — binary
//	M pid hkey        member of a profile: the identifier (kind, ns, value)
//	P pid             profile: state (live, merged, shared), created seq,
//	                  strongest rank; live: member counts per weak kind,
//	                  strong identifiers, "do not merge" profiles; merged:
//	                  the profile it went into and its strongest identifier
//	L ^seq idx        merge log entry (JSON)
//	l pid ^seq idx    merges naming pid
//	C ^seq idx        conflict log entry (JSON)
//	c pid ^seq idx    conflicts naming pid
//	K digest          a refused link already recorded (deduplication): 0x01
//
// # Cost
//
// A message reads one record per identifier; profile records only when
// its identifiers are in several profiles or some are new; one more read
// per new profile (to rule out an id collision) and per refused link (to
// deduplicate the conflict). It writes only what changed: a known
// anonymousId alone, or a userId with its already-linked anonymousId,
// reads one or two records and writes nothing. Merges, splits and
// unmerges read and rewrite the identifiers of the profiles involved,
// which the limits keep small. There is no cache: a discarded batch
// leaves nothing stale behind.
package identity
