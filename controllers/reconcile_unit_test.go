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
