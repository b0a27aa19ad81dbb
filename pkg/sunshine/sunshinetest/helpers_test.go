package sunshinetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	demoApp    = "app-demo"
	otherApp   = "app-other"
	appKey     = "app_demo_key"
	appSecret  = "demo-secret"
	botKey     = "int_bot"     // integration key of the bot integration
	awKey      = "int_aw"      // integration key of the agent-workspace integration
	partnerKey = "int_partner" // integration key of an integration with no switchboard integration
	accountKey = "act_ops"
	otherKey   = "app_other_key"
	secretOf   = "-secret"
)

// testSeed is the demo world plus what the tests need: a second custom
// integration (so "custom" is ambiguous), integration-scoped keys, an
// account key, and a second app without a switchboard.
func testSeed() Seed {
	return Seed{Apps: []AppSeed{{
		ID: demoApp,
		Keys: []KeySeed{
			{ID: appKey, Secret: appSecret, Scope: ScopeApp},
			{ID: botKey, Secret: botKey + secretOf, Scope: ScopeIntegration, IntegrationID: "bot-integration"},
			{ID: awKey, Secret: awKey + secretOf, Scope: ScopeIntegration, IntegrationID: "aw-integration"},
			{ID: partnerKey, Secret: partnerKey + secretOf, Scope: ScopeIntegration, IntegrationID: "partner-integration"},
			{ID: accountKey, Secret: accountKey + secretOf, Scope: ScopeAccount},
		},
		Switchboard: &SwitchboardSeed{Enabled: true, Default: "bot", Integrations: []IntegrationSeed{
			{Name: "bot", IntegrationType: "custom", IntegrationID: "bot-integration", Next: "agent-workspace"},
			{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", IntegrationID: "aw-integration", Next: "bot"},
			{Name: "bot2", IntegrationType: "custom"},
		}},
		Conversations: []ConversationSeed{{ID: "conv-1", Active: "bot"}, {ID: "conv-2"}},
	}, {
		ID:            otherApp,
		Keys:          []KeySeed{{ID: otherKey, Secret: otherKey + secretOf, Scope: ScopeApp}},
		Conversations: []ConversationSeed{{ID: "other-conv"}},
	}}}
}

func newTestServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	srv, err := NewServer(testSeed(), opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// authFn sets credentials on a request.
type authFn func(*http.Request)

func basic(id, secret string) authFn {
	return func(r *http.Request) { r.SetBasicAuth(id, secret) }
}

// keyAuth is Basic auth with one of testSeed's keys.
func keyAuth(id string) authFn {
	if id == appKey {
		return basic(appKey, appSecret)
	}
	return basic(id, id+secretOf)
}

func bearer(token string) authFn {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// signJWT signs claims with HS256 and the given header kid ("" = none).
func signJWT(t testing.TB, kid, secret string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// code is the first error code of an error body, "" if none.
func (r response) code() string {
	var eb errorBody
	if json.Unmarshal(r.body, &eb) != nil || len(eb.Errors) == 0 {
		return ""
	}
	return eb.Errors[0].Code
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// call sends a request with plain net/http; a non-empty body is sent as
// application/json.
func call(t testing.TB, srv *Server, method, path string, auth authFn, body string) response {
	t.Helper()
	r, err := tryCall(srv, method, path, auth, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func tryCall(srv *Server, method, path string, auth authFn, body string) (response, error) {
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func convPath(app, conv string) string { return "/v2/apps/" + app + "/conversations/" + conv }

func actionPath(conv string, op Operation) string { return convPath(demoApp, conv) + "/" + string(op) }

// siID returns the id of the named switchboard integration of the demo app.
func siID(t testing.TB, s *Simulator, name string) string {
	t.Helper()
	for _, si := range s.Integrations(demoApp) {
		if si.Name == name {
			return si.ID
		}
	}
	t.Fatalf("no integration %q", name)
	return ""
}

func mustSet(t testing.TB, s *Simulator, conv string, st ConversationState) {
	t.Helper()
	if err := s.SetConversation(demoApp, conv, st); err != nil {
		t.Fatal(err)
	}
}

func wantState(t testing.TB, s *Simulator, conv string, want ConversationState) {
	t.Helper()
	got, ok := s.Conversation(demoApp, conv)
	if !ok {
		t.Fatalf("conversation %s missing", conv)
	}
	if got != want {
		t.Errorf("state of %s = %+v, want %+v", conv, got, want)
	}
}

func wantAnswer(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Errorf("answer = %d %q (%s), want %d %q", r.status, r.code(), strings.TrimSpace(string(r.body)), status, code)
	}
}
