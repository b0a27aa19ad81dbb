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

func applied(action sbv1.Action, state sbv1.ControlState, integration string, reached *sbv1.IntegrationReference, ago time.Duration) *sbv1.AppliedAction {
	return &sbv1.AppliedAction{Action: action, State: state, Integration: integration, Generation: 1,
		Time: metav1.NewTime(now.Add(-ago)), Reached: reached}
}

func TestDecide(t *testing.T) {
	active := func(x *sbv1.IntegrationReference) desired {
		return desired{State: sbv1.StateActive, Integration: x.Name, Target: x}
	}
	offered := func(x *sbv1.IntegrationReference) desired {
		return desired{State: sbv1.StateOffered, Integration: x.Name, Target: x}
	}
	released := desired{State: sbv1.StateReleased}
	nextTo := func(x *sbv1.IntegrationReference) desired {
		return desired{State: sbv1.StateActive, Integration: sbv1.IntegrationNext, Target: x, Next: true}
	}
	poll := 5 * time.Minute

	cases := []struct {
		name   string
		in     decisionInput
		action sbv1.Action
		inSync bool
		reason string
	}{
		// PRODUCT.md's table, row by row.
		{name: "Active X with X pending accepts the offer",
			in:     decisionInput{Desired: active(agents), Live: sbv1.LiveState{Active: bot, Pending: agents}},
			action: sbv1.ActionAcceptControl},
		{name: "Active X with X already active does nothing",
			in:     decisionInput{Desired: active(agents), Live: sbv1.LiveState{Active: agents}},
			inSync: true, reason: sbv1.ReasonSucceeded},
		{name: "Active X with another integration active passes control",
			in:     decisionInput{Desired: active(agents), Live: sbv1.LiveState{Active: bot}},
			action: sbv1.ActionPassControl},
		{name: "Active X with nothing active passes control",
			in:     decisionInput{Desired: active(agents)},
			action: sbv1.ActionPassControl},
		{name: "Active X with another integration pending passes control",
			in:     decisionInput{Desired: active(agents), Live: sbv1.LiveState{Pending: bot}},
			action: sbv1.ActionPassControl},
		{name: "Offered X with X already pending does nothing",
			in:     decisionInput{Desired: offered(agents), Live: sbv1.LiveState{Active: bot, Pending: agents}},
			inSync: true, reason: sbv1.ReasonSucceeded},
		{name: "Offered X with X already active does nothing and says so",
			in:     decisionInput{Desired: offered(agents), Live: sbv1.LiveState{Active: agents}},
			inSync: true, reason: sbv1.ReasonAlreadyActive},
		{name: "Offered X otherwise offers control",
			in:     decisionInput{Desired: offered(agents), Live: sbv1.LiveState{Active: bot}},
			action: sbv1.ActionOfferControl},
		{name: "Released with nothing active or pending does nothing",
			in:     decisionInput{Desired: released},
			inSync: true, reason: sbv1.ReasonSucceeded},
		{name: "Released with an active integration releases control",
			in:     decisionInput{Desired: released, Live: sbv1.LiveState{Active: bot}},
			action: sbv1.ActionReleaseControl},
		{name: "Released with only a pending integration releases control",
			in:     decisionInput{Desired: released, Live: sbv1.LiveState{Pending: agents}},
			action: sbv1.ActionReleaseControl},

		// next.
		{name: "next not yet applied passes control (one hop)",
			in:     decisionInput{Desired: nextTo(agents), Live: sbv1.LiveState{Active: bot}},
			action: sbv1.ActionPassControl},
		{name: "next already applied and still in place does nothing",
			in: decisionInput{Desired: desired{State: sbv1.StateActive, Integration: sbv1.IntegrationNext, Target: agents},
				LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, sbv1.IntegrationNext, agents, time.Minute),
				Live:        sbv1.LiveState{Active: agents}},
			inSync: true, reason: sbv1.ReasonSucceeded},
		{name: "next already applied, moved away, Report: reports and does not hop again",
			in: decisionInput{Desired: desired{State: sbv1.StateActive, Integration: sbv1.IntegrationNext, Target: agents},
				LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, sbv1.IntegrationNext, agents, time.Hour),
				Live:        sbv1.LiveState{Active: bot}, DriftPolicy: sbv1.DriftPolicyReport, PollInterval: poll, Now: now},
			reason: sbv1.ReasonSucceeded},

		// Drift.
		{name: "drift with Report is only reported",
			in: decisionInput{Desired: active(agents), LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, time.Hour),
				Live: sbv1.LiveState{Active: bot}, DriftPolicy: sbv1.DriftPolicyReport, PollInterval: poll, Now: now},
			reason: sbv1.ReasonSucceeded},
		{name: "drift with Enforce re-applies once the poll interval has passed",
			in: decisionInput{Desired: active(agents), LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, poll),
				Live: sbv1.LiveState{Active: bot}, DriftPolicy: sbv1.DriftPolicyEnforce, PollInterval: poll, Now: now},
			action: sbv1.ActionPassControl},
		{name: "drift with Enforce waits within the poll interval",
			in: decisionInput{Desired: active(agents), LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, time.Minute),
				Live: sbv1.LiveState{Active: bot}, DriftPolicy: sbv1.DriftPolicyEnforce, PollInterval: poll, Now: now},
			reason: sbv1.ReasonSucceeded},
		{name: "drift with a new requestedAt re-applies whatever the policy",
			in: decisionInput{Desired: active(agents), LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, time.Second),
				Live: sbv1.LiveState{Active: bot}, DriftPolicy: sbv1.DriftPolicyReport, PollInterval: poll, ReapplyRequested: true, Now: now},
			action: sbv1.ActionPassControl},
		{name: "a new requestedAt with no drift does nothing",
			in: decisionInput{Desired: active(agents), LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, time.Second),
				Live: sbv1.LiveState{Active: agents}, ReapplyRequested: true, Now: now},
			inSync: true, reason: sbv1.ReasonSucceeded},
		{name: "an accepted offer is not drift",
			in: decisionInput{Desired: offered(agents), LastApplied: applied(sbv1.ActionOfferControl, sbv1.StateOffered, "agent-workspace", agents, time.Hour),
				Live: sbv1.LiveState{Active: agents}, DriftPolicy: sbv1.DriftPolicyEnforce, PollInterval: poll, Now: now},
			inSync: true, reason: sbv1.ReasonAlreadyActive},
		{name: "a new declaration is applied even where the last one drifted",
			in: decisionInput{Desired: active(bot), LastApplied: applied(sbv1.ActionPassControl, sbv1.StateActive, "agent-workspace", agents, time.Second),
				Live: sbv1.LiveState{Active: agents}, DriftPolicy: sbv1.DriftPolicyReport, PollInterval: poll, Now: now},
			action: sbv1.ActionPassControl},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := decide(tc.in)
			if got.Action != tc.action {
				t.Errorf("action = %q, want %q", got.Action, tc.action)
			}
			if got.InSync != tc.inSync {
				t.Errorf("inSync = %v, want %v", got.InSync, tc.inSync)
			}
			if tc.action == "" && got.ReadyReason != tc.reason {
				t.Errorf("ready reason = %q, want %q", got.ReadyReason, tc.reason)
			}
		})
	}
}

func TestActionLanded(t *testing.T) {
	before := &sbv1.LiveState{Active: bot}
	cases := []struct {
		name   string
		action *sbv1.AppliedAction
		live   sbv1.LiveState
		want   bool
	}{
		{"a pass that reached its target landed", &sbv1.AppliedAction{Action: sbv1.ActionPassControl, Reached: agents, Before: before},
			sbv1.LiveState{Active: agents}, true},
		{"a pass with the conversation unchanged did not land", &sbv1.AppliedAction{Action: sbv1.ActionPassControl, Reached: agents, Before: before},
			sbv1.LiveState{Active: bot}, false},
		{"a pass after which the conversation moved elsewhere counts as landed (never hop twice)",
			&sbv1.AppliedAction{Action: sbv1.ActionPassControl, Reached: agents, Before: before},
			sbv1.LiveState{Active: &sbv1.IntegrationReference{ID: "si-partner"}}, true},
		{"an offer landed when its target is pending", &sbv1.AppliedAction{Action: sbv1.ActionOfferControl, Reached: agents, Before: before},
			sbv1.LiveState{Active: bot, Pending: agents}, true},
		{"a release landed when nothing is active", &sbv1.AppliedAction{Action: sbv1.ActionReleaseControl, Before: before},
			sbv1.LiveState{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := actionLanded(tc.action, tc.live); got != tc.want {
				t.Errorf("actionLanded = %v, want %v", got, tc.want)
			}
		})
	}
}

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
	return nil
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
