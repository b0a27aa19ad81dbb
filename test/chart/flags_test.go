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
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// helpFlag matches a flag's line in the output of the manager's --help (Go's flag package).
var helpFlag = regexp.MustCompile(`(?m)^\s+-([A-Za-z0-9][A-Za-z0-9.-]*)`)

// managerFlags builds the operator's manager and returns the flags its --help lists. It
// builds as hack/image does (static, -trimpath, no symbols), so that the two tests share
// the Go build cache.
func managerFlags(t *testing.T) map[string]bool {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the manager is built for linux")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "manager")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".") //nolint:gosec // G204: the go command, on this repository
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	help := exec.Command(bin, "--help") //nolint:gosec // G204: the manager the test just built
	var out bytes.Buffer
	help.Stdout, help.Stderr = &out, &out
	if err := help.Run(); err != nil {
		t.Fatalf("manager --help: %v\n%s", err, out.String())
	}
	flags := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(out.String(), -1) {
		flags[m[1]] = true
	}
	if !flags["leader-elect"] {
		t.Fatalf("manager --help lists no -leader-elect; cannot read its flags:\n%s", out.String())
	}
	return flags
}

// TestManagerAcceptsEveryFlagTheChartSets renders the chart with every manager value set
// and checks that the manager knows each flag it would be started with.
func TestManagerAcceptsEveryFlagTheChartSets(t *testing.T) {
	flags := managerFlags(t)
	for _, values := range []map[string]any{nil, allFlagValues(), {"metrics": map[string]any{"enabled": false}}} {
		r := renderRelease(t, values)
		for _, arg := range r.manager().Args {
			name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
			if !flags[name] {
				t.Errorf("the chart passes %s, which the manager does not know", arg)
			}
		}
	}
}
