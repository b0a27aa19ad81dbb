package sunshinetest

import (
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookStatuses records the status of every request the simulator handled.
type hookStatuses struct {
	mu       sync.Mutex
	statuses []int
}

func (h *hookStatuses) hook(ri RequestInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.statuses = append(h.statuses, ri.Status)
}

// waitFor waits until the recorded statuses equal want: the hook of a
// dropped request may run after the client saw the connection close.
func (h *hookStatuses) waitFor(t *testing.T, want []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.Lock()
		got := append([]int(nil), h.statuses...)
		h.mu.Unlock()
		if reflect.DeepEqual(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hook statuses = %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pass(t *testing.T, srv *Server, conv, to string) response {
	t.Helper()
	return call(t, srv, http.MethodPost, actionPath(conv, OpPassControl), keyAuth(appKey), target(to))
}

func TestLostAnswerAppliesTheActionThenDropsTheAnswer(t *testing.T) {
	var h hookStatuses
	srv := newTestServer(t, WithRequestHook(h.hook))
	srv.InjectFault(OpPassControl, Fault{LostAnswer: true})

	_, err := tryCall(srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw))
	if err == nil {
		t.Fatal("request with a lost answer got an answer")
	}
	wantState(t, srv.Simulator, "conv-1", st(aw, "")) // the vendor applied it
	if got := srv.Count(OpPassControl); got != 1 {
		t.Errorf("Count(passControl) = %d, want 1", got)
	}
	h.waitFor(t, []int{0})

	// Times 0 means once: the next request is answered.
	wantAnswer(t, pass(t, srv, "conv-1", "bot"), 200, "")
	wantState(t, srv.Simulator, "conv-1", st("bot", ""))
	h.waitFor(t, []int{0, 200})
}

func TestLostAnswerHandlesTheRequestAsUsual(t *testing.T) {
	srv := newTestServer(t)
	// An unauthenticated action with a lost answer is refused, not applied.
	srv.InjectFault(OpPassControl, Fault{LostAnswer: true})
	if _, err := tryCall(srv, http.MethodPost, actionPath("conv-1", OpPassControl), nil, target(aw)); err == nil {
		t.Fatal("request with a lost answer got an answer")
	}
	wantState(t, srv.Simulator, "conv-1", st("bot", ""))

	// A read with a lost answer fails too, and the fault is then used up.
	srv.InjectFault(OpGetConversation, Fault{LostAnswer: true, Times: 2})
	for range 2 {
		if _, err := tryCall(srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), ""); err == nil {
			t.Fatal("read with a lost answer got an answer")
		}
	}
	wantAnswer(t, call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), ""), 200, "")
}

func TestNoEffectAnswers200AndChangesNothing(t *testing.T) {
	srv := newTestServer(t)
	mustSet(t, srv.Simulator, "conv-2", st("bot", aw))
	srv.InjectFault("", Fault{NoEffect: true, Times: 4})
	for _, c := range []struct {
		op   Operation
		body string
	}{{OpPassControl, target(aw)}, {OpOfferControl, target("bot2")}, {OpAcceptControl, `{}`}, {OpReleaseControl, ""}} {
		r := call(t, srv, http.MethodPost, actionPath("conv-2", c.op), keyAuth(appKey), c.body)
		wantAnswer(t, r, 200, "")
		if got := strings.TrimSpace(string(r.body)); got != "{}" {
			t.Errorf("%s body = %s, want {}", c.op, got)
		}
		wantState(t, srv.Simulator, "conv-2", st("bot", aw))
	}
	// Used up: the next action applies.
	wantAnswer(t, pass(t, srv, "conv-2", aw), 200, "")
	wantState(t, srv.Simulator, "conv-2", st(aw, ""))
}

func TestNoEffectIsNoFaultForOtherOperations(t *testing.T) {
	srv := newTestServer(t)
	srv.InjectFault("", Fault{NoEffect: true})
	srv.InjectFault(OpGetConversation, Fault{NoEffect: true})
	r := call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	wantAnswer(t, r, 200, "")
	var got struct {
		Conversation struct{ ID string } `json:"conversation"`
	}
	r.decode(t, &got)
	if got.Conversation.ID != "conv-1" {
		t.Errorf("GET answered %s, want the conversation", r.body)
	}
	wantAnswer(t, call(t, srv, http.MethodGet, "/v2/apps/"+demoApp+"/switchboards", nil, ""), 401, codeUnauthorized)
	// The fault for every operation was not used up by the reads.
	if got := srv.Faults(); len(got) != 2 || got[0].Times != 1 {
		t.Fatalf("Faults = %+v, want both still active", got)
	}
	wantAnswer(t, pass(t, srv, "conv-1", aw), 200, "")
	wantState(t, srv.Simulator, "conv-1", st("bot", ""))
}

func TestAfterLetsTheFirstRequestsPass(t *testing.T) {
	get := func(srv *Server) response {
		return call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	}
	t.Run("status", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Status: 503, Times: 2, After: 2})
		for i, want := range []int{200, 200, 503, 503, 200} {
			if r := get(srv); r.status != want {
				t.Errorf("request %d = %d, want %d", i+1, r.status, want)
			}
		}
	})
	t.Run("only matching requests count", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpPassControl, Fault{LostAnswer: true, After: 1})
		wantAnswer(t, get(srv), 200, "")
		wantAnswer(t, pass(t, srv, "conv-1", aw), 200, "")
		if _, err := tryCall(srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target("bot")); err == nil {
			t.Error("second pass got an answer, want it lost")
		}
		wantState(t, srv.Simulator, "conv-1", st("bot", ""))
	})
	t.Run("requests answered by another fault count", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Status: 500})
		srv.InjectFault(OpGetConversation, Fault{Status: 429, After: 1})
		wantAnswer(t, get(srv), 500, "internal_server_error")
		wantAnswer(t, get(srv), 429, "too_many_requests")
		wantAnswer(t, get(srv), 200, "")
	})
	t.Run("latency", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Latency: 150 * time.Millisecond, After: 1})
		start := time.Now()
		get(srv)
		if d := time.Since(start); d >= 150*time.Millisecond {
			t.Errorf("first request delayed by %v, want it untouched", d)
		}
		for range 2 {
			start = time.Now()
			get(srv)
			if d := time.Since(start); d < 150*time.Millisecond {
				t.Errorf("request after the first answered after %v, want >= 150ms", d)
			}
		}
	})
}

func TestFaultsListsWhatIsLeft(t *testing.T) {
	srv := newTestServer(t)
	srv.InjectFault(OpGetConversation, Fault{Status: 503, Times: 2, After: 1})
	srv.InjectFault("", Fault{Latency: time.Millisecond})
	call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	want := []FaultSpec{
		{Operation: OpGetConversation, Fault: Fault{Status: 503, Times: 1}},
		{Fault: Fault{Latency: time.Millisecond}},
	}
	if got := srv.Faults(); !reflect.DeepEqual(got, want) {
		t.Errorf("Faults = %+v, want %+v", got, want)
	}
	call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	if got := srv.Faults(); !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("Faults after the last failure = %+v, want %+v", got, want[1:])
	}
	srv.ClearFaults()
	if got := srv.Faults(); len(got) != 0 {
		t.Errorf("Faults after ClearFaults = %+v", got)
	}
}

func TestFaultSpecValidate(t *testing.T) {
	ok := []FaultSpec{
		{Operation: OpPassControl, Fault: Fault{Status: 429, Times: 2, RetryAfter: time.Second, Latency: time.Second}},
		{Fault: Fault{Latency: time.Second}},
		{Fault: Fault{NoEffect: true}},
		{Operation: OpReleaseControl, Fault: Fault{NoEffect: true, After: 3}},
		{Operation: OpGetConversation, Fault: Fault{LostAnswer: true}},
		{Operation: OpListSwitchboards, Fault: Fault{Drop: true, Times: 5}},
	}
	for _, fs := range ok {
		if err := fs.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", fs, err)
		}
	}
	bad := []struct {
		fs   FaultSpec
		want string
	}{
		{FaultSpec{Operation: "pass", Fault: Fault{Status: 500}}, `operation: unknown operation "pass"; allowed: passControl,`},
		{FaultSpec{Fault: Fault{Latency: -1}}, "latency: must not be negative"},
		{FaultSpec{Fault: Fault{Status: 429, RetryAfter: -1}}, "retryAfter: must not be negative"},
		{FaultSpec{Fault: Fault{Status: 500, Times: -1}}, "times: must not be negative"},
		{FaultSpec{Fault: Fault{Status: 500, After: -1}}, "after: must not be negative"},
		{FaultSpec{Fault: Fault{Status: 200}}, "status: must be an error status between 400 and 599, got 200"},
		{FaultSpec{Fault: Fault{Status: 500, Drop: true}}, "status, drop: set only one of"},
		{FaultSpec{Fault: Fault{LostAnswer: true, NoEffect: true}}, "lostAnswer, noEffect: set only one of"},
		{FaultSpec{Fault: Fault{Status: 503, RetryAfter: time.Second}}, "retryAfter: applies only with status 429"},
		{FaultSpec{Operation: OpGetConversation, Fault: Fault{NoEffect: true}}, "noEffect: applies only to the actions"},
		{FaultSpec{Operation: OpPassControl}, "a fault needs latency, status, drop, lostAnswer or noEffect"},
		{FaultSpec{Fault: Fault{Latency: time.Second, Times: 2}}, "times: applies only with status"},
	}
	for _, c := range bad {
		err := c.fs.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c.fs, err, c.want)
		}
	}
}

func TestRequestHookNamesTheFaultThatDecidedTheAnswer(t *testing.T) {
	var mu sync.Mutex
	got := map[int]RequestInfo{} // by order of the requests sent
	n := 0
	var next int
	srv := newTestServer(t, WithRequestHook(func(ri RequestInfo) {
		mu.Lock()
		defer mu.Unlock()
		got[next] = ri
		n++
	}))
	send := func(i int, fault Fault) {
		t.Helper()
		mu.Lock()
		next = i
		mu.Unlock()
		srv.InjectFault(OpPassControl, fault)
		_, _ = tryCall(srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw))
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			done := n == i+1
			mu.Unlock()
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("hook of request %d did not run", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	send(0, Fault{LostAnswer: true})
	send(1, Fault{NoEffect: true})
	send(2, Fault{Status: 503})
	send(3, Fault{Latency: time.Millisecond})
	srv.ClearFaults()
	for i, want := range []struct {
		status int
		fault  *Fault
	}{{0, &Fault{LostAnswer: true}}, {200, &Fault{NoEffect: true}}, {503, &Fault{Status: 503}}, {200, nil}} {
		ri := got[i]
		if ri.Status != want.status || !reflect.DeepEqual(ri.Fault, want.fault) {
			t.Errorf("request %d: hook saw status %d fault %+v, want %d %+v", i, ri.Status, ri.Fault, want.status, want.fault)
		}
	}
}
