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
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var dashboardFile = filepath.Join("..", "..", "config", "prometheus", "grafana-dashboard.json")

// grafanaVariables replaces the dashboard variables a query may use with a value of the
// kind Grafana substitutes, so that the query can be parsed as PromQL.
var grafanaVariables = strings.NewReplacer(
	"$__rate_interval", "5m",
	"$__interval", "1m",
	"$__range", "6h",
	"$namespace", "switchboard-operator-system",
)

var leftoverVariable = regexp.MustCompile(`\$\{?[A-Za-z_]+`)

// labelValues is the one Grafana query function the dashboard's variables use.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$`)

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// TestDashboardQueriesAreValidPromQLOverExportedMetrics parses every query of the
// dashboard and checks that it names only metrics, and labels, the operator exports.
func TestDashboardQueriesAreValidPromQLOverExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	queries := 0
	var walk func(panels []panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, target := range p.Targets {
				queries++
				expr := grafanaVariables.Replace(target.Expr)
				if v := leftoverVariable.FindString(expr); v != "" {
					t.Errorf("panel %q query %s uses variable %s, which the dashboard does not define: %s", p.Title, target.RefID, v, target.Expr)
					continue
				}
				for _, err := range checkSelectors(expr, exported) {
					t.Errorf("panel %q query %s: %v: %s", p.Title, target.RefID, err, target.Expr)
				}
			}
		}
	}
	walk(d.Panels)
	if queries == 0 {
		t.Fatal("the dashboard has no queries")
	}

	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			if err := json.Unmarshal(v.Query, &q.Query); err != nil {
				t.Fatalf("variable %s: query is neither an object nor a string: %v", v.Name, err)
			}
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q.Query)
			continue
		}
		for _, err := range checkSelectors(m[1], exported) {
			t.Errorf("variable %s: %v: %s", v.Name, err, q.Query)
		}
	}
}

// TestDashboardIsShippedAsAConfigMap checks that config/prometheus packs the dashboard
// file for Grafana's sidecar.
func TestDashboardIsShippedAsAConfigMap(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "prometheus", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		ConfigMapGenerator []struct {
			Files   []string `json:"files"`
			Options struct {
				Labels map[string]string `json:"labels"`
			} `json:"options"`
		} `json:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			if f == filepath.Base(dashboardFile) && g.Options.Labels["grafana_dashboard"] == "1" {
				return
			}
		}
	}
	t.Errorf("no configMapGenerator packs %s with the label grafana_dashboard: \"1\"", filepath.Base(dashboardFile))
}

// TestRulesNameOnlyExportedMetrics checks every rule expression the same way.
func TestRulesNameOnlyExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	data, err := os.ReadFile(ruleFile)
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Alert string `json:"alert"`
					Expr  string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &rule); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			n++
			for _, err := range checkSelectors(r.Expr, exported) {
				t.Errorf("alert %s: %v", r.Alert, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no rules in the PrometheusRule")
	}
}
