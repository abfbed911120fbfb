package journey

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// The engine's state in Pebble. Everything a log batch or a timer changes
// commits in one Pebble batch together with the log position, so a crash
// leaves either all of it or none; the dispatcher commits each delivery's
// outcome the same way.
//
//	a                        log sequence applied
//	r/<journey>/<person>     a person's run (json run)
//	t/<nanos BE><journey>\0<person>   run wake-up timers
//	i/<journey>/<person>     inactivity deadline (json nanos)
//	n/<journey>/<person>     before-next-order deadline (json nanos)
//	o/<action>               outbox: actions to deliver (json action)
//	q/<lane>\0<nanos BE><action>  outbox due index, per delivery lane
//	x/<action>               dead letters (json action)
//	k/<action>               outcome of a finished action (json delivery)
//	l/<person>\0<nanos BE><action>   delivery log by person
//	j/<journey>\0<nanos BE><action>  delivery log by journey
//	c/<journey>              counters (json map)
//	f/<person>\0<channel>    recent sends, for frequency caps (json []nanos)
//	u/<person>\0<channel>    suppression: unsubscribed, bounced (json)
//	e/<journey>/<person>/<event>   events done since entering (branch tests)
var (
	keyApplied = []byte("a")
	prefRun    = "r/"
	prefTimer  = []byte("t/")
	prefIdle   = "i/"
	prefNext   = "n/"
	prefOutbox = "o/"
	prefDue    = []byte("q/")
	prefDead   = "x/"
	prefDone   = "k/"
	prefLogP   = "l/"
	prefLogJ   = "j/"
	prefCount  = "c/"
	prefFreq   = "f/"
	prefSupp   = "u/"
	prefSeen   = "e/"
)

// run is one person's way through one journey.
type run struct {
	// Entry counts the person's entries into the journey (1 for the
	// first): with the step it makes each action's idempotency key.
	Entry int `json:"entry"`
	// Phase: watch (an abandoned checkout waiting for its order), active,
	// or ended.
	Phase string `json:"phase"`
	// Step is the index of the step to run next.
	Step int `json:"step"`
	// Arm is treatment or control.
	Arm string `json:"arm"`
	// Outcome of an ended run: completed (ran out of steps), goal (reached
	// the goal while going), exited, recovered (ordered before an
	// abandoned-checkout e-mail), excluded (not among the countries),
	// stopped. Its counter is <outcome>_<arm>; conversions are counted
	// apart (converted_<arm>), whether or not the run was still going.
	Outcome string `json:"outcome,omitempty"`
	// Converted: the goal was reached within its window (counted once,
	// whether or not the run had ended).
	Converted bool      `json:"converted,omitempty"`
	EnteredAt time.Time `json:"entered_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	WakeAt    time.Time `json:"wake_at,omitzero"`
	// At is the wait step the person is at now ("" between steps).
	At string `json:"at,omitempty"`
	// Trigger is what brought them in (event name and properties, segment,
	// alert), for templates and webhook bodies.
	Trigger json.RawMessage `json:"trigger,omitempty"`
}

// Run phases.
const (
	phaseWatch  = "watch"
	phaseActive = "active"
	phaseEnded  = "ended"
)

// action is an outbox entry: a delivery owed.
type action struct {
	ID      string `json:"id"`
	Journey string `json:"journey"`
	Person  string `json:"person"`
	Step    string `json:"step"`
	Kind    string `json:"kind"` // webhook, email, notify, …
	// Lane is the delivery lane: "webhook:<destination>", "email",
	// "notify" or "profile"; the due index is kept per lane.
	Lane     string          `json:"lane"`
	Entry    int             `json:"entry"`
	Attempts int             `json:"attempts"`
	DueAt    time.Time       `json:"due_at"`
	Created  time.Time       `json:"created"`
	LastErr  string          `json:"last_error,omitempty"`
	Trigger  json.RawMessage `json:"trigger,omitempty"`
	// Deferred says why the action was moved (quiet hours, holiday).
	Deferred string `json:"deferred,omitempty"`
}

// Delivery is the record of one action's outcome, for the delivery log.
type Delivery struct {
	ID       string    `json:"id"`
	Journey  string    `json:"journey"`
	Person   string    `json:"person"`
	Step     string    `json:"step"`
	Kind     string    `json:"kind"`
	Status   string    `json:"status"` // delivered, skipped, failed, dead
	Reason   string    `json:"reason,omitempty"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
	// Locale of an e-mail's variant.
	Locale string `json:"locale,omitempty"`
}

// Delivery statuses.
const (
	Delivered = "delivered"
	Skipped   = "skipped"
	Dead      = "dead"
)

func nanosKey(prefix []byte, t time.Time, rest string) []byte {
	k := make([]byte, 0, len(prefix)+8+len(rest))
	k = append(k, prefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(t.UnixNano()))
	return append(k, rest...)
}

// dueKey indexes an outbox action by lane and due time: the dispatcher
// reads each lane's due actions separately, so a lane with a long backlog
// never hides another's.
func dueKey(lane string, t time.Time, id string) []byte {
	return nanosKey([]byte(string(prefDue)+lane+"\x00"), t, id)
}

func runKey(jid, pid string) []byte  { return []byte(prefRun + jid + "/" + pid) }
func idleKey(jid, pid string) []byte { return deadlineKey(timerIdle, jid, pid) }

// deadlineKey holds a person's inactivity (i/) or next-order (n/) deadline.
func deadlineKey(kind, jid, pid string) []byte {
	if kind == timerNext {
		return []byte(prefNext + jid + "/" + pid)
	}
	return []byte(prefIdle + jid + "/" + pid)
}
func timerKey(at time.Time, jid, pid string) []byte {
	return nanosKey(prefTimer, at, jid+"\x00"+pid)
}
func seenKey(jid, pid, event string) []byte {
	return []byte(prefSeen + jid + "/" + pid + "/" + event)
}

// prefixEnd is the first key after every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// getJSON reads a JSON value; ok is false when the key is absent.
func getJSON(r pebble.Reader, key []byte, v any) (bool, error) {
	b, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	return true, json.Unmarshal(b, v)
}

func setJSON(b *pebble.Batch, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Set(key, data, nil)
}

// counters are a journey's tallies, kept in one record per journey and
// cached for the batch that changes them.
type counters struct {
	b     *pebble.Batch
	cache map[string]map[string]int64
}

func newCounters(b *pebble.Batch) *counters {
	return &counters{b: b, cache: map[string]map[string]int64{}}
}

func (c *counters) add(jid, name string, n int64) error {
	m, ok := c.cache[jid]
	if !ok {
		m = map[string]int64{}
		if _, err := getJSON(c.b, []byte(prefCount+jid), &m); err != nil {
			return err
		}
		c.cache[jid] = m
	}
	m[name] += n
	return nil
}

func (c *counters) flush() error {
	for jid, m := range c.cache {
		if err := setJSON(c.b, []byte(prefCount+jid), m); err != nil {
			return err
		}
	}
	return nil
}
