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
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

var (
	bot    = &sbv1.IntegrationReference{ID: "si-bot", Name: "bot", IntegrationType: "custom"}
	agents = &sbv1.IntegrationReference{ID: "si-aw", Name: "agent-workspace", IntegrationType: "zd:agentWorkspace"}
	now    = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
)

// fakeAPI is a SunshineAPI whose unset methods fail the test: a unit test declares
// exactly the calls it expects.
type fakeAPI struct {
	t               *testing.T
	getConversation func(string) (*sunshine.Conversation, error)
	passControl     func(string, sunshine.PassControlRequest) error
}

func (f *fakeAPI) unexpected(call string) error {
	f.t.Helper()
	f.t.Errorf("unexpected call to %s", call)
	return fmt.Errorf("fakeAPI: unexpected call to %s", call)
}

func (f *fakeAPI) PassControl(_ context.Context, id string, req sunshine.PassControlRequest) error {
	if f.passControl == nil {
		return f.unexpected("PassControl")
	}
	return f.passControl(id, req)
}
func (f *fakeAPI) OfferControl(context.Context, string, sunshine.OfferControlRequest) error {
	return f.unexpected("OfferControl")
}
func (f *fakeAPI) AcceptControl(context.Context, string, sunshine.AcceptControlRequest) error {
	return f.unexpected("AcceptControl")
}
func (f *fakeAPI) ReleaseControl(context.Context, string, sunshine.ReleaseControlRequest) error {
	return f.unexpected("ReleaseControl")
}
func (f *fakeAPI) GetConversation(_ context.Context, id string) (*sunshine.Conversation, error) {
	if f.getConversation == nil {
		return nil, f.unexpected("GetConversation")
	}
	return f.getConversation(id)
}
func (f *fakeAPI) ListSwitchboards(context.Context) ([]sunshine.Switchboard, error) {
	return nil, f.unexpected("ListSwitchboards")
}
func (f *fakeAPI) ListSwitchboardIntegrations(context.Context, string) ([]sunshine.SwitchboardIntegration, error) {
	return nil, f.unexpected("ListSwitchboardIntegrations")
}

// fakeConnector hands out one fakeAPI.
type fakeConnector struct{ api SunshineAPI }

func (c fakeConnector) Connect(context.Context, *sbv1.Switchboard, bool) (SunshineAPI, string, error) {
	return c.api, "fake", nil
}
func (fakeConnector) Forget(types.NamespacedName) {}

func unitScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	utilruntime.Must(sbv1.AddToScheme(s))
	return s
}

func readySwitchboardObject() *sbv1.Switchboard {
	return &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "support"},
		Spec:       sbv1.SwitchboardSpec{AppID: "app"},
		Status: sbv1.SwitchboardStatus{
			Conditions:   []metav1.Condition{{Type: sbv1.ConditionReady, Status: metav1.ConditionTrue, Reason: sbv1.ReasonSwitchboardReady}},
			Integrations: []sbv1.SwitchboardIntegrationStatus{{ID: bot.ID, Name: bot.Name, Next: agents.Name}, {ID: agents.ID, Name: agents.Name}},
		},
	}
}

func TestReconcileMakesNoCallWhileSuspended(t *testing.T) {
	cc := &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: "vip", Namespace: "support", Generation: 2},
		Spec: sbv1.ConversationControlSpec{SwitchboardRef: sbv1.LocalObjectReference{Name: "acme"},
			ConversationID: "c1", State: sbv1.StateActive, Integration: "agent-workspace", Suspend: true},
	}
	c := fake.NewClientBuilder().WithScheme(unitScheme(t)).WithStatusSubresource(cc, &sbv1.Switchboard{}).
		WithObjects(cc, readySwitchboardObject()).Build()
	r := &ConversationControlReconciler{Client: c, Connector: fakeConnector{&fakeAPI{t: t}}}

	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "support", Name: "vip"}})
	if err != nil || res.RequeueAfter != 0 {
		t.Fatalf("Reconcile = %+v, %v; want no requeue and no error", res, err)
	}
	got := &sbv1.ConversationControl{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "support", Name: "vip"}, got); err != nil {
		t.Fatal(err)
	}
	if got.Status.ObservedGeneration != 2 {
		t.Errorf("observedGeneration = %d, want 2", got.Status.ObservedGeneration)
	}
	if len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Reason != sbv1.ReasonSuspended {
		t.Errorf("conditions = %+v, want only Ready=False Suspended", got.Status.Conditions)
	}
}

func TestReconcileStallsOnAnUnknownIntegrationWithoutCallingTheAPI(t *testing.T) {
	cc := &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: "vip", Namespace: "support", Generation: 1},
		Spec: sbv1.ConversationControlSpec{SwitchboardRef: sbv1.LocalObjectReference{Name: "acme"},
			ConversationID: "c1", State: sbv1.StateActive, Integration: "agnet-workspace"},
	}
	c := fake.NewClientBuilder().WithScheme(unitScheme(t)).WithStatusSubresource(cc, &sbv1.Switchboard{}).
		WithObjects(cc, readySwitchboardObject()).
		WithIndex(&sbv1.ConversationControl{}, conversationIDIndex, func(o client.Object) []string {
			return []string{o.(*sbv1.ConversationControl).Spec.ConversationID}
		}).Build()
	r := &ConversationControlReconciler{Client: c, Connector: fakeConnector{&fakeAPI{t: t}}}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "support", Name: "vip"}}); err != nil {
		t.Fatal(err)
	}
	got := &sbv1.ConversationControl{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "support", Name: "vip"}, got); err != nil {
		t.Fatal(err)
	}
	stalled := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionStalled)
	if stalled == nil || stalled.Reason != sbv1.ReasonIntegrationNotFound {
		t.Fatalf("Stalled = %+v, want reason IntegrationNotFound", stalled)
	}
}

// recordedEvents is an events.EventRecorder that keeps the reasons and notes.
type recordedEvents struct{ events []string }

func (r *recordedEvents) Eventf(_ runtime.Object, _ runtime.Object, eventType, reason, _, note string, args ...any) {
	r.events = append(r.events, eventType+" "+reason+": "+fmt.Sprintf(note, args...))
}

// deletingControl is an object being deleted with deletionPolicy Release, whose pass put
// agent-workspace where it is.
func deletingControl(name string, created time.Time) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "support", Generation: 1, UID: types.UID("uid-" + name),
			CreationTimestamp: metav1.NewTime(created), DeletionTimestamp: &metav1.Time{Time: now}, Finalizers: []string{sbv1.FinalizerRelease}},
		Spec: sbv1.ConversationControlSpec{SwitchboardRef: sbv1.LocalObjectReference{Name: "acme"}, ConversationID: "c1",
			State: sbv1.StateActive, Integration: "agent-workspace", DeletionPolicy: sbv1.DeletionPolicyRelease},
		Status: sbv1.ConversationControlStatus{LastAppliedAction: &sbv1.AppliedAction{Action: sbv1.ActionPassControl,
			State: sbv1.StateActive, Integration: "agent-workspace", Generation: 1, Reached: agents}},
	}
}

func unitClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	return fake.NewClientBuilder().WithScheme(unitScheme(t)).WithStatusSubresource(&sbv1.ConversationControl{}, &sbv1.Switchboard{}).
		WithObjects(objs...).
		WithIndex(&sbv1.ConversationControl{}, conversationIDIndex, func(o client.Object) []string {
			return []string{o.(*sbv1.ConversationControl).Spec.ConversationID}
		}).Build()
}

// Issue scenario 9: deletion with Release whose Switchboard is gone ends at once, with a
// Warning that says the release was skipped and why.
func TestDeletionWithoutSwitchboardEndsPromptlyWithAWarning(t *testing.T) {
	cc := deletingControl("vip", now.Add(-time.Hour))
	c := unitClient(t, cc)
	rec := &recordedEvents{}
	r := &ConversationControlReconciler{Client: c, Connector: fakeConnector{&fakeAPI{t: t}}, Recorder: rec, Now: func() time.Time { return now },
		DeletionTimeout: time.Hour}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cc)})
	if err != nil || res.RequeueAfter != 0 {
		t.Fatalf("Reconcile = %+v, %v; want done at once", res, err)
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(cc), &sbv1.ConversationControl{}); err == nil {
		t.Fatalf("the object is still there: the finalizer was not removed")
	}
	if len(rec.events) != 1 || !strings.Contains(rec.events[0], "Warning ReleaseSkipped") || !strings.Contains(rec.events[0], "Switchboard acme does not exist") {
		t.Fatalf("events = %q, want one Warning ReleaseSkipped naming the missing Switchboard", rec.events)
	}
}

// Issue scenario 6: a Conflict loser that acted earlier makes no call on delete (the fake
// API fails the test on any call), and says why.
func TestDeletionOfAConflictLoserMakesNoCall(t *testing.T) {
	winner := deletingControl("winner", now.Add(-2*time.Hour))
	winner.DeletionTimestamp, winner.Finalizers = nil, nil
	loser := deletingControl("loser", now.Add(-time.Hour))
	c := unitClient(t, winner, loser, readySwitchboardObject())
	rec := &recordedEvents{}
	r := &ConversationControlReconciler{Client: c, Connector: fakeConnector{&fakeAPI{t: t}}, Recorder: rec, Now: func() time.Time { return now },
		DeletionTimeout: time.Hour}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(loser)}); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 1 || !strings.Contains(rec.events[0], "ConversationControl winner, created earlier") {
		t.Fatalf("events = %q, want the release skipped because of the older claim", rec.events)
	}
}

// A pass whose cache is older than the reconciler's own last write of the object makes no
// call and writes nothing (the fake API fails the test on any call).
func TestReconcileWaitsForACacheBehindItsOwnWrite(t *testing.T) {
	cc := &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: "vip", Namespace: "support", Generation: 1, UID: "uid-vip"},
		Spec: sbv1.ConversationControlSpec{SwitchboardRef: sbv1.LocalObjectReference{Name: "acme"}, ConversationID: "c1",
			State: sbv1.StateActive, Integration: "agent-workspace"},
	}
	c := unitClient(t, cc, readySwitchboardObject())
	stale := &sbv1.ConversationControl{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(cc), stale); err != nil {
		t.Fatal(err)
	}
	current := stale.DeepCopy()
	current.Status.ObservedGeneration = 1
	if err := c.Status().Update(context.Background(), current); err != nil {
		t.Fatal(err)
	}
	r := &ConversationControlReconciler{Client: &staleReader{Client: c, stale: map[types.NamespacedName]*sbv1.ConversationControl{
		client.ObjectKeyFromObject(cc): stale}}, Connector: fakeConnector{&fakeAPI{t: t}}}
	r.written.record(current)
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cc)})
	if err != nil || res.RequeueAfter <= 0 {
		t.Fatalf("Reconcile = %+v, %v; want a silent requeue", res, err)
	}
}

// Issue scenario 7: a transient error refreshing a Switchboard keeps it Ready with its last
// listing; Reconciling=True says why.
func TestSwitchboardStaysReadyOnATransientRefreshError(t *testing.T) {
	sb := readySwitchboardObject()
	sb.Generation, sb.Status.ObservedGeneration, sb.Status.SwitchboardID = 1, 1, "sw"
	c := unitClient(t, sb)
	api := &fakeAPI{t: t}
	r := &SwitchboardReconciler{Client: c, Connector: listFailing{api}, Now: func() time.Time { return now }, SecretCheckInterval: time.Minute}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(sb)}); err == nil {
		t.Fatalf("want a retry with backoff")
	}
	got := &sbv1.Switchboard{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(sb), got); err != nil {
		t.Fatal(err)
	}
	if !meta.IsStatusConditionTrue(got.Status.Conditions, sbv1.ConditionReady) || len(got.Status.Integrations) != 2 {
		t.Fatalf("Ready or the listing was lost: %+v", got.Status)
	}
	if rc := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionReconciling); rc == nil || rc.Reason != sbv1.ReasonAPIUnavailable {
		t.Fatalf("Reconciling = %+v, want True APIUnavailable", rc)
	}
}

// listFailing connects to an API whose listing fails with a 503.
type listFailing struct{ *fakeAPI }

func (l listFailing) Connect(context.Context, *sbv1.Switchboard, bool) (SunshineAPI, string, error) {
	return l, "fp", nil
}
func (listFailing) Forget(types.NamespacedName) {}
func (listFailing) ListSwitchboards(context.Context) ([]sunshine.Switchboard, error) {
	return nil, &sunshine.APIError{Operation: "listSwitchboards", StatusCode: 503}
}

// claimsWorld is a victim in namespace "support" and an older object on the same
// conversation in namespace "other", whose Switchboard claims the same app.
func claimsWorld(t *testing.T, peerReady bool, peerEndpoint string) (*ConversationControlReconciler, *sbv1.ConversationControl, *sbv1.Switchboard) {
	t.Helper()
	sb := readySwitchboardObject()
	sb.Spec.Endpoint = "https://acme.zendesk.com/sc"
	peerSB := readySwitchboardObject()
	peerSB.Namespace, peerSB.Spec.Endpoint = "other", peerEndpoint
	if !peerReady {
		peerSB.Status.Conditions = []metav1.Condition{{Type: sbv1.ConditionReady, Status: metav1.ConditionFalse, Reason: sbv1.ReasonUnauthorized}}
	}
	peer := deletingControl("squatter", now.Add(-2*time.Hour))
	peer.Namespace, peer.DeletionTimestamp, peer.Finalizers = "other", nil, nil
	victim := deletingControl("vip", now.Add(-time.Hour))
	victim.DeletionTimestamp, victim.Finalizers = nil, nil
	c := unitClient(t, sb, peerSB, peer, victim)
	return &ConversationControlReconciler{Client: c}, victim, sb
}

// Issue 10, finding 2: a claim from another namespace counts only when its Switchboard is
// Ready on the same endpoint and app, and the message never names it.
func TestOlderClaimsFromAnotherNamespaceCannotBeSpoofed(t *testing.T) {
	cases := []struct {
		name         string
		peerReady    bool
		peerEndpoint string
		wantClaim    bool
	}{
		{"a Switchboard that is not Ready (no working credentials) makes no claim", false, "https://acme.zendesk.com/sc", false},
		{"a Ready Switchboard on another endpoint makes no claim", true, "https://evil.example.com/sc", false},
		{"a Ready Switchboard on the same endpoint and app claims it, unnamed", true, "https://acme.zendesk.com/sc/", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, victim, sb := claimsWorld(t, tc.peerReady, tc.peerEndpoint)
			claim, err := r.olderClaim(context.Background(), victim, sb)
			if err != nil {
				t.Fatal(err)
			}
			if (claim != "") != tc.wantClaim {
				t.Fatalf("claim = %q, want a claim: %v", claim, tc.wantClaim)
			}
			if strings.Contains(claim, "squatter") || strings.Contains(claim, "other") && !strings.Contains(claim, "another namespace") {
				t.Fatalf("the message names an object of another namespace: %q", claim)
			}
		})
	}
}
