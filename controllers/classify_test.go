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

package controllers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

func TestClassifyTakesRetryingFromTheClient(t *testing.T) {
	answer := func(status int, code string) error {
		return &sunshine.APIError{Operation: "passControl", StatusCode: status, Code: code}
	}
	tests := []struct {
		err      error
		reason   string
		mentions string
	}{
		{answer(301, ""), sbv1.ReasonUnexpectedResponse, "301 Moved Permanently"},
		{answer(302, ""), sbv1.ReasonUnexpectedResponse, "302 Found"},
		{answer(304, ""), sbv1.ReasonUnexpectedResponse, "304 Not Modified"},
		{answer(307, ""), sbv1.ReasonUnexpectedResponse, "307 Temporary Redirect"},
		{answer(400, "bad_request"), sbv1.ReasonInvalidRequest, ""},
		{answer(400, sunshine.CodeSwitchboardInvalidAction), sbv1.ReasonInvalidRequest, ""},
		{answer(400, sunshine.CodeSwitchboardInvalidTarget), sbv1.ReasonIntegrationNotFound, ""},
		{answer(401, "unauthorized"), sbv1.ReasonUnauthorized, "401"},
		{answer(403, "forbidden"), sbv1.ReasonForbidden, ""},
		{answer(404, sunshine.CodeConversationNotFound), sbv1.ReasonConversationNotFound, ""},
		{answer(404, sunshine.CodeAppNotFound), sbv1.ReasonAppNotFound, ""},
		{answer(404, sunshine.CodeSwitchboardNotFound), sbv1.ReasonSwitchboardNotFound, ""},
		{answer(405, ""), sbv1.ReasonUnexpectedResponse, "405 Method Not Allowed"},
		{answer(408, ""), sbv1.ReasonAPIUnavailable, "408 Request Timeout"},
		{answer(409, "conflict"), sbv1.ReasonUnexpectedResponse, "409 Conflict"},
		{answer(410, ""), sbv1.ReasonUnexpectedResponse, "410 Gone"},
		{answer(413, ""), sbv1.ReasonInvalidRequest, ""},
		{answer(418, ""), sbv1.ReasonUnexpectedResponse, "418 I'm a teapot"},
		{answer(422, ""), sbv1.ReasonInvalidRequest, ""},
		{answer(429, ""), sbv1.ReasonRateLimited, "429 Too Many Requests"},
		{answer(499, ""), sbv1.ReasonUnexpectedResponse, "status 499"},
		{answer(500, ""), sbv1.ReasonAPIUnavailable, "500 Internal Server Error"},
		{answer(502, ""), sbv1.ReasonAPIUnavailable, "502 Bad Gateway"},
		{answer(503, ""), sbv1.ReasonAPIUnavailable, "503 Service Unavailable"},
		{answer(504, ""), sbv1.ReasonAPIUnavailable, "504 Gateway Timeout"},
		{answer(599, ""), sbv1.ReasonAPIUnavailable, "status 599"},
		{&sunshine.RequestError{Operation: "getConversation", Err: io.EOF}, sbv1.ReasonAPIUnavailable, "closed before"},
		{&sunshine.RateLimitedError{Operation: "getConversation", Delay: 700 * time.Millisecond}, sbv1.ReasonRateLimited, "spec.rateLimit"},
		{&sunshine.ValidationError{Field: "conversationId", Reason: "must not be empty"}, sbv1.ReasonInvalidRequest, "conversationId"},
		{fmt.Errorf("observing: %w", answer(302, "")), sbv1.ReasonUnexpectedResponse, "302 Found"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			f := classify(tt.err)
			if f.Terminal == sunshine.IsRetryable(tt.err) {
				t.Errorf("classify says terminal=%v, sunshine.IsRetryable says %v: one of them is wrong", f.Terminal, sunshine.IsRetryable(tt.err))
			}
			if f.Reason != tt.reason {
				t.Errorf("reason = %s, want %s", f.Reason, tt.reason)
			}
			if !strings.Contains(f.Message, tt.mentions) {
				t.Errorf("message %q does not mention %q", f.Message, tt.mentions)
			}
		})
	}
}

func TestClassifyWaitsForTheRateLimiter(t *testing.T) {
	f := classify(&sunshine.RateLimitedError{Operation: "passControl", Delay: 1500 * time.Millisecond})
	if f.Reason != sbv1.ReasonRateLimited || f.Terminal || f.RetryAfter != 1500*time.Millisecond {
		t.Errorf("classify = %+v, want RateLimited, not terminal, RetryAfter 1.5s", f)
	}
	f = classify(&sunshine.APIError{Operation: "passControl", StatusCode: 429, RetryAfter: time.Hour})
	if f.Reason != sbv1.ReasonRateLimited || f.RetryAfter != maxRetryAfter {
		t.Errorf("classify(429 with Retry-After 1h) = %+v, want RateLimited with RetryAfter %v", f, maxRetryAfter)
	}
}

func TestClassifyTreatsACancelledRequestAsTransient(t *testing.T) {
	// The operator is stopping: nothing the vendor did, so no Stalled condition.
	f := classify(&sunshine.RequestError{Operation: "getConversation", Err: context.Canceled})
	if f.Terminal || f.Reason != sbv1.ReasonAPIUnavailable || !strings.Contains(f.Message, "cancelled") {
		t.Errorf("classify = %+v, want transient APIUnavailable saying the request was cancelled", f)
	}
}

// addressPattern matches what a raw network error would leak: an IP address or a port.
var addressPattern = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|:\d{2,5}\b|\[::`)

func TestTransientMessagesNameTheKindOfFailureAndNeverAnAddress(t *testing.T) {
	tests := []struct {
		name      string
		endpoints func(t *testing.T) string // a new server each time, so the two failures differ in address
		kind      string
	}{
		{"refused", closedEndpoint, "refused"},
		{"timeout", hangingEndpoint, "timeout"},
		{"closed", func(t *testing.T) string { return hijackingEndpoint(t, func(c net.Conn) { _ = c.Close() }) }, "closed before the answer was complete"},
		{"reset", func(t *testing.T) string {
			return hijackingEndpoint(t, func(c net.Conn) { _ = c.(*net.TCPConn).SetLinger(0); _ = c.Close() })
		}, "reset"},
		{"TLS", untrustedEndpoint, "TLS"},
		{"5xx", func(t *testing.T) string { return statusEndpoint(t, http.StatusBadGateway) }, "502 Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			messages := make([]string, 0, 2)
			for range 2 {
				messages = append(messages, transientMessage(t, tt.endpoints(t), tt.kind))
			}
			if messages[0] != messages[1] {
				t.Errorf("two failures of the same kind give different messages:\n%s\n%s", messages[0], messages[1])
			}
			if !strings.Contains(messages[0], tt.kind) || !strings.HasPrefix(messages[0], "getConversation: ") {
				t.Errorf("message %q does not name the operation and the kind %q", messages[0], tt.kind)
			}
			if addressPattern.MatchString(messages[0]) {
				t.Errorf("message %q carries an address or a port", messages[0])
			}
		})
	}
}

// transientMessage reads a conversation from endpoint, which fails with kind, checks that
// the failure classifies as transient APIUnavailable, and returns its message.
func transientMessage(t *testing.T, endpoint, kind string) string {
	t.Helper()
	timeout := 10 * time.Second // room for a TLS handshake on a loaded machine
	if kind == "timeout" {
		timeout = 200 * time.Millisecond
	}
	api, err := sunshine.New(sunshine.Config{Endpoint: endpoint, AppID: "app-1", Timeout: timeout,
		Credentials: sunshine.Credentials{Type: sunshine.AuthBasic, KeyID: "app_key", Secret: sunshine.NewSecret("s3cr3t")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.GetConversation(context.Background(), "c1")
	if err == nil {
		t.Fatal("the call succeeded")
	}
	f := classify(err)
	if f.Terminal || f.Reason != sbv1.ReasonAPIUnavailable {
		t.Errorf("classify(%v) = %s terminal=%v, want transient APIUnavailable", err, f.Reason, f.Terminal)
	}
	return f.Message
}

// closedEndpoint is the address of a port nobody listens on any more.
func closedEndpoint(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return "http://" + l.Addr().String()
}

// hijackingEndpoint is a server that takes over every connection and cuts it.
func hijackingEndpoint(t *testing.T, cut func(net.Conn)) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			cut(conn)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hangingEndpoint is a server that never answers (until the request or the test ends).
func hangingEndpoint(t *testing.T) string {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

// statusEndpoint is a server that answers every request with code.
func statusEndpoint(t *testing.T, code int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// untrustedEndpoint is a TLS server whose certificate the client does not trust.
func untrustedEndpoint(t *testing.T) string {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestClassifyLeavesKubernetesErrorsTransient(t *testing.T) {
	f := classify(errors.New("listing ConversationControls: the server is currently unable to handle the request"))
	if f.Terminal || f.Reason != sbv1.ReasonAPIUnavailable {
		t.Errorf("classify = %+v, want a transient failure", f)
	}
}
