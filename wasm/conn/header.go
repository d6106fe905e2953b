package conn

import "unicode/utf8"

// LastEventIDHeader returns the value of the Last-Event-ID request header
// for a last event ID string, in the form fetch's Headers accept.
//
// The standard sends the last event ID string encoded as UTF-8 (§9.2.3).
// Headers take only byte strings (code points up to U+00FF, one per byte
// sent), so each byte of the UTF-8 encoding becomes one such code point.
// The ID comes from the stream as bytes; invalid UTF-8 in it is first
// replaced by U+FFFD as the standard's UTF-8 decode does, one replacement
// for each maximal invalid subpart (Encoding §4.1, the UTF-8 decoder), so
// that the bytes sent equal what a browser's native EventSource sends.
func LastEventIDHeader(id string) string {
	ascii := true
	for i := 0; i < len(id); i++ {
		if id[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return id
	}
	var latin []rune
	for _, b := range []byte(decodeUTF8(id)) {
		latin = append(latin, rune(b))
	}
	return string(latin)
}

// decodeUTF8 returns s with each maximal subpart of an ill-formed UTF-8
// sequence replaced by U+FFFD, as the Encoding standard's UTF-8 decoder does.
func decodeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			out = append(out, s[i:i+size]...)
			i += size
			continue
		}
		// An ill-formed sequence: skip its maximal subpart, the longest
		// prefix of a well-formed sequence (at most 3 bytes), then emit
		// one replacement.
		i += maximalSubpart(s[i:])
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	return string(out)
}

// maximalSubpart returns the length (at least 1) of the maximal subpart of
// an ill-formed sequence at the start of s, following the Encoding
// standard's lower and upper bounds for the second byte.
func maximalSubpart(s string) int {
	lead := s[0]
	var need int
	lower, upper := byte(0x80), byte(0xBF)
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead >= 0xE0 && lead <= 0xEF:
		need = 2
		if lead == 0xE0 {
			lower = 0xA0
		} else if lead == 0xED {
			upper = 0x9F
		}
	case lead >= 0xF0 && lead <= 0xF4:
		need = 3
		if lead == 0xF0 {
			lower = 0x90
		} else if lead == 0xF4 {
			upper = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(s); n++ {
		c := s[n]
		if c < lower || c > upper {
			break
		}
		lower, upper = 0x80, 0xBF
	}
	return n
}
