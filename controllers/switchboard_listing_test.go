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

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// listingAPI answers the two listing calls of a Switchboard reconcile; every other call
// fails the test.
type listingAPI struct {
	t            *testing.T
	switchboard  sunshine.Switchboard
	integrations []sunshine.SwitchboardIntegration
}

func (a *listingAPI) unexpected(call string) error {
	a.t.Helper()
	a.t.Errorf("unexpected call to %s", call)
	return nil
}

func (a *listingAPI) PassControl(context.Context, string, sunshine.PassControlRequest) error {
	return a.unexpected("PassControl")
}
func (a *listingAPI) OfferControl(context.Context, string, sunshine.OfferControlRequest) error {
	return a.unexpected("OfferControl")
}
func (a *listingAPI) AcceptControl(context.Context, string, sunshine.AcceptControlRequest) error {
	return a.unexpected("AcceptControl")
}
func (a *listingAPI) ReleaseControl(context.Context, string, sunshine.ReleaseControlRequest) error {
	return a.unexpected("ReleaseControl")
}
func (a *listingAPI) GetConversation(context.Context, string) (*sunshine.Conversation, error) {
	return nil, a.unexpected("GetConversation")
}
func (a *listingAPI) ListSwitchboards(context.Context) ([]sunshine.Switchboard, error) {
	return []sunshine.Switchboard{a.switchboard}, nil
}
func (a *listingAPI) ListSwitchboardIntegrations(_ context.Context, id string) ([]sunshine.SwitchboardIntegration, error) {
	if id != a.switchboard.ID {
		a.t.Errorf("listed the integrations of switchboard %q, want %q", id, a.switchboard.ID)
	}
	return a.integrations, nil
}

// listingConnector hands out one SunshineAPI.
type listingConnector struct{ api SunshineAPI }

func (c listingConnector) Connect(context.Context, *sbv1.Switchboard, bool) (SunshineAPI, string, error) {
	return c.api, "listing", nil
}
func (listingConnector) Forget(types.NamespacedName) {}

// reconcileListing reconciles a Switchboard whose status holds a previous listing
// against an API that lists integrations, and returns the Switchboard as stored.
func reconcileListing(t *testing.T, integrations []sunshine.SwitchboardIntegration) *sbv1.Switchboard {
	t.Helper()
	sb := &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "support", Generation: 2},
		Spec:       sbv1.SwitchboardSpec{Endpoint: "https://acme.zendesk.com/sc", AppID: "app"},
		Status: sbv1.SwitchboardStatus{ObservedGeneration: 1, SwitchboardID: "sb-old",
			Integrations: []sbv1.SwitchboardIntegrationStatus{{ID: "old-1", Name: "bot"}}},
	}
	c := fake.NewClientBuilder().WithScheme(unitScheme(t)).WithStatusSubresource(sb).WithObjects(sb).Build()
	api := &listingAPI{t: t, switchboard: sunshine.Switchboard{ID: "sb-1", Enabled: true, DefaultSwitchboardIntegrationID: "id-0"}, integrations: integrations}
	r := &SwitchboardReconciler{Client: c, Connector: listingConnector{api}}
	key := types.NamespacedName{Namespace: "support", Name: "acme"}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	got := &sbv1.Switchboard{}
	if err := c.Get(context.Background(), key, got); err != nil {
		t.Fatal(err)
	}
	return got
}

// integrationsNamed lists one integration per name, each linked to the next one.
func integrationsNamed(names ...string) []sunshine.SwitchboardIntegration {
	out := make([]sunshine.SwitchboardIntegration, len(names))
	for i, name := range names {
		out[i] = sunshine.SwitchboardIntegration{ID: fmt.Sprintf("id-%d", i), Name: name, IntegrationType: "custom", IntegrationID: fmt.Sprintf("int-%d", i)}
		if i+1 < len(names) {
			out[i].NextSwitchboardIntegrationID = fmt.Sprintf("id-%d", i+1)
		}
	}
	return out
}

func TestSwitchboardStatusListsAtMostTheVendorsLimit(t *testing.T) {
	long := strings.Repeat("n", sbv1.MaxIntegrationFieldLength)
	tests := []struct {
		name         string
		integrations []sunshine.SwitchboardIntegration
		wantMessage  string // "" means Ready
	}{
		{name: "ten integrations with fields of 128 characters are listed",
			integrations: func() []sunshine.SwitchboardIntegration {
				list := integrationsNamed("j", "i", "h", "g", "f", "e", "d", "c", "b", long)
				list[0].IntegrationType, list[0].IntegrationID, list[0].ID = long, long, strings.Repeat("i", 128)
				return list
			}()},
		{name: "eleven integrations are refused", integrations: integrationsNamed("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"),
			wantMessage: "the API listed 11 switchboard integrations, more than the 10 a switchboard can have"},
		{name: "a name of 129 characters is refused", integrations: integrationsNamed("bot", long+"é"),
			wantMessage: "the API listed a switchboard integration name of 129 characters, more than the 128 allowed"},
		{name: "an id of 129 characters is refused", integrations: func() []sunshine.SwitchboardIntegration {
			list := integrationsNamed("bot")
			list[0].ID = long + "x"
			return list
		}(), wantMessage: "the API listed a switchboard integration id of 129 characters, more than the 128 allowed"},
		{name: "an integrationType of 129 characters is refused", integrations: func() []sunshine.SwitchboardIntegration {
			list := integrationsNamed("bot")
			list[0].IntegrationType = long + "x"
			return list
		}(), wantMessage: "the API listed a switchboard integration integrationType of 129 characters, more than the 128 allowed"},
		{name: "an integrationId of 129 characters is refused", integrations: func() []sunshine.SwitchboardIntegration {
			list := integrationsNamed("bot")
			list[0].IntegrationID = long + "x"
			return list
		}(), wantMessage: "the API listed a switchboard integration integrationId of 129 characters, more than the 128 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reconcileListing(t, tt.integrations)
			if tt.wantMessage == "" {
				checkListed(t, got, len(tt.integrations))
				return
			}
			checkListingRefused(t, got, tt.wantMessage)
		})
	}
}

// checkListed checks a Switchboard that is Ready and lists n integrations.
func checkListed(t *testing.T, got *sbv1.Switchboard, n int) {
	t.Helper()
	stalled := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionStalled)
	ready := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionReady)
	if stalled != nil || ready == nil || ready.Status != metav1.ConditionTrue {
		t.Fatalf("conditions = %+v, want Ready", got.Status.Conditions)
	}
	if len(got.Status.Integrations) != n {
		t.Fatalf("status lists %d integrations, want %d", len(got.Status.Integrations), n)
	}
}

// checkListingRefused checks a Switchboard whose listing was refused with message: Stalled
// and not Ready with reason InvalidResponse, the previous listing kept.
func checkListingRefused(t *testing.T, got *sbv1.Switchboard, message string) {
	t.Helper()
	stalled := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionStalled)
	ready := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionReady)
	if stalled == nil || stalled.Reason != sbv1.ReasonInvalidResponse || stalled.Message != message {
		t.Fatalf("Stalled = %+v, want reason %s with message %q", stalled, sbv1.ReasonInvalidResponse, message)
	}
	if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != sbv1.ReasonInvalidResponse {
		t.Errorf("Ready = %+v, want False %s", ready, sbv1.ReasonInvalidResponse)
	}
	if got.Status.SwitchboardID != "sb-old" || len(got.Status.Integrations) != 1 || got.Status.Integrations[0].ID != "old-1" {
		t.Errorf("status = %+v, want the previous listing kept", got.Status)
	}
}

func TestSwitchboardStatusSortsIntegrationsByName(t *testing.T) {
	got := reconcileListing(t, integrationsNamed("zendesk", "agent", "bot"))
	names := make([]string, 0, len(got.Status.Integrations))
	next := make([]string, 0, len(got.Status.Integrations))
	for _, i := range got.Status.Integrations {
		names = append(names, i.Name)
		next = append(next, i.Next)
	}
	if strings.Join(names, ",") != "agent,bot,zendesk" {
		t.Errorf("integrations in order %v, want sorted by name", names)
	}
	if strings.Join(next, ",") != "bot,,agent" {
		t.Errorf("next links %v, want each integration's own next kept through the sort", next)
	}
	if got.Status.DefaultIntegration != "zendesk" {
		t.Errorf("default integration = %q, want zendesk", got.Status.DefaultIntegration)
	}
}
