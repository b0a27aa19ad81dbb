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

package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

const (
	testApp    = "app-1"
	testSecret = "whsec-correct-horse"
)

var testHook = Hook{Switchboard: types.NamespacedName{Namespace: "support", Name: "acme"}, AppID: testApp}

// testToken is the path token of testHook.
var testToken = Token("uid-1", "support", "acme")

// fakeResolver knows testToken only.
type fakeResolver struct{}

func (fakeResolver) Resolve(_ context.Context, token string) (Hook, bool) {
	return testHook, token == testToken
}

// recordingDispatcher records the events it is given; block, when set, holds every
// dispatch until it is closed.
type recordingDispatcher struct {
	block chan struct{}

	mu     sync.Mutex
	events []sunshine.WebhookEvent
	calls  atomic.Int32
}

func (d *recordingDispatcher) Dispatch(ctx context.Context, _ Hook, e sunshine.WebhookEvent) (Outcome, error) {
	if d.block != nil {
		select {
		case <-d.block:
		case <-ctx.Done():
			return OutcomeFailed, ctx.Err()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events = append(d.events, e)
	d.calls.Add(1)
	return OutcomeEnqueued, nil
}

func (d *recordingDispatcher) ids() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]string, 0, len(d.events))
	for _, e := range d.events {
		ids = append(ids, e.ID)
	}
	return ids
}

// fixture is a receiver served by httptest, with its workers running until the test ends.
type fixture struct {
	r          *Receiver
	srv        *httptest.Server
	dispatcher *recordingDispatcher
	reg        *prometheus.Registry
	reads      atomic.Int32 // secret reads through the source
}

func newFixture(t *testing.T, opts Options, dispatcher *recordingDispatcher, startWorkers bool) *fixture {
	t.Helper()
	f := &fixture{dispatcher: dispatcher, reg: prometheus.NewRegistry()}
	secrets := &Secrets{Source: SecretSourceFunc(func(context.Context, types.NamespacedName) (sunshine.Secret, error) {
		f.reads.Add(1)
		return sunshine.NewSecret(testSecret), nil
	})}
	f.r = New(opts, fakeResolver{}, secrets, dispatcher, NewMetrics(f.reg), logr.Discard())
	f.srv = httptest.NewServer(f.r)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if startWorkers {
		wg.Go(func() { f.r.work(ctx) })
	}
	t.Cleanup(func() {
		f.srv.Close()
		cancel()
		wg.Wait()
	})
	return f
}

func event(id, trigger, conversation string) sunshine.WebhookEvent {
	return sunshine.WebhookEvent{ID: id, Type: trigger, Payload: sunshine.EventPayload{
		Conversation: &sunshine.Conversation{ID: conversation},
	}}
}

func body(t *testing.T, app string, events ...sunshine.WebhookEvent) []byte {
	t.Helper()
	d := sunshine.WebhookDelivery{Events: events}
	d.App.ID = app
	d.Webhook.ID = "wh-1"
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// post sends a delivery and returns the status code.
func (f *fixture) post(t *testing.T, token, key string, data []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+PathPrefix+token, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(APIKeyHeader, key)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// eventually waits for cond, failing after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHeadAnswers200ForTheVendorsTargetCheck(t *testing.T) {
	f := newFixture(t, Options{}, &recordingDispatcher{}, true)
	// The vendor checks the target before the webhook exists, so the path need not be known yet.
	for _, token := range []string{testToken, "not-yet-known"} {
		resp, err := f.srv.Client().Head(f.srv.URL + PathPrefix + token)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("HEAD %s: %d, want 200", token, resp.StatusCode)
		}
	}
}

func TestRefusesWhatIsNotADeliveryToAKnownPathWithItsKey(t *testing.T) {
	good := func(t *testing.T) []byte { return body(t, testApp, event("e1", sunshine.TriggerPassControl, "c1")) }
	for _, tc := range []struct {
		name   string
		token  string
		key    string
		body   func(t *testing.T) []byte
		want   int
		reason string
	}{
		{"a wrong key", testToken, "whsec-wrong", good, http.StatusUnauthorized, rejectUnauthorized},
		{"a key of another length", testToken, "x", good, http.StatusUnauthorized, rejectUnauthorized},
		{"no key", testToken, "", good, http.StatusUnauthorized, rejectUnauthorized},
		{"an unknown path, with the right key", "0123abcd", testSecret, good, http.StatusUnauthorized, rejectUnauthorized},
		{"a body that is not JSON", testToken, testSecret, func(*testing.T) []byte { return []byte("{") }, http.StatusBadRequest, rejectBadRequest},
		{"an event without an id", testToken, testSecret, func(t *testing.T) []byte { return body(t, testApp, event("", sunshine.TriggerPassControl, "c1")) },
			http.StatusBadRequest, rejectBadRequest},
		{"a delivery for another app", testToken, testSecret, func(t *testing.T) []byte { return body(t, "app-2", event("e1", sunshine.TriggerPassControl, "c1")) },
			http.StatusBadRequest, rejectBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &recordingDispatcher{}
			f := newFixture(t, Options{}, d, true)
			if got := f.post(t, tc.token, tc.key, tc.body(t)); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
			if got := testutil.ToFloat64(f.r.metrics.rejects.WithLabelValues(tc.reason)); got != 1 {
				t.Errorf("rejected{reason=%q} = %v, want 1", tc.reason, got)
			}
			// A good delivery afterwards is the only one dispatched: nothing of the refused one was queued.
			if got := f.post(t, testToken, testSecret, body(t, testApp, event("after", sunshine.TriggerPassControl, "c1"))); got != http.StatusOK {
				t.Fatalf("good delivery: %d", got)
			}
			eventually(t, "the good delivery", func() bool { return d.calls.Load() == 1 })
			if ids := d.ids(); len(ids) != 1 || ids[0] != "after" {
				t.Errorf("dispatched %v, want only [after]", ids)
			}
		})
	}
}

func TestOtherMethodsAndPathsAreRefused(t *testing.T) {
	f := newFixture(t, Options{}, &recordingDispatcher{}, true)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, PathPrefix + testToken, http.StatusMethodNotAllowed},
		{http.MethodPut, PathPrefix + testToken, http.StatusMethodNotAllowed},
		{http.MethodPost, "/other", http.StatusNotFound},
		{http.MethodPost, PathPrefix, http.StatusNotFound},
		{http.MethodPost, PathPrefix + testToken + "/more", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, nil)
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

func TestABodyAboveTheBoundIs413(t *testing.T) {
	d := &recordingDispatcher{}
	f := newFixture(t, Options{MaxBodyBytes: 1024}, d, true)
	big := body(t, testApp, event("e1", sunshine.TriggerPassControl, strings.Repeat("c", 2000)))
	if got := f.post(t, testToken, testSecret, big); got != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", got)
	}
	if got := f.post(t, testToken, testSecret, body(t, testApp, event("e2", sunshine.TriggerPassControl, "c1"))); got != http.StatusOK {
		t.Fatalf("a body within the bound: %d, want 200", got)
	}
}

func TestDeliveriesAboveTheRatePerSwitchboardAre429(t *testing.T) {
	d := &recordingDispatcher{}
	f := newFixture(t, Options{RequestsPerSecond: 0.001, Burst: 3}, d, true)
	codes := make([]int, 0, 5)
	for i := range 5 {
		codes = append(codes, f.post(t, testToken, testSecret, body(t, testApp, event(fmt.Sprint("e", i), sunshine.TriggerPassControl, "c1"))))
	}
	want := []int{200, 200, 200, 429, 429}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	eventually(t, "three dispatches", func() bool { return d.calls.Load() == 3 })
	if got := testutil.ToFloat64(f.r.metrics.rejects.WithLabelValues(rejectRateLimited)); got != 2 {
		t.Errorf("rate_limited = %v, want 2", got)
	}
}

func TestDuplicateEventIDsAreDispatchedOnce(t *testing.T) {
	d := &recordingDispatcher{}
	f := newFixture(t, Options{}, d, true)
	first := body(t, testApp, event("e1", sunshine.TriggerPassControl, "c1"), event("e2", sunshine.TriggerOfferControl, "c2"))
	// A retried delivery repeats ids; one delivery may repeat an id too.
	again := body(t, testApp, event("e2", sunshine.TriggerOfferControl, "c2"), event("e3", sunshine.TriggerReleaseControl, "c3"),
		event("e3", sunshine.TriggerReleaseControl, "c3"))
	for _, b := range [][]byte{first, first, again} {
		if got := f.post(t, testToken, testSecret, b); got != http.StatusOK {
			t.Fatalf("status %d, want 200 (a duplicate is acknowledged, so the vendor stops retrying)", got)
		}
	}
	eventually(t, "three dispatches", func() bool { return d.calls.Load() == 3 })
	// A last, new event proves the duplicates are not merely late.
	if got := f.post(t, testToken, testSecret, body(t, testApp, event("e4", sunshine.TriggerPassControl, "c1"))); got != http.StatusOK {
		t.Fatal(got)
	}
	eventually(t, "the fourth dispatch", func() bool { return d.calls.Load() == 4 })
	if got := fmt.Sprint(d.ids()); got != "[e1 e2 e3 e4]" {
		t.Errorf("dispatched %s, want [e1 e2 e3 e4]", got)
	}
	dup := testutil.ToFloat64(f.r.metrics.events.WithLabelValues(sunshine.TriggerPassControl, string(OutcomeDuplicate))) +
		testutil.ToFloat64(f.r.metrics.events.WithLabelValues(sunshine.TriggerOfferControl, string(OutcomeDuplicate))) +
		testutil.ToFloat64(f.r.metrics.events.WithLabelValues(sunshine.TriggerReleaseControl, string(OutcomeDuplicate)))
	if dup != 4 {
		t.Errorf("duplicates counted %v, want 4", dup)
	}
}

func TestTheSeenSetIsBounded(t *testing.T) {
	d := &recordingDispatcher{}
	f := newFixture(t, Options{SeenEvents: 2}, d, true)
	for _, id := range []string{"e1", "e2", "e3", "e1"} {
		if got := f.post(t, testToken, testSecret, body(t, testApp, event(id, sunshine.TriggerPassControl, "c1"))); got != http.StatusOK {
			t.Fatal(got)
		}
	}
	// Remembering two ids, the receiver forgot e1 when e3 came: memory stays bounded, and
	// the poll and the reconcile's own reads make a late repeat harmless.
	eventually(t, "four dispatches", func() bool { return d.calls.Load() == 4 })
	if n := len(f.r.seen.Keys()); n != 2 {
		t.Errorf("remembers %d ids, want 2", n)
	}
}

func TestEventsWithoutAConversationOrOfOtherTriggersAreIgnored(t *testing.T) {
	d := &recordingDispatcher{}
	f := newFixture(t, Options{}, d, true)
	other := sunshine.WebhookEvent{ID: "m1", Type: "conversation:message"}
	noConv := sunshine.WebhookEvent{ID: "s1", Type: sunshine.TriggerPassControl}
	if got := f.post(t, testToken, testSecret, body(t, testApp, other, noConv, event("e1", sunshine.TriggerPassControl, "c1"))); got != http.StatusOK {
		t.Fatal(got)
	}
	eventually(t, "one dispatch", func() bool { return d.calls.Load() == 1 })
	if got := testutil.ToFloat64(f.r.metrics.events.WithLabelValues("other", string(OutcomeIgnored))); got != 1 {
		t.Errorf("ignored other = %v, want 1", got)
	}
	if got := testutil.ToFloat64(f.r.metrics.events.WithLabelValues(sunshine.TriggerPassControl, string(OutcomeIgnored))); got != 1 {
		t.Errorf("ignored passControl without a conversation = %v, want 1", got)
	}
}

func TestABurstIsDispatchedCompletelyAndOnce(t *testing.T) {
	d := &recordingDispatcher{}
	f := newFixture(t, Options{Burst: 1000, RequestsPerSecond: 1000}, d, true)
	const deliveries, perDelivery = 50, 10
	var wg sync.WaitGroup
	errs := make(chan error, deliveries*2)
	for i := range deliveries {
		events := make([]sunshine.WebhookEvent, 0, perDelivery)
		for j := range perDelivery {
			events = append(events, event(fmt.Sprintf("e-%d-%d", i, j), sunshine.TriggerPassControl, fmt.Sprint("c", j)))
		}
		b := body(t, testApp, events...)
		for range 2 { // every delivery twice, concurrently: a retry racing the original
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, f.srv.URL+PathPrefix+testToken, bytes.NewReader(b))
				req.Header.Set(APIKeyHeader, testSecret)
				resp, err := f.srv.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	eventually(t, "every event", func() bool { return d.calls.Load() == deliveries*perDelivery })
	seen := map[string]int{}
	for _, id := range d.ids() {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s dispatched %d times", id, n)
		}
	}
	if len(seen) != deliveries*perDelivery {
		t.Errorf("%d distinct events dispatched, want %d", len(seen), deliveries*perDelivery)
	}
}

func TestAnswersBeforeTheWorkIsDone(t *testing.T) {
	d := &recordingDispatcher{block: make(chan struct{})}
	f := newFixture(t, Options{}, d, true)
	// The dispatcher holds every event until released: the answer cannot wait for it.
	if got := f.post(t, testToken, testSecret, body(t, testApp, event("e1", sunshine.TriggerPassControl, "c1"))); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	if n := d.calls.Load(); n != 0 {
		t.Fatalf("%d dispatches finished before the release", n)
	}
	close(d.block)
	eventually(t, "the dispatch after the answer", func() bool { return d.calls.Load() == 1 })
}

func TestAFullQueueAnswers503AndForgetsTheIDs(t *testing.T) {
	d := &recordingDispatcher{}
	f := newFixture(t, Options{QueueSize: 1}, d, false) // no workers yet: the queue fills
	if got := f.post(t, testToken, testSecret, body(t, testApp, event("e1", sunshine.TriggerPassControl, "c1"))); got != http.StatusOK {
		t.Fatal(got)
	}
	e2 := body(t, testApp, event("e2", sunshine.TriggerPassControl, "c2"))
	if got := f.post(t, testToken, testSecret, e2); got != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 (the vendor retries it)", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.r.work(ctx)
	eventually(t, "the queued delivery", func() bool { return d.calls.Load() == 1 })
	// The retry of the refused delivery is not taken for a duplicate.
	if got := f.post(t, testToken, testSecret, e2); got != http.StatusOK {
		t.Fatal(got)
	}
	eventually(t, "the retried delivery", func() bool { return d.calls.Load() == 2 })
}

func TestSecretsAreReadAgainAtMostOncePerIntervalOnAMismatch(t *testing.T) {
	now := time.Unix(1000, 0)
	current := "old"
	var reads int
	s := &Secrets{
		Source: SecretSourceFunc(func(context.Context, types.NamespacedName) (sunshine.Secret, error) {
			reads++
			return sunshine.NewSecret(current), nil
		}),
		RefreshInterval: time.Minute,
		Now:             func() time.Time { return now },
	}
	sb := testHook.Switchboard
	ctx := context.Background()
	check := func(key string, want bool, wantReads int) {
		t.Helper()
		ok, err := s.Verify(ctx, sb, key)
		if err != nil {
			t.Fatal(err)
		}
		if ok != want || reads != wantReads {
			t.Fatalf("Verify(%q) = %v after %d reads, want %v after %d", key, ok, reads, want, wantReads)
		}
	}
	check("old", true, 1)  // first use reads the secret
	check("old", true, 1)  // then it is held
	current = "new"        // rotated at the vendor
	check("new", false, 1) // read less than a minute ago: not read again
	check("wrong", false, 1)
	now = now.Add(time.Minute)
	check("new", true, 2)    // a minute later a mismatch reads it again
	check("wrong", false, 2) // and wrong keys cannot make it read more often
	now = now.Add(30 * time.Second)
	check("wrong", false, 2)
	s.Set(sb, sunshine.NewSecret("set"))
	check("set", true, 2) // the reconciler's read replaces it without a source read
	s.Forget(sb)
	check("new", true, 3)
}

func TestASecretThatCannotBeReadIs503(t *testing.T) {
	reg := prometheus.NewRegistry()
	secrets := &Secrets{Source: SecretSourceFunc(func(context.Context, types.NamespacedName) (sunshine.Secret, error) {
		return sunshine.Secret{}, errors.New("the vendor is down")
	})}
	r := New(Options{}, fakeResolver{}, secrets, &recordingDispatcher{}, NewMetrics(reg), logr.Discard())
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, PathPrefix+testToken, bytes.NewReader(body(t, testApp, event("e1", sunshine.TriggerPassControl, "c1"))))
	req.Header.Set(APIKeyHeader, testSecret)
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 (retried by the vendor, unlike a 401)", rec.Code)
	}
	if strings.Contains(rec.Body.String(), testSecret) {
		t.Error("the answer contains the secret")
	}
}

func TestTheTokenDependsOnUIDNamespaceAndName(t *testing.T) {
	base := Token("uid-1", "ns", "name")
	if len(base) != 64 {
		t.Fatalf("token %q is not a hex SHA-256", base)
	}
	for _, other := range []string{Token("uid-2", "ns", "name"), Token("uid-1", "ns2", "name"), Token("uid-1", "ns", "name2"),
		Token("uid-1", "nsn", "ame")} {
		if other == base {
			t.Errorf("token %s repeats for different inputs", other)
		}
	}
}

func TestStartServesOnItsAddressUntilTheContextEnds(t *testing.T) {
	d := &recordingDispatcher{}
	secrets := &Secrets{}
	secrets.Set(testHook.Switchboard, sunshine.NewSecret(testSecret))
	r := New(Options{BindAddress: "127.0.0.1:0"}, fakeResolver{}, secrets, d, nil, logr.Discard())
	if r.NeedLeaderElection() {
		t.Error("the receiver must run on every replica")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	eventually(t, "the listener", func() bool { return r.Addr() != nil })
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.Addr().String()+PathPrefix+testToken,
		bytes.NewReader(body(t, testApp, event("e1", sunshine.TriggerPassControl, "c1"))))
	req.Header.Set(APIKeyHeader, testSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	eventually(t, "the dispatch", func() bool { return d.calls.Load() == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start returned %v after the context ended, want nil", err)
	}
}
