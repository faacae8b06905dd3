package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// RateLimiter is a token bucket per token subject: each bucket holds up to
// Burst requests and refills at Rate requests per second. A request finding
// its bucket empty is answered 429 with Retry-After, and is not carried out.
//
// Requests are counted per token, not per replica-wide total: every replica
// behind a load balancer keeps its own buckets, so a token may make up to
// (number of replicas) × Rate requests per second in all.
type RateLimiter struct {
	// Rate is how many requests per second a token may make on average.
	Rate float64
	// Burst is how many requests a token may make at once, after a pause.
	Burst int
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewRateLimiter returns a limiter of rate requests per second with bursts
// of burst.
func NewRateLimiter(rate float64, burst int) *RateLimiter {
	return &RateLimiter{Rate: rate, Burst: max(burst, 1)}
}

// Allow takes one request from key's bucket. If the bucket is empty it
// returns false and how long until it holds a request again.
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	burst := float64(max(l.Burst, 1))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = make(map[string]*bucket)
	}
	l.sweep(now, burst)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		l.buckets[key] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*l.Rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if l.Rate <= 0 {
		return false, time.Hour
	}
	// In whole milliseconds, rounded up: the bucket holds a request then.
	return false, time.Duration(math.Ceil((1-b.tokens)/l.Rate*1000)) * time.Millisecond
}

// sweep drops, once a minute, the buckets that have refilled: they hold
// nothing a new bucket would not. The map stays as large as the number of
// tokens active in the last minute or so.
func (l *RateLimiter) sweep(now time.Time, burst float64) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.Rate >= burst {
			delete(l.buckets, k)
		}
	}
}

// rateExempt lists the paths a rate limit never applies to: probes and
// scrapes must keep working while a client is being throttled.
func rateExempt(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// limitRate applies s.RateLimit to a request that carries a valid bearer
// token. It reports whether the request may go on; if not, it has answered
// 429 with Retry-After. Requests without a valid token are left to the
// handlers, which refuse them (401) or serve public data.
func (s *Server) limitRate(w http.ResponseWriter, r *http.Request) bool {
	if s.RateLimit == nil || rateExempt(r.URL.Path) {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return true
	}
	actor, err := s.Ledger.Authenticate(strings.TrimSpace(token))
	if err != nil {
		return true
	}
	allowed, wait := s.RateLimit.Allow(actor.Subject)
	if allowed {
		return true
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.Error(w, r, events.Errorf(events.ETooManyRequests,
		"This token made more than %g requests per second (bursts of %d); try again in %d s.", s.RateLimit.Rate, s.RateLimit.Burst, secs))
	return false
}
