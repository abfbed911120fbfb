package deliver

import (
	"errors"
	"fmt"
	"time"
)

// PermanentError reports a delivery that will not succeed if tried again
// unchanged: the receiver refused it (HTTP 4xx other than 408/425/429, SMTP
// 5xx) or the destination is misconfigured. The caller dead-letters it.
type PermanentError struct {
	// Dest names the destination without secrets: a URL host or an SMTP
	// host, never a full URL or an e-mail address.
	Dest string
	// Status is the HTTP status or SMTP reply code, 0 when there was none.
	Status int
	// Reason says what happened, for people reading the dead-letter queue.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// Error names the destination, the reason and "[permanent]".
func (e *PermanentError) Error() string { return formatErr("permanent", e.Dest, e.Reason, e.Err) }

// Unwrap returns the underlying error so errors.Is sees through it.
func (e *PermanentError) Unwrap() error { return e.Err }

// RetryableError reports a delivery that may succeed later: a network error,
// a timeout, HTTP 408/425/429/5xx or an SMTP 4xx reply.
type RetryableError struct {
	// Dest names the destination without secrets, as in PermanentError.
	Dest string
	// Status is the HTTP status or SMTP reply code, 0 when there was none.
	Status int
	// Reason says what happened.
	Reason string
	// RetryAfter is how long the receiver asked us to wait (HTTP
	// Retry-After), already capped; 0 when it did not ask, in which case the
	// caller uses its own Backoff.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error
}

// Error names the destination, the reason, any requested wait and
// "[retryable]".
func (e *RetryableError) Error() string {
	s := formatErr("retryable", e.Dest, e.Reason, e.Err)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Unwrap returns the underlying error so errors.Is sees through it (for
// example context.Canceled when the caller shut down mid-delivery).
func (e *RetryableError) Unwrap() error { return e.Err }

func formatErr(kind, dest, reason string, err error) string {
	s := "deliver " + dest + ": " + reason
	if err != nil {
		if reason == "" {
			s = "deliver " + dest + ": " + err.Error()
		} else {
			s += ": " + err.Error()
		}
	}
	return s + " [" + kind + "]"
}

// IsPermanent reports whether err, or an error it wraps, is a
// *PermanentError. An error that is neither permanent nor retryable (one from
// outside this package) is best treated as retryable by the caller.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// RetryAfter returns the wait a receiver asked for, when err is a
// *RetryableError that carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var re *RetryableError
	if errors.As(err, &re) && re.RetryAfter > 0 {
		return re.RetryAfter, true
	}
	return 0, false
}
