package sunshinetest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAuthentication(t *testing.T) {
	srv := newTestServer(t)
	scoped := func(scope string) jwt.MapClaims { return jwt.MapClaims{"scope": scope} }
	noneToken, err := jwt.NewWithClaims(jwt.SigningMethodNone, scoped(ScopeApp)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	noneWithKid := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, scoped(ScopeApp))
		tok.Header["kid"] = appKey
		s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}()
	hs512 := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS512, scoped(ScopeApp))
		tok.Header["kid"] = appKey
		s, _ := tok.SignedString([]byte(appSecret))
		return s
	}()
	conv := convPath(demoApp, "conv-1")
	cases := []struct {
		name   string
		path   string
		auth   authFn
		status int
		code   string
	}{
		{"basic with the app key", conv, keyAuth(appKey), 200, ""},
		{"basic with an integration key", conv, keyAuth(botKey), 200, ""},
		{"basic with an account key", conv, keyAuth(accountKey), 200, ""},
		{"no credentials", conv, nil, 401, codeUnauthorized},
		{"basic with a wrong secret", conv, basic(appKey, "wrong"), 401, codeUnauthorized},
		{"basic with an unknown key", conv, basic("app_nope", appSecret), 401, codeUnauthorized},
		{"basic with an empty secret", conv, basic(appKey, ""), 401, codeUnauthorized},
		{"unknown scheme", conv, func(r *http.Request) { r.Header.Set("Authorization", "Token "+appSecret) }, 401, codeUnauthorized},
		{"jwt signed with the app key", conv, bearer(signJWT(t, appKey, appSecret, scoped(ScopeApp))), 200, ""},
		{"jwt with integration scope and an integration key", conv, bearer(signJWT(t, botKey, botKey+secretOf, scoped(ScopeIntegration))), 200, ""},
		{"jwt with account scope and an account key", conv, bearer(signJWT(t, accountKey, accountKey+secretOf, scoped(ScopeAccount))), 200, ""},
		{"jwt with a wrong secret", conv, bearer(signJWT(t, appKey, "wrong", scoped(ScopeApp))), 401, codeUnauthorized},
		{"jwt with alg none", conv, bearer(noneToken), 401, codeUnauthorized},
		{"jwt with alg none and a kid", conv, bearer(noneWithKid), 401, codeUnauthorized},
		{"jwt with HS512", conv, bearer(hs512), 401, codeUnauthorized},
		{"jwt without kid", conv, bearer(signJWT(t, "", appSecret, scoped(ScopeApp))), 401, codeUnauthorized},
		{"jwt with an unknown kid", conv, bearer(signJWT(t, "app_nope", appSecret, scoped(ScopeApp))), 401, codeUnauthorized},
		{"jwt whose scope does not match the key", conv, bearer(signJWT(t, appKey, appSecret, scoped(ScopeAccount))), 401, codeUnauthorized},
		{"jwt with integration scope and an app key", conv, bearer(signJWT(t, appKey, appSecret, scoped(ScopeIntegration))), 401, codeUnauthorized},
		{"jwt without scope", conv, bearer(signJWT(t, appKey, appSecret, jwt.MapClaims{})), 401, codeUnauthorized},
		{"expired jwt", conv, bearer(signJWT(t, appKey, appSecret, jwt.MapClaims{"scope": ScopeApp, "exp": time.Now().Add(-time.Hour).Unix()})), 401, codeUnauthorized},
		{"malformed jwt", conv, bearer("not.a.jwt"), 401, codeUnauthorized},
		{"app key of another app", convPath(otherApp, "other-conv"), keyAuth(appKey), 401, codeUnauthorized},
		{"account key on another app", convPath(otherApp, "other-conv"), keyAuth(accountKey), 200, ""},
		{"valid key on an unknown app", convPath("no-app", "conv-1"), keyAuth(appKey), 404, codeAppNotFound},
		{"bad key on an unknown app", convPath("no-app", "conv-1"), basic(appKey, "wrong"), 401, codeUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantAnswer(t, call(t, srv, http.MethodGet, tc.path, tc.auth, ""), tc.status, tc.code)
		})
	}
}

func TestUnauthorizedBodyIsTheVendors(t *testing.T) {
	srv := newTestServer(t)
	r := call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), nil, "")
	want := `{"errors":[{"code":"unauthorized","title":"Authorization is required"}]}`
	if got := strings.TrimSpace(string(r.body)); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestGetConversationShape(t *testing.T) {
	srv := newTestServer(t)
	mustSet(t, srv.Simulator, "conv-1", st("bot", aw))
	r := call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	wantAnswer(t, r, 200, "")
	var got map[string]map[string]any
	r.decode(t, &got)
	c := got["conversation"]
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for _, f := range []string{"createdAt", "lastUpdatedAt"} {
		if s, _ := c[f].(string); !stamp.MatchString(s) {
			t.Errorf("%s = %v, want YYYY-MM-DDThh:mm:ss.SSSZ", f, c[f])
		}
		delete(c, f)
	}
	ints := map[string]IntegrationSeed{}
	for _, si := range srv.Integrations(demoApp) {
		ints[si.Name] = si
	}
	ref := func(n string) map[string]any {
		si := ints[n]
		return map[string]any{"id": si.ID, "name": si.Name, "integrationId": si.IntegrationID, "integrationType": si.IntegrationType}
	}
	want := map[string]any{
		"id": "conv-1", "type": "personal", "metadata": map[string]any{}, "isDefault": false,
		"activeSwitchboardIntegration": ref("bot"), "pendingSwitchboardIntegration": ref(aw),
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("conversation = %v\nwant %v", c, want)
	}

	// With nothing active or pending both fields are omitted.
	r = call(t, srv, http.MethodGet, convPath(demoApp, "conv-2"), keyAuth(botKey), "")
	var empty map[string]map[string]any
	r.decode(t, &empty)
	for _, f := range []string{"activeSwitchboardIntegration", "pendingSwitchboardIntegration"} {
		if _, ok := empty["conversation"][f]; ok {
			t.Errorf("%s present for a conversation without one", f)
		}
	}
}

func TestGetUnknownConversationIsNotFoundAndCreatesNothing(t *testing.T) {
	srv := newTestServer(t)
	r := call(t, srv, http.MethodGet, convPath(demoApp, "conv-404"), keyAuth(appKey), "")
	wantAnswer(t, r, 404, codeConversationNotFound)
	if _, ok := srv.Conversation(demoApp, "conv-404"); ok {
		t.Error("GET created the conversation")
	}
}

func TestListSwitchboards(t *testing.T) {
	srv := newTestServer(t)
	sb := srv.Seed().Apps[0].Switchboard
	r := call(t, srv, http.MethodGet, "/v2/apps/"+demoApp+"/switchboards", keyAuth(appKey), "")
	want := `{"switchboards":[{"id":"` + sb.ID + `","enabled":true,"defaultSwitchboardIntegrationId":"` + siID(t, srv.Simulator, "bot") + `"}]}`
	if got := strings.TrimSpace(string(r.body)); r.status != 200 || got != want {
		t.Errorf("answer = %d %s, want 200 %s", r.status, got, want)
	}
	r = call(t, srv, http.MethodGet, "/v2/apps/"+otherApp+"/switchboards", keyAuth(otherKey), "")
	if got := strings.TrimSpace(string(r.body)); r.status != 200 || got != `{"switchboards":[]}` {
		t.Errorf("app without switchboard: %d %s", r.status, got)
	}
	wantAnswer(t, call(t, srv, http.MethodGet, "/v2/apps/no-app/switchboards", keyAuth(appKey), ""), 404, codeAppNotFound)
	wantAnswer(t, call(t, srv, http.MethodGet, "/v2/apps/"+demoApp+"/switchboards", keyAuth(botKey), ""), 403, codeForbidden)
}

func TestListSwitchboardIntegrations(t *testing.T) {
	srv := newTestServer(t)
	sbID := srv.Seed().Apps[0].Switchboard.ID
	path := "/v2/apps/" + demoApp + "/switchboards/" + sbID + "/switchboardIntegrations"
	r := call(t, srv, http.MethodGet, path, keyAuth(accountKey), "")
	wantAnswer(t, r, 200, "")
	var got struct {
		List []map[string]any `json:"switchboardIntegrations"`
	}
	r.decode(t, &got)
	want := []map[string]any{
		{"id": siID(t, srv.Simulator, "bot"), "name": "bot", "integrationId": "bot-integration", "integrationType": "custom",
			"deliverStandbyEvents": true, "nextSwitchboardIntegrationId": siID(t, srv.Simulator, aw)},
		{"id": siID(t, srv.Simulator, aw), "name": aw, "integrationId": "aw-integration", "integrationType": "zd:agentWorkspace",
			"deliverStandbyEvents": true, "nextSwitchboardIntegrationId": siID(t, srv.Simulator, "bot")},
		{"id": siID(t, srv.Simulator, "bot2"), "name": "bot2", "integrationId": srv.Integrations(demoApp)[2].IntegrationID,
			"integrationType": "custom", "deliverStandbyEvents": true},
	}
	if !reflect.DeepEqual(got.List, want) {
		t.Errorf("list = %v\nwant %v", got.List, want)
	}
	wantAnswer(t, call(t, srv, http.MethodGet, strings.Replace(path, sbID, "nope", 1), keyAuth(appKey), ""), 404, codeSwitchboardNotFound)
	wantAnswer(t, call(t, srv, http.MethodGet, "/v2/apps/"+otherApp+"/switchboards/"+sbID+"/switchboardIntegrations", keyAuth(otherKey), ""), 404, codeSwitchboardNotFound)
	wantAnswer(t, call(t, srv, http.MethodGet, path, keyAuth(awKey), ""), 403, codeForbidden)
	wantAnswer(t, call(t, srv, http.MethodGet, path, bearer(signJWT(t, botKey, botKey+secretOf, jwt.MapClaims{"scope": "integration"})), ""), 403, codeForbidden)
}

func TestRoutingUnknownRoutesAndMethods(t *testing.T) {
	srv := newTestServer(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/", 404, ""},
		{http.MethodGet, "/v2/apps/" + demoApp, 404, ""},
		{http.MethodGet, "/v1/apps/" + demoApp + "/switchboards", 404, ""},
		{http.MethodPost, actionPath("conv-1", "takeControl"), 404, ""},
		{http.MethodGet, convPath(demoApp, "conv-1") + "/messages", 404, ""},
		{http.MethodGet, "/v2/apps//switchboards", 404, ""},
		{http.MethodGet, "/v2/apps/" + demoApp + "/switchboards/x", 405, "PATCH, DELETE"},
		{http.MethodPost, "/v2/apps/" + demoApp + "/switchboards/x/switchboardIntegrations/y", 405, "PATCH, DELETE"},
		{http.MethodGet, "/v2/apps/" + demoApp + "/switchboards/x/other", 404, ""},
		{http.MethodGet, "/v2/apps/" + demoApp + "/switchboards/", 404, ""},
		{http.MethodGet, actionPath("conv-1", OpPassControl), 405, http.MethodPost},
		{http.MethodDelete, convPath(demoApp, "conv-1"), 405, http.MethodGet},
		{http.MethodPut, "/v2/apps/" + demoApp + "/switchboards", 405, http.MethodGet},
	}
	for _, tc := range cases {
		r := call(t, srv, tc.method, tc.path, keyAuth(appKey), "")
		wantCode := "not_found"
		if tc.status == 405 {
			wantCode = "method_not_allowed"
		}
		if r.status != tc.status || r.code() != wantCode || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s = %d %q Allow %q, want %d %q Allow %q", tc.method, tc.path, r.status, r.code(), r.header.Get("Allow"), tc.status, wantCode, tc.allow)
		}
	}
	for op, n := range srv.Counts() {
		if n != 0 {
			t.Errorf("unknown routes and wrong methods counted as %s: %d", op, n)
		}
	}
}

func TestEscapedPathSegments(t *testing.T) {
	srv := newTestServer(t)
	mustSet(t, srv.Simulator, "conv with space", st("bot", ""))
	r := call(t, srv, http.MethodGet, convPath(demoApp, "conv%20with%20space"), keyAuth(appKey), "")
	wantAnswer(t, r, 200, "")
}

func TestCountsIncludeErrorsAndFaults(t *testing.T) {
	srv := newTestServer(t)
	call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), nil, "")                       // 401
	call(t, srv, http.MethodGet, convPath(demoApp, "missing"), keyAuth(appKey), "")          // 404
	call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), "{") // 400
	srv.InjectFault(OpPassControl, Fault{Status: 503})
	call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw))
	want := zeroCounts()
	want[OpPassControl], want[OpGetConversation] = 2, 3
	if got := srv.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if got := srv.Count(OpGetConversation); got != 3 {
		t.Errorf("Count(getConversation) = %d", got)
	}
	srv.ResetCounts()
	if got := srv.Count(OpGetConversation); got != 0 {
		t.Errorf("after ResetCounts Count = %d", got)
	}
}

func TestFaults(t *testing.T) {
	get := func(srv *Server) response {
		return call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
	}
	t.Run("latency applies to every call until cleared", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Latency: 100 * time.Millisecond})
		for range 2 {
			start := time.Now()
			wantAnswer(t, get(srv), 200, "")
			if d := time.Since(start); d < 100*time.Millisecond {
				t.Errorf("answered after %v, want >= 100ms", d)
			}
		}
		start := time.Now()
		call(t, srv, http.MethodGet, "/v2/apps/"+demoApp+"/switchboards", keyAuth(appKey), "")
		if d := time.Since(start); d >= 100*time.Millisecond {
			t.Errorf("other operation delayed by %v", d)
		}
		srv.ClearFaults()
		start = time.Now()
		get(srv)
		if d := time.Since(start); d >= 100*time.Millisecond {
			t.Errorf("still delayed by %v after ClearFaults", d)
		}
	})
	t.Run("N failures with the vendor body then success", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpPassControl, Fault{Status: http.StatusServiceUnavailable, Times: 2})
		for range 2 {
			r := call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw))
			wantAnswer(t, r, 503, "service_unavailable")
			wantState(t, srv.Simulator, "conv-1", st("bot", ""))
		}
		wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw)), 200, "")
		wantState(t, srv.Simulator, "conv-1", st(aw, ""))
	})
	t.Run("Times 0 with a status fails once", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Status: 500})
		wantAnswer(t, get(srv), 500, "internal_server_error")
		wantAnswer(t, get(srv), 200, "")
	})
	t.Run("404 fault carries the operation's not-found code", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpAcceptControl, Fault{Status: 404})
		r := call(t, srv, http.MethodPost, actionPath("conv-1", OpAcceptControl), keyAuth(appKey), `{}`)
		wantAnswer(t, r, 404, codeConversationNotFound)
	})
	t.Run("429 with Retry-After rounded up to seconds", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Status: 429, RetryAfter: 1500 * time.Millisecond})
		r := get(srv)
		wantAnswer(t, r, 429, "too_many_requests")
		if got := r.header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After = %q, want 2", got)
		}
	})
	t.Run("429 without RetryAfter has no header", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Status: 429})
		r := get(srv)
		wantAnswer(t, r, 429, "too_many_requests")
		if got, ok := r.header["Retry-After"]; ok {
			t.Errorf("Retry-After = %q, want none", got)
		}
	})
	t.Run("dropped connection then success", func(t *testing.T) {
		var statuses []int
		var mu sync.Mutex
		srv := newTestServer(t, WithRequestHook(func(ri RequestInfo) {
			mu.Lock()
			defer mu.Unlock()
			statuses = append(statuses, ri.Status)
		}))
		srv.InjectFault(OpPassControl, Fault{Drop: true})
		if _, err := tryCall(srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw)); err == nil {
			t.Error("dropped request succeeded")
		}
		wantState(t, srv.Simulator, "conv-1", st("bot", ""))
		wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw)), 200, "")
		// The hook of the dropped request may run after the client saw the
		// connection close.
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			got := slices.Sorted(slices.Values(statuses))
			mu.Unlock()
			if reflect.DeepEqual(got, []int{0, 200}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("hook statuses = %v, want 0 and 200", got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("operation empty applies to every operation", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault("", Fault{Status: 502, Times: 2})
		wantAnswer(t, get(srv), 502, "bad_gateway")
		wantAnswer(t, call(t, srv, http.MethodGet, "/v2/apps/"+demoApp+"/switchboards", keyAuth(appKey), ""), 502, "bad_gateway")
		wantAnswer(t, get(srv), 200, "")
	})
	t.Run("faults apply before authentication", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Status: 503})
		wantAnswer(t, call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), nil, ""), 503, "service_unavailable")
	})
	t.Run("faults queue in order", func(t *testing.T) {
		srv := newTestServer(t)
		srv.InjectFault(OpGetConversation, Fault{Status: 500})
		srv.InjectFault(OpGetConversation, Fault{Status: 429})
		wantAnswer(t, get(srv), 500, "internal_server_error")
		wantAnswer(t, get(srv), 429, "too_many_requests")
		wantAnswer(t, get(srv), 200, "")
	})
}

func TestResetRestoresTheSeed(t *testing.T) {
	srv := newTestServer(t)
	ids := srv.Integrations(demoApp)
	mustSet(t, srv.Simulator, "conv-1", st(aw, "bot"))
	mustSet(t, srv.Simulator, "conv-new", st("", ""))
	srv.DeleteConversation(demoApp, "conv-2")
	if err := srv.SetKeys(demoApp, KeySeed{ID: "app_new", Secret: "s", Scope: ScopeApp}); err != nil {
		t.Fatal(err)
	}
	srv.InjectFault("", Fault{Status: 500, Times: 5})
	call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")

	srv.Reset()
	wantState(t, srv.Simulator, "conv-1", st("bot", ""))
	wantState(t, srv.Simulator, "conv-2", st("", ""))
	if _, ok := srv.Conversation(demoApp, "conv-new"); ok {
		t.Error("conversation created after the seed survived Reset")
	}
	if got := srv.Conversations(demoApp); !reflect.DeepEqual(got, []string{"conv-1", "conv-2"}) {
		t.Errorf("Conversations = %v", got)
	}
	if !reflect.DeepEqual(srv.Integrations(demoApp), ids) {
		t.Error("integration ids changed on Reset")
	}
	if n := srv.Count(OpGetConversation); n != 0 {
		t.Errorf("count %d after Reset", n)
	}
	wantAnswer(t, call(t, srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), ""), 200, "")
}

func TestSetKeysRotatesCredentials(t *testing.T) {
	srv := newTestServer(t)
	conv := convPath(demoApp, "conv-1")
	if err := srv.SetKeys(demoApp, KeySeed{ID: "app_rotated", Secret: "new-secret", Scope: ScopeApp}); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, call(t, srv, http.MethodGet, conv, keyAuth(appKey), ""), 401, codeUnauthorized)
	wantAnswer(t, call(t, srv, http.MethodGet, conv, basic("app_rotated", "new-secret"), ""), 200, "")
	wantAnswer(t, call(t, srv, http.MethodGet, convPath(otherApp, "other-conv"), keyAuth(otherKey), ""), 200, "")

	for name, keys := range map[string][]KeySeed{
		"key id of another app": {{ID: otherKey, Secret: "x", Scope: ScopeApp}},
		"missing secret":        {{ID: "app_x", Scope: ScopeApp}},
		"bad scope":             {{ID: "app_x", Secret: "x", Scope: "user"}},
		"duplicate ids":         {{ID: "app_x", Secret: "x", Scope: ScopeApp}, {ID: "app_x", Secret: "y", Scope: ScopeApp}},
	} {
		if err := srv.SetKeys(demoApp, keys...); err == nil {
			t.Errorf("SetKeys with %s: no error", name)
		}
	}
	if err := srv.SetKeys("no-app"); err == nil {
		t.Error("SetKeys on an unknown app: no error")
	}
}

func TestSetAndDeleteConversation(t *testing.T) {
	srv := newTestServer(t)
	for name, tc := range map[string]struct {
		app, conv string
		st        ConversationState
	}{
		"unknown app":                 {"no-app", "c", st("", "")},
		"unknown integration":         {demoApp, "c", st("nobody", "")},
		"pending equal to active":     {demoApp, "c", st("bot", "bot")},
		"empty conversation id":       {demoApp, "", st("", "")},
		"app without switchboard set": {otherApp, "c", st("bot", "")},
	} {
		if err := srv.SetConversation(tc.app, tc.conv, tc.st); err == nil {
			t.Errorf("SetConversation with %s: no error", name)
		}
	}
	mustSet(t, srv.Simulator, "conv-9", st("", aw))
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-9", OpAcceptControl), keyAuth(awKey), `{}`), 200, "")
	srv.DeleteConversation(demoApp, "conv-9")
	wantAnswer(t, call(t, srv, http.MethodGet, convPath(demoApp, "conv-9"), keyAuth(appKey), ""), 404, codeConversationNotFound)
	srv.DeleteConversation("no-app", "conv-9") // no panic
}

func TestRequestHookAndLogger(t *testing.T) {
	var mu sync.Mutex
	var infos []RequestInfo
	var logs bytes.Buffer
	srv := newTestServer(t,
		WithRequestHook(func(ri RequestInfo) { mu.Lock(); infos = append(infos, ri); mu.Unlock() }),
		WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, nil))))
	before := time.Now()
	call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target(aw))
	call(t, srv, http.MethodGet, "/nowhere", bearer(signJWT(t, appKey, appSecret, jwt.MapClaims{"scope": "app"})), "")
	mu.Lock()
	defer mu.Unlock()
	if len(infos) != 2 {
		t.Fatalf("hook called %d times, want 2", len(infos))
	}
	got := infos[0]
	if got.Operation != OpPassControl || got.AppID != demoApp || got.ConversationID != "conv-1" || got.Status != 200 ||
		got.Method != http.MethodPost || got.Time.Before(before) || got.Duration <= 0 {
		t.Errorf("hook info = %+v", got)
	}
	if infos[1].Operation != "" || infos[1].Status != 404 {
		t.Errorf("unknown route info = %+v", infos[1])
	}
	out := logs.String()
	for _, want := range []string{"method=POST", "path=/v2/apps/app-demo/conversations/conv-1/passControl", "operation=passControl", "status=200", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d log lines, want 2", n)
	}
	for _, secret := range []string{appSecret, "Bearer", "Basic", "Authorization"} {
		if strings.Contains(out, secret) {
			t.Errorf("log reveals %q:\n%s", secret, out)
		}
	}
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestConcurrentActionsAreSerialised(t *testing.T) {
	srv := newTestServer(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				var r response
				var err error
				switch (w + i) % 4 {
				case 0:
					r, err = tryCall(srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target("next"))
				case 1:
					r, err = tryCall(srv, http.MethodPost, actionPath("conv-1", OpOfferControl), keyAuth(appKey), target("bot2"))
				case 2:
					r, err = tryCall(srv, http.MethodPost, actionPath("conv-1", OpAcceptControl), keyAuth(appKey), `{}`)
				default:
					r, err = tryCall(srv, http.MethodGet, convPath(demoApp, "conv-1"), keyAuth(appKey), "")
					srv.Conversation(demoApp, "conv-1")
					srv.Counts()
				}
				if err != nil || (r.status != 200 && r.status != 400) {
					t.Errorf("answer %d %s %v", r.status, r.body, err)
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range srv.Counts() {
		total += n
	}
	if total != workers*each {
		t.Errorf("counted %d requests, want %d", total, workers*each)
	}
	got, _ := srv.Conversation(demoApp, "conv-1")
	if got.Active != "" && got.Active == got.Pending {
		t.Errorf("inconsistent state %+v", got)
	}
}

func TestAdminHandler(t *testing.T) {
	sim, err := New(testSeed())
	if err != nil {
		t.Fatal(err)
	}
	h := sim.Handler()
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, strings.TrimSpace(rec.Body.String())
	}
	zeroCountsJSON, _ := json.Marshal(zeroCounts())
	checks := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/_sim/conversations/app-demo/conv-1", "", 200, `{"active":"bot","pending":""}`},
		{"PUT", "/_sim/conversations/app-demo/conv-1", `{"active":"agent-workspace","pending":"bot"}`, 200, `{"active":"agent-workspace","pending":"bot"}`},
		{"GET", "/_sim/conversations/app-demo/conv-1", "", 200, `{"active":"agent-workspace","pending":"bot"}`},
		{"PUT", "/_sim/conversations/app-demo/conv-new", `{"active":"bot"}`, 200, `{"active":"bot","pending":""}`},
		{"PUT", "/_sim/conversations/app-demo/conv-1", `{"active":"nobody"}`, 400, ""},
		{"PUT", "/_sim/conversations/app-demo/conv-1", `nope`, 400, ""},
		{"GET", "/_sim/conversations/app-demo/missing", "", 404, ""},
		{"DELETE", "/_sim/conversations/app-demo/conv-1", "", 405, ""},
		{"GET", "/_sim/nothing", "", 404, ""},
		{"GET", "/_sim/counts", "", 200, string(zeroCountsJSON)},
		{"POST", "/_sim/counts", "", 405, ""},
		{"POST", "/_sim/reset", "", 200, `{}`},
		{"GET", "/_sim/conversations/app-demo/conv-1", "", 200, `{"active":"bot","pending":""}`},
		{"GET", "/v2/apps/app-demo/switchboards", "", 401, ""},
	}
	for _, c := range checks {
		status, body := do(c.method, c.path, c.body)
		if status != c.status || (c.want != "" && body != c.want) {
			t.Errorf("%s %s = %d %s, want %d %s", c.method, c.path, status, body, c.status, c.want)
		}
		if c.want == "" && !json.Valid([]byte(body)) {
			t.Errorf("%s %s: body %q is not JSON", c.method, c.path, body)
		}
	}
}

// zeroCounts is Counts of a simulator that served nothing: every operation, 0.
func zeroCounts() map[Operation]int {
	out := map[Operation]int{}
	for _, op := range Operations {
		out[op] = 0
	}
	return out
}
