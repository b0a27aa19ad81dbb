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

package memlimit

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func cgroupRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// restoreLimit puts the runtime's soft limit back after a test that sets it.
func restoreLimit(t *testing.T) {
	t.Helper()
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })
}

func TestSetUsesTheContainerLimit(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"cgroup v2": {cgroupV2File: "268435456\n"},
		"cgroup v1": {cgroupV1File: "268435456\n"},
		"v2 wins":   {cgroupV2File: "268435456\n", cgroupV1File: "1073741824\n"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", "")
			if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
				t.Fatal(err)
			}
			restoreLimit(t)
			got, err := Set(cgroupRoot(t, files), 0.9)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(math.Floor(268435456 * 0.9))
			if got.Limit != want || got.ContainerLimit != 268435456 {
				t.Fatalf("Set = %+v, want a limit of %d from 268435456", got, want)
			}
			if now := debug.SetMemoryLimit(-1); now != want {
				t.Fatalf("the runtime's soft limit is %d, want %d", now, want)
			}
		})
	}
}

func TestSetLeavesTheRuntimeAlone(t *testing.T) {
	for name, tc := range map[string]struct {
		files  map[string]string
		ratio  float64
		env    string
		reason string
	}{
		"no limit (v2)":     {files: map[string]string{cgroupV2File: "max\n"}, ratio: 0.9, reason: "is max"},
		"no limit (v1)":     {files: map[string]string{cgroupV1File: "9223372036854771712\n"}, ratio: 0.9, reason: "has no limit"},
		"no cgroup":         {files: map[string]string{}, ratio: 0.9, reason: "no cgroup memory limit"},
		"ratio 0":           {files: map[string]string{cgroupV2File: "268435456"}, ratio: 0, reason: "is 0"},
		"GOMEMLIMIT is set": {files: map[string]string{cgroupV2File: "268435456"}, ratio: 0.9, env: "200MiB", reason: "GOMEMLIMIT=200MiB"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tc.env)
			if tc.env == "" {
				if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
					t.Fatal(err)
				}
			}
			restoreLimit(t)
			before := debug.SetMemoryLimit(-1)
			got, err := Set(cgroupRoot(t, tc.files), tc.ratio)
			if err != nil {
				t.Fatal(err)
			}
			if got.Limit != 0 || !strings.Contains(got.Reason, tc.reason) {
				t.Fatalf("Set = %+v, want no limit and a reason with %q", got, tc.reason)
			}
			if now := debug.SetMemoryLimit(-1); now != before {
				t.Fatalf("the runtime's soft limit changed from %d to %d", before, now)
			}
		})
	}
}

func TestSetRefusesBadInput(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	restoreLimit(t)
	for _, ratio := range []float64{-0.1, 1.5} {
		if _, err := Set(t.TempDir(), ratio); err == nil || !strings.Contains(err.Error(), "--go-memory-limit-ratio") {
			t.Fatalf("ratio %v: err = %v, want one naming --go-memory-limit-ratio", ratio, err)
		}
	}
	if _, err := Set(cgroupRoot(t, map[string]string{cgroupV2File: "lots"}), 0.9); err == nil || !strings.Contains(err.Error(), `"lots"`) {
		t.Fatalf("err = %v, want one quoting the file's content", err)
	}
}
