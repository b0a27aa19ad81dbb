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
	"testing"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// limitedClient is a client of a stub with the given token bucket, after one call
// that emptied it.
func limitedClient(t *testing.T, rps float64) (*sunshine.Client, *stubServer) {
	t.Helper()
	srv := newStub(t, http.StatusOK, nil, `{"switchboards":[]}`)
	cfg := testConfig(srv.URL)
	cfg.RequestsPerSecond, cfg.Burst = rps, 1
	c := newClient(t, cfg)
	if _, err := c.ListSwitchboards(context.Background()); err != nil {
		t.Fatalf("first call: %v", err)
	}
	return c, srv
}

func TestRateLimiterRefusesInsteadOfBlocking(t *testing.T) {
	c, srv := limitedClient(t, 0.5) // one token every two seconds

	start := time.Now()
	_, err := c.ListSwitchboards(context.Background())
	returned := time.Since(start)
	var limited *sunshine.RateLimitedError
	if !errors.As(err, &limited) {
		t.Fatalf("second call error = %v, want a *RateLimitedError", err)
	}
	if limited.Operation != "listSwitchboards" {
		t.Errorf("Operation = %q, want listSwitchboards", limited.Operation)
	}
	if limited.Delay <= time.Second || limited.Delay > 2*time.Second {
		t.Errorf("Delay = %v, want the time until the next token (between 1s and 2s)", limited.Delay)
	}
	// The refusal must not have waited for the token: it comes in about two seconds.
	if returned >= time.Second {
		t.Errorf("the refused call returned after %v; it must not wait for the token", returned)
	}
	if d, ok := sunshine.RetryAfter(err); !ok || d != limited.Delay {
		t.Errorf("RetryAfter = %v, %v; want the Delay %v", d, ok, limited.Delay)
	}
	if !sunshine.IsRetryable(err) || !sunshine.IsRateLimited(err) {
		t.Errorf("IsRetryable = %v, IsRateLimited = %v; want both true", sunshine.IsRetryable(err), sunshine.IsRateLimited(err))
	}

	// The refused call gave its reservation back: a third caller is told about the same
	// token, not one two seconds later.
	_, err = c.ListSwitchboards(context.Background())
	var again *sunshine.RateLimitedError
	if !errors.As(err, &again) || again.Delay > limited.Delay {
		t.Fatalf("third call error = %v, want a *RateLimitedError with a delay of at most %v", err, limited.Delay)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server received %d requests, want only the first (refused calls send nothing)", n)
	}
}

func TestRateLimiterLetsTheNextInLineWaitOneTokenInterval(t *testing.T) {
	c, srv := limitedClient(t, 4) // the next token comes within 250ms, one token interval

	if _, err := c.ListSwitchboards(context.Background()); err != nil {
		t.Fatalf("the next caller in line: %v, want it to wait for its token and succeed", err)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("server received %d requests, want 2", n)
	}
}

func TestRateLimiterWaitHonoursTheContext(t *testing.T) {
	c, srv := limitedClient(t, 2) // the next token comes in 500ms

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ListSwitchboards(ctx)
	var reqErr *sunshine.RequestError
	if !errors.As(err, &reqErr) || !errors.Is(err, context.DeadlineExceeded) || !sunshine.IsRetryable(err) {
		t.Fatalf("call whose context ends while it waits: error = %v, want a retryable *RequestError with the deadline", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListSwitchboards(ctx); !errors.Is(err, context.Canceled) || sunshine.IsRetryable(err) {
		t.Fatalf("call with a cancelled context: error = %v, want a non-retryable context.Canceled", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server received %d requests, want only the first", n)
	}
}
