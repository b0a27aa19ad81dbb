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
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func TestManagerOptionsValidateNamesTheFlag(t *testing.T) {
	tests := []struct {
		name string
		opts ManagerOptions
		flag string
	}{
		{"a selector that does not parse", ManagerOptions{WatchLabelSelector: "shard in (a"}, "--watch-label-selector"},
		{"a shard that is not a DNS label", ManagerOptions{Shard: "Shard_A"}, "--shard"},
		{"a shard longer than a DNS label", ManagerOptions{Shard: strings.Repeat("a", 64)}, "--shard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.opts.Validate(); err == nil || !strings.Contains(err.Error(), tt.flag) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.flag)
			}
		})
	}
	for _, ok := range []ManagerOptions{{}, {WatchLabelSelector: "shard=a", Shard: "a"}, {WatchLabelSelector: "shard in (a,b),!canary"}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", ok, err)
		}
	}
}

func TestLeaderElectionIDIsPerShard(t *testing.T) {
	if got := (ManagerOptions{}).LeaderElectionID(); got != LeaderElectionID {
		t.Errorf("without a selector the Lease is %q, want the unsharded %q", got, LeaderElectionID)
	}
	if got, want := (ManagerOptions{WatchLabelSelector: "shard=a", Shard: "a"}).LeaderElectionID(),
		"switchboard-operator-a.conversations.dev"; got != want {
		t.Errorf("with --shard=a the Lease is %q, want %q", got, want)
	}
	a := ManagerOptions{WatchLabelSelector: "shard=a,tier=gold"}.LeaderElectionID()
	sameA := ManagerOptions{WatchLabelSelector: "tier=gold, shard=a"}.LeaderElectionID()
	b := ManagerOptions{WatchLabelSelector: "shard=b,tier=gold"}.LeaderElectionID()
	if a != sameA {
		t.Errorf("the same selector written in another order gives Leases %q and %q, want one", a, sameA)
	}
	if a == b || a == LeaderElectionID {
		t.Errorf("selectors shard=a and shard=b give Leases %q and %q (unsharded %q), want two of their own", a, b, LeaderElectionID)
	}
}

func TestApplyToSetsCacheSelectorsTransformLeaseAndWarmup(t *testing.T) {
	var opts ctrl.Options
	if err := (ManagerOptions{WatchLabelSelector: "shard=a", Shard: "a", EnableWarmup: true, PprofBindAddress: "127.0.0.1:8082"}).ApplyTo(&opts); err != nil {
		t.Fatal(err)
	}
	if len(opts.Cache.ByObject) != 2 {
		t.Fatalf("the cache has %d per-kind selectors, want 2 (Switchboard, ConversationControl)", len(opts.Cache.ByObject))
	}
	for obj, by := range opts.Cache.ByObject {
		switch obj.(type) {
		case *sbv1.Switchboard, *sbv1.ConversationControl:
		default:
			t.Errorf("a selector for %T, want only the operator's kinds", obj)
		}
		if by.Label == nil || by.Label.String() != "shard=a" {
			t.Errorf("%T is cached with selector %v, want shard=a", obj, by.Label)
		}
	}
	if opts.Cache.DefaultTransform == nil || opts.LeaderElectionID != "switchboard-operator-a.conversations.dev" {
		t.Errorf("transform set %v, Lease %q", opts.Cache.DefaultTransform != nil, opts.LeaderElectionID)
	}
	if opts.PprofBindAddress != "127.0.0.1:8082" {
		t.Errorf("pprof address %q, want --pprof-bind-address's 127.0.0.1:8082", opts.PprofBindAddress)
	}
	if opts.Controller.EnableWarmup == nil || !*opts.Controller.EnableWarmup {
		t.Error("--enable-warmup did not set the controllers' EnableWarmup")
	}

	var plain ctrl.Options
	if err := (ManagerOptions{}).ApplyTo(&plain); err != nil {
		t.Fatal(err)
	}
	if plain.Cache.ByObject != nil || plain.Controller.EnableWarmup != nil || plain.LeaderElectionID != LeaderElectionID || plain.PprofBindAddress != "" {
		t.Errorf("without flags: selectors %v, warm-up %v, Lease %q; want none, unset, %q",
			plain.Cache.ByObject, plain.Controller.EnableWarmup, plain.LeaderElectionID, LeaderElectionID)
	}
}

func TestStripUnreadFieldsKeepsWhatTheOperatorReads(t *testing.T) {
	changed := metav1.NewTime(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	cc := &sbv1.ConversationControl{ObjectMeta: metav1.ObjectMeta{
		Name: "vip", Namespace: "support", CreationTimestamp: metav1.NewTime(changed.Add(-time.Hour)),
		Annotations: map[string]string{
			LastAppliedAnnotation:      `{"apiVersion":"switchboard.conversations.dev/v1alpha1","kind":"ConversationControl"}`,
			sbv1.AnnotationRequestedAt: "1",
		},
		ManagedFields: []metav1.ManagedFieldsEntry{
			{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, Time: &changed,
				FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:state":{}}}`)},
			{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &changed,
				FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:status":{}}`)},
		},
	}}
	before := lastChange(cc)
	out, err := StripUnreadFields(cc)
	if err != nil || out != cc {
		t.Fatalf("StripUnreadFields = %v, %v; want the same object", out, err)
	}
	if _, ok := cc.Annotations[LastAppliedAnnotation]; ok {
		t.Error("the last-applied annotation is still cached")
	}
	if cc.Annotations[sbv1.AnnotationRequestedAt] != "1" {
		t.Errorf("annotations %v: requestedAt, which the operator reads, was dropped", cc.Annotations)
	}
	for _, mf := range cc.ManagedFields {
		if mf.FieldsV1 != nil {
			t.Errorf("managedFields of %s still hold fieldsV1", mf.Manager)
		}
	}
	if got := lastChange(cc); !got.Equal(before) || !got.Equal(changed.Time) {
		t.Errorf("lastChange after the transform = %v, before %v; want %v (the handoff latency metric reads it)", got, before, changed)
	}

	onlyLastApplied := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{LastAppliedAnnotation: "{}"}}}
	if _, err := StripUnreadFields(onlyLastApplied); err != nil || onlyLastApplied.Annotations != nil {
		t.Errorf("annotations %v, %v; want none left", onlyLastApplied.Annotations, err)
	}
	tombstone := toolscache.DeletedFinalStateUnknown{Key: "support/vip"}
	if out, err := StripUnreadFields(tombstone); err != nil || out != tombstone {
		t.Errorf("a tombstone became %v, %v; want it unchanged", out, err)
	}
}

// handedOverJSON is a ConversationControl as the API server sends it after a handoff, with
// every status field that holds a shared string.
const handedOverJSON = `{"apiVersion":"switchboard.conversations.dev/v1alpha1","kind":"ConversationControl",
"metadata":{"name":"vip","namespace":"support","uid":"u1","resourceVersion":"7","finalizers":["switchboard.conversations.dev/release"],
 "managedFields":[{"manager":"switchboard-operator","operation":"Update","apiVersion":"switchboard.conversations.dev/v1alpha1",
  "fieldsType":"FieldsV1","fieldsV1":{"f:status":{}},"subresource":"status"}]},
"spec":{"switchboardRef":{"name":"acme"},"conversationId":"c1","state":"Active","integration":"agent-workspace",
 "deletionPolicy":"Release","driftPolicy":"Report"},
"status":{"observedGeneration":1,
 "conditions":[{"type":"Ready","status":"True","reason":"Succeeded","message":"agent-workspace controls the conversation",
  "observedGeneration":1,"lastTransitionTime":"2026-11-27T10:00:00Z"}],
 "declaration":{"state":"Active","integration":"agent-workspace","since":1,"target":{"id":"a1","name":"agent-workspace"}},
 "lastAppliedAction":{"action":"passControl","state":"Active","integration":"agent-workspace","generation":1,
  "time":"2026-11-27T10:00:00Z","reached":{"id":"a1","name":"agent-workspace","integrationType":"zd:agentWorkspace"},
  "before":{"active":{"id":"b1","name":"bot","integrationType":"custom"},"pending":{"id":"p1","name":"partner"}}},
 "inFlightAction":{"action":"offerControl","state":"Offered","integration":"partner","generation":1,"time":"2026-11-27T10:00:00Z",
  "reached":{"id":"p1","name":"partner"}},
 "activeIntegration":{"id":"a1","name":"agent-workspace","integrationType":"zd:agentWorkspace"},
 "pendingIntegration":{"id":"p1","name":"partner","integrationType":"custom"},
 "history":[{"time":"2026-11-27T10:00:00Z","from":{"id":"b1","name":"bot"},"to":{"id":"a1","name":"agent-workspace"},
  "action":"passControl","source":"Operator","reason":"ticketClosed"}]}}`

// Two cached copies of objects that repeat strings share one copy of each string after
// the transform, and every value reads as it did.
func TestTheCacheTransformSharesRepeatedStrings(t *testing.T) {
	decode := func() *sbv1.ConversationControl {
		var cc sbv1.ConversationControl
		if err := json.Unmarshal([]byte(handedOverJSON), &cc); err != nil {
			t.Fatal(err)
		}
		return &cc
	}
	a, b := decode(), decode()
	want := a.DeepCopy()
	want.ManagedFields[0].FieldsV1 = nil
	for _, cc := range []*sbv1.ConversationControl{a, b} {
		if _, err := StripUnreadFields(cc); err != nil {
			t.Fatal(err)
		}
	}
	if !equality.Semantic.DeepEqual(a, want) {
		t.Fatalf("the transform changed a value:\n%s", cmp.Diff(want, a))
	}
	same := func(what, x, y string) {
		t.Helper()
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) { //nolint:gosec // G103: the test compares where the strings are stored, to prove they are shared
			t.Errorf("%s: %q and %q are not one shared string", what, x, y)
		}
	}
	same("namespace", a.Namespace, b.Namespace)
	same("finalizer", a.Finalizers[0], b.Finalizers[0])
	same("manager", a.ManagedFields[0].Manager, b.ManagedFields[0].Manager)
	same("switchboardRef", a.Spec.SwitchboardRef.Name, b.Spec.SwitchboardRef.Name)
	same("condition message", a.Status.Conditions[0].Message, b.Status.Conditions[0].Message)
	same("declaration target", a.Status.Declaration.Target.Name, b.Status.Declaration.Target.Name)
	same("reached", a.Status.LastAppliedAction.Reached.IntegrationType, b.Status.LastAppliedAction.Reached.IntegrationType)
	same("before", a.Status.LastAppliedAction.Before.Pending.ID, b.Status.LastAppliedAction.Before.Pending.ID)
	same("in flight", a.Status.InFlightAction.Integration, b.Status.InFlightAction.Integration)
	same("active", a.Status.ActiveIntegration.ID, b.Status.ActiveIntegration.ID)
	same("pending", a.Status.PendingIntegration.IntegrationType, b.Status.PendingIntegration.IntegrationType)
	same("history", a.Status.History[0].From.Name, b.Status.History[0].From.Name)
	same("history reason", a.Status.History[0].Reason, b.Status.History[0].Reason)
	if unsafe.StringData(a.Name) == unsafe.StringData(b.Name) { //nolint:gosec // G103: as above
		t.Error("names are shared: only repeated fields should be")
	}
}
