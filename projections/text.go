package projections

import (
	"reflect"
	"slices"
	"strings"

	"bytes"
	"encoding/json"
	"github.com/mttq-vn/ledger/events"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldLatin and foldVietnamese map each precomposed Latin letter with
// diacritics (U+00C0-U+024F and U+1E00-U+1EFF, the Vietnamese alphabet
// among them) to its lowercase base letter: "Ủ" to "u", "đ" to "d"; 0 where
// there is none. Tables rather than a map: folding runs on every event of a
// replay.
var foldLatin, foldVietnamese = func() (a [0x250 - 0xC0]rune, b [0x100]rune) {
	for r := rune(0xC0); r <= 0x24F; r++ {
		a[r-0xC0] = baseLetter(r)
	}
	for r := rune(0x1E00); r <= 0x1EFF; r++ {
		b[r-0x1E00] = baseLetter(r)
	}
	// Đ, and Ð (Latin eth), which converters of the old VNI and TCVN
	// encodings write for it.
	a['đ'-0xC0], a['Đ'-0xC0], a['ð'-0xC0], a['Ð'-0xC0] = 'd', 'd', 'd', 'd'
	return a, b
}()

func baseLetter(r rune) rune {
	d := norm.NFD.String(string(r))
	base, _ := utf8.DecodeRuneInString(d)
	if base < utf8.RuneSelf && unicode.IsLetter(base) {
		return unicode.ToLower(base)
	}
	return 0
}

// foldRune returns the folded form of a rune at or above utf8.RuneSelf.
func foldRune(r rune) rune {
	var f rune
	switch {
	case r >= 0xC0 && r <= 0x24F:
		f = foldLatin[r-0xC0]
	case r >= 0x1E00 && r <= 0x1EFF:
		f = foldVietnamese[r-0x1E00]
	}
	if f != 0 {
		return f
	}
	return unicode.ToLower(r)
}

// foldText returns s in lowercase without diacritics, with runs of spaces
// made one, so that "uy ban" matches "Ủy ban" and "UỶ BAN".
func foldText(s string) string {
	b := make([]byte, 0, len(s))
	space := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c == ' ' || (c >= '\t' && c <= '\r') {
				if !space {
					b, space = append(b, ' '), true
				}
				continue
			}
			b, space = append(b, c), false
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if unicode.Is(unicode.Mn, r) {
			continue // a combining mark of text that is not NFC
		}
		r = foldRune(r)
		if unicode.IsSpace(r) {
			if !space {
				b, space = append(b, ' '), true
			}
			continue
		}
		if r < utf8.RuneSelf {
			b = append(b, byte(r))
		} else {
			b = utf8.AppendRune(b, r)
		}
		space = false
	}
	if len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// splitFields returns the top-level fields of the JSON object data, sorted
// by key, with values that are slices of data. Stored payloads are
// canonical JSON objects; anything else is decoded the slow way.
func splitFields(data []byte, class events.Classification) []Field {
	return splitFieldsInto(make([]Field, 0, 12), data, class)
}

// splitFieldsInto is splitFields appending to dst[:0] (whose storage it
// may use and return).
func splitFieldsInto(dst []Field, data []byte, class events.Classification) []Field {
	fields, ok := fastSplit(dst[:0], data, class)
	if !ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return nil
		}
		fields = fields[:0]
		for _, k := range sortedKeys(m) {
			fields = append(fields, Field{Key: k, Value: m[k], Class: class})
		}
		return fields
	}
	if !strictlySorted(fields) {
		// Out of order or a key given twice: sort, and keep the last value
		// of a duplicate as a JSON decoder would.
		slices.SortStableFunc(fields, compareFields)
		out := fields[:0]
		for i, f := range fields {
			if i+1 < len(fields) && fields[i+1].Key == f.Key {
				continue
			}
			out = append(out, f)
		}
		fields = out
	}
	return fields
}

// payloadKeys holds the top-level field names of every payload type, each
// once, so that splitting a payload does not allocate its keys.
var payloadKeys = func() map[string]string {
	m := map[string]string{}
	for _, t := range events.Types() {
		p, err := events.DecodeStored(t, []byte("{}"))
		if err != nil {
			continue
		}
		rt := reflect.TypeOf(p)
		for rt.Kind() == reflect.Pointer {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct {
			continue
		}
		for f := range rt.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				m[name] = name
			}
		}
	}
	return m
}()

func compareFields(a, b Field) int { return strings.Compare(a.Key, b.Key) }

func strictlySorted(fields []Field) bool {
	for i := 1; i < len(fields); i++ {
		if fields[i-1].Key >= fields[i].Key {
			return false
		}
	}
	return true
}

func fastSplit(out []Field, data []byte, class events.Classification) ([]Field, bool) {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' {
		return out, false
	}
	i := 1
	for {
		i = skipSpace(data, i)
		if i < len(data) && data[i] == '}' && len(out) == 0 {
			break
		}
		end := skipString(data, i)
		if end < 0 {
			return out, false
		}
		key, ok := payloadKeys[string(data[i+1:end-1])]
		if !ok {
			if key, ok = unquoteJSON(data[i:end]); !ok {
				return out, false
			}
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return out, false
		}
		i = skipSpace(data, i+1)
		vend := skipValue(data, i)
		if vend < 0 {
			return out, false
		}
		out = append(out, Field{Key: key, Value: data[i:vend:vend], Class: class})
		i = skipSpace(data, vend)
		if i >= len(data) {
			return out, false
		}
		if data[i] == '}' {
			break
		}
		if data[i] != ',' {
			return out, false
		}
		i++
	}
	return out, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at i, or -1.
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	start := i + 1
	for i = start; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		k := j // an even run of backslashes before the quote leaves it unescaped
		for k > start && b[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j + 1
		}
		i = j + 1
	}
}

// skipValue returns the index after the JSON value starting at i, or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				e := skipString(b, i)
				if e < 0 {
					return -1
				}
				i = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\n', '\t', '\r':
				return i
			}
		}
		return i
	}
}

func unquoteJSON(b []byte) (string, bool) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
		return string(b[1 : len(b)-1]), true
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

func quoteJSON(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
