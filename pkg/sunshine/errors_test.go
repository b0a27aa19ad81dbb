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

package sunshine_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

func TestNon2xxAnswersDecodeIntoAPIError(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		retryAfter  string
		body        string
		wantCode    string
		wantTitle   string
		wantMessage string
		wantRetry   time.Duration // approximate for HTTP dates
	}{
		{
			name: "vendor error body", status: 404,
			body:     `{"errors":[{"code":"conversation_not_found","title":"Conversation not found"}]}`,
			wantCode: "conversation_not_found", wantTitle: "Conversation not found",
			wantMessage: "sunshine: getConversation: 404 conversation_not_found: Conversation not found",
		},
		{
			name: "several errors keep the first", status: 400,
			body:     `{"errors":[{"code":"bad_request","title":"first"},{"code":"other","title":"second"}]}`,
			wantCode: "bad_request", wantTitle: "first",
			wantMessage: "sunshine: getConversation: 400 bad_request: first",
		},
		{
			name: "body that is not JSON", status: 502, body: `<html>Bad Gateway</html>`,
			wantMessage: "sunshine: getConversation: 502 Bad Gateway",
		},
		{
			name: "empty body", status: 503,
			wantMessage: "sunshine: getConversation: 503 Service Unavailable",
		},
		{
			name: "Retry-After in seconds", status: 429, retryAfter: "7",
			body:     `{"errors":[{"code":"too_many_requests","title":"Too Many Requests"}]}`,
			wantCode: "too_many_requests", wantTitle: "Too Many Requests", wantRetry: 7 * time.Second,
			wantMessage: "sunshine: getConversation: 429 too_many_requests: Too Many Requests",
		},
		{
			name: "Retry-After as an HTTP date", status: 429,
			retryAfter: time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat),
			wantRetry:  30 * time.Second, wantMessage: "sunshine: getConversation: 429 Too Many Requests",
		},
		{
			name: "Retry-After in the past", status: 429, retryAfter: "Mon, 02 Jan 2006 15:04:05 GMT",
			wantMessage: "sunshine: getConversation: 429 Too Many Requests",
		},
		{
			name: "Retry-After that is not a number or a date", status: 429, retryAfter: "soon",
			wantMessage: "sunshine: getConversation: 429 Too Many Requests",
		},
		{
			name: "Retry-After capped at an hour", status: 503, retryAfter: "99999999999999999999",
			wantRetry: time.Hour, wantMessage: "sunshine: getConversation: 503 Service Unavailable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.retryAfter != "" {
				header.Set("Retry-After", tt.retryAfter)
			}
			srv := newStub(t, tt.status, header, tt.body)
			_, err := newClient(t, testConfig(srv.URL)).GetConversation(context.Background(), "c1")
			var apiErr *sunshine.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want an *APIError", err)
			}
			if apiErr.Operation != "getConversation" || apiErr.StatusCode != tt.status || apiErr.Code != tt.wantCode || apiErr.Title != tt.wantTitle {
				t.Errorf("APIError = %+v, want operation getConversation, status %d, code %q, title %q", apiErr, tt.status, tt.wantCode, tt.wantTitle)
			}
			if got := err.Error(); got != tt.wantMessage {
				t.Errorf("Error() = %q, want %q", got, tt.wantMessage)
			}
			got, ok := sunshine.RetryAfter(err)
			if ok != (tt.wantRetry > 0) || got < tt.wantRetry-2*time.Second || got > tt.wantRetry {
				t.Errorf("RetryAfter = %v, %v; want about %v", got, ok, tt.wantRetry)
			}
		})
	}
}

func TestLongErrorTitlesAreTruncated(t *testing.T) {
	srv := newStub(t, 400, nil, `{"errors":[{"code":"bad_request","title":"`+strings.Repeat("é", 1000)+`"}]}`)
	_, err := newClient(t, testConfig(srv.URL)).ListSwitchboards(context.Background())
	var apiErr *sunshine.APIError
	if !errors.As(err, &apiErr) || len(apiErr.Title) > 300 || !strings.HasSuffix(apiErr.Title, "é…") {
		t.Fatalf("error = %v, want an *APIError with a title cut short at a character boundary", err)
	}
}

// classifiers are the error classification helpers, by name.
var classifiers = map[string]func(error) bool{
	"IsNotFound":             sunshine.IsNotFound,
	"IsConversationNotFound": sunshine.IsConversationNotFound,
	"IsAppNotFound":          sunshine.IsAppNotFound,
	"IsSwitchboardNotFound":  sunshine.IsSwitchboardNotFound,
	"IsUnauthorized":         sunshine.IsUnauthorized,
	"IsForbidden":            sunshine.IsForbidden,
	"IsInvalidRequest":       sunshine.IsInvalidRequest,
	"IsInvalidTarget":        sunshine.IsInvalidTarget,
	"IsInvalidAction":        sunshine.IsInvalidAction,
	"IsRateLimited":          sunshine.IsRateLimited,
	"IsRetryable":            sunshine.IsRetryable,
}

// errorCase is a call the simulator answers with an error, and the helpers
// that must classify it (every other helper must not).
type errorCase struct {
	name       string
	fault      *sunshinetest.Fault             // injected for every operation
	state      *sunshinetest.ConversationState // of c1, instead of the seed's
	mutate     func(*sunshine.Config)
	call       func(context.Context, *sunshine.Client) error
	wantStatus int // 0: no answer (*RequestError)
	want       []string
	wantRetry  time.Duration
}

// errorCases covers every class of error the API answers with.
func errorCases() []errorCase {
	passTo := func(target string) func(context.Context, *sunshine.Client) error {
		return func(ctx context.Context, c *sunshine.Client) error {
			return c.PassControl(ctx, "c1", sunshine.PassControlRequest{SwitchboardIntegration: target})
		}
	}
	getConversation := func(id string) func(context.Context, *sunshine.Client) error {
		return func(ctx context.Context, c *sunshine.Client) error {
			_, err := c.GetConversation(ctx, id)
			return err
		}
	}
	listSwitchboards := func(ctx context.Context, c *sunshine.Client) error {
		_, err := c.ListSwitchboards(ctx)
		return err
	}
	return []errorCase{
		{
			name:   "wrong secret is unauthorized",
			mutate: func(c *sunshine.Config) { c.Credentials.Secret = sunshine.NewSecret("wrong-" + testSecret) },
			call:   passTo("agent"), wantStatus: 401, want: []string{"IsUnauthorized"},
		},
		{
			name:   "integration key on the switchboard routes is forbidden",
			mutate: withAuth(sunshine.AuthBasic, integrationKey, ""),
			call:   listSwitchboards, wantStatus: 403, want: []string{"IsForbidden"},
		},
		{
			name:   "integration key accepting an offer made to another integration is forbidden",
			mutate: withAuth(sunshine.AuthJWT, integrationKey, "integration"),
			state:  &sunshinetest.ConversationState{Active: "bot", Pending: "agent"},
			call: func(ctx context.Context, c *sunshine.Client) error {
				return c.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{})
			},
			wantStatus: 403, want: []string{"IsForbidden"},
		},
		{
			name: "unknown conversation", call: getConversation("nope"),
			wantStatus: 404, want: []string{"IsNotFound", "IsConversationNotFound"},
		},
		{
			name: "action on an unknown conversation", call: func(ctx context.Context, c *sunshine.Client) error {
				return c.ReleaseControl(ctx, "nope", sunshine.ReleaseControlRequest{})
			},
			wantStatus: 404, want: []string{"IsNotFound", "IsConversationNotFound"},
		},
		{
			name: "unknown app",
			mutate: func(c *sunshine.Config) {
				withAuth(sunshine.AuthBasic, accountKey, "")(c)
				c.AppID = "app-missing"
			},
			call: listSwitchboards, wantStatus: 404, want: []string{"IsNotFound", "IsAppNotFound"},
		},
		{
			name: "unknown switchboard", call: func(ctx context.Context, c *sunshine.Client) error {
				_, err := c.ListSwitchboardIntegrations(ctx, "sb-missing")
				return err
			},
			wantStatus: 404, want: []string{"IsNotFound", "IsSwitchboardNotFound"},
		},
		{
			name: "pass to an unknown integration is an invalid target", call: passTo("nobody"),
			wantStatus: 400, want: []string{"IsInvalidRequest", "IsInvalidTarget"},
		},
		{
			name: "accept with nothing pending is an invalid action", call: func(ctx context.Context, c *sunshine.Client) error {
				return c.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{})
			},
			wantStatus: 400, want: []string{"IsInvalidRequest", "IsInvalidAction"},
		},
		{
			name: "rate limited with Retry-After", fault: &sunshinetest.Fault{Status: 429, RetryAfter: 3 * time.Second},
			call: passTo("agent"), wantStatus: 429, want: []string{"IsRateLimited", "IsRetryable"}, wantRetry: 3 * time.Second,
		},
		{
			name: "server error", fault: &sunshinetest.Fault{Status: 503},
			call: getConversation("c1"), wantStatus: 503, want: []string{"IsRetryable"},
		},
		{
			name: "dropped connection", fault: &sunshinetest.Fault{Drop: true},
			call: passTo("agent"), want: []string{"IsRetryable"},
		},
		{
			name: "timeout", fault: &sunshinetest.Fault{Latency: time.Second},
			mutate: func(c *sunshine.Config) { c.Timeout = 50 * time.Millisecond },
			call:   getConversation("c1"), want: []string{"IsRetryable"},
		},
	}
}

// run makes the call of the case against a new simulator set up for it,
// with a client changed by the case's mutator and then by extra.
func (tt errorCase) run(t *testing.T, extra ...func(*sunshine.Config)) error {
	t.Helper()
	sim := newSimulator(t)
	if tt.fault != nil {
		sim.InjectFault("", *tt.fault)
	}
	if tt.state != nil {
		if err := sim.SetConversation("app-1", "c1", *tt.state); err != nil {
			t.Fatalf("SetConversation: %v", err)
		}
	}
	mutate := extra
	if tt.mutate != nil {
		mutate = append([]func(*sunshine.Config){tt.mutate}, extra...)
	}
	return tt.call(context.Background(), simClient(t, sim, mutate...))
}

func TestErrorsAreClassified(t *testing.T) {
	for _, tt := range errorCases() {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(t)
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error reveals the secret: %s", masked(err.Error()))
			}
			checkErrorClass(t, err, tt.wantStatus, tt.want)
			if got, _ := sunshine.RetryAfter(err); got != tt.wantRetry {
				t.Errorf("RetryAfter = %v, want %v", got, tt.wantRetry)
			}
		})
	}
}

// checkErrorClass asserts err's type and status, and that exactly the helpers
// in want classify it.
func checkErrorClass(t *testing.T, err error, wantStatus int, want []string) {
	t.Helper()
	var apiErr *sunshine.APIError
	var reqErr *sunshine.RequestError
	switch {
	case wantStatus == 0 && !errors.As(err, &reqErr):
		t.Errorf("error = %v (%T), want a *RequestError", err, err)
	case wantStatus != 0 && (!errors.As(err, &apiErr) || apiErr.StatusCode != wantStatus):
		t.Errorf("error = %v (%T), want an *APIError with status %d", err, err, wantStatus)
	}
	for name, is := range classifiers {
		wanted := false
		for _, w := range want {
			wanted = wanted || w == name
		}
		if got := is(err); got != wanted {
			t.Errorf("%s(%v) = %v, want %v", name, err, got, wanted)
		}
	}
}

func TestClassifiersRejectOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("boom"), context.Canceled} {
		for name, is := range classifiers {
			if is(err) {
				t.Errorf("%s(%v) = true, want false", name, err)
			}
		}
		if _, ok := sunshine.RetryAfter(err); ok {
			t.Errorf("RetryAfter(%v) reported a delay", err)
		}
	}
	wrapped := errors.Join(errors.New("context"), &sunshine.APIError{StatusCode: 404, Code: "conversation_not_found"})
	if !sunshine.IsConversationNotFound(wrapped) {
		t.Errorf("IsConversationNotFound does not see through wrapping")
	}
}
