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
	"encoding/json"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/cache"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// Observation is a switchboard event as the webhook receiver observed it: the
// conversation's switchboard state after the event, or, for a `:failure` event, the
// vendor's refusal of an action with its error code.
type Observation struct {
	// EventID is the vendor's id of the event.
	EventID string `json:"id"`
	// Type is the trigger, for example switchboard:passControl.
	Type string `json:"type"`
	// Time is the vendor's timestamp of the event, or when it was received when the
	// event carries none.
	Time time.Time `json:"time"`
	// Active and Pending are the conversation's switchboard integrations after the event.
	Active  *sunshine.IntegrationRef `json:"active,omitempty"`
	Pending *sunshine.IntegrationRef `json:"pending,omitempty"`
	// Reason is the reason given with a passControl or releaseControl.
	Reason string `json:"reason,omitempty"`
	// ErrorCode and ErrorMessage are the vendor's error of a `:failure` event.
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// Received is when this process recorded the observation, by its own clock (the
	// vendor's clock may differ from it).
	Received time.Time `json:"-"`
	// Unverified marks an observation another replica passed on through the
	// observedEvent annotation: anyone who may patch the object could have written it, so
	// it only tells that the conversation changed, and is never taken as its state.
	Unverified bool `json:"-"`
}

// Failed tells whether the observation reports an action the vendor refused.
func (o Observation) Failed() bool {
	return sunshine.WebhookEvent{Type: o.Type}.IsFailure()
}

// maxObservedMessage bounds the vendor's error message kept in an observation.
const maxObservedMessage = 512

// observationOf makes the observation of a switchboard event received at received.
func observationOf(e sunshine.WebhookEvent, received time.Time) Observation {
	o := Observation{EventID: e.ID, Type: e.Type, Time: received, Reason: e.Payload.Reason}
	if t, err := time.Parse(time.RFC3339Nano, e.CreatedAt); err == nil {
		o.Time = t
	}
	if c := e.Payload.Conversation; c != nil {
		o.Active, o.Pending = c.Active, c.Pending
	}
	if e.Payload.Error != nil {
		o.ErrorCode = e.Payload.Error.Code
		o.ErrorMessage = e.Payload.Error.Message
		if o.ErrorMessage == "" {
			o.ErrorMessage = e.Payload.Error.Title
		}
		if r := []rune(o.ErrorMessage); len(r) > maxObservedMessage {
			o.ErrorMessage = string(r[:maxObservedMessage])
		}
	}
	return o
}

// Defaults of the observation store.
const (
	defaultObservationsSize = 100000
	defaultObservationsTTL  = time.Hour
)

// Observations keeps the latest observation of each (scope, conversation) (ObservationScope), at most a
// bounded number of them, each for a bounded time. It is safe for concurrent use.
type Observations struct {
	mu      sync.Mutex
	entries *cache.LRUExpireCache
	ttl     time.Duration
	// recorded is closed, and replaced, whenever an observation is recorded.
	recorded chan struct{}
	// awaiting counts, per conversation, the objects whose reconcile waits for an event
	// after an action (Await).
	awaiting map[observationKey]map[types.NamespacedName]int
}

// NewObservations returns a store of at most size observations, each kept for ttl.
func NewObservations(size int, ttl time.Duration) *Observations {
	return &Observations{entries: cache.NewLRUExpireCache(size), ttl: ttl, recorded: make(chan struct{})}
}

// observationKey is a conversation of an app as one endpoint serves it: two Switchboards
// that name the same app id on different endpoints never share observations.
type observationKey struct{ scope, conversation string }

// ObservationScope is the scope the observations of a Switchboard's conversations are
// kept under: its endpoint and app.
func ObservationScope(sb *sbv1.Switchboard) string {
	return sb.Spec.Endpoint + " " + sb.Spec.AppID
}

// Record keeps o for (scope, conversation) unless a later observation is held; it tells
// whether o was kept.
func (s *Observations) Record(scope, conversationID string, o Observation) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.record(scope, conversationID, o)
}

// recordFor records o and tells which objects await an event of the conversation: their
// waiting reconcile takes it, so they need not be woken.
func (s *Observations) recordFor(scope, conversationID string, o Observation) map[types.NamespacedName]bool {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.record(scope, conversationID, o) {
		return nil
	}
	awaited := map[types.NamespacedName]bool{}
	for key := range s.awaiting[observationKey{scope, conversationID}] {
		awaited[key] = true
	}
	return awaited
}

// Await announces that obj's reconcile is about to send an action on the conversation and
// will wait for its event; call the returned function when done waiting. Events recorded
// meanwhile do not wake obj again.
func (s *Observations) Await(scope, conversationID string, obj types.NamespacedName) (done func()) {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := observationKey{scope, conversationID}
	if s.awaiting == nil {
		s.awaiting = map[observationKey]map[types.NamespacedName]int{}
	}
	if s.awaiting[key] == nil {
		s.awaiting[key] = map[types.NamespacedName]int{}
	}
	s.awaiting[key][obj]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.awaiting[key][obj]--; s.awaiting[key][obj] <= 0 {
			delete(s.awaiting[key], obj)
		}
		if len(s.awaiting[key]) == 0 {
			delete(s.awaiting, key)
		}
	}
}

// record keeps o unless a later observation is held; s.mu must be held.
func (s *Observations) record(scope, conversationID string, o Observation) bool {
	key := observationKey{scope, conversationID}
	if held, ok := s.entries.Get(key); ok && held.(Observation).Time.After(o.Time) {
		return false
	}
	if o.Received.IsZero() {
		o.Received = time.Now()
	}
	s.entries.Add(key, o, s.ttl)
	close(s.recorded)
	s.recorded = make(chan struct{})
	return true
}

// Wait waits, at most timeout, for an observation of the conversation recorded after
// since that satisfies match, and returns it.
func (s *Observations) Wait(ctx context.Context, scope, conversationID string, since time.Time, timeout time.Duration,
	match func(Observation) bool) (Observation, bool) {
	if s == nil || timeout <= 0 {
		return Observation{}, false
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		held, ok := s.entries.Get(observationKey{scope, conversationID})
		recorded := s.recorded
		s.mu.Unlock()
		if ok {
			if o := held.(Observation); o.Received.After(since) && match(o) {
				return o, true
			}
		}
		select {
		case <-recorded:
		case <-deadline.C:
			return Observation{}, false
		case <-ctx.Done():
			return Observation{}, false
		}
	}
}

// Observation returns the latest observation of the conversation in scope, if one is held.
// The ConversationControl reconciler may use it in place of reading the conversation.
func (s *Observations) Observation(scope, conversationID string) (Observation, bool) {
	if s == nil {
		return Observation{}, false
	}
	held, ok := s.entries.Get(observationKey{scope, conversationID})
	if !ok {
		return Observation{}, false
	}
	return held.(Observation), true
}

// observedEventAnnotation is the value of the observedEvent annotation: the app and
// the observation, as JSON.
type observedEventAnnotation struct {
	App string `json:"app"`
	Observation
}

func encodeObservedEvent(app string, o Observation) (string, error) {
	data, err := json.Marshal(observedEventAnnotation{App: app, Observation: o})
	return string(data), err
}

func decodeObservedEvent(value string) (string, Observation, bool) {
	var a observedEventAnnotation
	if err := json.Unmarshal([]byte(value), &a); err != nil || a.App == "" || a.EventID == "" {
		return "", Observation{}, false
	}
	return a.App, a.Observation, true
}
