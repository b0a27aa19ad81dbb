/*
Copyright 2026 The switchboard-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package sunshine

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the client's Prometheus collectors. One Metrics can serve
// many clients; a nil *Metrics records nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them on reg (nil: not
// registered):
//
//   - sunshine_client_requests_total{operation,code}: requests sent, by
//     operation and HTTP status code, "error" when no answer arrived;
//   - sunshine_client_request_duration_seconds{operation}: their latency.
//
// When reg already holds the same collectors, for example from another
// NewMetrics call, those are reused. It panics, like prometheus.MustRegister,
// when reg holds different collectors under these names.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sunshine_client_requests_total",
			Help: "Requests sent to the Sunshine Conversations API, by operation and HTTP status code (\"error\" when no answer arrived).",
		}, []string{"operation", "code"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sunshine_client_request_duration_seconds",
			Help:    "Latency of requests to the Sunshine Conversations API, by operation.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"})),
	}
}

// register registers c on reg, or returns the equal collector reg already has.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c
	case errors.As(err, &already):
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(fmt.Sprintf("sunshine: registering metrics: %v", err))
}

// observe records one request; status 0 means no answer arrived.
func (m *Metrics) observe(op string, status int, elapsed time.Duration) {
	if m == nil {
		return
	}
	code := "error"
	if status != 0 {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(op, code).Inc()
	m.duration.WithLabelValues(op).Observe(elapsed.Seconds())
}
