package projections

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold maps each precomposed Latin letter with diacritics (the Vietnamese
// alphabet among them) to its lowercase base letter: "Ủ" to "u", "đ" to "d".
var fold = func() map[rune]rune {
	m := map[rune]rune{'đ': 'd', 'Đ': 'd'}
	for r := rune(0xC0); r <= 0x24F; r++ {
		addFold(m, r)
	}
	for r := rune(0x1E00); r <= 0x1EFF; r++ {
		addFold(m, r)
	}
	return m
}()

func addFold(m map[rune]rune, r rune) {
	d := norm.NFD.String(string(r))
	base, _ := utf8.DecodeRuneInString(d)
	if base < utf8.RuneSelf && unicode.IsLetter(base) {
		m[r] = unicode.ToLower(base)
	}
}

// foldText returns s in lowercase without diacritics, with runs of spaces
// made one, so that "uy ban" matches "Ủy ban" and "UỶ BAN".
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
		case unicode.Is(unicode.Mn, r):
			continue // a combining mark of text that is not NFC
		default:
			if f, ok := fold[r]; ok {
				r = f
			} else {
				r = unicode.ToLower(r)
			}
		}
		if unicode.IsSpace(r) {
			if space {
				continue
			}
			r, space = ' ', true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// splitObject calls fn with each top-level key of the JSON object data and
// its raw value. Stored payloads are canonical JSON objects; anything else
// is decoded the slow way.
func splitObject(data []byte, fn func(key string, val []byte)) {
	if !fastSplit(data, fn) {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) == nil {
			for _, k := range sortedKeys(m) {
				fn(k, m[k])
			}
		}
	}
}

func fastSplit(data []byte, fn func(string, []byte)) bool {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' {
		return false
	}
	type kv struct {
		k string
		v []byte
	}
	var out []kv
	i := 1
	for {
		i = skipSpace(data, i)
		if i < len(data) && data[i] == '}' && len(out) == 0 {
			break
		}
		end := skipString(data, i)
		if end < 0 {
			return false
		}
		key, ok := unquoteJSON(data[i:end])
		if !ok {
			return false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		vend := skipValue(data, i)
		if vend < 0 {
			return false
		}
		out = append(out, kv{key, data[i:vend]})
		i = skipSpace(data, vend)
		if i >= len(data) {
			return false
		}
		if data[i] == '}' {
			break
		}
		if data[i] != ',' {
			return false
		}
		i++
	}
	for _, e := range out {
		fn(e.k, e.v)
	}
	return true
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
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
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
