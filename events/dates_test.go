package events

import (
	"encoding/json"
	"testing"
	"time"
	"unsafe"
)

// TestDateOfDay: every day from 1899 to 2300 is written as time.Format
// writes it, and a date of the shared years is one copy however it was
// made (decoded, from a time, from its parts).
func TestDateOfDay(t *testing.T) {
	for day := time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() <= 2300; day = day.AddDate(0, 0, 1) {
		want := day.Format(DateLayout)
		y, m, d := day.Date()
		got := DateOfDay(y, int(m), d)
		if string(got) != want {
			t.Fatalf("DateOfDay(%d, %d, %d) = %q, want %q", y, m, d, got, want)
		}
		if DateOf(day) != got || !got.Valid() {
			t.Fatalf("DateOf(%s) = %q (valid %v)", want, DateOf(day), got.Valid())
		}
		var decoded Date
		if err := json.Unmarshal([]byte(`"`+want+`"`), &decoded); err != nil || decoded != got {
			t.Fatalf("decoding %q: %q, %v", want, decoded, err)
		}
		shared := y >= sharedFrom && y < sharedTo
		if same := unsafe.StringData(string(decoded)) == unsafe.StringData(string(got)); same != shared {
			t.Fatalf("%s: decoded and made share their bytes: %v, want %v", want, same, shared)
		}
	}
	// An escaped date is read the long way, and shared all the same.
	var escaped Date
	if err := json.Unmarshal([]byte(`"2024\u002d03-15"`), &escaped); err != nil || escaped != "2024-03-15" ||
		unsafe.StringData(string(escaped)) != unsafe.StringData(string(DateOfDay(2024, 3, 15))) {
		t.Errorf("escaped date: %q, %v", escaped, err)
	}
}

// TestDateValid: the short way agrees with time.Parse on what is a date.
func TestDateValid(t *testing.T) {
	for _, s := range []string{
		"2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "2100-02-29", "2024-04-31", "2024-12-31",
		"2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32", "1899-12-31", "2300-01-01", "0000-01-01",
		"9999-12-31", "2024-1-01", "2024-01-1", "2024/01/01", "2024-01-01 ", " 2024-01-01", "2024-01-0a",
		"+024-01-01", "２０２４-01-01", "", "2024-01-01T00:00:00Z", "20240101",
	} {
		_, err := time.Parse(DateLayout, s)
		if got := Date(s).Valid(); got != (err == nil) {
			t.Errorf("Date(%q).Valid() = %v, time.Parse: %v", s, got, err)
		}
		var d Date
		err = json.Unmarshal([]byte(`"`+s+`"`), &d)
		if want := s == "" || Date(s).Valid(); (err == nil) != want {
			t.Errorf("decoding %q: %v, want accepted %v", s, err, want)
		}
	}
}

// BenchmarkDateDecode: decoding a date allocates nothing.
func BenchmarkDateDecode(b *testing.B) {
	in := []byte(`"2024-03-15"`)
	b.ReportAllocs()
	for b.Loop() {
		var d Date
		if err := d.UnmarshalJSON(in); err != nil {
			b.Fatal(err)
		}
	}
}
