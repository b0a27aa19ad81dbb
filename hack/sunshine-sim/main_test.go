package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
	if app.ID != "app-demo" || len(app.Conversations) != 6 || app.Switchboard.Default != "bot" || len(embedded.Apps) != 2 {
		t.Errorf("seed = %+v", file)
	}
	if routing := file.Apps[1]; routing.ID != "app-routing" || routing.Switchboard != nil {
		t.Errorf("the second app should be app-routing without a switchboard: %+v", routing)
	}
}

func TestAnAppWithoutASwitchboardListsNoneAndTakesOne(t *testing.T) {
	url, _, stop := start(t, "--seed", "seed.yaml")
	defer func() { _ = stop() }()
	auth := func(req *http.Request) { req.SetBasicAuth("app_routing_key", "routing-secret") }
	call := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, url+path, nil)
		auth(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := call(http.MethodGet, "/v2/apps/app-routing/switchboards"); status != 200 || !strings.Contains(body, `"switchboards":[]`) {
		t.Errorf("list = %d %s, want no switchboard", status, body)
	}
	if status, body := call(http.MethodPost, "/v2/apps/app-routing/switchboards"); status != 201 || !strings.Contains(body, `"enabled":false`) {
		t.Errorf("create = %d %s, want 201 with a disabled switchboard", status, body)
	}
	if status, _ := call(http.MethodPost, "/v2/apps/app-routing/switchboards"); status != 400 {
		t.Errorf("a second create = %d, want 400", status)
	}
}

// send makes a request to the running program; header may set Host.
func send(t *testing.T, method, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	req.SetBasicAuth("app_demo_key", "demo-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestHelpDocumentsTheAdminRoutesFaultsAndTimeouts(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{
		"GET    /_sim/conversations/{appId}/{conversationId}", "PUT    /_sim/conversations/{appId}/{conversationId}",
		"GET    /_sim/faults", "POST   /_sim/faults", "DELETE /_sim/faults", "GET    /_sim/counts", "POST   /_sim/reset",
		`{"operation":"passControl","status":429,"times":2,"retryAfter":"2s",`,
		"  operation ", "  latency ", "  status ", "  retryAfter ", "  drop ", "  lostAnswer ", "  noEffect ", "  times ", "  after ",
		"421", "Origin", "-max-conversations int", "(default 10000)",
		"-read-header-timeout duration", "-read-timeout duration", "-write-timeout duration", "-idle-timeout duration",
		"GET    /_sim/deliveries", "GET    /_sim/delivery-faults", "POST   /_sim/delivery-faults", "DELETE /_sim/delivery-faults",
		"?events=false", "X-API-Key", "HEAD", "at most 10", "  duplicate ", "  wrongKey ", "  delay ", "  webhookId ",
		"-webhook-batch-window duration", "(default 100ms)", "-webhook-time-scale float", "(default 1)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestServerTimeoutsComeFromTheFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(o, http.NotFoundHandler())
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 30*time.Second ||
		srv.WriteTimeout != 2*time.Minute || srv.IdleTimeout != 2*time.Minute {
		t.Errorf("default timeouts: header %v, read %v, write %v, idle %v",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	o, err = parseFlags([]string{"--read-header-timeout=1s", "--read-timeout=2s", "--write-timeout=3s", "--idle-timeout=4s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv = newServer(o, http.NotFoundHandler())
	if srv.ReadHeaderTimeout != time.Second || srv.ReadTimeout != 2*time.Second ||
		srv.WriteTimeout != 3*time.Second || srv.IdleTimeout != 4*time.Second {
		t.Errorf("timeouts from flags: header %v, read %v, write %v, idle %v",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	for _, c := range []struct{ arg, want string }{
		{"--write-timeout=0s", "--write-timeout: must be positive, got 0s"},
		{"--idle-timeout=-1s", "--idle-timeout: must be positive, got -1s"},
		{"--max-conversations=0", "--max-conversations: must be at least 1, got 0"},
		{"--webhook-time-scale=0", "--webhook-time-scale: must be positive, got 0"},
		{"--webhook-batch-window=-1s", "--webhook-batch-window: must not be negative, got -1s"},
	} {
		if _, err := parseFlags([]string{c.arg}, io.Discard); err == nil || err.Error() != c.want {
			t.Errorf("parseFlags(%s) = %v, want %q", c.arg, err, c.want)
		}
	}
}

func TestRunClosesAConnectionThatNeverEndsItsHeaders(t *testing.T) {
	url, _, stop := start(t, "--read-header-timeout", "200ms")
	defer func() { _ = stop() }()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.Write([]byte("GET /_sim/counts HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	startRead := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(conn)
	if d := time.Since(startRead); err != nil || d > 3*time.Second {
		t.Errorf("slow headers: read ended after %v with %v, want the server to close within the timeout", d, err)
	}
}

func TestRunAdminFaultsAndHostChecks(t *testing.T) {
	url, out, stop := start(t)
	defer func() { _ = stop() }()
	status, body := send(t, http.MethodPost, url+"/_sim/faults", `{"operation":"passControl","lostAnswer":true}`, nil)
	if status != 200 || !strings.Contains(body, `"lostAnswer":true`) {
		t.Fatalf("POST /_sim/faults = %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/v2/apps/app-demo/conversations/conv-1/passControl",
		strings.NewReader(`{"switchboardIntegration":"agent-workspace"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("app_demo_key", "demo-secret")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_ = resp.Body.Close()
		t.Errorf("pass with a lost answer answered %d", resp.StatusCode)
	}
	if status, body := get(t, url+"/_sim/conversations/app-demo/conv-1", false); body != `{"active":"agent-workspace","pending":""}` {
		t.Errorf("after the lost answer conv-1 = %d %s, want it moved", status, body)
	}
	if status, body := send(t, http.MethodPost, url+"/_sim/faults", `{"operation":"passControl","times":"2"}`, nil); status != 400 ||
		!strings.Contains(body, "times: must be a JSON integer") {
		t.Errorf("bad fault = %d %s", status, body)
	}
	if status, _ := send(t, http.MethodGet, url+"/_sim/faults", "", map[string]string{"Host": "rebound.example:8091"}); status != 421 {
		t.Errorf("foreign Host = %d, want 421", status)
	}
	if status, _ := send(t, http.MethodPut, url+"/_sim/conversations/app-demo/conv-1", `{"active":"bot"}`,
		map[string]string{"Origin": "https://evil.example"}); status != 403 {
		t.Errorf("foreign Origin = %d, want 403", status)
	}
	if status, body := send(t, http.MethodDelete, url+"/_sim/faults", "", nil); status != 200 || body != `{"faults":[]}` {
		t.Errorf("DELETE /_sim/faults = %d %s", status, body)
	}
	if strings.Contains(out.String(), "demo-secret") {
		t.Errorf("output reveals the secret:\n%s", out)
	}
}

func TestRunBoundsTheConversationsAdminRoutesCreate(t *testing.T) {
	url, _, stop := start(t, "--max-conversations", "7") // the demo seed holds 6
	defer func() { _ = stop() }()
	if status, body := send(t, http.MethodPut, url+"/_sim/conversations/app-demo/new-1", `{"active":"bot"}`, nil); status != 200 {
		t.Errorf("PUT new-1 = %d %s", status, body)
	}
	status, body := send(t, http.MethodPut, url+"/_sim/conversations/app-demo/new-2", `{"active":"bot"}`, nil)
	if status != 409 || !strings.Contains(body, "holds 7 conversations, its limit (--max-conversations)") {
		t.Errorf("PUT beyond the limit = %d %s, want 409", status, body)
	}
}

func TestRunDeliversWebhooksOnTheScaledSchedule(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, r.Header.Get("X-API-Key"))
		if len(keys) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // retried after 60 ms at this scale
		}
	}))
	defer receiver.Close()
	url, out, stop := start(t, "--webhook-batch-window=1ms", "--webhook-time-scale=0.001")
	defer func() { _ = stop() }()
	status, body := send(t, http.MethodPost, url+"/v2/apps/app-demo/integrations",
		`{"type":"custom","webhooks":[{"target":"`+receiver.URL+`","triggers":["switchboard:passControl"]}]}`, nil)
	var created struct {
		Integration struct{ Webhooks []struct{ Secret string } }
	}
	if err := json.Unmarshal([]byte(body), &created); status != 201 || err != nil || len(created.Integration.Webhooks) != 1 {
		t.Fatalf("create integration = %d %s", status, body)
	}
	secret := created.Integration.Webhooks[0].Secret
	if status, body := send(t, http.MethodPut, url+"/_sim/conversations/app-demo/conv-1", `{"active":"agent-workspace"}`, nil); status != 200 {
		t.Fatalf("move = %d %s", status, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body = get(t, url+"/_sim/deliveries", false)
		if strings.Contains(body, `"delivered":1`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(body, `"attempts":2`) || !strings.Contains(body, `"status":503`) {
		t.Errorf("deliveries = %s, want one delivered on the second attempt", body)
	}
	mu.Lock()
	if len(keys) != 2 || keys[0] != secret || keys[1] != secret {
		t.Errorf("the receiver got %d requests, with the secret: %v", len(keys), len(keys) > 0 && keys[0] == secret)
	}
	mu.Unlock()
	if status, body := send(t, http.MethodPost, url+"/_sim/delivery-faults", `{"wrongKey":true}`, nil); status != 200 || !strings.Contains(body, `"wrongKey":true`) {
		t.Errorf("POST /_sim/delivery-faults = %d %s", status, body)
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("the log shows the webhook secret")
	}
}
