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
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/rules"
	"sigs.k8s.io/yaml"
)

// ruleFile is the PrometheusRule that config/prometheus ships.
var ruleFile = filepath.Join("..", "..", "config", "prometheus", "prometheusrule.yaml")

// The test files use the format of `promtool test rules` (its alert_rule_test part),
// and are evaluated as promtool evaluates them: the input series are loaded with
// promqltest's lazy loader, the rule groups are loaded by a rules.Manager and
// evaluated at every evaluation_interval from 0 to the last eval_time, and at each
// eval_time the firing alerts of the named rule, with their labels (alertname added)
// and annotations, must equal exp_alerts.
type unitTestFile struct {
	RuleFiles          []string       `json:"rule_files"`
	EvaluationInterval model.Duration `json:"evaluation_interval"`
	Tests              []testGroup    `json:"tests"`
}

type testGroup struct {
	Name           string          `json:"name"`
	Interval       model.Duration  `json:"interval"`
	InputSeries    []inputSeries   `json:"input_series"`
	AlertRuleTests []alertTestCase `json:"alert_rule_test"`
}

type inputSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type alertTestCase struct {
	EvalTime  model.Duration `json:"eval_time"`
	Alertname string         `json:"alertname"`
	ExpAlerts []expAlert     `json:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `json:"exp_labels"`
	ExpAnnotations map[string]string `json:"exp_annotations"`
}

// plainRuleFile writes the spec of the PrometheusRule at path, which is a Prometheus
// rule file, into dir, checks it as Prometheus does, and returns its path.
func plainRuleFile(t *testing.T, path, dir string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
		Spec       map[string]any `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(data, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if raw.APIVersion != "monitoring.coreos.com/v1" || raw.Kind != "PrometheusRule" {
		t.Fatalf("%s is a %s %s, not a monitoring.coreos.com/v1 PrometheusRule", path, raw.APIVersion, raw.Kind)
	}
	spec, err := yaml.Marshal(raw.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := rulefmt.Parse(spec, false, model.UTF8Validation, parser.NewParser(parser.Options{}), promslog.NewNopLogger()); len(errs) > 0 {
		t.Fatalf("the rules of %s are not valid Prometheus rules: %v", path, errs)
	}
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(path), ".yaml")+".rules.yaml")
	if err := os.WriteFile(out, spec, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAlertingRules runs the unit tests of testdata/*.yaml against the rules they name.
func TestAlertingRules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*_test.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in testdata (%v)", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var utf unitTestFile
		if err := yaml.UnmarshalStrict(data, &utf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if utf.EvaluationInterval == 0 {
			utf.EvaluationInterval = model.Duration(time.Minute)
		}
		dir := t.TempDir()
		ruleFiles := make([]string, 0, len(utf.RuleFiles))
		for _, rf := range utf.RuleFiles {
			ruleFiles = append(ruleFiles, plainRuleFile(t, filepath.Join(filepath.Dir(file), rf), dir))
		}
		for i, tg := range utf.Tests {
			name := tg.Name
			if name == "" {
				name = fmt.Sprintf("%s#%d", filepath.Base(file), i)
			}
			t.Run(name, func(t *testing.T) {
				if tg.Interval == 0 {
					tg.Interval = utf.EvaluationInterval
				}
				runTestGroup(t, tg, time.Duration(utf.EvaluationInterval), ruleFiles)
			})
		}
	}
}

// alertsSeen are the firing alerts of one rule: their labels and annotations.
type alertsSeen []string

func runTestGroup(t *testing.T, tg testGroup, evalInterval time.Duration, ruleFiles []string) {
	var load strings.Builder
	fmt.Fprintf(&load, "load %s\n", tg.Interval)
	for _, s := range tg.InputSeries {
		fmt.Fprintf(&load, "  %s %s\n", s.Series, s.Values)
	}
	p := parser.NewParser(parser.Options{})
	suite, err := promqltest.NewLazyLoader(load.String(), promqltest.LazyLoaderOpts{
		EnableAtModifier: true, EnableNegativeOffset: true, Parser: p,
	})
	if err != nil {
		t.Fatalf("input series: %v", err)
	}
	t.Cleanup(func() {
		if err := suite.Close(); err != nil {
			t.Error(err)
		}
	})
	suite.SubqueryInterval = evalInterval

	manager := rules.NewManager(&rules.ManagerOptions{
		QueryFunc:    rules.EngineQueryFunc(suite.QueryEngine(), suite.Storage()),
		AppendableV2: suite.Storage(),
		Context:      context.Background(),
		NotifyFunc:   func(context.Context, string, ...*rules.Alert) {},
		Logger:       promslog.NewNopLogger(),
		Parser:       p,
	})
	groupsByName, errs := manager.LoadGroups(time.Duration(tg.Interval), labels.EmptyLabels(), "", nil, false, ruleFiles...)
	if len(errs) > 0 {
		t.Fatalf("loading the rules: %v", errs)
	}
	groups := make([]*rules.Group, 0, len(groupsByName))
	alertNames := map[string]bool{}
	for _, g := range groupsByName {
		groups = append(groups, g)
		for _, r := range g.Rules() {
			if ar, ok := r.(*rules.AlertingRule); ok {
				ar.SetRestored(true)
				alertNames[ar.Name()] = true
			}
		}
	}

	tests := map[time.Duration][]alertTestCase{}
	var last time.Duration
	for _, tc := range tg.AlertRuleTests {
		at := time.Duration(tc.EvalTime)
		if !alertNames[tc.Alertname] {
			t.Fatalf("eval_time %s: no alerting rule %q", at, tc.Alertname)
		}
		if at%evalInterval != 0 {
			t.Fatalf("eval_time %s is not a multiple of the evaluation interval %s", at, evalInterval)
		}
		tests[at] = append(tests[at], tc)
		last = max(last, at)
	}

	start := time.Unix(0, 0).UTC()
	for offset := time.Duration(0); offset <= last; offset += evalInterval {
		ts := start.Add(offset)
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				t.Fatalf("loading samples till %s: %v", offset, err)
			}
			for _, g := range groups {
				g.Eval(suite.Context(), ts)
				for _, r := range g.Rules() {
					if r.LastError() != nil {
						t.Fatalf("rule %s at %s: %v", r.Name(), offset, r.LastError())
					}
				}
			}
		})
		for _, tc := range tests[offset] {
			var got alertsSeen
			for _, g := range groups {
				for _, r := range g.Rules() {
					ar, ok := r.(*rules.AlertingRule)
					if !ok || ar.Name() != tc.Alertname {
						continue
					}
					for _, a := range ar.ActiveAlerts() {
						if a.State == rules.StateFiring {
							got = append(got, a.Labels.String()+" "+a.Annotations.String())
						}
					}
				}
			}
			var want alertsSeen
			for _, a := range tc.ExpAlerts {
				l := map[string]string{labels.AlertName: tc.Alertname}
				for k, v := range a.ExpLabels {
					l[k] = v
				}
				want = append(want, labels.FromMap(l).String()+" "+labels.FromMap(a.ExpAnnotations).String())
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s at eval_time %s: firing alerts differ (-want +got):\n%s", tc.Alertname, offset, diff)
			}
		}
	}
}
