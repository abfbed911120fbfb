package keystore

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// MasterKey is one version of the operator's master key. The key store wraps
// its own secrets and every data key under the current (highest) version;
// older versions are kept only until Rotate has rewrapped everything.
type MasterKey struct {
	Version uint32
	Key     [32]byte
}

// LoadMaster reads the master keys from file or, when file is "", from env,
// the value of an environment variable (passed as its content, so this
// package never reads the environment itself).
//
// The format is text, one key per line:
//
//	# comment
//	v1:<standard base64 of 32 random bytes>
//	v2:<…>
//
// Blank lines and lines starting with '#' are ignored; in the environment
// form, entries may also be separated by commas, since multi-line
// environment values are awkward. The highest version is current. Keys come
// back sorted by version, ascending.
//
// Errors name the file (or "the environment") and the line, never the line's
// content: a malformed line may well be key material.
func LoadMaster(file string, env string) ([]MasterKey, error) {
	var (
		text  string
		where string
		seps  = "\n"
		unit  = "line"
	)
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("keystore: read master key file: %w", err)
		}
		text, where = string(b), "master key file "+file
	} else {
		if strings.TrimSpace(env) == "" {
			return nil, errors.New("keystore: no master key given (neither a file nor an environment value)")
		}
		text, where, seps, unit = env, "master keys from the environment", "\n,", "entry"
	}
	keys, err := parseMaster(text, seps, unit)
	if err != nil {
		return nil, fmt.Errorf("keystore: %s: %w", where, err)
	}
	return keys, nil
}

func parseMaster(text, seps, unit string) ([]MasterKey, error) {
	var keys []MasterKey
	lineOf := map[uint32]int{}
	n := 0
	for entry := range splitAny(text, seps) {
		n++
		e := strings.TrimSpace(entry)
		if e == "" || strings.HasPrefix(e, "#") {
			continue
		}
		ver, b64, ok := strings.Cut(e, ":")
		if !ok || len(ver) < 2 || ver[0] != 'v' {
			return nil, fmt.Errorf("%s %d: want v<version>:<base64 key>", unit, n)
		}
		v, err := strconv.ParseUint(ver[1:], 10, 32)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("%s %d: the version must be a whole number from 1 to %d", unit, n, uint32(1<<32-1))
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("%s %d: the key is not standard base64", unit, n)
		}
		if len(raw) != 32 {
			return nil, fmt.Errorf("%s %d: the key decodes to %d bytes, want 32", unit, n, len(raw))
		}
		var k MasterKey
		k.Version = uint32(v)
		copy(k.Key[:], raw)
		clear(raw)
		if k.Key == ([32]byte{}) {
			return nil, fmt.Errorf("%s %d: the key is all zeros (a placeholder?)", unit, n)
		}
		if prev, dup := lineOf[k.Version]; dup {
			return nil, fmt.Errorf("%s %d: version v%d is already given in %s %d", unit, n, k.Version, unit, prev)
		}
		lineOf[k.Version] = n
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no key in it")
	}
	slices.SortFunc(keys, func(a, b MasterKey) int { return cmpU32(a.Version, b.Version) })
	return keys, nil
}

// splitAny yields the pieces of s between any of the separator bytes in seps.
func splitAny(s, seps string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for {
			i := strings.IndexAny(s, seps)
			if i < 0 {
				yield(s)
				return
			}
			if !yield(s[:i]) {
				return
			}
			s = s[i+1:]
		}
	}
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// GenerateMasterFile writes a new master key file at path holding one fresh
// v1 key, readable by the owner only (0600). It is how a laptop install gets
// a master key when the operator gives none. It never overwrites an existing
// file: replacing a master key would make every key store wrapped under it,
// and so every encrypted field, unreadable.
func GenerateMasterFile(path string) error { return GenerateNextMasterFile(path, 1) }

// GenerateNextMasterFile writes a new file holding one fresh key of the
// given version: the next master key of a rotation.
func GenerateNextMasterFile(path string, version uint32) error {
	if version == 0 {
		return errors.New("keystore: master key versions start at 1")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keystore: create directory for master key file: %w", err)
	}
	var key [32]byte
	rand.Read(key[:])
	var buf bytes.Buffer
	buf.WriteString("# tradewind master key file: one key per line, v<version>:<base64 of 32 bytes>.\n")
	buf.WriteString("# The highest version is current; keep an older line until a key store rotation has finished.\n")
	buf.WriteString("# Losing this file makes every encrypted personal field unreadable: keep a copy apart from the data backups.\n")
	fmt.Fprintf(&buf, "v%d:", version)
	buf.WriteString(base64.StdEncoding.EncodeToString(key[:]))
	buf.WriteString("\n")
	clear(key[:])
	defer clear(buf.Bytes())

	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("keystore: create master key file: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("keystore: write master key file %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("keystore: master key file %s: %w", path, err)
	}
	return nil
}

// syncDir makes a file's creation or rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
