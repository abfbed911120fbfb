package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerifyAndPHC(t *testing.T) {
	h, err := HashPassword("correct horse battery", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the default parameters", h)
	}
	p, salt, key, err := ParsePHC(h)
	if err != nil {
		t.Fatal(err)
	}
	if p != DefaultArgon2 || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("parsed %+v salt %d key %d", p, len(salt), len(key))
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := VerifyPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := HashPassword("correct horse battery", DefaultArgon2)
	if h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if NeedsRehash(h, DefaultArgon2) {
		t.Error("a hash with the current parameters needs a rehash")
	}
	if !NeedsRehash(h, Argon2Params{Memory: 65536, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}) {
		t.Error("a hash with other parameters does not need a rehash")
	}
}

// A hash made by another implementation (argon2-cffi, the reference C code
// underneath) must verify: the PHC encoding is an interchange format, and
// an import of users from another system depends on it.
func TestVerifyForeignPHC(t *testing.T) {
	const h = "$argon2id$v=19$m=65536,t=3,p=4$2m5CBWkA489bnIwyY5iaWQ$w3ujhnFOTF63QwaBVK950q/NxCwyTVQF4LLTeHAEt/Y"
	ok, err := VerifyPassword(h, "TestPass123")
	if err != nil || !ok {
		t.Fatalf("verify = %v, %v", ok, err)
	}
	if ok, _ := VerifyPassword(h, "TestPass124"); ok {
		t.Fatal("wrong password verified")
	}
}

func TestParsePHCRejectsMalformed(t *testing.T) {
	good := "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
	if _, _, _, err := ParsePHC(good); err != nil {
		t.Fatalf("good hash: %v", err)
	}
	for _, bad := range []string{
		"", "plain", "$argon2id$", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", // 95 GiB
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5$extra",
	} {
		if _, _, _, err := ParsePHC(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("ParsePHC(%q) = %v, want ErrBadHash", bad, err)
		}
		if ok, err := VerifyPassword(bad, "anything at all"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v", bad, ok, err)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		pw, email string
		ok        bool
	}{
		{"short", "", false},
		{"123456789", "", false},
		{"1234567890", "", true},
		{"密码密码密码密码密码", "", true}, // ten characters, thirty bytes
		{strings.Repeat("x", 256), "", true},
		{strings.Repeat("x", 257), "", false},
		{"Alice@Example.com", "alice@example.com", false},
		{"alice@example.com!", "alice@example.com", true},
		{"bad\xffutf8bytes", "", false},
	} {
		err := CheckPassword(c.pw, c.email)
		if (err == nil) != c.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", c.pw, err, c.ok)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "password" || strings.Contains(err.Error(), c.pw)) {
			t.Errorf("CheckPassword(%q) error %q must name the field and not the value", c.pw, err)
		}
	}
}
