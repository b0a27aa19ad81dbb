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

package plugin

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// krewPlugin is the part of a krew manifest (krew.googlecontainertools.github.com/v1alpha2
// Plugin) that the test checks.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
			Bin string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

func TestKrewManifestParsesAndNamesTheBinary(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "plugins", "krew", "switchboard.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p krewPlugin
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("the krew manifest does not parse as a krew Plugin: %v", err)
	}
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" {
		t.Errorf("apiVersion/kind = %s/%s, want krew.googlecontainertools.github.com/v1alpha2/Plugin", p.APIVersion, p.Kind)
	}
	// krew installs the plugin as kubectl-<metadata.name>, which kubectl runs as `kubectl switchboard`.
	if p.Metadata.Name != "switchboard" {
		t.Errorf("metadata.name = %q, want switchboard", p.Metadata.Name)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(p.Spec.Version) || p.Spec.ShortDescription == "" || p.Spec.Homepage == "" {
		t.Errorf("version %q, shortDescription %q, homepage %q: want a semantic version and both set", p.Spec.Version, p.Spec.ShortDescription, p.Spec.Homepage)
	}
	if len(p.Spec.Platforms) == 0 {
		t.Fatal("no platforms")
	}
	seen := map[string]bool{}
	for _, pl := range p.Spec.Platforms {
		osName, arch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		want := "kubectl-switchboard"
		if osName == "windows" {
			want += ".exe"
		}
		if pl.Bin != want {
			t.Errorf("%s/%s: bin = %q, want %q (the binary cmd/kubectl-switchboard builds)", osName, arch, pl.Bin, want)
		}
		shipped := false
		for _, f := range pl.Files {
			shipped = shipped || f.From == want
		}
		if !shipped {
			t.Errorf("%s/%s: files do not take %s from the archive", osName, arch, want)
		}
		if !strings.HasPrefix(pl.URI, "https://") || !strings.Contains(pl.URI, p.Spec.Version) || !strings.Contains(pl.URI, osName+"_"+arch) {
			t.Errorf("%s/%s: uri %q is not the https archive of version %s for that platform", osName, arch, pl.URI, p.Spec.Version)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(pl.Sha256) {
			t.Errorf("%s/%s: sha256 %q is not 64 hex digits", osName, arch, pl.Sha256)
		}
		if seen[osName+"/"+arch] {
			t.Errorf("%s/%s is listed twice", osName, arch)
		}
		seen[osName+"/"+arch] = true
	}
	if _, err := os.Stat(filepath.Join("..", "..", "cmd", "kubectl-switchboard", "main.go")); err != nil {
		t.Errorf("the manifest names kubectl-switchboard, but cmd/kubectl-switchboard does not build it: %v", err)
	}
}

// buildBinary builds cmd/kubectl-switchboard into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "kubectl-switchboard")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/kubectl-switchboard") //nolint:gosec // G204: the go command; bin is in the test's temporary directory
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kubectl-switchboard: %v\n%s", err, out)
	}
	return bin
}

func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestBinaryRunsAsAKubectlPluginAndFailsWithNonZeroExitCodes(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-binary")
	bin := buildBinary(t)

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "pass", "--kubeconfig", w.kubeconfig, "-n", ns) //nolint:gosec // G204: the binary the test just built
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != 1 {
		t.Errorf("pass without CONVERSATION exited %d, want 1", code)
	}
	if got := stderr.String(); got != "error: missing CONVERSATION: give the conversation id\n" {
		t.Errorf("stderr = %q, want the error on one line", got)
	}

	stderr.Reset()
	cmd = exec.Command(bin, "pass", "conv-binary", "--to", "nobody", "--wait", "--timeout", "30s", //nolint:gosec // G204: the binary the test just built
		"--kubeconfig", w.kubeconfig, "-n", ns)
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != 1 || !strings.Contains(stderr.String(), "is Stalled (IntegrationNotFound)") {
		t.Errorf("pass --wait to an unknown integration exited %d with %q, want 1 and the Stalled reason", code, stderr.String())
	}

	// kubectl finds the plugin on the PATH and runs it as `kubectl switchboard`.
	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(kubectl); err != nil { //nolint:gosec // G703: the kubectl that `make envtest` builds
		t.Skipf("no kubectl beside the envtest binaries (%v): skipping the run through kubectl", err)
	}
	cmd = exec.Command(kubectl, "switchboard", "pass", "conv-binary", "--to", "agent-workspace", "--wait", //nolint:gosec // G204: the kubectl that `make envtest` builds
		"--kubeconfig", w.kubeconfig, "-n", ns)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl switchboard pass: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "conversationcontrol/conv-binary is Ready (Succeeded): active agent-workspace") {
		t.Errorf("kubectl switchboard pass printed:\n%s", out)
	}
	if got := w.live(t, "conv-binary"); got.Active != "agent-workspace" {
		t.Errorf("live state after kubectl switchboard pass = %+v", got)
	}
}

func TestHumanAgeIsKubectlsShortForm(t *testing.T) {
	now := mustTime(t, "2026-03-04T05:06:07Z")
	for _, c := range []struct{ ago, want string }{
		{"2026-03-04T05:06:02Z", "5s"},
		{"2026-03-04T05:02:55Z", "3m12s"},
		{"2026-03-04T02:06:07Z", "3h"},
		{"2026-03-01T05:06:07Z", "3d"},
	} {
		if got := humanAge(now, mustTime(t, c.ago)); got != c.want {
			t.Errorf("humanAge(%s) = %q, want %q", c.ago, got, c.want)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
