package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

func TestClassifyRequest(t *testing.T) {
	tests := []struct {
		name, method, path, watch string
		verb, resource            string
	}{
		{"creates a namespaced custom resource", "POST", "/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols", "", "create", "conversationcontrols"},
		{"patches a status subresource", "PATCH", "/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols/cc-1/status", "", "patch", "conversationcontrols/status"},
		{"patches metadata", "PATCH", "/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols/cc-1", "", "patch", "conversationcontrols"},
		{"creates an Event", "POST", "/apis/events.k8s.io/v1/namespaces/ns/events", "", "create", "events"},
		{"gets a core Secret", "GET", "/api/v1/namespaces/ns/secrets/key", "", "get", "secrets"},
		{"lists cluster-wide", "GET", "/apis/switchboard.conversations.dev/v1alpha1/conversationcontrols", "", "list", "conversationcontrols"},
		{"watches", "GET", "/apis/switchboard.conversations.dev/v1alpha1/conversationcontrols", "true", "watch", "conversationcontrols"},
		{"gets a namespace", "GET", "/api/v1/namespaces/ns", "", "get", "namespaces"},
		{"updates a namespace's finalizers", "PUT", "/api/v1/namespaces/ns/finalize", "", "update", "namespaces/finalize"},
		{"deletes a collection", "DELETE", "/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols", "", "deletecollection", "conversationcontrols"},
		{"deletes one object", "DELETE", "/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols/cc-1", "", "delete", "conversationcontrols"},
		{"reads discovery", "GET", "/apis", "", "get", "nonresource"},
		{"reads the version", "GET", "/version", "", "get", "nonresource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verb, resource := classifyRequest(tt.method, tt.path, tt.watch)
			if verb != tt.verb || resource != tt.resource {
				t.Errorf("classifyRequest(%s %s) = %q %q, want %q %q", tt.method, tt.path, verb, resource, tt.verb, tt.resource)
			}
		})
	}
}

func TestRequestCountsSinceAndWrites(t *testing.T) {
	before := requestCounts{"create events": 1, "get secrets": 2}
	now := requestCounts{"create events": 4, "get secrets": 2, "patch conversationcontrols/status": 5, "watch events": 1}
	since := now.since(before)
	want := requestCounts{"create events": 3, "patch conversationcontrols/status": 5, "watch events": 1}
	if len(since) != len(want) {
		t.Fatalf("since = %v, want %v", since, want)
	}
	for k, v := range want {
		if since[k] != v {
			t.Errorf("since[%q] = %d, want %d", k, since[k], v)
		}
	}
	if got := since.writes().total(); got != 8 {
		t.Errorf("writes().total() = %d, want 8", got)
	}
	if got := since.count("patch", "conversationcontrols/status"); got != 5 {
		t.Errorf("count = %d, want 5", got)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0.1: time.Millisecond} {
		if got := percentile(sorted, p); got != want {
			t.Errorf("percentile(%v) = %v, want %v", p, got, want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile of nothing = %v, want 0", got)
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("percentile of one value = %v, want it", got)
	}
}

func TestProcReadersReadThisProcessAndFindItsChildren(t *testing.T) {
	rss, hwm, err := processMemory(os.Getpid())
	if err != nil || rss == 0 || hwm < rss {
		t.Errorf("processMemory(self) = RSS %d, VmHWM %d, %v; want RSS > 0 and VmHWM >= RSS", rss, hwm, err)
	}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) { // burn a little CPU so that the tick counter moves
	}
	if cpu := cpuSeconds(map[string]int{"self": os.Getpid()}); cpu["self"] <= 0 {
		t.Errorf("cpuSeconds(self) = %v, want > 0", cpu)
	}
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	if got := childProcesses("sleep", "etcd"); got["sleep"] != child.Process.Pid || len(got) != 1 {
		t.Errorf("childProcesses = %v, want only sleep with pid %d", got, child.Process.Pid)
	}
}

func TestMixRepeatsEveryHundredObjects(t *testing.T) {
	o := options{NextPercent: 10, OfferedPercent: 20, ReleasePolicyPercent: 5}
	counts := map[string]int{}
	release := 0
	for i := range 1000 {
		counts[o.kindOf(i).name]++
		if o.releasePolicy(i) {
			release++
		}
	}
	if counts[kindNext.name] != 100 || counts[kindOffered.name] != 200 || counts[kindActive.name] != 700 || release != 50 {
		t.Errorf("mix = %v, release %d", counts, release)
	}
	if (options{}).releasePolicy(99) {
		t.Error("release policy without a percentage")
	}
}

func TestVendorTrackerCountsPollsAndLatencies(t *testing.T) {
	tr := newVendorTracker(time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr.created("a", t0)
	tr.created("b", t0)
	tr.created("c", t0)
	for _, info := range []sunshinetest.RequestInfo{
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0.Add(10 * time.Millisecond)},
		{Operation: sunshinetest.OpPassControl, ConversationID: "a", Time: t0.Add(20 * time.Millisecond)},
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0.Add(61 * time.Second)}, // a poll
		{Operation: sunshinetest.OpGetConversation, ConversationID: "b", Time: t0.Add(5 * time.Millisecond)},
		{Operation: sunshinetest.OpOfferControl, ConversationID: "b", Time: t0.Add(-time.Millisecond)},
		{Operation: sunshinetest.OpOfferControl, ConversationID: "b", Time: t0.Add(30 * time.Millisecond)},
		{Operation: sunshinetest.OpGetConversation, ConversationID: "b", Time: t0.Add(40 * time.Millisecond)}, // too soon for a poll
		{Operation: sunshinetest.OpListSwitchboards, Time: t0},
	} {
		tr.observe(info)
	}
	if got := tr.totals(); got != (vendorTotals{Actions: 3, Reads: 3, Polls: 1}) {
		t.Errorf("totals = %+v", got)
	}
	latencies, without, more, early := tr.handoffs()
	if without != 1 || more != 1 || early != 1 {
		t.Errorf("without %d, more %d, early %d; want 1 each", without, more, early)
	}
	if len(latencies) != 2 || latencies[0] != -time.Millisecond || latencies[1] != 20*time.Millisecond {
		t.Errorf("latencies = %v", latencies)
	}
}

func TestParseFlagsRefusesImpossibleSettings(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "0"},
		{"-concurrency", "0"},
		{"-next-percent", "60", "-offered-percent", "50"},
		{"-release-policy-percent", "101"},
		{"-poll-interval", "5s"},
		{"-vendor-rps", "2000"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", args)
		}
	}
	o, err := parseFlags([]string{"-n", "5000", "-qps", "20", "-burst", "30"}, io.Discard)
	if err != nil || o.N != 5000 || o.QPS != 20 || o.Burst != 30 || o.Concurrency < 1 {
		t.Errorf("parseFlags = %+v, %v", o, err)
	}
}

func TestTargetsAndTable(t *testing.T) {
	rep := &Report{
		Settings: Settings{N: 5000, Mix: map[string]int{kindActive.name: 5000}},
		Results: Results{
			Ready: 5000, AllReadySeconds: 30, BaselineSeconds: 20, BaselineAfterSeconds: 30,
			WritesBaselineSeconds: 24, WritesRatio: 1.25,
			Vendor: Vendor{Calls: map[string]int{"passControl": 5000, "getConversation": 5000, "listSwitchboards": 1},
				Actions: 5000, ActionsPerHandoff: 1, ReadsOutsidePollsPerHand: 1},
			APIServer: APIServer{Operator: requestCounts{"patch conversationcontrols/status": 5000, "create events": 5000},
				BenchCreates: 5000, OperatorWrites: 10000, WritesPerHandoff: 3, ObjectWritesPerHandoff: 2},
			Quiet:  Quiet{Polls: 3, OperatorWrites: requestCounts{"patch conversationcontrols/status": 3}},
			Memory: Memory{PeakHeapInuse: 200 << 20, HighWaterRSS: map[string]uint64{"bench": 1 << 30}, PeakRSS: map[string]uint64{"bench": 1 << 29}},
		},
	}
	rep.Results.setRatio()
	if rep.Results.BaselineMeanSeconds != 25 || rep.Results.Ratio != 1.2 {
		t.Errorf("baselines 20 s and 30 s, operator 30 s: mean %v, ratio %v; want 25 and 1.2",
			rep.Results.BaselineMeanSeconds, rep.Results.Ratio)
	}
	rep.Targets = evaluateTargets(rep)
	want := map[string]string{
		"vendor actions per handoff":                                "met",
		"vendor reads per handoff outside polls":                    "met",
		"API-server writes per handoff (creates, patches, Events)":  "missed",
		"time ratio operator / baseline (mean of both)":             "met",
		"quiet period: no calls or writes but polls":                "met",
		"peak heap (HeapInuse, whole process)":                      "missed",
		"restart in sync: vendor calls in the window but due polls": "n/a",
	}
	for _, tg := range rep.Targets {
		if want[tg.Name] != tg.Status {
			t.Errorf("target %q: %s, want %s", tg.Name, tg.Status, want[tg.Name])
		}
	}
	var out bytes.Buffer
	if err := writeTable(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"time until all Ready", "30.00s", "listSwitchboards 1", "RSS kube-apiserver", "not found", "200.0 MiB"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
	for name, value := range map[string]string{
		"baseline (create + 1 status patch), before":       "20.00s",
		"baseline again, after (manager stopped)":          "30.00s (CPU not measured)",
		"ratio operator / mean of the baselines":           "1.20 (mean 25.00s; 1.50 against the first alone)",
		"baseline with the operator's status and an Event": "24.00s (ratio 1.25; CPU not measured)",
	} {
		if !tableRowHas(out.String(), name, value) {
			t.Errorf("table lacks the row %q with %q:\n%s", name, value, out.String())
		}
	}
}

// tableRowHas tells whether the table has a row starting with name whose value is value.
func tableRowHas(table, name, value string) bool {
	for line := range strings.Lines(table) {
		if rest, ok := strings.CutPrefix(line, name); ok && strings.TrimSpace(rest) == value {
			return true
		}
	}
	return false
}

func TestDropEventsAnswersEventCreatesInPlaceOfTheServer(t *testing.T) {
	c := newRequestCounter()
	c.dropEvents = true
	sent := 0
	rt := c.wrap(roundTripperFunc(func(*http.Request) (*http.Response, error) {
		sent++
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("{}"))}, nil
	}))
	event := `{"kind":"Event","apiVersion":"events.k8s.io/v1","metadata":{"name":"e"}}`
	req := httptest.NewRequest(http.MethodPost, "https://127.0.0.1/apis/events.k8s.io/v1/namespaces/ns/events", strings.NewReader(event))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || string(body) != event || sent != 0 {
		t.Errorf("answered %d %q, sent %d", resp.StatusCode, body, sent)
	}
	req = httptest.NewRequest(http.MethodPatch, "https://127.0.0.1/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols/cc/status", strings.NewReader("{}"))
	resp, err = rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	counts := c.snapshot()
	if sent != 1 || counts["dropped events"] != 1 || counts["patch conversationcontrols/status"] != 1 || counts.writes().total() != 1 {
		t.Errorf("sent %d, counts %v", sent, counts)
	}
}

func TestReadyTrackerFinishesWhenEveryObjectWasWrittenReady(t *testing.T) {
	tr := newReadyTracker("ns", 2)
	answer := func(ns, name string, generation, observed int64, status string) []byte {
		return []byte(`{"metadata":{"namespace":"` + ns + `","name":"` + name + `","generation":` + strconv.FormatInt(generation, 10) + `},` +
			`"status":{"observedGeneration":` + strconv.FormatInt(observed, 10) + `,"conditions":[{"type":"Ready","status":"` + status +
			`","observedGeneration":` + strconv.FormatInt(observed, 10) + `,"reason":"Succeeded","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`)
	}
	tr.observeAnswer(answer("ns", "a", 1, 1, "True"))
	tr.observeAnswer(answer("ns", "a", 1, 1, "True")) // counted once
	tr.observeAnswer(answer("ns", "b", 2, 1, "True")) // an older generation
	tr.observeAnswer(answer("ns", "c", 1, 1, "False"))
	tr.observeAnswer(answer("other", "d", 1, 1, "True"))
	tr.observeAnswer([]byte("not json"))
	if got := tr.count(); got != 1 {
		t.Fatalf("count = %d, want 1", got)
	}
	if _, err := tr.wait(context.Background(), time.Millisecond); err == nil {
		t.Fatal("wait succeeded with one of two objects Ready")
	}
	tr.observeAnswer(answer("ns", "b", 2, 2, "True"))
	if last, err := tr.wait(context.Background(), time.Second); err != nil || last.IsZero() {
		t.Fatalf("wait = %v, %v", last, err)
	}
}

func TestCounterHandsTheAnswersToConversationControlWritesOn(t *testing.T) {
	c := newRequestCounter()
	var seen []string
	c.onWritten = func(body []byte) { seen = append(seen, string(body)) }
	rt := c.wrap(roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": []string{"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"path":"` + req.URL.Path + `"}`))}, nil
	}))
	for _, r := range []struct{ method, path string }{
		{http.MethodPatch, "/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols/cc/status"},
		{http.MethodGet, "/apis/switchboard.conversations.dev/v1alpha1/namespaces/ns/conversationcontrols/cc"},
		{http.MethodPost, "/apis/events.k8s.io/v1/namespaces/ns/events"},
	} {
		resp, err := rt.RoundTrip(httptest.NewRequest(r.method, "https://127.0.0.1"+r.path, strings.NewReader("{}")))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if !strings.Contains(string(body), r.path) {
			t.Errorf("the client got %q for %s", body, r.path)
		}
	}
	if len(seen) != 1 || !strings.Contains(seen[0], "/status") {
		t.Errorf("handed on %q, want the status patch only", seen)
	}
}

func TestCounterCountsFailedRequestsApart(t *testing.T) {
	c := newRequestCounter()
	rt := c.wrap(roundTripperFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusConflict, Body: io.NopCloser(strings.NewReader("{}"))}, nil
	}))
	resp, err := rt.RoundTrip(httptest.NewRequest(http.MethodPatch, "https://127.0.0.1/apis/g/v1/namespaces/ns/conversationcontrols/cc/status", nil))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	counts := c.snapshot()
	if counts["patch conversationcontrols/status"] != 1 || counts["failed 409 patch conversationcontrols/status"] != 1 ||
		counts.writes().total() != 1 || counts.failed().total() != 1 {
		t.Errorf("counts = %v", counts)
	}
}

func TestParseCountsWantsIncreasingCounts(t *testing.T) {
	got, err := parseCounts("1000, 10000,50000")
	if err != nil || !slices.Equal(got, []int{1000, 10000, 50000}) {
		t.Errorf("parseCounts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "1000,1000", "10000,1000", "ten"} {
		if _, err := parseCounts(bad); err == nil || !strings.Contains(err.Error(), "-scale") {
			t.Errorf("parseCounts(%q) = %v, want an error naming -scale", bad, err)
		}
	}
}

func TestChartDrawsTheHandoffsAndTheLatencyHistogram(t *testing.T) {
	dir := t.TempDir()
	rep := &Report{StartedAt: time.Now(), Revision: "0123456789abcdef", Settings: Settings{N: 3}}
	rep.Results.AllReadySeconds, rep.Results.Ratio = 2, 1.4
	d := chartData{
		actionsAt: []time.Duration{100 * time.Millisecond, time.Second, 2 * time.Second},
		latencies: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 200 * time.Millisecond},
	}
	path, err := writeChart(dir, rep, d)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)
	if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Fatalf("not an SVG document:\n%s", svg)
	}
	// The cumulative line has the origin and one point per handoff; the histogram one bar
	// per non-empty bucket (two latencies share the first).
	_, line, _ := strings.Cut(svg, "<polyline")
	if line, _, _ = strings.Cut(line, "/>"); strings.Count(line, ",") != 4 {
		t.Errorf("the handoff line does not have 4 points:\n%s", svg)
	}
	if n := strings.Count(svg, "<rect"); n != 2 {
		t.Errorf("%d histogram bars, want 2:\n%s", n, svg)
	}
	if !strings.Contains(svg, "ratio 1.40") {
		t.Error("the title does not give the ratio")
	}
}

func TestVendorTrackerCountsTheFirstPollHalfAnIntervalAfterTheHandoff(t *testing.T) {
	tr := newVendorTracker(time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, info := range []sunshinetest.RequestInfo{
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0},
		{Operation: sunshinetest.OpPassControl, ConversationID: "a", Time: t0.Add(5 * time.Millisecond)},
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0.Add(10 * time.Millisecond)},
		// The first poll: the first slot at least half an interval after the read back.
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0.Add(31 * time.Second)},
		{Operation: sunshinetest.OpGetConversation, ConversationID: "b", Time: t0},
		{Operation: sunshinetest.OpGetConversation, ConversationID: "b", Time: t0.Add(20 * time.Second)}, // too soon
	} {
		tr.observe(info)
	}
	if got := tr.totals(); got != (vendorTotals{Actions: 1, Reads: 4, Polls: 1}) {
		t.Errorf("totals = %+v, want 1 action, 4 reads, 1 poll", got)
	}
	if a := tr.conversation("a"); a.actions != 1 || a.reads != 2 {
		t.Errorf("conversation a: %d actions, %d reads outside polls; want 1 and 2", a.actions, a.reads)
	}
	if none := tr.conversation("none"); none.actions != 0 || none.reads != 0 {
		t.Errorf("an unknown conversation has %+v", none)
	}
}

func TestReadyTrackerWithOnlyCountsThatObject(t *testing.T) {
	tr := newReadyTracker("ns", 1)
	tr.only = "fresh"
	ready := func(name string) []byte {
		return []byte(`{"metadata":{"namespace":"ns","name":"` + name + `","generation":1},"status":{"observedGeneration":1,` +
			`"conditions":[{"type":"Ready","status":"True","observedGeneration":1,"reason":"Succeeded","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`)
	}
	tr.observeAnswer(ready("old")) // a poll's status patch of an object in sync
	if tr.count() != 0 {
		t.Fatal("an object other than the one named counted")
	}
	tr.observeAnswer(ready("fresh"))
	if _, err := tr.wait(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestTheRatioFallsBackToTheFirstBaselineWithoutTheSecond(t *testing.T) {
	res := Results{AllReadySeconds: 30, BaselineSeconds: 20}
	res.setRatio()
	if res.BaselineMeanSeconds != 20 || res.Ratio != 1.5 {
		t.Errorf("one baseline of 20 s, operator 30 s: mean %v, ratio %v; want 20 and 1.5", res.BaselineMeanSeconds, res.Ratio)
	}
	var out bytes.Buffer
	if err := writeTable(&out, &Report{Settings: Settings{N: 1}, Results: res}); err != nil {
		t.Fatal(err)
	}
	if !tableRowHas(out.String(), "baseline again, after (manager stopped)", "not run") {
		t.Errorf("table lacks the second baseline's absence:\n%s", out.String())
	}
	none := Results{AllReadySeconds: 30}
	none.setRatio()
	if none.Ratio != 0 {
		t.Errorf("no baseline: ratio %v, want 0 (unknown)", none.Ratio)
	}
}

func TestRestartTargetAndRows(t *testing.T) {
	base := func() *Report {
		return &Report{Settings: Settings{N: 10, Mix: map[string]int{kindActive.name: 10}}}
	}
	statusOf := func(r *Report) Target {
		for _, tg := range evaluateTargets(r) {
			if strings.HasPrefix(tg.Name, "restart in sync") {
				return tg
			}
		}
		t.Fatal("no restart target")
		return Target{}
	}
	if tg := statusOf(base()); tg.Status != "n/a" {
		t.Errorf("skipped restart: %+v", tg)
	}
	inSync := base()
	inSync.Results.Restart = Restart{Objects: 10, WindowSeconds: 60, SyncedSeconds: 0.2, NewObjectWaitSeconds: 0.05, Polls: 10,
		NewObjectActions: 1, NewObjectReads: 2, VendorCalls: map[string]int{"getConversation": 12, "passControl": 1},
		OperatorWrites: requestCounts{"patch conversationcontrols/status": 11, "create events": 1}}
	if tg := statusOf(inSync); tg.Status != "met" {
		t.Errorf("restart with only due polls and the new object's calls: %+v", tg)
	}
	var out bytes.Buffer
	inSync.Targets = evaluateTargets(inSync)
	if err := writeTable(&out, inSync); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"50.0ms", "0 actions, 10 polls, 0 reads outside polls; the new object's: 1 actions, 2 reads",
		"restart: API-server writes", "12 (create events 1, patch conversationcontrols/status 11)"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
	costly := base()
	costly.Results.Restart = Restart{Objects: 10, WindowSeconds: 60, ReadsOutsidePolls: 10}
	if tg := statusOf(costly); tg.Status != "missed" {
		t.Errorf("restart that read every object at start-up: %+v", tg)
	}
}

func TestAPIServerProfileWritesTheProfileAndNamesAFailure(t *testing.T) {
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.String()
		if r.URL.Path != "/debug/pprof/profile" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("profile-bytes"))
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "apiserver.pprof")
	if err := apiServerProfile(context.Background(), &rest.Config{Host: srv.URL + "/"}, 3, path); err != nil {
		t.Fatal(err)
	}
	if asked != "/debug/pprof/profile?seconds=3" {
		t.Errorf("asked for %q", asked)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "profile-bytes" {
		t.Errorf("wrote %q, %v", data, err)
	}
	err := apiServerProfile(context.Background(), &rest.Config{Host: srv.URL + "/elsewhere"}, 1, path)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a refused profile = %v, want an error with the status", err)
	}
}

func TestManagerMemoryLimitGivesTheSoftLimitAContainerWould(t *testing.T) {
	limit, soft, err := memoryLimit("512Mi")
	if err != nil || limit != 512<<20 || soft != 483183820 {
		t.Fatalf("memoryLimit(512Mi) = %d, %d, %v; want %d and 90%% of it", limit, soft, err, 512<<20)
	}
	if limit, soft, err := memoryLimit(""); err != nil || limit != 0 || soft != 0 {
		t.Fatalf("memoryLimit(\"\") = %d, %d, %v; want no limit", limit, soft, err)
	}
	for _, bad := range []string{"lots", "0", "-1Gi"} {
		if _, _, err := memoryLimit(bad); err == nil || !strings.Contains(err.Error(), "-manager-memory-limit") {
			t.Errorf("memoryLimit(%q): err %v, want one naming -manager-memory-limit", bad, err)
		}
	}
}
