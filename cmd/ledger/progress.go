package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Progress reports long work: on a terminal, one line rewritten in place
// with the count, the rate and an estimate of the time left; otherwise a
// plain line every few seconds, which logs and CI output keep readable.
type Progress struct {
	w        io.Writer
	what     string
	total    uint64
	tty      bool
	start    time.Time
	every    time.Duration
	mu       sync.Mutex
	last     time.Time
	done     uint64
	finished bool
}

// NewProgress starts reporting work on what, of total units (0 if unknown).
func NewProgress(w io.Writer, what string, total uint64) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	p := &Progress{w: w, what: what, total: total, tty: tty, start: time.Now(), every: 5 * time.Second}
	if tty {
		p.every = 200 * time.Millisecond
	}
	return p
}

// SetTotal changes the expected total.
func (p *Progress) SetTotal(total uint64) {
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
}

// Update reports that done units are finished; it prints at most every
// 200 ms on a terminal and every 5 s otherwise.
func (p *Progress) Update(done uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// A fill writes whole cycles, and a small one its units first: past
	// the total, the total is what was done (not 296.5%).
	p.done = done
	if p.total > 0 {
		p.total = max(p.total, done)
	}
	if now := time.Now(); now.Sub(p.last) >= p.every && !p.finished {
		p.last = now
		p.print(false)
	}
}

// Done prints the final line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.print(true)
}

func (p *Progress) print(final bool) {
	el := time.Since(p.start)
	rate := float64(p.done) / max(el.Seconds(), 1e-9)
	line := fmt.Sprintf("%s: %d", p.what, p.done)
	if p.total > 0 {
		line += fmt.Sprintf("/%d (%.1f%%)", p.total, 100*float64(p.done)/float64(p.total))
	}
	line += fmt.Sprintf(", %.0f/s", rate)
	switch {
	case final:
		line += fmt.Sprintf(", done in %s", el.Round(10*time.Millisecond))
	case p.total > p.done && rate > 0:
		eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		line += fmt.Sprintf(", about %s left", eta.Round(time.Second))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintln(p.w, line)
}
