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
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

func TestNewValidatesTheConfig(t *testing.T) {
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the client must refuse it
	tests := []struct {
		name      string
		mutate    func(*sunshine.Config)
		wantField string // "" means valid
	}{
		{"accepts an https endpoint with a path prefix", func(c *sunshine.Config) { c.Endpoint = "https://acme.zendesk.com/sc" }, ""},
		{"accepts http on 127.0.0.1", func(c *sunshine.Config) { c.Endpoint = "http://127.0.0.1:8091" }, ""},
		{"accepts http on another 127/8 address", func(c *sunshine.Config) { c.Endpoint = "http://127.1.2.3:8091/" }, ""},
		{"accepts http on ::1", func(c *sunshine.Config) { c.Endpoint = "http://[::1]:8091" }, ""},
		{"accepts http on localhost", func(c *sunshine.Config) { c.Endpoint = "http://localhost:8091" }, ""},
		{"accepts JWT credentials", func(c *sunshine.Config) { c.Credentials.Type = sunshine.AuthJWT }, ""},
		{"defaults an empty auth type to Basic", func(c *sunshine.Config) { c.Credentials.Type = "" }, ""},
		{"refuses http on a public host", func(c *sunshine.Config) { c.Endpoint = "http://acme.zendesk.com/sc" }, "endpoint"},
		{"refuses http on a host merely named like localhost", func(c *sunshine.Config) { c.Endpoint = "http://localhost.example.com" }, "endpoint"},
		{"refuses another scheme", func(c *sunshine.Config) { c.Endpoint = "ftp://127.0.0.1" }, "endpoint"},
		{"refuses a relative endpoint", func(c *sunshine.Config) { c.Endpoint = "/sc" }, "endpoint"},
		{"refuses an empty endpoint", func(c *sunshine.Config) { c.Endpoint = "" }, "endpoint"},
		{"refuses an endpoint with a query", func(c *sunshine.Config) { c.Endpoint = "https://acme.zendesk.com/sc?x=1" }, "endpoint"},
		{"refuses an endpoint with credentials", func(c *sunshine.Config) { c.Endpoint = "https://key:" + testSecret + "@acme.zendesk.com" }, "endpoint"},
		{"refuses an unparsable endpoint without echoing it", func(c *sunshine.Config) { c.Endpoint = "https://key:" + testSecret + "@[::1" }, "endpoint"},
		{"refuses an empty app id", func(c *sunshine.Config) { c.AppID = "" }, "appId"},
		{"refuses an app id with a slash", func(c *sunshine.Config) { c.AppID = "a/b" }, "appId"},
		{"refuses a missing key id", func(c *sunshine.Config) { c.Credentials.KeyID = "" }, "credentials.keyId"},
		{"refuses a Basic key id with a colon", func(c *sunshine.Config) { c.Credentials.KeyID = "a:b" }, "credentials.keyId"},
		{"refuses a missing secret", func(c *sunshine.Config) { c.Credentials.Secret = sunshine.Secret{} }, "credentials.secret"},
		{"refuses an unknown auth type", func(c *sunshine.Config) { c.Credentials.Type = "OAuth" }, "credentials.type"},
		{"refuses a negative timeout", func(c *sunshine.Config) { c.Timeout = -time.Second }, "timeout"},
		{"refuses a negative rate", func(c *sunshine.Config) { c.RequestsPerSecond = -1 }, "requestsPerSecond"},
		{"refuses a negative burst", func(c *sunshine.Config) { c.Burst = -1 }, "burst"},
		{"refuses a transport that skips TLS verification", func(c *sunshine.Config) { c.HTTPClient = insecure }, "httpClient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig("https://acme.zendesk.com/sc")
			tt.mutate(&cfg)
			_, err := sunshine.New(cfg)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var verr *sunshine.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.wantField {
				t.Fatalf("New error = %v, want a *ValidationError for %q", err, tt.wantField)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Fatalf("error reveals the secret: %s", masked(err.Error()))
			}
			if !sunshine.IsInvalidRequest(err) {
				t.Errorf("IsInvalidRequest(%v) = false", err)
			}
		})
	}
}

func TestRequestsGoBelowTheEndpointPathWithEscapedIDs(t *testing.T) {
	tests := []struct {
		name, prefix, conversationID, wantURI string
	}{
		{"no prefix", "", "c1", "/v2/apps/app-1/conversations/c1"},
		{"path prefix", "/sc", "c1", "/sc/v2/apps/app-1/conversations/c1"},
		{"path prefix with a trailing slash", "/sc/", "c1", "/sc/v2/apps/app-1/conversations/c1"},
		{"id with characters to escape", "/sc", "ça+va@1", "/sc/v2/apps/app-1/conversations/%C3%A7a+va@1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStub(t, http.StatusOK, nil, `{"conversation":{"id":"c1","type":"personal"}}`)
			c := newClient(t, testConfig(srv.URL+tt.prefix))
			if _, err := c.GetConversation(context.Background(), tt.conversationID); err != nil {
				t.Fatalf("GetConversation: %v", err)
			}
			if got := srv.last(t).RequestURI; got != tt.wantURI {
				t.Errorf("request URI = %q, want %q", got, tt.wantURI)
			}
		})
	}
}

func TestRequestsCarryUserAgentAndContentType(t *testing.T) {
	tests := []struct {
		name, userAgent, wantUserAgent string
	}{
		{"default user agent names the operator and version", "", "switchboard-operator/" + sunshine.Version},
		{"configured user agent wins", "my-bot/1.0", "my-bot/1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStub(t, http.StatusOK, nil, `{}`)
			cfg := testConfig(srv.URL)
			cfg.UserAgent = tt.userAgent
			c := newClient(t, cfg)
			if err := c.AcceptControl(context.Background(), "c1", sunshine.AcceptControlRequest{}); err != nil {
				t.Fatalf("AcceptControl: %v", err)
			}
			got := srv.last(t)
			if ua := got.Header.Get("User-Agent"); ua != tt.wantUserAgent {
				t.Errorf("User-Agent = %q, want %q", ua, tt.wantUserAgent)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	srv := newStub(t, http.StatusFound, http.Header{"Location": {"https://elsewhere.example.com/"}}, "")
	c := newClient(t, testConfig(srv.URL))
	err := c.PassControl(context.Background(), "c1", sunshine.PassControlRequest{SwitchboardIntegration: "bot"})
	var apiErr *sunshine.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusFound {
		t.Fatalf("PassControl error = %v, want an *APIError with status 302", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server received %d requests, want 1", n)
	}
}

func TestTimeoutsAndCancellation(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	t.Run("a request exceeding the timeout is retryable", func(t *testing.T) {
		cfg := testConfig(srv.URL)
		cfg.Timeout = 50 * time.Millisecond
		_, err := newClient(t, cfg).GetConversation(context.Background(), "c1")
		var reqErr *sunshine.RequestError
		if !errors.As(err, &reqErr) || !sunshine.IsRetryable(err) {
			t.Fatalf("error = %v, want a retryable *RequestError", err)
		}
	})
	t.Run("a request the caller cancels is not retryable", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := newClient(t, testConfig(srv.URL)).GetConversation(ctx, "c1")
		if !errors.Is(err, context.Canceled) || sunshine.IsRetryable(err) {
			t.Fatalf("error = %v, want a non-retryable context.Canceled", err)
		}
	})
}
