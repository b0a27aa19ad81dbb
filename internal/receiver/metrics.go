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

package receiver

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// Metrics are the receiver's Prometheus metrics.
type Metrics struct {
	events   *prometheus.CounterVec
	rejects  *prometheus.CounterVec
	dispatch prometheus.Histogram
}

// NewMetrics registers the receiver's metrics on reg (the manager's registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_operator_webhook_events_total",
			Help: "Webhook events received, by trigger and outcome (enqueued, routed, unmatched, failed, duplicate, ignored).",
		}, []string{"trigger", "outcome"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_operator_webhook_deliveries_rejected_total",
			Help: "Webhook deliveries refused by the receiver, by reason (unauthorized, rate_limited, too_large, bad_request, unavailable, " +
				"not_found, method_not_allowed).",
		}, []string{"reason"}),
		dispatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_operator_webhook_dispatch_latency_seconds",
			Help:    "Time from receiving a webhook delivery to its event's ConversationControls being enqueued (or routed to the leader).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	reg.MustRegister(m.events, m.rejects, m.dispatch)
	return m
}

// event counts one event; triggers other than the switchboard ones count as "other",
// so the label's values are bounded. It is safe on a nil *Metrics.
func (m *Metrics) event(trigger string, outcome Outcome) {
	if m == nil {
		return
	}
	if !slices.Contains(sunshine.SwitchboardTriggers, trigger) {
		trigger = "other"
	}
	m.events.WithLabelValues(trigger, string(outcome)).Inc()
}

// rejected counts one refused delivery. It is safe on a nil *Metrics.
func (m *Metrics) rejected(reason string) {
	if m != nil {
		m.rejects.WithLabelValues(reason).Inc()
	}
}

// latency records the time from receipt to dispatch. It is safe on a nil *Metrics.
func (m *Metrics) latency(d time.Duration) {
	if m != nil {
		m.dispatch.Observe(d.Seconds())
	}
}
