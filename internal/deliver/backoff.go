package deliver

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff returns how long to wait before retry number attempt (0 for the
// first retry): a uniformly random duration in [0, min(limit, base·2^attempt)].
// This is "full jitter": spreading retries over the whole window, rather than
// around its end, is what keeps thousands of deliveries that failed together
// (a destination went down) from coming back together and knocking it over
// again. A non-positive limit means no cap other than overflow. Randomness need
// not be unpredictable here, so math/rand/v2 is enough.
func Backoff(attempt int, base, limit time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	if limit <= 0 {
		limit = math.MaxInt64 - 1
	}
	ceiling := min(base, limit)
	for i := 0; i < attempt && ceiling < limit; i++ {
		if ceiling > limit/2 {
			ceiling = limit
			break
		}
		ceiling *= 2
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}
