package sunshinetest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// st is shorthand for a conversation state.
func st(active, pending string) ConversationState {
	return ConversationState{Active: active, Pending: pending}
}

func target(t string) string { return fmt.Sprintf(`{"switchboardIntegration":%q}`, t) }

type actionCase struct {
	name   string
	before ConversationState
	op     Operation
	body   string // "{id:NAME}" is replaced by that integration's id
	auth   string // key id; default the app key
	status int
	code   string
	after  ConversationState
}

// runActions runs each case on conv-1 of a fresh state and checks the
// answer and the state afterwards.
func runActions(t *testing.T, srv *Server, cases []actionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			mustSet(t, srv.Simulator, "conv-1", tc.before)
			body := tc.body
			for _, n := range []string{"bot", "bot2", "agent-workspace"} {
				body = strings.ReplaceAll(body, "{id:"+n+"}", siID(t, srv.Simulator, n))
			}
			auth := tc.auth
			if auth == "" {
				auth = appKey
			}
			r := call(t, srv, http.MethodPost, actionPath("conv-1", tc.op), keyAuth(auth), body)
			wantAnswer(t, r, tc.status, tc.code)
			if tc.status == http.StatusOK && strings.TrimSpace(string(r.body)) != "{}" {
				t.Errorf("body = %q, want {}", r.body)
			}
			wantState(t, srv.Simulator, "conv-1", tc.after)
		})
	}
}

const (
	codeInvalidTarget = "switchboard_invalid_target"
	codeInvalidAction = "switchboard_invalid_action"
	aw                = "agent-workspace"
)

// TestActionTables covers the rows of SWITCHBOARD.md 2.2-2.6 and 7 with
// the default synchronous failures.
func TestActionTables(t *testing.T) {
	srv := newTestServer(t)
	ok := http.StatusOK
	bad := http.StatusBadRequest
	runActions(t, srv, []actionCase{
		// passControl
		{"pass by id makes the target active", st("bot", ""), OpPassControl, target("{id:agent-workspace}"), "", ok, "", st(aw, "")},
		{"pass by name makes the target active", st("bot", ""), OpPassControl, target(aw), "", ok, "", st(aw, "")},
		{"pass by integrationType makes the target active", st("bot", ""), OpPassControl, target("zd:agentWorkspace"), "", ok, "", st(aw, "")},
		{"pass next follows the active integration's next", st("bot", ""), OpPassControl, target("next"), "", ok, "", st(aw, "")},
		{"pass next with nothing active is an invalid target", st("", ""), OpPassControl, target("next"), "", bad, codeInvalidTarget, st("", "")},
		{"pass next from an integration without next is an invalid target", st("bot2", ""), OpPassControl, target("next"), "", bad, codeInvalidTarget, st("bot2", "")},
		{"pass with an ambiguous integrationType is a bad request", st("bot", ""), OpPassControl, target("custom"), "", bad, "bad_request", st("bot", "")},
		{"pass to an unknown target is an invalid target", st("bot", aw), OpPassControl, target("nobody"), "", bad, codeInvalidTarget, st("bot", aw)},
		{"pass to the already active integration is a no-op", st("bot", ""), OpPassControl, target("bot"), "", ok, "", st("bot", "")},
		{"pass clears a pending offer", st("bot", aw), OpPassControl, target("bot2"), "", ok, "", st("bot2", "")},
		{"pass to the active integration clears a pending offer", st("bot", aw), OpPassControl, target("bot"), "", ok, "", st("bot", "")},
		{"pass with nothing active", st("", ""), OpPassControl, target("bot"), "", ok, "", st("bot", "")},
		{"pass with metadata and reason", st("bot", ""), OpPassControl, `{"switchboardIntegration":"agent-workspace","metadata":{"a":"b","n":1.5,"t":true,"z":null},"reason":"ticketClosed"}`, "", ok, "", st(aw, "")},
		{"pass with a bad reason is a bad request", st("bot", ""), OpPassControl, `{"switchboardIntegration":"agent-workspace","reason":"bored"}`, "", bad, "bad_request", st("bot", "")},
		{"pass without switchboardIntegration is a bad request", st("bot", ""), OpPassControl, `{"metadata":{}}`, "", bad, "bad_request", st("bot", "")},
		{"pass with an empty switchboardIntegration is a bad request", st("bot", ""), OpPassControl, target(""), "", bad, "bad_request", st("bot", "")},
		{"pass with a numeric switchboardIntegration is a bad request", st("bot", ""), OpPassControl, `{"switchboardIntegration":1}`, "", bad, "bad_request", st("bot", "")},
		{"pass without a body is a bad request", st("bot", ""), OpPassControl, "", "", bad, "bad_request", st("bot", "")},
		{"pass with malformed JSON is a bad request", st("bot", ""), OpPassControl, `{"switchboardIntegration":`, "", bad, "bad_request", st("bot", "")},
		{"pass with a JSON array body is a bad request", st("bot", ""), OpPassControl, `["bot"]`, "", bad, "bad_request", st("bot", "")},
		{"pass with trailing data is a bad request", st("bot", ""), OpPassControl, target(aw) + "{}", "", bad, "bad_request", st("bot", "")},
		{"pass with nested metadata is a bad request", st("bot", ""), OpPassControl, `{"switchboardIntegration":"agent-workspace","metadata":{"a":{"b":1}}}`, "", bad, "bad_request", st("bot", "")},
		{"pass with array metadata value is a bad request", st("bot", ""), OpPassControl, `{"switchboardIntegration":"agent-workspace","metadata":{"a":[1]}}`, "", bad, "bad_request", st("bot", "")},
		{"pass with metadata that is not an object is a bad request", st("bot", ""), OpPassControl, `{"switchboardIntegration":"agent-workspace","metadata":"x"}`, "", bad, "bad_request", st("bot", "")},
		{"pass with metadata over 4 KB is a bad request", st("bot", ""), OpPassControl, metadataBody(MaxMetadataBytes + 1), "", bad, "bad_request", st("bot", "")},
		{"pass with metadata of exactly 4 KB is accepted", st("bot", ""), OpPassControl, metadataBody(MaxMetadataBytes), "", ok, "", st(aw, "")},
		{"pass with null metadata is accepted", st("bot", ""), OpPassControl, `{"switchboardIntegration":"agent-workspace","metadata":null}`, "", ok, "", st(aw, "")},
		{"pass ignores unknown fields", st("bot", ""), OpPassControl, `{"switchboardIntegration":"agent-workspace","extra":[1]}`, "", ok, "", st(aw, "")},

		// offerControl
		{"offer makes the target pending", st("bot", ""), OpOfferControl, target(aw), "", ok, "", st("bot", aw)},
		{"offer by id", st("bot", ""), OpOfferControl, target("{id:bot2}"), "", ok, "", st("bot", "bot2")},
		{"offer next offers the active integration's next", st("bot", ""), OpOfferControl, target("next"), "", ok, "", st("bot", aw)},
		{"offer to the active integration is an invalid target", st("bot", ""), OpOfferControl, target("bot"), "", bad, codeInvalidTarget, st("bot", "")},
		{"offer replaces an earlier pending offer", st("bot", aw), OpOfferControl, target("bot2"), "", ok, "", st("bot", "bot2")},
		{"offer to the pending integration again keeps it pending", st("bot", aw), OpOfferControl, target(aw), "", ok, "", st("bot", aw)},
		{"offer with nothing active works for an explicit target", st("", ""), OpOfferControl, target("bot"), "", ok, "", st("", "bot")},
		{"offer next with nothing active is an invalid target", st("", ""), OpOfferControl, target("next"), "", bad, codeInvalidTarget, st("", "")},
		{"offer to an unknown target is an invalid target", st("bot", ""), OpOfferControl, target("nobody"), "", bad, codeInvalidTarget, st("bot", "")},
		{"offer with an ambiguous target is a bad request", st("bot", ""), OpOfferControl, target("custom"), "", bad, "bad_request", st("bot", "")},
		{"offer with nested metadata is a bad request", st("bot", ""), OpOfferControl, `{"switchboardIntegration":"agent-workspace","metadata":{"a":{}}}`, "", bad, "bad_request", st("bot", "")},

		// acceptControl
		{"accept makes the pending integration active", st("bot", aw), OpAcceptControl, `{}`, "", ok, "", st(aw, "")},
		{"accept with nothing active", st("", aw), OpAcceptControl, `{"metadata":{"k":"v"}}`, "", ok, "", st(aw, "")},
		{"accept without a pending integration is an invalid action", st("bot", ""), OpAcceptControl, `{}`, "", bad, codeInvalidAction, st("bot", "")},
		{"accept without a body is a bad request", st("bot", aw), OpAcceptControl, "", "", bad, "bad_request", st("bot", aw)},

		// releaseControl
		{"release clears active and pending", st("bot", aw), OpReleaseControl, `{"reason":"transferToEmail"}`, "", ok, "", st("", "")},
		{"release without a body", st("bot", ""), OpReleaseControl, "", "", ok, "", st("", "")},
		{"release when nothing is active is a no-op", st("", ""), OpReleaseControl, `{}`, "", ok, "", st("", "")},
		{"release with a bad reason is a bad request", st("bot", ""), OpReleaseControl, `{"reason":"x"}`, "", bad, "bad_request", st("bot", "")},

		// integration scope (SWITCHBOARD.md 2.4, 2.5, 2.6, 7#9, 7#10)
		{"integration scope: accept by the pending integration", st("bot", aw), OpAcceptControl, `{}`, awKey, ok, "", st(aw, "")},
		{"integration scope: accept by a non-pending integration is forbidden", st("bot", aw), OpAcceptControl, `{}`, botKey, http.StatusForbidden, "forbidden", st("bot", aw)},
		{"integration scope: accept with nothing pending is an invalid action", st("bot", ""), OpAcceptControl, `{}`, botKey, bad, codeInvalidAction, st("bot", "")},
		{"integration scope: release by the active integration", st("bot", aw), OpReleaseControl, `{}`, botKey, ok, "", st("", "")},
		{"integration scope: release by a non-active integration is forbidden", st(aw, ""), OpReleaseControl, `{}`, botKey, http.StatusForbidden, "forbidden", st(aw, "")},
		{"integration scope: release with nothing active is forbidden", st("", ""), OpReleaseControl, `{}`, botKey, http.StatusForbidden, "forbidden", st("", "")},
		{"integration scope: pass by a non-active caller is allowed", st(aw, ""), OpPassControl, target("bot2"), botKey, ok, "", st("bot2", "")},
		{"integration scope: offer by a non-active caller is allowed", st(aw, ""), OpOfferControl, target("bot2"), botKey, ok, "", st(aw, "bot2")},
		{"integration scope: pass next by the active caller hops", st("bot", ""), OpPassControl, target("next"), botKey, ok, "", st(aw, "")},
		{"integration scope: pass next by a non-active caller is a duplicate", st(aw, ""), OpPassControl, target("next"), botKey, ok, "", st(aw, "")},
		{"integration scope: pass next by a caller without integration is an invalid target", st("bot", ""), OpPassControl, target("next"), partnerKey, bad, codeInvalidTarget, st("bot", "")},
		{"integration scope: offer next is relative to the caller, not the active integration", st("bot", ""), OpOfferControl, target("next"), awKey, bad, codeInvalidTarget, st("bot", "")},
		{"integration scope: offer next by a standby caller offers its next", st("bot2", ""), OpOfferControl, target("next"), awKey, ok, "", st("bot2", "bot")},
		{"account scope: pass works like app scope", st("bot", ""), OpPassControl, target("next"), accountKey, ok, "", st(aw, "")},
	})
}

// TestAsyncFailures: with WithAsyncFailures semantic failures answer 200 {}
// and change nothing; 403 and request errors stay synchronous.
func TestAsyncFailures(t *testing.T) {
	srv := newTestServer(t, WithAsyncFailures())
	ok := http.StatusOK
	runActions(t, srv, []actionCase{
		{"unknown target answers 200 without change", st("bot", aw), OpPassControl, target("nobody"), "", ok, "", st("bot", aw)},
		{"ambiguous target answers 200 without change", st("bot", ""), OpPassControl, target("custom"), "", ok, "", st("bot", "")},
		{"offer to active answers 200 without change", st("bot", ""), OpOfferControl, target("bot"), "", ok, "", st("bot", "")},
		{"accept with nothing pending answers 200 without change", st("bot", ""), OpAcceptControl, `{}`, "", ok, "", st("bot", "")},
		{"successful pass still applies", st("bot", ""), OpPassControl, target(aw), "", ok, "", st(aw, "")},
		{"forbidden accept is still 403", st("bot", aw), OpAcceptControl, `{}`, botKey, http.StatusForbidden, "forbidden", st("bot", aw)},
		{"bad metadata is still 400", st("bot", ""), OpPassControl, `{"switchboardIntegration":"bot2","metadata":{"a":{}}}`, "", http.StatusBadRequest, "bad_request", st("bot", "")},
	})
}

// metadataBody is a pass body whose metadata serialises to exactly n bytes.
func metadataBody(n int) string {
	// {"k":"<v>"} is 8 bytes plus the value.
	return fmt.Sprintf(`{"switchboardIntegration":"agent-workspace","metadata":{"k":%q}}`, strings.Repeat("x", n-8))
}

func TestNextChainAppScopeAdvancesOneHopPerCall(t *testing.T) {
	srv := newTestServer(t)
	for i, want := range []string{aw, "bot", aw, "bot"} {
		r := call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), target("next"))
		wantAnswer(t, r, http.StatusOK, "")
		if got, _ := srv.Conversation(demoApp, "conv-1"); got.Active != want {
			t.Fatalf("after call %d active = %q, want %q", i+1, got.Active, want)
		}
	}
}

func TestNextChainIntegrationScopeDuplicateIsNoOp(t *testing.T) {
	srv := newTestServer(t)
	for range 3 {
		r := call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(botKey), target("next"))
		wantAnswer(t, r, http.StatusOK, "")
		wantState(t, srv.Simulator, "conv-1", st(aw, ""))
	}
	// The new active integration may pass on with its own next.
	r := call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(awKey), target("next"))
	wantAnswer(t, r, http.StatusOK, "")
	wantState(t, srv.Simulator, "conv-1", st("bot", ""))
}

func TestOfferInvalidation(t *testing.T) {
	post := func(srv *Server, op Operation, key, body string) response {
		return call(t, srv, http.MethodPost, actionPath("conv-1", op), keyAuth(key), body)
	}
	t.Run("a newer offer makes an accept by the earlier offeree forbidden", func(t *testing.T) {
		srv := newTestServer(t)
		wantAnswer(t, post(srv, OpOfferControl, appKey, target(aw)), http.StatusOK, "")
		wantAnswer(t, post(srv, OpOfferControl, appKey, target("bot2")), http.StatusOK, "")
		wantAnswer(t, post(srv, OpAcceptControl, awKey, `{}`), http.StatusForbidden, "forbidden")
		wantAnswer(t, post(srv, OpAcceptControl, appKey, `{}`), http.StatusOK, "")
		wantState(t, srv.Simulator, "conv-1", st("bot2", ""))
	})
	t.Run("a pass drops the offer so a later accept has nothing pending", func(t *testing.T) {
		srv := newTestServer(t)
		wantAnswer(t, post(srv, OpOfferControl, appKey, target(aw)), http.StatusOK, "")
		wantAnswer(t, post(srv, OpPassControl, appKey, target("bot2")), http.StatusOK, "")
		wantAnswer(t, post(srv, OpAcceptControl, awKey, `{}`), http.StatusBadRequest, codeInvalidAction)
		wantState(t, srv.Simulator, "conv-1", st("bot2", ""))
	})
	t.Run("a release drops the offer", func(t *testing.T) {
		srv := newTestServer(t)
		wantAnswer(t, post(srv, OpOfferControl, appKey, target(aw)), http.StatusOK, "")
		wantAnswer(t, post(srv, OpReleaseControl, appKey, ""), http.StatusOK, "")
		wantAnswer(t, post(srv, OpAcceptControl, appKey, `{}`), http.StatusBadRequest, codeInvalidAction)
		wantState(t, srv.Simulator, "conv-1", st("", ""))
	})
}

func TestActionsOnAppWithoutSwitchboardAreInvalidTargets(t *testing.T) {
	srv := newTestServer(t)
	r := call(t, srv, http.MethodPost, convPath(otherApp, "other-conv")+"/passControl", keyAuth(otherKey), target("bot"))
	wantAnswer(t, r, http.StatusBadRequest, codeInvalidTarget)
}

func TestRequestErrors(t *testing.T) {
	srv := newTestServer(t)
	big := `{"switchboardIntegration":"bot","metadata":{"k":"` + strings.Repeat("x", MaxBodyBytes) + `"}}`
	cases := []struct {
		name, method, path, body string
		contentType              string
		status                   int
		code                     string
	}{
		{"action on an unknown conversation", http.MethodPost, actionPath("nope", OpPassControl), target("bot"), "", 404, codeConversationNotFound},
		{"action on an unknown app", http.MethodPost, convPath("no-app", "conv-1") + "/passControl", target("bot"), "", 404, codeAppNotFound},
		{"body over 100 kb", http.MethodPost, actionPath("conv-1", OpPassControl), big, "", 413, "request_entity_too_large"},
		{"body that is not application/json", http.MethodPost, actionPath("conv-1", OpPassControl), target("bot"), "text/plain", 400, "bad_request"},
		{"body with a charset parameter", http.MethodPost, actionPath("conv-1", OpPassControl), target("bot"), "application/json; charset=utf-8", 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			keyAuth(appKey)(req)
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			wantAnswer(t, response{status: resp.StatusCode, body: b}, tc.status, tc.code)
		})
	}
	if _, ok := srv.Conversation(demoApp, "nope"); ok {
		t.Error("an action on an unknown conversation created it")
	}
}
