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

package sunshine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

func TestMetricsCountRequestsByOperationAndCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	sim := newSimulator(t)
	// Two clients, two NewMetrics calls, one registry: the collectors are shared.
	first := simClient(t, sim, func(c *sunshine.Config) { c.Metrics = sunshine.NewMetrics(reg) })
	second := simClient(t, sim, func(c *sunshine.Config) { c.Metrics = sunshine.NewMetrics(reg) })
	ctx := context.Background()

	pass := sunshine.PassControlRequest{SwitchboardIntegration: "agent"}
	if err := first.PassControl(ctx, "c1", pass); err != nil {
		t.Fatalf("PassControl: %v", err)
	}
	if err := second.PassControl(ctx, "c1", pass); err != nil {
		t.Fatalf("PassControl: %v", err)
	}
	if _, err := first.GetConversation(ctx, "nope"); !sunshine.IsNotFound(err) {
		t.Fatalf("GetConversation of an unknown conversation: %v", err)
	}
	// net/http re-sends a GET once when a kept-alive connection turns out
	// closed, so drop twice.
	sim.InjectFault(sunshinetest.OpListSwitchboards, sunshinetest.Fault{Drop: true, Times: 2})
	if _, err := second.ListSwitchboards(ctx); err == nil {
		t.Fatalf("ListSwitchboards over a dropped connection succeeded")
	}
	if err := first.PassControl(ctx, "", pass); err == nil {
		t.Fatalf("PassControl without a conversation id succeeded")
	}

	const want = `
# HELP sunshine_client_requests_total Requests sent to the Sunshine Conversations API, by operation and HTTP status code ("error" when no answer arrived).
# TYPE sunshine_client_requests_total counter
sunshine_client_requests_total{code="200",operation="passControl"} 2
sunshine_client_requests_total{code="404",operation="getConversation"} 1
sunshine_client_requests_total{code="error",operation="listSwitchboards"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "sunshine_client_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "sunshine_client_request_duration_seconds"); n != 3 {
		t.Errorf("latency histograms = %d, want one per operation called (3)", n)
	}
}

func TestNewMetricsWithoutRegistryRecordsUnregistered(t *testing.T) {
	sim := newSimulator(t)
	client := simClient(t, sim, func(c *sunshine.Config) { c.Metrics = sunshine.NewMetrics(nil) })
	if _, err := client.ListSwitchboards(context.Background()); err != nil {
		t.Fatalf("ListSwitchboards: %v", err)
	}
}

func TestNewMetricsPanicsOnAConflictingCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "sunshine_client_requests_total", Help: "something else"}))
	defer func() {
		if recover() == nil {
			t.Error("NewMetrics did not panic")
		}
	}()
	sunshine.NewMetrics(reg)
}
