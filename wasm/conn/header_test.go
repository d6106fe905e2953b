package conn

import "testing"

func TestLastEventIDHeader(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"", ""},
		{"42", "42"},
		{"é", "\u00c3\u00a9"},                  // UTF-8 C3 A9, one code point per byte
		{"\xff", "\u00ef\u00bf\u00bd"},         // U+FFFD as EF BF BD
		{"a\xe2\x82b", "a\u00ef\u00bf\u00bdb"}, // one U+FFFD for the truncated sequence
		{"\xe2\x82\xe2\x82\xac", "\u00ef\u00bf\u00bd\u00e2\u0082\u00ac"},           // truncated, then €
		{"\xed\xa0\x80", "\u00ef\u00bf\u00bd\u00ef\u00bf\u00bd\u00ef\u00bf\u00bd"}, // a surrogate: ED is a subpart alone
		{"\xf0\x9f\x98", "\u00ef\u00bf\u00bd"},                                     // a truncated emoji
	} {
		if got := LastEventIDHeader(tc.id); got != tc.want {
			t.Errorf("LastEventIDHeader(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
