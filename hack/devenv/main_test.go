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

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"
)

// testAssets returns the envtest binaries: $KUBEBUILDER_ASSETS (set by `make test`)
// or the repository's bin/k8s folder. The test is skipped when neither holds them.
func testAssets(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join("..", "..", defaultAssets())
	}
	//nolint:gosec // G703: the folder of the test binaries, from the environment of the test run
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		t.Skipf("no envtest binaries in %s (run `make envtest`): %v", dir, err)
	}
	return dir
}

func TestFlagErrors(t *testing.T) {
	assets := testAssets(t)
	crds := filepath.Join("..", "..", "config", "crd", "bases")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no kubeconfig":  {[]string{"--assets", assets, "--crds", crds}, "--kubeconfig is required"},
		"no binaries":    {[]string{"--kubeconfig", "kc", "--assets", t.TempDir(), "--crds", crds}, "kube-apiserver not found"},
		"no CRD folder":  {[]string{"--kubeconfig", "kc", "--assets", assets, "--crds", filepath.Join(t.TempDir(), "x")}, "CRD folder"},
		"extra argument": {[]string{"--kubeconfig", "kc", "--assets", assets, "--crds", crds, "extra"}, "unexpected arguments"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tc.args, io.Discard, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

// TestStartWriteStop starts the control plane, uses the kubeconfig it announces to
// find the project's API group, then cancels and checks that everything is gone.
func TestStartWriteStop(t *testing.T) {
	assets := testAssets(t)
	kubeconfig := filepath.Join(t.TempDir(), "sub", "kubeconfig")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	stdoutR, stdoutW := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"--kubeconfig", kubeconfig, "--assets", assets,
			"--crds", filepath.Join("..", "..", "config", "crd", "bases")}, stdoutW, &stderr)
		stdoutW.Close() //nolint:errcheck,gosec // a pipe writer's Close never fails
		done <- err
	}()

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case err := <-done:
		t.Fatalf("run returned before announcing the kubeconfig: %v\n%s", err, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("no kubeconfig announced within 2 minutes\n%s", stderr.String())
	}
	abs, err := filepath.Abs(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if want := "KUBECONFIG=" + abs; line != want {
		t.Fatalf("stdout line = %q, want %q", line, want)
	}
	info, err := os.Stat(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("kubeconfig mode = %v, want 0600", perm)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resources, err := dc.ServerResourcesForGroupVersion("switchboard.conversations.dev/v1alpha1")
	if err != nil {
		t.Fatalf("the CRDs are not served: %v", err)
	}
	kinds := map[string]bool{}
	for _, r := range resources.APIResources {
		kinds[r.Kind] = true
	}
	if !kinds["Switchboard"] || !kinds["ConversationControl"] {
		t.Errorf("served kinds = %v, want Switchboard and ConversationControl", kinds)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("run did not return within a minute of the cancel\n%s", stderr.String())
	}
	if _, err := os.Stat(kubeconfig); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("kubeconfig still there after stop: %v", err)
	}
	if _, err := dc.ServerVersion(); err == nil {
		t.Errorf("the API server still answers after stop")
	}
	if !strings.Contains(stderr.String(), "devenv: stopped") {
		t.Errorf("stderr does not report the stop:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for run's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
