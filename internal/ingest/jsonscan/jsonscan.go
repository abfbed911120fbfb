// Package jsonscan finds where values lie in JSON text that a parser has
// already accepted, so that the hot paths can pass a message's parts on as
// the bytes the sender wrote instead of encoding the parsed values again:
// the elements of a batch request at ingest, and a message's properties,
// traits and context in the store's projection.
//
// It is a scanner, not a validator: on JSON that does not parse its answers
// mean nothing. Whenever it cannot be sure that its answer is what the
// parser read (a key written with escapes, which may spell the key sought),
// it says so, and the caller encodes the parsed value instead.
package jsonscan

// BatchElements returns the bytes of each element of the top-level "batch"
// array of a request body, exactly as written. It returns nil when it
// cannot be sure its split matches what the parser read — a key written
// with escapes, a second "batch" key, not want elements, anything
// malformed.
func BatchElements(body []byte, want int) [][]byte {
	raw, ok := Field(body, "batch", true)
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	out := make([][]byte, 0, want)
	i := 1
	for {
		i = skipWS(raw, i)
		if i >= len(raw) {
			return nil
		}
		if raw[i] == ']' {
			break
		}
		if raw[i] == ',' {
			if len(out) == 0 {
				return nil
			}
			i = skipWS(raw, i+1)
		}
		start := i
		if i = skipValue(raw, i); i < 0 {
			return nil
		}
		out = append(out, raw[start:i])
	}
	if len(out) != want {
		return nil
	}
	return out
}

// Field returns the bytes of the value of key in the JSON object obj, as
// written: the first one when the key occurs more than once (as the
// parser's Get does), or, with unique, only when it occurs once. ok is
// false when it cannot tell (a key written with escapes, obj not an
// object, malformed text); raw is nil with ok true when obj has no such
// key.
func Field(obj []byte, key string, unique bool) (raw []byte, ok bool) {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	i++
	for {
		i = skipWS(obj, i)
		if i >= len(obj) {
			return nil, false
		}
		if obj[i] == '}' {
			return raw, true
		}
		if obj[i] == ',' {
			i = skipWS(obj, i+1)
		}
		if i >= len(obj) || obj[i] != '"' {
			return nil, false
		}
		end, escaped := skipString(obj, i)
		if end < 0 || escaped {
			// An escaped key may spell key: the parser would see it, this
			// scanner would not.
			return nil, false
		}
		match := string(obj[i+1:end-1]) == key
		i = skipWS(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		i = skipWS(obj, i+1)
		start := i
		if i = skipValue(obj, i); i < 0 {
			return nil, false
		}
		if match {
			if raw != nil {
				if unique {
					return nil, false
				}
				continue
			}
			raw = obj[start:i]
			if !unique {
				// The first occurrence is the parser's; the rest of the
				// keys need no look unless an escaped one comes before.
				return raw, true
			}
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'
// (-1 if it does not end) and whether it holds an escape.
func skipString(b []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1, escaped
		case '\\':
			escaped = true
			j++
		}
	}
	return -1, escaped
}

// skipValue returns the index after the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := skipString(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := skipString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	// A number, true, false or null: up to the next delimiter.
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
