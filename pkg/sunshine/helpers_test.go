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
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// testSecret is the key secret of the test clients; tests assert it never shows.
const testSecret = "s3cr3t-never-printed"

// masked returns s with the test secret masked, for failure messages that
// would otherwise print it.
func masked(s string) string { return strings.ReplaceAll(s, testSecret, "<SECRET>") }

// recorded is one request a stubServer received.
type recorded struct {
	Method, RequestURI, Body string
	Header                   http.Header
}

// stubServer answers every request with the same canned response and records
// what it received.
type stubServer struct {
	*httptest.Server
	mu       sync.Mutex
	received []recorded
}

// newStub starts a stubServer answering status, headers and body.
func newStub(t *testing.T, status int, header http.Header, body string) *stubServer {
	t.Helper()
	s := &stubServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.received = append(s.received, recorded{Method: r.Method, RequestURI: r.RequestURI, Body: string(data), Header: r.Header.Clone()})
		s.mu.Unlock()
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// requests returns what the server received so far.
func (s *stubServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.received...)
}

// last returns the one request the server received, failing unless there was exactly one.
func (s *stubServer) last(t *testing.T) recorded {
	t.Helper()
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("server received %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// testConfig is a valid configuration for endpoint with Basic credentials.
func testConfig(endpoint string) sunshine.Config {
	return sunshine.Config{
		Endpoint:    endpoint,
		AppID:       "app-1",
		Credentials: sunshine.Credentials{Type: sunshine.AuthBasic, KeyID: "app_key", Secret: sunshine.NewSecret(testSecret)},
		Timeout:     5 * time.Second,
	}
}

// newClient creates a client for cfg, failing the test on error.
func newClient(t *testing.T, cfg sunshine.Config) *sunshine.Client {
	t.Helper()
	c, err := sunshine.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// Keys of the test seed, all with testSecret.
const (
	appKey         = "app_key"
	accountKey     = "act_key"
	integrationKey = "int_bot_key"
)

// testSeed is app-1 with a switchboard of two integrations that hand over to
// each other (bot, the default, and agent), and conversation c1 held by bot.
func testSeed() sunshinetest.Seed {
	return sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{
		ID: "app-1",
		Keys: []sunshinetest.KeySeed{
			{ID: appKey, Secret: testSecret, Scope: "app"},
			{ID: accountKey, Secret: testSecret, Scope: "account"},
			{ID: integrationKey, Secret: testSecret, Scope: "integration", IntegrationID: "int-bot"},
		},
		Switchboard: &sunshinetest.SwitchboardSeed{
			ID: "sb-1", Enabled: true, Default: "bot",
			Integrations: []sunshinetest.IntegrationSeed{
				{ID: "si-bot", Name: "bot", IntegrationType: "custom", IntegrationID: "int-bot", Next: "agent"},
				{ID: "si-agent", Name: "agent", IntegrationType: "zd:agentWorkspace", Next: "bot"},
			},
		},
		Conversations: []sunshinetest.ConversationSeed{{ID: "c1", Active: "bot"}},
	}}}
}

// newSimulator starts a simulator serving testSeed, closed when the test ends.
func newSimulator(t *testing.T, opts ...sunshinetest.Option) *sunshinetest.Server {
	t.Helper()
	sim, err := sunshinetest.NewServer(testSeed(), opts...)
	if err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// authTypes are the authentication methods every operation is tested with.
var authTypes = []sunshine.AuthType{sunshine.AuthBasic, sunshine.AuthJWT}

// withAuth returns a config mutator that authenticates with key and auth type.
func withAuth(auth sunshine.AuthType, key, scope string) func(*sunshine.Config) {
	return func(c *sunshine.Config) {
		c.Credentials = sunshine.Credentials{Type: auth, KeyID: key, Secret: sunshine.NewSecret(testSecret), Scope: scope}
	}
}

// simClient returns a client of sim's app-1 with the app key, changed by the mutators.
func simClient(t *testing.T, sim *sunshinetest.Server, mutate ...func(*sunshine.Config)) *sunshine.Client {
	t.Helper()
	cfg := testConfig(sim.URL)
	for _, m := range mutate {
		m(&cfg)
	}
	return newClient(t, cfg)
}

// wantState fails the test unless a conversation of app-1 is in state want.
func wantState(t *testing.T, sim *sunshinetest.Server, conversationID string, want sunshinetest.ConversationState) {
	t.Helper()
	got, ok := sim.Conversation("app-1", conversationID)
	if !ok {
		t.Fatalf("conversation %s does not exist", conversationID)
	}
	if got != want {
		t.Errorf("conversation %s = %+v, want %+v", conversationID, got, want)
	}
}
