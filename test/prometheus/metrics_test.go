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

package prometheus

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/switchboard-operator/switchboard-operator/controllers"
	"github.com/switchboard-operator/switchboard-operator/internal/receiver"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// metric is one metric the operator registers.
type metric struct {
	labels    []string
	histogram bool
}

// recorder is a prometheus.Registerer that notes what is registered on it.
type recorder struct{ metrics map[string]metric }

func (r *recorder) Register(c prometheus.Collector) error {
	histogram := false
	switch c.(type) {
	case *prometheus.HistogramVec, prometheus.Histogram:
		histogram = true
	}
	descs := make(chan *prometheus.Desc)
	go func() {
		c.Describe(descs)
		close(descs)
	}()
	for d := range descs {
		name, variable, err := describe(d)
		if err != nil {
			return err
		}
		if _, ok := r.metrics[name]; ok {
			return fmt.Errorf("%s registered twice", name)
		}
		r.metrics[name] = metric{labels: variable, histogram: histogram}
	}
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r *recorder) Unregister(prometheus.Collector) bool { return false }

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// describe reads the name and variable labels of d. prometheus.Desc exports them only
// through String, whose format is stable across client_golang releases.
func describe(d *prometheus.Desc) (name string, variable []string, err error) {
	s := d.String()
	m := descName.FindStringSubmatch(s)
	if m == nil {
		return "", nil, fmt.Errorf("no name in %s", s)
	}
	if l := descLabels.FindStringSubmatch(s); l != nil && l[1] != "" {
		for _, label := range strings.Split(l[1], ",") {
			variable = append(variable, strings.TrimSpace(label))
		}
	}
	return m[1], variable, nil
}

// exportedMetrics registers the operator's metrics, as the manager does, and returns
// them by name: the vendor client's, the reconcilers', and the state metrics.
func exportedMetrics(t *testing.T) map[string]metric {
	t.Helper()
	r := &recorder{metrics: map[string]metric{}}
	sunshine.NewMetrics(r)
	controllers.NewMetrics(r)
	receiver.NewMetrics(r)
	r.MustRegister(controllers.NewStateMetrics(nil))
	for _, want := range []string{"sunshine_client_requests_total", "switchboard_operator_handoffs_total", controllers.MetricObjects} {
		if _, ok := r.metrics[want]; !ok {
			t.Fatalf("the operator's registrations lack %s (found %v): the recorder is broken", want, r.metrics)
		}
	}
	return r.metrics
}

// targetLabels are the labels Prometheus adds to every series it scrapes through the
// ServiceMonitor, and le, which histograms' buckets carry.
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

// checkSelectors parses expr and reports every selector that names a metric the
// operator does not export or a label such a metric does not carry.
func checkSelectors(expr string, exported map[string]metric) []error {
	parsed, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return []error{fmt.Errorf("does not parse as PromQL: %w", err)}
	}
	var errs []error
	for _, matchers := range parser.ExtractSelectors(parsed) {
		var name string
		for _, m := range matchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			errs = append(errs, fmt.Errorf("selector %v names no metric", matchers))
			continue
		}
		base, isBucket := name, false
		m, ok := exported[name]
		if !ok {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if h, found := exported[strings.TrimSuffix(name, suffix)]; found && h.histogram && strings.HasSuffix(name, suffix) {
					base, m, ok, isBucket = strings.TrimSuffix(name, suffix), h, true, suffix == "_bucket"
				}
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("metric %s is not one the operator exports", name))
			continue
		}
		for _, matcher := range matchers {
			label := matcher.Name
			if label == model.MetricNameLabel || slices.Contains(m.labels, label) || slices.Contains(targetLabels, label) || (isBucket && label == "le") {
				continue
			}
			errs = append(errs, fmt.Errorf("metric %s has no label %s (it has %v)", base, label, m.labels))
		}
	}
	// An aggregation's by (...) labels must be carried by a metric it aggregates.
	parser.Inspect(parsed, func(node parser.Node, _ []parser.Node) error {
		agg, ok := node.(*parser.AggregateExpr)
		if !ok || agg.Without {
			return nil
		}
		carried := slices.Clone(targetLabels)
		for _, matchers := range parser.ExtractSelectors(agg.Expr) {
			for _, matcher := range matchers {
				if matcher.Name != model.MetricNameLabel {
					continue
				}
				name := matcher.Value
				if strings.HasSuffix(name, "_bucket") {
					carried = append(carried, "le")
				}
				for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
					carried = append(carried, exported[strings.TrimSuffix(name, suffix)].labels...)
				}
			}
		}
		for _, label := range agg.Grouping {
			if !slices.Contains(carried, label) {
				errs = append(errs, fmt.Errorf("%s by (%s): no aggregated metric has label %s", agg.Op, strings.Join(agg.Grouping, ", "), label))
			}
		}
		return nil
	})
	return errs
}

// TestCheckSelectorsRefusesWhatTheOperatorDoesNotExport shows that the checks of the
// dashboard and rule tests catch the mistakes they are there for.
func TestCheckSelectorsRefusesWhatTheOperatorDoesNotExport(t *testing.T) {
	exported := exportedMetrics(t)
	for expr, want := range map[string]string{
		`rate(switchboard_operator_handoff_total[5m])`:                                "switchboard_operator_handoff_total is not one the operator exports",
		`switchboard_operator_objects{phase="Ready"}`:                                 "switchboard_operator_objects has no label phase",
		`switchboard_operator_objects_bucket`:                                         "switchboard_operator_objects_bucket is not one the operator exports",
		`sum by (kind) (rate(sunshine_client_requests_total[5m]))`:                    "sum by (kind): no aggregated metric has label kind",
		`sum by (le) (rate(sunshine_client_request_duration_seconds_bucket{le=""}[5m`: "does not parse as PromQL",
		`sum(rate({__name__=~"sunshine_.+"}[5m]))`:                                    "names no metric",
	} {
		errs := checkSelectors(expr, exported)
		if len(errs) == 0 {
			t.Errorf("%s: no error, want one saying %q", expr, want)
			continue
		}
		if !strings.Contains(fmt.Sprint(errs), want) {
			t.Errorf("%s: errors %v, want one saying %q", expr, errs, want)
		}
	}
	for _, expr := range []string{
		`histogram_quantile(0.9, sum by (le, operation) (rate(sunshine_client_request_duration_seconds_bucket{pod="a"}[5m])))`,
		`max by (kind, status, reason) (switchboard_operator_object_ready{namespace="x"})`,
		`sum(rate(switchboard_operator_handoff_latency_seconds_count[5m]))`,
	} {
		if errs := checkSelectors(expr, exported); len(errs) > 0 {
			t.Errorf("%s: %v", expr, errs)
		}
	}
}
