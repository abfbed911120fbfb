// Package audiencesync turns a segment into ad-platform customer-match
// files (Meta custom audiences, Google Ads Customer Match: see
// internal/adlist for the normalising and hashing) and keeps them current.
//
// A sync is a definition kept in a NATS key-value bucket: which segment, in
// which format, into which directory, and when — every so often, when the
// segment's membership changed, or both. A runner checks every sync once a
// minute; each run writes a new file atomically (a temporary file renamed
// into place), points latest.csv at it, keeps the newest few files and
// records what it wrote, so an operator (or an uploader watching the
// directory) always finds a complete file.
//
// The package knows nothing of where members come from: the application
// gives it a function that reads a segment's members with their e-mail,
// phone and country decrypted, and one that fingerprints the membership.
// Plain personal values only pass through memory on their way to being
// hashed; they are never logged, put in an error, or written to a file.
package audiencesync

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/adlist"
)

// Format is an ad platform's customer-list file format.
type Format string

// The formats a segment exports to.
const (
	Meta   Format = "meta"
	Google Format = "google"
)

// ParseFormat reads a format name; "" is an error, so a caller never gets
// a file for a platform it did not choose.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case Meta, Google:
		return f, nil
	}
	return "", &FieldError{Field: "format", Reason: fmt.Sprintf("must be meta or google, not %q", s)}
}

// Write writes rows in format f.
func Write(w io.Writer, f Format, rows []adlist.Row) (adlist.Counts, error) {
	switch f {
	case Meta:
		return adlist.WriteMeta(w, rows)
	case Google:
		return adlist.WriteGoogle(w, rows)
	}
	return adlist.Counts{}, fmt.Errorf("audiencesync: unknown format %q", f)
}

// Consent says which members an export may include, by their newest
// decision on the "advertising" purpose.
type Consent string

const (
	// ExcludeRefused leaves out members who refused advertising and keeps
	// those who never decided: the default, for sellers whose customers
	// accepted advertising in their terms or whose regulation is opt-out.
	ExcludeRefused Consent = "exclude_refused"
	// GrantedOnly keeps only members who granted advertising: for GDPR
	// markets where matching customer lists needs opt-in consent.
	GrantedOnly Consent = "granted_only"
)

// ParseConsent reads a consent mode; "" is ExcludeRefused.
func ParseConsent(s string) (Consent, error) {
	switch c := Consent(strings.TrimSpace(s)); c {
	case "":
		return ExcludeRefused, nil
	case ExcludeRefused, GrantedOnly:
		return c, nil
	}
	return "", &FieldError{Field: "consent", Reason: fmt.Sprintf("must be exclude_refused or granted_only, not %q", s)}
}

// Members is a segment read for export: the rows to write, decrypted, and
// how many members were read and left out before writing.
type Members struct {
	Rows []adlist.Row
	// Total is the number of members read.
	Total int
	// NoConsent members were left out for their advertising consent.
	NoConsent int
}

// Result says what one export wrote.
type Result struct {
	Members   int `json:"members"`
	Written   int `json:"written"`
	Skipped   int `json:"skipped"`    // neither a usable e-mail nor phone (or erased)
	NoConsent int `json:"no_consent"` // left out for advertising consent
}

// FieldError names the field of a definition or request that is wrong.
type FieldError struct {
	Field, Reason string
}

func (e *FieldError) Error() string { return e.Field + " " + e.Reason }

// Errors of the sync store.
var (
	ErrNotFound = errors.New("no audience sync with that id")
	ErrExists   = errors.New("an audience sync with that id exists")
	// ErrNoFile is returned for the latest file of a sync that has not
	// written one yet (or whose file was removed).
	ErrNoFile = errors.New("the sync has written no file yet")
)

// Duration is a period written as Go durations are ("90m", "24h") or in
// days ("7d"); it is kept as its text in JSON.
type Duration time.Duration

// ParseDuration reads a Duration; "" is zero.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 3650 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (like 24h, 90m or 7d)", s)
	}
	return Duration(d), nil
}

// String writes d the way ParseDuration reads it: whole days as "Nd".
func (d Duration) String() string {
	if d == 0 {
		return ""
	}
	day := Duration(24 * time.Hour)
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return time.Duration(d).String()
}

// MarshalJSON writes d as its text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads d from its text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &FieldError{Field: "every", Reason: "must be a string like \"24h\" or \"7d\""}
	}
	v, err := ParseDuration(s)
	if err != nil {
		return &FieldError{Field: "every", Reason: err.Error()}
	}
	*d = v
	return nil
}

// Limits of a definition.
const (
	// MinEvery is the shortest schedule: the runner checks once a minute,
	// and ad platforms refresh a list far less often anyway.
	MinEvery = Duration(15 * time.Minute)
	// DefaultKeep files are kept per sync unless it says otherwise; MaxKeep
	// bounds it. Old files hold hashes of people who may have left the
	// segment or been erased since, so few are kept.
	DefaultKeep = 5
	MaxKeep     = 100
)

// Sync is an audience sync's definition.
type Sync struct {
	ID      string `json:"id"`
	Segment string `json:"segment"`
	Format  Format `json:"format"`
	// Every runs the sync on a schedule (zero: no schedule).
	Every Duration `json:"every"`
	// OnChange runs the sync when the segment's membership changed.
	OnChange bool `json:"on_change"`
	// Dir is where files go: relative to the export root, or an absolute
	// path inside it; "" is the root's subdirectory named after the id.
	Dir string `json:"dir"`
	// Keep is how many files to keep (0: DefaultKeep).
	Keep    int     `json:"keep"`
	Consent Consent `json:"consent"`

	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidID reports whether id is usable as a sync id: it names files and a
// key in the bucket, so lower-case letters, digits, "-" and "_" only.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// normalize checks a definition (not the segment's existence nor the
// directory, which need the service) and fills in defaults.
func (s *Sync) normalize() error {
	s.ID = strings.TrimSpace(s.ID)
	if !ValidID(s.ID) {
		return &FieldError{Field: "id", Reason: "must be 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit"}
	}
	s.Segment = strings.TrimSpace(s.Segment)
	if s.Segment == "" {
		return &FieldError{Field: "segment", Reason: "is required"}
	}
	f, err := ParseFormat(string(s.Format))
	if err != nil {
		return err
	}
	s.Format = f
	if s.Every < 0 {
		return &FieldError{Field: "every", Reason: "must not be negative"}
	}
	if s.Every != 0 && s.Every < MinEvery {
		return &FieldError{Field: "every", Reason: "must be at least " + MinEvery.String() + " (or empty for no schedule)"}
	}
	if s.Every == 0 && !s.OnChange {
		return &FieldError{Field: "every", Reason: "give every (like 24h), on_change: true, or both"}
	}
	if s.Keep < 0 || s.Keep > MaxKeep {
		return &FieldError{Field: "keep", Reason: fmt.Sprintf("must be between 1 and %d (0: %d)", MaxKeep, DefaultKeep)}
	}
	if s.Keep == 0 {
		s.Keep = DefaultKeep
	}
	c, err := ParseConsent(string(s.Consent))
	if err != nil {
		return err
	}
	s.Consent = c
	return nil
}

// ResolveDir turns a sync's dir into an absolute, clean path inside root
// (itself absolute and clean), or refuses it. Checking the text is not
// enough against a symbolic link inside root that points out of it: the
// runner checks again with links resolved before it writes (see
// checkReal).
func ResolveDir(root, dir, id string) (string, error) {
	if dir == "" {
		dir = id
	}
	var p string
	if filepath.IsAbs(dir) {
		p = filepath.Clean(dir)
	} else {
		p = filepath.Join(root, dir)
	}
	if !inside(root, p) {
		return "", &FieldError{Field: "dir", Reason: fmt.Sprintf("%q is outside the export root %s (the operator sets another root with TRADEWIND_AUDIENCE_ROOT)", dir, root)}
	}
	return p, nil
}

// inside reports whether p is root or below it (both clean and absolute).
func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
