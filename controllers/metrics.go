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

package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// Metrics are the operator's own Prometheus metrics (the client's request metrics and
// controller-runtime's reconcile metrics come on top).
type Metrics struct {
	handoffs *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	config   configMetrics
}

// NewMetrics registers the operator's metrics on reg (the manager's registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_operator_handoffs_total",
			Help: "Switchboard actions issued by the operator, by action and result (applied, or the failure reason).",
		}, []string{"action", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_operator_handoff_latency_seconds",
			Help:    "Time from the last change of a ConversationControl to its handoff being applied, by action.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
		}, []string{"action"}),
	}
	reg.MustRegister(m.handoffs, m.latency)
	m.config = newConfigMetrics(reg)
	return m
}

// observeHandoff records one action and its outcome. It is safe on a nil *Metrics.
func (m *Metrics) observeHandoff(cc *sbv1.ConversationControl, action sbv1.Action, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.handoffs.WithLabelValues(string(action), classify(err).Reason).Inc()
		return
	}
	m.handoffs.WithLabelValues(string(action), "applied").Inc()
	if changed := lastChange(cc); !changed.IsZero() {
		m.latency.WithLabelValues(string(action)).Observe(time.Since(changed).Seconds())
	}
}

// lastChange is when the object's spec or metadata was last written, from its managed
// fields (status writes and the operator's own writes are excluded), or its creation
// time.
func lastChange(cc *sbv1.ConversationControl) time.Time {
	last := cc.CreationTimestamp.Time
	for _, mf := range cc.ManagedFields {
		if mf.Subresource == "" && mf.Manager != FieldOwner && mf.Time != nil && mf.Time.After(last) {
			last = mf.Time.Time
		}
	}
	return last
}
