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

// Package receiver serves the webhooks of Sunshine Conversations: the vendor POSTs
// switchboard events to a path of their own per Switchboard, and the receiver checks
// the X-API-Key header against the webhook's secret, drops events it has seen, answers
// at once and hands the events to a Dispatcher afterwards. It is plain net/http, run
// as a controller-runtime Runnable on every replica.
package receiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/cache"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// PathPrefix is where the receiver serves webhooks: PathPrefix followed by the token
// of a Switchboard (see Token).
const PathPrefix = "/hooks/"

// APIKeyHeader is the header in which the vendor sends the webhook's secret.
const APIKeyHeader = "X-API-Key"

// Token is the path token of a Switchboard: the hex SHA-256 of its UID, namespace and
// name. The UID makes it unguessable from the names alone, and a Switchboard deleted and
// created again under the same name gets a new path.
func Token(uid types.UID, namespace, name string) string {
	sum := sha256.Sum256([]byte(string(uid) + "\x00" + namespace + "\x00" + name))
	return hex.EncodeToString(sum[:])
}

// Hook is the Switchboard a path belongs to.
type Hook struct {
	// Switchboard is the Switchboard that manages the webhook.
	Switchboard types.NamespacedName
	// AppID is the Switchboard's app; a delivery for another app is refused.
	AppID string
}

// Resolver finds the Switchboard whose webhook a path token belongs to.
type Resolver interface {
	// Resolve returns the hook of token; false when no Switchboard manages a webhook
	// with that token.
	Resolve(ctx context.Context, token string) (Hook, bool)
}

// Outcome is what became of one event.
type Outcome string

// Outcomes of an event, the values of the outcome label of the events metric.
const (
	// OutcomeEnqueued: the event was recorded and its ConversationControls enqueued.
	OutcomeEnqueued Outcome = "enqueued"
	// OutcomeRouted: the event was passed to the leader through the API server.
	OutcomeRouted Outcome = "routed"
	// OutcomeUnmatched: no ConversationControl is concerned by the event.
	OutcomeUnmatched Outcome = "unmatched"
	// OutcomeFailed: dispatching the event failed (the poll remains the safety net).
	OutcomeFailed Outcome = "failed"
	// OutcomeDuplicate: an event with the same id was seen already.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeIgnored: not a switchboard event, or one without a conversation.
	OutcomeIgnored Outcome = "ignored"
)

// Dispatcher does the work of one verified, new switchboard event, after the
// delivery has been answered.
type Dispatcher interface {
	Dispatch(ctx context.Context, hook Hook, event sunshine.WebhookEvent) (Outcome, error)
}

// Options configure a Receiver; the zero value of each field means its default.
type Options struct {
	// BindAddress is the address the receiver listens on, such as :9443.
	BindAddress string
	// MaxBodyBytes bounds a delivery's body (default 1 MiB); a larger one gets 413.
	MaxBodyBytes int64
	// RequestsPerSecond and Burst bound the deliveries accepted per Switchboard
	// (default 50 and 100); above them the receiver answers 429 and the vendor retries.
	RequestsPerSecond float64
	Burst             int
	// SeenEvents is how many event ids are remembered to drop duplicates (default
	// 100000); SeenFor is how long each is remembered (default 1h, beyond the vendor's
	// 15 minutes of retries).
	SeenEvents int
	SeenFor    time.Duration
	// QueueSize bounds the deliveries answered but not dispatched yet (default 1024);
	// when it is full the receiver answers 503 and the vendor retries.
	QueueSize int
	// Workers is the number of deliveries dispatched at once (default 4).
	Workers int
}

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = 50
	}
	if o.Burst <= 0 {
		o.Burst = 100
	}
	if o.SeenEvents <= 0 {
		o.SeenEvents = 100000
	}
	if o.SeenFor <= 0 {
		o.SeenFor = time.Hour
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	return o
}

// Rejection reasons, the values of the reason label of the rejected deliveries metric.
const (
	rejectNotFound     = "not_found"
	rejectMethod       = "method_not_allowed"
	rejectUnauthorized = "unauthorized"
	rejectRateLimited  = "rate_limited"
	rejectTooLarge     = "too_large"
	rejectBadRequest   = "bad_request"
	rejectUnavailable  = "unavailable"
)

// Receiver is the webhook receiver. It implements http.Handler and the manager's
// Runnable (Start); it does not need leader election, so every replica serves.
type Receiver struct {
	opts       Options
	resolver   Resolver
	secrets    *Secrets
	dispatcher Dispatcher
	metrics    *Metrics
	log        logr.Logger
	now        func() time.Time

	mu       sync.Mutex // orders the check and marking of seen events with the enqueue
	seen     *cache.LRUExpireCache
	limiters *cache.LRUExpireCache
	queue    chan delivery

	addrMu sync.Mutex
	addr   net.Addr
}

// delivery is a verified delivery waiting for a worker.
type delivery struct {
	hook     Hook
	events   []sunshine.WebhookEvent
	received time.Time
}

// New returns a Receiver. metrics may be nil.
func New(opts Options, resolver Resolver, secrets *Secrets, dispatcher Dispatcher, metrics *Metrics, log logr.Logger) *Receiver {
	opts = opts.withDefaults()
	return &Receiver{
		opts: opts, resolver: resolver, secrets: secrets, dispatcher: dispatcher, metrics: metrics, log: log,
		now:      time.Now,
		seen:     cache.NewLRUExpireCache(opts.SeenEvents),
		limiters: cache.NewLRUExpireCache(10000),
		queue:    make(chan delivery, opts.QueueSize),
	}
}

// NeedLeaderElection implements the manager's LeaderElectionRunnable: the receiver runs
// on every replica, so that a delivery to any of them is served.
func (r *Receiver) NeedLeaderElection() bool { return false }

// Addr is the address the receiver listens on once started, nil before.
func (r *Receiver) Addr() net.Addr {
	r.addrMu.Lock()
	defer r.addrMu.Unlock()
	return r.addr
}

// Start listens on BindAddress and serves until ctx ends; then it stops accepting
// deliveries and lets the workers finish what they hold.
func (r *Receiver) Start(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", r.opts.BindAddress)
	if err != nil {
		return fmt.Errorf("webhook receiver: listening on %s: %w", r.opts.BindAddress, err)
	}
	r.addrMu.Lock()
	r.addr = ln.Addr()
	r.addrMu.Unlock()
	srv := &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	var workers sync.WaitGroup
	for range r.opts.Workers {
		workers.Go(func() { r.work(ctx) })
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	r.log.Info("Started the webhook receiver", "address", ln.Addr().String())
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	workers.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// work dispatches deliveries until ctx ends.
func (r *Receiver) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-r.queue:
			r.dispatch(ctx, d)
		}
	}
}

// dispatch hands each event of d to the Dispatcher and records its outcome.
func (r *Receiver) dispatch(ctx context.Context, d delivery) {
	for _, e := range d.events {
		outcome, err := r.dispatcher.Dispatch(ctx, d.hook, e)
		if err != nil {
			outcome = OutcomeFailed
			r.log.Error(err, "Dispatching a webhook event failed; the next poll will catch up",
				"switchboard", d.hook.Switchboard.String(), "event", e.ID, "trigger", e.Type)
		}
		r.metrics.event(e.Type, outcome)
		r.metrics.latency(r.now().Sub(d.received))
	}
}

// ServeHTTP implements http.Handler: HEAD answers 200 (the vendor checks the target
// before it creates a webhook); POST is a delivery.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	token, ok := strings.CutPrefix(req.URL.Path, PathPrefix)
	if !ok || token == "" || strings.Contains(token, "/") {
		r.reject(w, http.StatusNotFound, rejectNotFound, "not found")
		return
	}
	switch req.Method {
	case http.MethodHead:
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "HEAD, POST")
		r.reject(w, http.StatusMethodNotAllowed, rejectMethod, "only HEAD and POST are served")
		return
	}
	r.receive(w, req, token)
}

// receive handles a POST: the Switchboard of the path, the rate bound, the key, the
// body; then it answers and queues the new events.
func (r *Receiver) receive(w http.ResponseWriter, req *http.Request, token string) {
	received := r.now()
	ctx := req.Context()
	hook, ok := r.resolver.Resolve(ctx, token)
	if !ok {
		// The same answer as a wrong key: a path reveals nothing, and the vendor stops retrying.
		r.reject(w, http.StatusUnauthorized, rejectUnauthorized, "unauthorized")
		return
	}
	if !r.limiter(hook.Switchboard).Allow() {
		w.Header().Set("Retry-After", "1")
		r.reject(w, http.StatusTooManyRequests, rejectRateLimited, "too many deliveries")
		return
	}
	match, err := r.secrets.Verify(ctx, hook.Switchboard, req.Header.Get(APIKeyHeader))
	if err != nil {
		r.log.Error(err, "Reading the webhook's secret failed; the vendor retries the delivery", "switchboard", hook.Switchboard.String())
		r.reject(w, http.StatusServiceUnavailable, rejectUnavailable, "the webhook's secret is not available yet")
		return
	}
	if !match {
		r.reject(w, http.StatusUnauthorized, rejectUnauthorized, "unauthorized")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.opts.MaxBodyBytes))
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			r.reject(w, http.StatusRequestEntityTooLarge, rejectTooLarge,
				fmt.Sprintf("the body exceeds %d bytes", r.opts.MaxBodyBytes))
			return
		}
		r.reject(w, http.StatusBadRequest, rejectBadRequest, "the body could not be read")
		return
	}
	d, err := sunshine.DecodeWebhookDelivery(body)
	if err != nil {
		r.reject(w, http.StatusBadRequest, rejectBadRequest, err.Error())
		return
	}
	if d.App.ID != hook.AppID {
		r.reject(w, http.StatusBadRequest, rejectBadRequest, "the delivery is for another app than this webhook's")
		return
	}
	if !r.enqueue(hook, d.Events, received) {
		r.reject(w, http.StatusServiceUnavailable, rejectUnavailable, "the receiver is busy; retry later")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// enqueue queues the new switchboard events of a delivery and remembers their ids; it
// returns false, remembering nothing, when the queue is full.
func (r *Receiver) enqueue(hook Hook, events []sunshine.WebhookEvent, received time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := make([]sunshine.WebhookEvent, 0, len(events))
	inDelivery := make(map[string]bool, len(events))
	var duplicates, ignored []string
	for _, e := range events {
		key := hook.AppID + "/" + e.ID
		if _, seen := r.seen.Get(key); seen || inDelivery[key] {
			duplicates = append(duplicates, e.Type)
			continue
		}
		inDelivery[key] = true
		if !e.IsSwitchboard() || e.ConversationID() == "" {
			ignored = append(ignored, e.Type)
			continue
		}
		fresh = append(fresh, e)
	}
	if len(fresh) > 0 {
		select {
		case r.queue <- delivery{hook: hook, events: fresh, received: received}:
		default:
			return false
		}
	}
	for key := range inDelivery {
		r.seen.Add(key, struct{}{}, r.opts.SeenFor)
	}
	for _, t := range duplicates {
		r.metrics.event(t, OutcomeDuplicate)
	}
	for _, t := range ignored {
		r.metrics.event(t, OutcomeIgnored)
	}
	return true
}

// limiter is the token bucket of one Switchboard.
func (r *Receiver) limiter(sb types.NamespacedName) *rate.Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.limiters.Get(sb); ok {
		return l.(*rate.Limiter)
	}
	l := rate.NewLimiter(rate.Limit(r.opts.RequestsPerSecond), r.opts.Burst)
	r.limiters.Add(sb, l, time.Hour)
	return l
}

// reject answers an error and counts it.
func (r *Receiver) reject(w http.ResponseWriter, status int, reason, message string) {
	r.metrics.rejected(reason)
	http.Error(w, message, status)
}
