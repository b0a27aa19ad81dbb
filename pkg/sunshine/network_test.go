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
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// closedAddress is a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// hijacking starts a server that takes over every connection and hands it to cut.
func hijacking(t *testing.T, cut func(net.Conn)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		cut(conn)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// hanging starts a server that accepts requests and never answers.
func hanging(t *testing.T) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv
}

// failingDial is an HTTP client whose every connection attempt fails with err.
func failingDial(err error) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, err
	}}}
}

func TestNetworkFailureOfNamesTheKind(t *testing.T) {
	tlsServer := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	tlsServer.StartTLS()
	t.Cleanup(tlsServer.Close)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name     string
		endpoint string
		ctx      context.Context
		client   *http.Client
		timeout  time.Duration
		want     sunshine.NetworkFailure
	}{
		{name: "nothing listens", endpoint: "http://" + closedAddress(t), want: sunshine.FailureConnectionRefused},
		{name: "no answer within the client's timeout", endpoint: hanging(t).URL, timeout: 100 * time.Millisecond,
			want: sunshine.FailureTimeout},
		{name: "the connection closes without an answer", endpoint: hijacking(t, func(c net.Conn) { _ = c.Close() }).URL,
			want: sunshine.FailureConnectionClosed},
		{name: "the peer resets the connection", endpoint: hijacking(t, func(c net.Conn) {
			_ = c.(*net.TCPConn).SetLinger(0) // close sends a reset
			_ = c.Close()
		}).URL, want: sunshine.FailureConnectionReset},
		{name: "the certificate is not trusted", endpoint: tlsServer.URL, want: sunshine.FailureTLS},
		{name: "the host name does not resolve", endpoint: "http://127.0.0.1:1",
			client: failingDial(&net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}),
			want:   sunshine.FailureDNS},
		{name: "the caller cancelled", endpoint: hanging(t).URL, ctx: cancelled, want: sunshine.FailureCanceled},
		{name: "any other failure", endpoint: "http://127.0.0.1:1", client: failingDial(errors.New("something else")),
			want: sunshine.FailureNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tt.endpoint)
			cfg.HTTPClient, cfg.Timeout = tt.client, tt.timeout
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := newClient(t, cfg).GetConversation(ctx, "c1")
			if err == nil {
				t.Fatal("the call succeeded, want a failure")
			}
			got, ok := sunshine.NetworkFailureOf(err)
			if !ok || got != tt.want {
				t.Errorf("NetworkFailureOf(%v) = %q, %v; want %q", err, got, ok, tt.want)
			}
		})
	}
}

func TestNetworkFailureOfIgnoresAnswers(t *testing.T) {
	srv := newStub(t, http.StatusServiceUnavailable, nil, `{}`)
	_, err := newClient(t, testConfig(srv.URL)).GetConversation(context.Background(), "c1")
	if kind, ok := sunshine.NetworkFailureOf(err); ok {
		t.Errorf("NetworkFailureOf(a 503 answer) = %q, want none: the request got an answer", kind)
	}
	if _, ok := sunshine.NetworkFailureOf(&sunshine.RateLimitedError{Operation: "getConversation", Delay: time.Second}); ok {
		t.Error("NetworkFailureOf(*RateLimitedError) reports a network failure; nothing was sent")
	}
}
