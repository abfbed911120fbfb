package pii

import (
	"crypto/cipher"
	"fmt"
	"strconv"

	"github.com/tradewind/tradewind/internal/jsonw"
	"github.com/valyala/fastjson"
)

// DecryptJSON returns a copy of the JSON document doc (a message, or a
// store row's JSON) with every envelope replaced by its value: a string, or
// the JSON value that was sealed (a number, an object). It is the subject
// export's reader. A value whose key was destroyed becomes the string
// "[erased]" when erased(err) reports that the key store's error means so
// (for the key store: errors.Is(err, keystore.ErrDestroyed)); any other
// failure — the key store unavailable, an envelope tampered with — fails the
// whole document, naming the path, since an export must not silently lose
// data.
//
// Envelopes are opened wherever they are found, as Open does: a store row
// holds them under other paths than the message did. Members keep their
// order; an object's duplicate keys are all kept.
func DecryptJSON(keys Keys, doc []byte, erased func(error) bool) ([]byte, error) {
	return reveal(keys, doc, erased, false)
}

// MaskJSON is DecryptJSON for readers without the PII permission: each
// envelope becomes its masked value (see Mask), or "[erased]".
func MaskJSON(keys Keys, doc []byte, erased func(error) bool) ([]byte, error) {
	return reveal(keys, doc, erased, true)
}

func reveal(keys Keys, doc []byte, erased func(error) bool, mask bool) ([]byte, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(doc)
	if err != nil {
		return nil, fmt.Errorf("pii: the document is not valid JSON: %w", err)
	}
	r := revealer{keys: keys, erased: erased, mask: mask}
	return r.emit(make([]byte, 0, len(doc)), v, 0)
}

// maxNesting bounds envelopes within sealed JSON values (which Encrypt
// never makes, but a document could hold).
const maxNesting = 4

type keyResult struct {
	a   cipher.AEAD
	err error
}

type revealer struct {
	keys   Keys
	erased func(error) bool
	mask   bool
	path   []byte
	cache  map[uint64]keyResult
}

func (r *revealer) emit(dst []byte, v *fastjson.Value, nesting int) ([]byte, error) {
	var err error
	switch v.Type() {
	case fastjson.TypeObject:
		dst = append(dst, '{')
		first := true
		o, _ := v.Object()
		o.Visit(func(k []byte, cv *fastjson.Value) {
			if err != nil {
				return
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = jsonw.AppendStringBytes(dst, k)
			dst = append(dst, ':')
			n := len(r.path)
			if n > 0 {
				r.path = append(r.path, '.')
			}
			r.path = append(r.path, k...)
			dst, err = r.emit(dst, cv, nesting)
			r.path = r.path[:n]
		})
		return append(dst, '}'), err
	case fastjson.TypeArray:
		dst = append(dst, '[')
		a, _ := v.Array()
		for i, cv := range a {
			if i > 0 {
				dst = append(dst, ',')
			}
			n := len(r.path)
			if n > 0 {
				r.path = append(r.path, '.')
			}
			r.path = strconv.AppendInt(r.path, int64(i), 10)
			dst, err = r.emit(dst, cv, nesting)
			r.path = r.path[:n]
			if err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		if isEnvelopeText(s) {
			return r.open(dst, string(s), nesting)
		}
		return jsonw.AppendStringBytes(dst, s), nil
	}
	return v.MarshalTo(dst), nil
}

// open appends what an envelope shows.
func (r *revealer) open(dst []byte, s string, nesting int) ([]byte, error) {
	e, err := ParseEnvelope(s)
	if err != nil {
		return dst, fmt.Errorf("pii: %s: %w", r.path, err)
	}
	a, err := r.key(e.KeyID)
	if err != nil {
		if r.erased != nil && r.erased(err) {
			return jsonw.AppendString(dst, Erased), nil
		}
		return dst, fmt.Errorf("pii: %s: %w", r.path, err)
	}
	o, err := open(a, e)
	if err != nil {
		return dst, fmt.Errorf("pii: %s: %w", r.path, err)
	}
	switch {
	case r.mask:
		return jsonw.AppendString(dst, Mask(o.kind, o.value)), nil
	case !o.isJSON:
		return jsonw.AppendString(dst, o.value), nil
	case nesting >= maxNesting:
		return dst, fmt.Errorf("pii: %s: envelopes nested too deep", r.path)
	}
	var p fastjson.Parser
	v, err := p.Parse(o.value)
	if err != nil {
		return dst, fmt.Errorf("pii: %s: sealed JSON value does not parse", r.path)
	}
	return r.emit(dst, v, nesting+1)
}

// key returns a key by id, asking the key store once per id and document.
func (r *revealer) key(id uint64) (cipher.AEAD, error) {
	if kr, ok := r.cache[id]; ok {
		return kr.a, kr.err
	}
	a, err := keyByID(r.keys, id)
	if r.cache == nil {
		r.cache = make(map[uint64]keyResult)
	}
	r.cache[id] = keyResult{a, err}
	return a, err
}

// appendJSON appends v as JSON, strings and keys escaped correctly.
func appendJSON(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		dst = append(dst, '{')
		first := true
		o, _ := v.Object()
		o.Visit(func(k []byte, cv *fastjson.Value) {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = jsonw.AppendStringBytes(dst, k)
			dst = append(dst, ':')
			dst = appendJSON(dst, cv)
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		dst = append(dst, '[')
		a, _ := v.Array()
		for i, cv := range a {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, cv)
		}
		return append(dst, ']')
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return jsonw.AppendStringBytes(dst, s)
	}
	return v.MarshalTo(dst)
}
