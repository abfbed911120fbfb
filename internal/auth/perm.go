package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is a user's role. A role is a named set of permissions (see Matrix);
// code checks permissions, never roles, so that a new role needs no change
// outside the matrix.
type Role string

// The roles, from most to least powerful.
const (
	// RoleOwner can do everything, including managing other owners. The
	// first user created on a fresh install is an owner, and the last owner
	// can be neither demoted nor disabled, so an install always has one.
	RoleOwner Role = "owner"
	// RoleAdmin can do everything an owner can except change, disable or
	// reset the password of an owner, or make someone an owner.
	RoleAdmin Role = "admin"
	// RoleAnalyst explores data: dashboard, read-only SQL, masked customer
	// records, segments.
	RoleAnalyst Role = "analyst"
	// RoleMarketer acts on data: segments, campaigns and actions, consent.
	RoleMarketer Role = "marketer"
	// RoleViewer only reads the dashboard and masked customer records.
	RoleViewer Role = "viewer"
)

// Roles lists every role, most powerful first; documentation and UIs use
// this order.
var Roles = []Role{RoleOwner, RoleAdmin, RoleAnalyst, RoleMarketer, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ParseRole turns user input into a Role, accepting any letter case and
// surrounding space.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", &FieldError{Field: "role", Reason: "must be one of " + joinRoles()}
	}
	return r, nil
}

func joinRoles() string {
	s := make([]string, len(Roles))
	for i, r := range Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// Permission is one thing a principal may do. Permissions are plain strings
// so that API tokens can name them as scopes and the API can report which
// one was missing.
type Permission string

// The permissions. To add one: declare it here, append it to Permissions,
// describe it in permissionDocs, grant it in Matrix, and regenerate
// docs/permissions.md (go run ./internal/auth/gen).
const (
	DashboardRead  Permission = "dashboard.read"  // open the dashboard and its reports
	QuerySQL       Permission = "query.sql"       // run read-only SQL through the API
	PIIRead        Permission = "pii.read"        // see decrypted personal data
	CustomersRead  Permission = "customers.read"  // read customer profiles (masked without pii.read)
	SegmentsWrite  Permission = "segments.write"  // create, change and delete segments
	IdentityWrite  Permission = "identity.write"  // undo merges of the identity graph
	ModelsRun      Permission = "models.run"      // run the prediction models now
	ActionsWrite   Permission = "actions.write"   // configure webhooks, e-mails, audience exports
	SourcesRead    Permission = "sources.read"    // list sources
	SourcesWrite   Permission = "sources.write"   // create and change sources and their keys
	ImportsWrite   Permission = "imports.write"   // upload files to import
	FXWrite        Permission = "fx.write"        // load exchange rates
	BackupRun      Permission = "backup.run"      // take backups
	UsersRead      Permission = "users.read"      // list users
	UsersWrite     Permission = "users.write"     // create users, change roles, disable, reset passwords
	TokensWrite    Permission = "tokens.write"    // create and revoke one's own API tokens
	PrivacyExport  Permission = "privacy.export"  // export a data subject's data
	PrivacyErase   Permission = "privacy.erase"   // erase a data subject
	PrivacyApprove Permission = "privacy.approve" // second approver of high-tier exports
	ConsentRead    Permission = "consent.read"    // read consent records
	ConsentWrite   Permission = "consent.write"   // record consent changes
	AuditRead      Permission = "audit.read"      // read the audit log
	ConfigWrite    Permission = "config.write"    // change server configuration
	RetentionWrite Permission = "retention.write" // change data retention
	MetricsRead    Permission = "metrics.read"    // scrape /metrics
	DebugPprof     Permission = "debug.pprof"     // read runtime profiles
)

// Permissions lists every permission in documentation order. A permission
// that is not listed here is not granted by any role.
var Permissions = []Permission{
	DashboardRead, QuerySQL, PIIRead, CustomersRead, SegmentsWrite, IdentityWrite, ModelsRun, ActionsWrite,
	SourcesRead, SourcesWrite, ImportsWrite, FXWrite, BackupRun,
	UsersRead, UsersWrite, TokensWrite,
	PrivacyExport, PrivacyErase, PrivacyApprove, ConsentRead, ConsentWrite,
	AuditRead, ConfigWrite, RetentionWrite, MetricsRead, DebugPprof,
}

// permissionDocs describes each permission for docs/permissions.md.
var permissionDocs = map[Permission]string{
	DashboardRead:  "Open the dashboard and its reports.",
	QuerySQL:       "Run read-only SQL through the API (`POST /v1/query`).",
	PIIRead:        "See decrypted personal data; without it customer records are masked.",
	CustomersRead:  "Read customer profiles, traits and segment memberships.",
	SegmentsWrite:  "Create, change and delete segments.",
	IdentityWrite:  "Undo a merge of two profiles (unmerge) when identity resolution joined two people.",
	ModelsRun:      "Run the prediction models (lifetime value, churn risk) now instead of waiting for the schedule.",
	ActionsWrite:   "Configure actions: signed webhooks, e-mail, audience exports.",
	SourcesRead:    "List sources.",
	SourcesWrite:   "Create and change sources, their write keys and webhook secrets.",
	ImportsWrite:   "Import CSV/NDJSON files.",
	FXWrite:        "Load exchange rates.",
	BackupRun:      "Take backups.",
	UsersRead:      "List users and their roles.",
	UsersWrite:     "Create users, change roles, disable users, reset passwords (owners only by owners).",
	TokensWrite:    "Create and revoke one's own API tokens.",
	PrivacyExport:  "Export a data subject's data.",
	PrivacyErase:   "Erase a data subject (destroy their key).",
	PrivacyApprove: "Approve another user's high-tier export (second approver).",
	ConsentRead:    "Read consent records.",
	ConsentWrite:   "Record consent changes.",
	AuditRead:      "Read the audit log.",
	ConfigWrite:    "Change server configuration.",
	RetentionWrite: "Change data-retention periods.",
	MetricsRead:    "Scrape Prometheus metrics (`/metrics`).",
	DebugPprof:     "Read Go runtime profiles (`/debug/pprof`).",
}

// Description returns the one-line description of p, or "" for an unknown
// permission.
func (p Permission) Description() string { return permissionDocs[p] }

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { _, ok := permissionDocs[p]; return ok }

// ParsePermissions validates scope names from user input (an API token's
// scopes), dropping duplicates and keeping the documentation order, so
// stored scopes compare equal however they were typed.
func ParsePermissions(names []string) ([]Permission, error) {
	seen := map[Permission]bool{}
	for _, n := range names {
		p := Permission(strings.TrimSpace(n))
		if !p.Valid() {
			return nil, &FieldError{Field: "scopes", Reason: fmt.Sprintf("unknown permission %q", n)}
		}
		seen[p] = true
	}
	var out []Permission
	for _, p := range Permissions {
		if seen[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// PermissionSet is a set of permissions.
type PermissionSet map[Permission]struct{}

// Has reports whether p is in the set; a nil set has nothing.
func (s PermissionSet) Has(p Permission) bool { _, ok := s[p]; return ok }

// List returns the set's permissions in documentation order.
func (s PermissionSet) List() []Permission {
	var out []Permission
	for _, p := range Permissions {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

func setOf(ps ...Permission) PermissionSet {
	s := make(PermissionSet, len(ps))
	for _, p := range ps {
		s[p] = struct{}{}
	}
	return s
}

// Matrix grants permissions to roles. It is the single source of truth:
// authorization checks, token scopes and docs/permissions.md all derive
// from it. It is read concurrently and must not be changed after start-up.
//
// Owner and admin hold the same permissions; what only an owner may do
// (manage owners) depends on who the target is, so it is a rule in the user
// operations, not a permission.
var Matrix = map[Role]PermissionSet{
	RoleOwner: setOf(Permissions...),
	RoleAdmin: setOf(Permissions...),
	// Analysts query and segment but see customers masked: SQL and
	// dashboards work on pseudonymous data, which is what GDPR's data
	// minimisation asks of analysis. Tokens let them script queries.
	RoleAnalyst: setOf(DashboardRead, QuerySQL, CustomersRead, SegmentsWrite, ModelsRun,
		ConsentRead, SourcesRead, MetricsRead, TokensWrite),
	// Marketers act on segments; actions use personal data server-side
	// (sending an e-mail) without showing it, so no pii.read. They record
	// consent (an opt-out from a campaign reply) but never export or erase.
	RoleMarketer: setOf(DashboardRead, CustomersRead, SegmentsWrite, ActionsWrite,
		ConsentRead, ConsentWrite, TokensWrite),
	// Viewers read only, and get no tokens: a read-only seat is for people,
	// not for scripts.
	RoleViewer: setOf(DashboardRead, CustomersRead),
}

// Permissions returns the permissions of role r; nil for an unknown role.
func (r Role) Permissions() PermissionSet { return Matrix[r] }

// Can reports whether role r has permission p.
func (r Role) Can(p Permission) bool { return Matrix[r].Has(p) }

// MatrixMarkdown renders Matrix as the Markdown of docs/permissions.md, so
// the documentation cannot drift from the code (a test compares them).
func MatrixMarkdown() string {
	var b strings.Builder
	b.WriteString("<!-- Generated from internal/auth/perm.go by `go run ./internal/auth/gen`; do not edit. -->\n\n")
	b.WriteString("# Roles and permissions\n\n")
	b.WriteString("Every user has one role; a role is a set of permissions. Every API endpoint and\n")
	b.WriteString("dashboard page requires one permission. An API token carries scopes: it may use\n")
	b.WriteString("a permission only if it is both in its scopes and in its user's role at the time\n")
	b.WriteString("of use, so demoting a user narrows their tokens at once. The admin token\n")
	b.WriteString("(`TRADEWIND_ADMIN_TOKEN`) acts as an owner.\n\n")
	b.WriteString("| permission | ")
	for _, r := range Roles {
		b.WriteString(string(r))
		b.WriteString(" | ")
	}
	b.WriteString("what it allows |\n|---|")
	for range Roles {
		b.WriteString(":-:|")
	}
	b.WriteString("---|\n")
	for _, p := range Permissions {
		b.WriteString("| `" + string(p) + "` | ")
		for _, r := range Roles {
			if r.Can(p) {
				b.WriteString("✓ | ")
			} else {
				b.WriteString("  | ")
			}
		}
		b.WriteString(p.Description() + " |\n")
	}
	b.WriteString("\nRules that depend on the target, not only on a permission:\n\n")
	b.WriteString("- Only an owner may make someone an owner, change an owner's role, disable an\n")
	b.WriteString("  owner or reset an owner's password; an admin may do everything else.\n")
	b.WriteString("- The last enabled owner can be neither demoted nor disabled.\n")
	b.WriteString("- The first owner is created once, on the first-run page, while no owner exists.\n")
	b.WriteString("- Changing a user's password or role, or disabling them, ends their sessions.\n")
	b.WriteString("- Without `pii.read`, personal fields of customer records are masked.\n")
	return b.String()
}
