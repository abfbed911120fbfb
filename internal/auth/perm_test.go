package auth

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite ../../docs/permissions.md from the permission matrix")

const permissionsDoc = "../../docs/permissions.md"

// TestPermissionsDoc keeps docs/permissions.md equal to the matrix.
func TestPermissionsDoc(t *testing.T) {
	want := MatrixMarkdown()
	if *update {
		if err := os.WriteFile(permissionsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	const regen = "regenerate it from the repository root with `go run ./internal/auth/gen` " +
		"or `go test ./internal/auth -run TestPermissionsDoc -update`"
	got, err := os.ReadFile(permissionsDoc)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("docs/permissions.md is missing; %s", regen)
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		g, w := strings.Split(string(got), "\n"), strings.Split(want, "\n")
		for i := range max(len(g), len(w)) {
			var gl, wl string
			if i < len(g) {
				gl = g[i]
			}
			if i < len(w) {
				wl = w[i]
			}
			if gl != wl {
				t.Fatalf("docs/permissions.md differs from the matrix at line %d:\n  file: %q\n  code: %q\n%s", i+1, gl, wl, regen)
			}
		}
	}
}

func TestMatrix(t *testing.T) {
	for _, p := range Permissions {
		if p.Description() == "" {
			t.Errorf("permission %s has no description", p)
		}
		if !RoleOwner.Can(p) || !RoleAdmin.Can(p) {
			t.Errorf("owner or admin lacks %s", p)
		}
	}
	if len(permissionDocs) != len(Permissions) {
		t.Errorf("%d descriptions for %d permissions", len(permissionDocs), len(Permissions))
	}
	for _, r := range Roles {
		for p := range Matrix[r] {
			if !p.Valid() {
				t.Errorf("role %s has unknown permission %q", r, p)
			}
		}
	}
	if len(Matrix) != len(Roles) {
		t.Errorf("matrix has %d roles, Roles %d", len(Matrix), len(Roles))
	}
	// Each lesser role's permissions are spelled out; check the ones that
	// matter most for privacy.
	for _, r := range []Role{RoleAnalyst, RoleMarketer, RoleViewer} {
		for _, p := range []Permission{PIIRead, PrivacyExport, PrivacyErase, UsersWrite, SourcesWrite, ConfigWrite, DebugPprof, AuditRead} {
			if r.Can(p) {
				t.Errorf("%s must not have %s", r, p)
			}
		}
	}
	if got := RoleViewer.Permissions().List(); len(got) != 2 || got[0] != DashboardRead || got[1] != CustomersRead {
		t.Errorf("viewer = %v", got)
	}
	if !RoleAnalyst.Can(QuerySQL) || RoleMarketer.Can(QuerySQL) || !RoleMarketer.Can(ActionsWrite) || RoleAnalyst.Can(ActionsWrite) {
		t.Error("analyst/marketer split is wrong")
	}
	if Role("root").Can(DashboardRead) || Role("root").Valid() {
		t.Error("an unknown role has permissions")
	}
	if _, err := ParseRole(" Analyst "); err != nil {
		t.Error(err)
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole accepted root")
	}
	ps, err := ParsePermissions([]string{"query.sql", "dashboard.read", "query.sql"})
	if err != nil || len(ps) != 2 || ps[0] != DashboardRead {
		t.Errorf("ParsePermissions = %v, %v", ps, err)
	}
	if _, err := ParsePermissions([]string{"root"}); err == nil {
		t.Error("ParsePermissions accepted an unknown permission")
	}
	md := MatrixMarkdown()
	if !strings.Contains(md, "| `pii.read` | ✓ | ✓ |   |   |   |") {
		t.Errorf("markdown row for pii.read is wrong:\n%s", md)
	}
}
