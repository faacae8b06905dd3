package api

import (
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the ledger's Prometheus metrics. It implements events.Metrics
// so the ledger reports appends and checkpoint lag through it.
type Metrics struct {
	Registry *prometheus.Registry

	appends       *prometheus.CounterVec
	conflicts     prometheus.Counter
	rejected      *prometheus.CounterVec
	appendLatency prometheus.Histogram
	requests      *prometheus.HistogramVec
	lagEvents     prometheus.Gauge
	lagSeconds    prometheus.Gauge
	logSize       prometheus.Gauge
	viewsPosition prometheus.Gauge
}

var _ events.Metrics = (*Metrics)(nil)

// NewMetrics registers the ledger's metrics, and the Go runtime and process
// collectors, in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ledger_appends_total", Help: "Events appended to the log by this process, by aggregate kind.",
		}, []string{"kind"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ledger_append_conflicts_total", Help: "Appends refused because the stream's version changed (optimistic concurrency).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ledger_http_rejected_total", Help: "HTTP requests answered with an error, by error code.",
		}, []string{"code"}),
		appendLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ledger_append_duration_seconds", Help: "Time from handing an event to the store until it is acknowledged.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ledger_http_request_duration_seconds", Help: "HTTP request time by route.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		lagEvents: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ledger_checkpoint_lag_events", Help: "Events in the log not yet covered by a signed checkpoint.",
		}),
		lagSeconds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ledger_checkpoint_lag_seconds", Help: "Age of the oldest event not yet covered by a signed checkpoint.",
		}),
		logSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ledger_log_events", Help: "Events in the log (as followed by this process).",
		}),
		viewsPosition: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ledger_views_position", Help: "Log position the read models (projections) have applied; ledger_log_events minus this is their lag.",
		}),
	}
	m.Registry.MustRegister(m.appends, m.conflicts, m.rejected, m.appendLatency, m.requests, m.lagEvents, m.lagSeconds, m.logSize, m.viewsPosition,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ViewsPosition records the position the views have applied.
func (m *Metrics) ViewsPosition(pos uint64) { m.viewsPosition.Set(float64(pos)) }

// Appended implements events.Metrics.
func (m *Metrics) Appended(kind events.Kind, d time.Duration) {
	m.appends.WithLabelValues(string(kind)).Inc()
	m.appendLatency.Observe(d.Seconds())
}

// Conflict implements events.Metrics.
func (m *Metrics) Conflict() { m.conflicts.Inc() }

// LogSize implements events.Metrics.
func (m *Metrics) LogSize(n uint64) { m.logSize.Set(float64(n)) }

// CheckpointLag implements events.Metrics.
func (m *Metrics) CheckpointLag(n uint64, seconds float64) {
	m.lagEvents.Set(float64(n))
	m.lagSeconds.Set(seconds)
}
