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
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// countingTLSServer starts an HTTPS server that answers every read of a conversation,
// after a short pause so that concurrent calls overlap, and counts the TCP connections
// opened to it.
func countingTLSServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"conversation":{"id":"c1","type":"personal"}}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &opened
}

// trusting returns transport set to trust srv's certificate.
func trusting(srv *httptest.Server, transport *http.Transport) *http.Transport {
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return transport
}

// callConcurrently makes callsEach reads from each of workers goroutines at once.
func callConcurrently(t *testing.T, c *sunshine.Client, workers, callsEach int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers*callsEach)
	for range workers {
		wg.Go(func() {
			for range callsEach {
				if _, err := c.GetConversation(context.Background(), "c1"); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("GetConversation: %v", err)
	}
}

func TestConcurrentCallsReuseTheirConnections(t *testing.T) {
	const workers, callsEach = 8, 20
	srv, opened := countingTLSServer(t)
	cfg := testConfig(srv.URL)
	cfg.RequestsPerSecond, cfg.Burst = 1e6, 2*workers*callsEach
	cfg.HTTPClient = &http.Client{Transport: trusting(srv, sunshine.NewTransport(sunshine.DefaultMaxIdleConnsPerHost))}
	c := newClient(t, cfg)

	// In the first round the calls that find no idle connection dial one; a call can be
	// served by a connection another call put back while its own dial goes on, and that
	// connection joins the pool too, so the first round opens one per worker and a few
	// more (8 to 15 in 100 runs here); http.DefaultTransport, which keeps 2, opens dozens
	// in each round.
	callConcurrently(t, c, workers, callsEach)
	first := opened.Load()
	// Then every call finds one of the pool's connections idle (each worker puts its own
	// back before its next call), and none is closed for want of room.
	callConcurrently(t, c, workers, callsEach)
	if again := opened.Load() - first; again != 0 {
		t.Errorf("the second round of %d workers x %d calls opened %d more connections (after %d), want none: connections were not kept for reuse",
			workers, callsEach, again, first)
	}
}

func TestNewTransportKeepsDefaultsAndRaisesTheIdleLimits(t *testing.T) {
	for _, n := range []int{1, sunshine.DefaultMaxIdleConnsPerHost, 500} {
		tr := sunshine.NewTransport(n)
		if tr.MaxIdleConnsPerHost != n {
			t.Errorf("NewTransport(%d).MaxIdleConnsPerHost = %d", n, tr.MaxIdleConnsPerHost)
		}
		if tr.MaxIdleConns < n {
			t.Errorf("NewTransport(%d).MaxIdleConns = %d, want at least %d (the limit of all hosts)", n, tr.MaxIdleConns, n)
		}
		if tr.Proxy == nil || tr.DialContext == nil || tr.IdleConnTimeout == 0 || tr.TLSHandshakeTimeout == 0 {
			t.Errorf("NewTransport(%d) lost http.DefaultTransport's proxy, dialer or timeouts", n)
		}
		if tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
			t.Errorf("NewTransport(%d) skips TLS verification", n)
		}
	}
	if tr := sunshine.NewTransport(0); tr.MaxIdleConnsPerHost != sunshine.DefaultMaxIdleConnsPerHost {
		t.Errorf("NewTransport(0).MaxIdleConnsPerHost = %d, want DefaultMaxIdleConnsPerHost (%d)", tr.MaxIdleConnsPerHost, sunshine.DefaultMaxIdleConnsPerHost)
	}
}
