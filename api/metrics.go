package api

// Counter is a monotonically increasing metric. Implementations must not
// allocate in Inc or Add.
type Counter interface {
	Inc()
	Add(delta uint64)
}

// Gauge is a metric that goes up and down.
type Gauge interface {
	Set(v int64)
	Add(delta int64)
}

// Histogram records observations (durations in seconds or milliseconds, as
// its name says).
type Histogram interface {
	Observe(v float64)
}

// Label is one metric label.
type Label struct{ Name, Value string }

// Metrics creates metric handles. Handles are looked up once (when a
// listener or cluster is built) and used on the hot path without further
// lookups. Asking twice for the same name and labels returns the same
// metric.
type Metrics interface {
	Counter(name string, labels ...Label) Counter
	Gauge(name string, labels ...Label) Gauge
	Histogram(name string, labels ...Label) Histogram
}
