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
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// Names of the state metrics.
const (
	// MetricObjects counts the objects of each kind the operator handles.
	MetricObjects = "switchboard_operator_objects"
	// MetricObjectReady counts objects by kind and the status and reason of their Ready
	// condition.
	MetricObjectReady = "switchboard_operator_object_ready"
	// MetricObjectStalled counts objects whose Stalled condition is True, by kind and reason.
	MetricObjectStalled = "switchboard_operator_object_stalled"
)

// stateListTimeout bounds the cache reads of one scrape; a cache that has not synced yet
// makes the scrape leave the state metrics out rather than hang.
const stateListTimeout = 5 * time.Second

// StateMetrics is a Prometheus collector of the state of the objects the operator
// handles, in the manner of Crossplane's state metrics. At every scrape it lists the
// Switchboards and ConversationControls from a reader (the manager's cache, so a scrape
// costs no API request) and exports:
//
//   - switchboard_operator_objects{kind}: how many objects of the kind exist;
//   - switchboard_operator_object_ready{kind,status,reason}: how many have Ready with this
//     status (True, False or Unknown) and reason; an object without a Ready condition yet
//     counts as status Unknown with an empty reason;
//   - switchboard_operator_object_stalled{kind,reason}: how many have Stalled=True with this
//     reason.
//
// A kind whose list fails (the cache not synced yet) is left out of that scrape.
type StateMetrics struct {
	reader  client.Reader
	objects *prometheus.Desc
	ready   *prometheus.Desc
	stalled *prometheus.Desc
}

var _ prometheus.Collector = (*StateMetrics)(nil)

// NewStateMetrics returns the state collector reading from reader (normally
// mgr.GetCache()); register it on the manager's metrics registry.
func NewStateMetrics(reader client.Reader) *StateMetrics {
	return &StateMetrics{
		reader: reader,
		objects: prometheus.NewDesc(MetricObjects,
			"Objects the operator handles, by kind.", []string{"kind"}, nil),
		ready: prometheus.NewDesc(MetricObjectReady,
			"Objects by kind and the status and reason of their Ready condition (status Unknown and no reason before the first reconcile).",
			[]string{"kind", "status", "reason"}, nil),
		stalled: prometheus.NewDesc(MetricObjectStalled,
			"Objects whose Stalled condition is True, by kind and reason.", []string{"kind", "reason"}, nil),
	}
}

// Describe sends the descriptors of the state metrics.
func (s *StateMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.objects
	ch <- s.ready
	ch <- s.stalled
}

// Collect lists both kinds and sends their counts.
func (s *StateMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), stateListTimeout)
	defer cancel()

	var switchboards sbv1.SwitchboardList
	if s.list(ctx, &switchboards, "Switchboard") {
		conditions := make([][]metav1.Condition, 0, len(switchboards.Items))
		for i := range switchboards.Items {
			conditions = append(conditions, switchboards.Items[i].Status.Conditions)
		}
		s.send(ch, "Switchboard", conditions)
	}
	var controls sbv1.ConversationControlList
	if s.list(ctx, &controls, "ConversationControl") {
		conditions := make([][]metav1.Condition, 0, len(controls.Items))
		for i := range controls.Items {
			conditions = append(conditions, controls.Items[i].Status.Conditions)
		}
		s.send(ch, "ConversationControl", conditions)
	}
}

// list fills list from the reader and tells whether that worked.
func (s *StateMetrics) list(ctx context.Context, list client.ObjectList, kind string) bool {
	// Read-only: without the deep copy a scrape costs no copy of every cached object.
	if err := s.reader.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		logf.FromContext(ctx).V(1).Info("Left the state metrics of a kind out of the scrape", "kind", kind, "error", err.Error())
		return false
	}
	return true
}

// readyKey is one series of switchboard_operator_object_ready.
type readyKey struct{ status, reason string }

// send counts the objects of one kind, given the conditions of each, and sends the series.
func (s *StateMetrics) send(ch chan<- prometheus.Metric, kind string, objects [][]metav1.Condition) {
	ready := map[readyKey]int{}
	stalled := map[string]int{}
	for _, conditions := range objects {
		key := readyKey{status: string(metav1.ConditionUnknown)}
		if c := meta.FindStatusCondition(conditions, sbv1.ConditionReady); c != nil {
			key = readyKey{status: string(c.Status), reason: c.Reason}
		}
		ready[key]++
		if c := meta.FindStatusCondition(conditions, sbv1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
			stalled[c.Reason]++
		}
	}
	ch <- prometheus.MustNewConstMetric(s.objects, prometheus.GaugeValue, float64(len(objects)), kind)
	for key, n := range ready {
		ch <- prometheus.MustNewConstMetric(s.ready, prometheus.GaugeValue, float64(n), kind, key.status, key.reason)
	}
	for reason, n := range stalled {
		ch <- prometheus.MustNewConstMetric(s.stalled, prometheus.GaugeValue, float64(n), kind, reason)
	}
}
