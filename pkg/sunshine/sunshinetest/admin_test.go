package sunshinetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// adminServer serves Handler (API and admin routes) on a loopback address.
type adminServer struct {
	*Server
}

func newAdminServer(t *testing.T, opts ...Option) adminServer {
	t.Helper()
	sim, err := New(testSeed(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sim.Handler())
	t.Cleanup(hs.Close)
	return adminServer{&Server{Simulator: sim, URL: hs.URL, srv: hs}}
}

// admin sends an admin request; header may set Host (key "Host") and others.
func (a adminServer) admin(t *testing.T, method, path, body string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, a.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	var b json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (a adminServer) faults(t *testing.T, r response) []faultJSON {
	t.Helper()
	var got struct {
		Faults []faultJSON `json:"faults"`
	}
	r.decode(t, &got)
	return got.Faults
}

func (r response) title() string {
	var eb errorBody
	if json.Unmarshal(r.body, &eb) != nil || len(eb.Errors) == 0 {
		return ""
	}
	return eb.Errors[0].Title
}

func TestAdminFaultRoutesInjectListAndClear(t *testing.T) {
	a := newAdminServer(t)
	r := a.admin(t, http.MethodPost, "/_sim/faults",
		`{"operation":"passControl","status":429,"times":2,"retryAfter":"2s","latency":"","drop":false,"lostAnswer":false,"noEffect":false,"after":1}`, nil)
	wantAnswer(t, r, 200, "")
	want := faultJSON{Operation: OpPassControl, Status: 429, Times: 2, After: 1, RetryAfter: "2s", Latency: "0s"}
	if got := a.faults(t, r); len(got) != 1 || got[0] != want {
		t.Fatalf("POST answered %s, want [%+v]", r.body, want)
	}

	wantAnswer(t, pass(t, a.Server, "conv-1", aw), 200, "") // after: 1
	got := pass(t, a.Server, "conv-1", "bot")
	wantAnswer(t, got, 429, "too_many_requests")
	if ra := got.header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After = %q, want 2", ra)
	}
	want.Times, want.After = 1, 0
	if got := a.faults(t, a.admin(t, http.MethodGet, "/_sim/faults", "", nil)); len(got) != 1 || got[0] != want {
		t.Errorf("GET /_sim/faults = %+v, want [%+v]", got, want)
	}

	r = a.admin(t, http.MethodDelete, "/_sim/faults", "", nil)
	if got := a.faults(t, r); r.status != 200 || got == nil || len(got) != 0 {
		t.Errorf("DELETE /_sim/faults = %d %s, want 200 and an empty list", r.status, r.body)
	}
	wantAnswer(t, pass(t, a.Server, "conv-1", "bot"), 200, "")
	wantState(t, a.Simulator, "conv-1", st("bot", ""))
}

func TestAdminFaultRoutesLostAnswerAndNoEffect(t *testing.T) {
	a := newAdminServer(t)
	wantAnswer(t, a.admin(t, http.MethodPost, "/_sim/faults", `{"operation":"passControl","lostAnswer":true}`, nil), 200, "")
	if _, err := tryCall(a.Server, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw)); err == nil {
		t.Error("pass with a lost answer got an answer")
	}
	wantState(t, a.Simulator, "conv-1", st(aw, ""))

	wantAnswer(t, a.admin(t, http.MethodPost, "/_sim/faults", `{"noEffect":true,"latency":"10ms"}`, nil), 200, "")
	wantAnswer(t, pass(t, a.Server, "conv-1", "bot"), 200, "")
	wantState(t, a.Simulator, "conv-1", st(aw, ""))
}

func TestAdminFaultRoutesRejectBadFaultsNamingTheField(t *testing.T) {
	a := newAdminServer(t)
	for _, c := range []struct{ body, want string }{
		{`{"operation":"pass","status":500}`, `operation: unknown operation "pass"`},
		{`{"status":"500"}`, "status: must be a JSON integer, not string"},
		{`{"drop":1}`, "drop: must be a JSON boolean, not number"},
		{`{"status":500,"tims":2}`, `unknown field "tims"; allowed: operation, status, times`},
		{`{"latency":"1 second"}`, `latency: "1 second" is not a duration`},
		{`{"status":429,"retryAfter":"soon"}`, `retryAfter: "soon" is not a duration`},
		{`{"status":503,"retryAfter":"2s"}`, "retryAfter: applies only with status 429"},
		{`{"status":302}`, "status: must be an error status between 400 and 599"},
		{`{"status":500,"drop":true}`, "status, drop: set only one of"},
		{`{"status":500,"times":-1}`, "times: must not be negative"},
		{`{"operation":"getConversation","noEffect":true}`, "noEffect: applies only to the actions"},
		{`{"operation":"passControl"}`, "a fault needs latency, status, drop, lostAnswer or noEffect"},
		{`{"status":500} {}`, "without trailing data"},
		{``, "body must be one JSON object with the fields operation"},
		{`[]`, "body must be one JSON object"},
	} {
		r := a.admin(t, http.MethodPost, "/_sim/faults", c.body, nil)
		if r.status != 400 || r.code() != codeBadRequest || !strings.Contains(r.title(), c.want) {
			t.Errorf("POST %s = %d %s, want 400 bad_request containing %q", c.body, r.status, r.body, c.want)
		}
	}
	if got := a.Faults(); len(got) != 0 {
		t.Errorf("refused faults were injected: %+v", got)
	}
	r := a.admin(t, http.MethodPut, "/_sim/faults", `{}`, nil)
	if r.status != 405 || r.header.Get("Allow") != "GET, POST, DELETE" {
		t.Errorf("PUT /_sim/faults = %d Allow %q, want 405 GET, POST, DELETE", r.status, r.header.Get("Allow"))
	}
}

func TestAdminFaultRoutesBoundTheActiveFaults(t *testing.T) {
	a := newAdminServer(t)
	for range MaxAdminFaults {
		a.InjectFault(OpGetConversation, Fault{Status: 500})
	}
	r := a.admin(t, http.MethodPost, "/_sim/faults", `{"status":500}`, nil)
	if r.status != 409 || !strings.Contains(r.title(), "1000 faults are active, the limit; DELETE /_sim/faults clears them") {
		t.Errorf("POST beyond the limit = %d %s, want 409", r.status, r.body)
	}
	if got := len(a.Faults()); got != MaxAdminFaults {
		t.Errorf("%d faults active, want %d", got, MaxAdminFaults)
	}
}

func TestAdminRoutesRefuseForeignHostAndOrigin(t *testing.T) {
	a := newAdminServer(t)
	u, err := url.Parse(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	for _, c := range []struct {
		name   string
		header map[string]string
		status int
		code   string
	}{
		{"own address", nil, 200, ""},
		{"localhost on a loopback address", map[string]string{"Host": "localhost:" + port}, 200, ""},
		{"rebinding host", map[string]string{"Host": "evil.example:" + port}, 421, "misdirected_request"},
		{"other port", map[string]string{"Host": "127.0.0.1:1"}, 421, "misdirected_request"},
		{"host without port", map[string]string{"Host": "127.0.0.1"}, 421, "misdirected_request"},
		{"own origin", map[string]string{"Origin": "http://127.0.0.1:" + port}, 200, ""},
		{"localhost origin", map[string]string{"Origin": "http://localhost:" + port}, 200, ""},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, 403, codeForbidden},
		{"origin of another port", map[string]string{"Origin": "http://127.0.0.1:1"}, 403, codeForbidden},
		{"opaque origin", map[string]string{"Origin": "null"}, 403, codeForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantAnswer(t, a.admin(t, http.MethodGet, "/_sim/counts", "", c.header), c.status, c.code)
			// A refused request changes nothing.
			r := a.admin(t, http.MethodPut, "/_sim/conversations/app-demo/conv-1", `{"active":"agent-workspace"}`, c.header)
			wantAnswer(t, r, c.status, c.code)
			want := st("bot", "")
			if c.status == 200 {
				want = st(aw, "")
			}
			wantState(t, a.Simulator, "conv-1", want)
			mustSet(t, a.Simulator, "conv-1", st("bot", ""))
		})
	}
	r := a.admin(t, http.MethodGet, "/_sim/counts", "", map[string]string{"Host": "evil.example:" + port})
	if !strings.Contains(r.title(), `Host "evil.example:`+port+`" is not this simulator's address; admin routes answer only requests to 127.0.0.1:`+port+" or localhost:"+port) {
		t.Errorf("421 title = %q", r.title())
	}
}

func TestAdminRoutesBoundTheConversationsTheyCreate(t *testing.T) {
	a := newAdminServer(t, WithMaxConversations(5)) // the seed holds 3
	put := func(conv string) response {
		return a.admin(t, http.MethodPut, "/_sim/conversations/app-demo/"+conv, `{"active":"bot"}`, nil)
	}
	wantAnswer(t, put("new-1"), 200, "")
	wantAnswer(t, put("new-2"), 200, "")
	r := put("new-3")
	if r.status != 409 || !strings.Contains(r.title(), "The simulator holds 5 conversations, its limit (--max-conversations)") {
		t.Errorf("PUT beyond the limit = %d %s, want 409 naming the limit", r.status, r.body)
	}
	if _, ok := a.Conversation(demoApp, "new-3"); ok {
		t.Error("conversation created beyond the limit")
	}
	// Moving an existing conversation is not creating one.
	wantAnswer(t, a.admin(t, http.MethodPut, "/_sim/conversations/app-demo/conv-1", `{"active":"agent-workspace"}`, nil), 200, "")
	wantAnswer(t, a.admin(t, http.MethodPost, "/_sim/reset", "", nil), 200, "")
	wantAnswer(t, put("new-3"), 200, "")
}

func TestDefaultConversationBound(t *testing.T) {
	sim, err := New(testSeed(), WithMaxConversations(0))
	if err != nil {
		t.Fatal(err)
	}
	if sim.maxConvs != DefaultMaxConversations {
		t.Errorf("bound = %d, want the default %d", sim.maxConvs, DefaultMaxConversations)
	}
}

// FuzzParseFaultJSON feeds arbitrary bodies to the fault parser: it must
// never panic, every fault it accepts must be valid, and the listing of an
// accepted fault must parse back to the same fault.
func FuzzParseFaultJSON(f *testing.F) {
	for _, seed := range []string{
		`{"operation":"passControl","status":429,"times":2,"retryAfter":"2s","latency":"1s","drop":false,"lostAnswer":false,"noEffect":false,"after":0}`,
		`{"lostAnswer":true,"after":3}`, `{"noEffect":true}`, `{"latency":"-1s"}`, `{"status":1e3}`, `{"x":1}`, `null`, `[`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fs, err := parseFaultJSON([]byte(body))
		if err != nil {
			return
		}
		if verr := fs.Validate(); verr != nil {
			t.Fatalf("accepted %s, which is invalid: %v", body, verr)
		}
		b, err := json.Marshal(toFaultJSON(fs))
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseFaultJSON(b)
		if err != nil || back != fs {
			t.Fatalf("listing %s of %+v parses back to %+v, %v", b, fs, back, err)
		}
	})
}
