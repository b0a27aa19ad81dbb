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

package chart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// The chart's README holds a table of every value of values.yaml, between these markers.
// TestReadmeListsEveryValue checks it; UPDATE_CHART_README=1 (`make helm-docs`) rewrites it.
const (
	tableStart = "<!-- values-table:start -->"
	tableEnd   = "<!-- values-table:end -->"
)

// valueRow is one documented value: a key of values.yaml with a "# --" comment.
type valueRow struct {
	key, value, description string
}

// valuesTable reads values.yaml and returns a row for every key with a "# --" comment, in
// file order. A key without one is descended into; a leaf without one fails the test.
func valuesTable(t *testing.T) []valueRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatal("values.yaml is not a mapping")
	}
	var rows []valueRow
	var walk func(prefix string, m *yaml.Node)
	walk = func(prefix string, m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			desc, ok := description(k.HeadComment)
			switch {
			case ok:
				var val any
				if err := v.Decode(&val); err != nil {
					t.Fatalf("values.yaml %s: %v", path, err)
				}
				js, err := json.Marshal(val)
				if err != nil {
					t.Fatalf("values.yaml %s: %v", path, err)
				}
				rows = append(rows, valueRow{key: path, value: string(js), description: desc})
			case v.Kind == yaml.MappingNode && len(v.Content) > 0:
				walk(path, v)
			default:
				t.Errorf("values.yaml: %s has no \"# --\" description", path)
			}
		}
	}
	walk("", doc.Content[0])
	return rows
}

// description returns the text of the last "# --" comment of a head comment, with the
// comment lines that follow it joined.
func description(head string) (string, bool) {
	var lines []string
	for _, line := range strings.Split(head, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "# -- "):
			lines = append(lines[:0], strings.TrimPrefix(line, "# -- "))
		case lines != nil && strings.HasPrefix(line, "# "):
			lines = append(lines, strings.TrimPrefix(line, "# "))
		default:
			lines = nil
		}
	}
	return strings.Join(lines, " "), len(lines) > 0
}

// markdownTable renders the rows as the README's table.
func markdownTable(rows []valueRow) string {
	var b bytes.Buffer
	b.WriteString("| value | default | description |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", r.key, strings.ReplaceAll(r.value, "|", `\|`), strings.ReplaceAll(r.description, "|", `\|`))
	}
	return b.String()
}

func TestReadmeListsEveryValue(t *testing.T) {
	path := filepath.Join(chartDir(t), "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	before, rest, ok1 := strings.Cut(readme, tableStart+"\n")
	current, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("the chart's README has no %s ... %s markers", tableStart, tableEnd)
	}
	want := markdownTable(valuesTable(t))
	if current == want {
		return
	}
	if os.Getenv("UPDATE_CHART_README") != "" {
		if err := os.WriteFile(path, []byte(before+tableStart+"\n"+want+tableEnd+after), 0o600); err != nil { //nolint:gosec // G703: the chart's own README, under the repository
			t.Fatal(err)
		}
		t.Logf("rewrote the values table of %s", path)
		return
	}
	t.Errorf("the chart README's values table is out of date; run `make helm-docs` (-README +values.yaml):\n%s", cmp.Diff(current, want))
}
