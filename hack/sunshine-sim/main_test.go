package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
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

var listeningRE = regexp.MustCompile(`sunshine-sim listening on (http://\S+)`)

// start runs the program on 127.0.0.1:0 and returns its base URL, its
// output, and a stop function that cancels it and returns run's error.
func start(t *testing.T, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), out) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("run did not return after cancel")
			return nil
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, stop
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before listening: %v\n%s", err, out)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("no listening line:\n%s", out)
	return "", nil, nil
}

func get(t *testing.T, url string, auth bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth("app_demo_key", "demo-secret")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestRunServesTheSeedAndStopsCleanly(t *testing.T) {
	url, out, stop := start(t, "--seed", "seed.yaml")
	status, body := get(t, url+"/v2/apps/app-demo/conversations/conv-1", true)
	if status != 200 || !strings.Contains(body, `"name":"bot"`) {
		t.Errorf("GET conv-1 = %d %s", status, body)
	}
	if status, _ := get(t, url+"/v2/apps/app-demo/conversations/conv-6", false); status != 401 {
		t.Errorf("unauthenticated GET = %d, want 401", status)
	}
	status, body = get(t, url+"/_sim/conversations/app-demo/conv-5", false)
	if status != 200 || body != `{"active":"bot","pending":"agent-workspace"}` {
		t.Errorf("admin GET conv-5 = %d %s", status, body)
	}
	if status, body := get(t, url+"/_sim/counts", false); status != 200 || !strings.Contains(body, `"getConversation":2`) {
		t.Errorf("admin counts = %d %s", status, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v", err)
	}
	log := out.String()
	for _, want := range []string{
		"path=/v2/apps/app-demo/conversations/conv-1 operation=getConversation status=200 duration=",
		"operation=getConversation status=401",
		"sunshine-sim stopped",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "demo-secret") {
		t.Errorf("output reveals the secret:\n%s", log)
	}
}

func TestRunWithoutSeedServesTheEmbeddedDemo(t *testing.T) {
	url, _, stop := start(t, "--async-failures")
	req, _ := http.NewRequest(http.MethodPost, url+"/v2/apps/app-demo/conversations/conv-2/acceptControl", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("app_demo_key", "demo-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("accept with nothing pending in async mode = %d, want 200", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRunRejectsABadSeedNamingTheEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.yaml")
	bad := "apps:\n- id: a\n  switchboard:\n    integrations:\n    - {name: bot, next: x}\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--seed", path}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `apps[0].switchboard.integrations[0].next: unknown integration "x"`) {
		t.Errorf("run error = %v", err)
	}
	if err := run(context.Background(), []string{"--seed", filepath.Join(t.TempDir(), "missing.yaml")}, io.Discard); err == nil {
		t.Error("missing seed file: no error")
	}
	if err := run(context.Background(), []string{"--bogus"}, io.Discard); err == nil {
		t.Error("unknown flag: no error")
	}
	if err := run(context.Background(), []string{"extra"}, io.Discard); err == nil {
		t.Error("extra argument: no error")
	}
}

func TestExampleSeedIsTheEmbeddedDemo(t *testing.T) {
	file, err := sunshinetest.LoadSeed("seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := sunshinetest.ParseSeed(demoSeed)
	if err != nil {
		t.Fatal(err)
	}
	app := file.Apps[0]
	if app.ID != "app-demo" || len(app.Conversations) != 6 || app.Switchboard.Default != "bot" || len(embedded.Apps) != 1 {
		t.Errorf("seed = %+v", file)
	}
}
