package projections

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldReference is foldText written plainly: NFD, drop combining marks,
// map đ, lowercase, collapse spaces.
func foldReference(s string) string {
	var b strings.Builder
	space := true
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r >= 0xC0 && r <= 0x24F || r >= 0x1E00 && r <= 0x1EFF {
			if r == 'đ' || r == 'Đ' || r == 'ð' || r == 'Ð' {
				r = 'd'
			} else if base, _ := utf8.DecodeRuneInString(norm.NFD.String(string(r))); base < utf8.RuneSelf && unicode.IsLetter(base) {
				r = base
			}
		}
		r = unicode.ToLower(r)
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

func TestFoldText(t *testing.T) {
	for in, want := range map[string]string{
		"Ủy ban nhân dân":                "uy ban nhan dan",
		"  UỶ   BAN\tĐoàn\n":             "uy ban doan",
		"Đảng ủy, HĐND & UBND":           "dang uy, hdnd & ubnd",
		"Ủy ban" + "\u00a0" + "Mặt trận": "uy ban mat tran",
		norm.NFD.String("Phường Đập Đá"): "phuong dap da",
		"Phường Ðập Ðá":                  "phuong dap da", // Latin eth, as old VNI and TCVN converters write Đ
		"":                               "",
		"   ":                            "",
		"Ελληνικά Straße":                "ελληνικά straße",
	} {
		if got := foldText(in); got != want {
			t.Errorf("foldText(%q) = %q, want %q", in, got, want)
		}
	}
	// Random text from Vietnamese letters, ASCII, spaces and other scripts
	// folds as the plain reference does.
	alphabet := []rune("aAăĂâÂbcdđĐðÐeêÊgGhiIklmnoôƠơpqrstuưƯvxyỳỹỷỵýÝÀẢÃÁẠẰẲẴẮẶẦẨẪẤẬèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứự \t\n\u00a0\u0301\u0323ßΣЖ中1.,")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		r := make([]rune, rng.IntN(40))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(r)
		if got, want := foldText(s), foldReference(s); got != want {
			t.Fatalf("foldText(%q) = %q, reference %q", s, got, want)
		}
	}
}

func BenchmarkFoldText(b *testing.B) {
	s := "Giám sát việc thực hiện Luật Tiếp công dân tại Ủy ban nhân dân phường Đập Đá, thị xã An Nhơn"
	for range b.N {
		foldText(s)
	}
}

func TestSplitFields(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":"x\"}","c":{"d":[1,"]"]}}`: `a="x\"}" b=1 c={"d":[1,"]"]}`,
		`{"a":1,"a":2}`:                        `a=2`,
		` { "k" : "v\\" , "j":true } `:         `j=true k="v\\"`,
		`{}`:                                   ``,
		`{"\u0061":null}`:                      `a=null`,
		`[1]`:                                  ``,
	} {
		var got []string
		for _, f := range splitFields([]byte(in), "public") {
			got = append(got, f.Key+"="+string(f.Value))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("splitFields(%s) = %q, want %q", in, strings.Join(got, " "), want)
		}
	}
}

func TestPayloadKeys(t *testing.T) {
	for _, k := range []string{"title", "addressee_party_id", "summary", "changes", "issued_on"} {
		if payloadKeys[k] != k {
			t.Errorf("payloadKeys lacks %q (has %d keys)", k, len(payloadKeys))
		}
	}
}
