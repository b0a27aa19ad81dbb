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

package world_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/controllers"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
	"github.com/switchboard-operator/switchboard-operator/test/world"
)

const testKeySecret = "world-test-secret-value"

func newWorld() world.World { return world.New("app-world", "app_world_key", testKeySecret, "acme") }

func newFakeClient(t *testing.T) client.WithWatch {
	t.Helper()
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(sbv1.AddToScheme(scheme))
	return fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&sbv1.Switchboard{}).Build()
}

func TestSecretKeysAreTheOnesTheOperatorReads(t *testing.T) {
	if world.SecretKeyID != controllers.SecretKeyID || world.SecretKeySecret != controllers.SecretKeySecret {
		t.Errorf("world's Secret keys %q, %q; the operator reads %q, %q",
			world.SecretKeyID, world.SecretKeySecret, controllers.SecretKeyID, controllers.SecretKeySecret)
	}
}

// The objects and the seed fit together: the operator's own connector, reading the
// world's Secret for the world's Switchboard, gets a client that the simulator seeded
// with the world accepts.
func TestTheOperatorsConnectorReachesTheSeededAppWithTheWorldsObjects(t *testing.T) {
	w := newWorld()
	sim, err := sunshinetest.NewServer(w.Seed(sunshinetest.ConversationSeed{ID: "conv-1", Active: world.IntegrationBot}))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	c := newFakeClient(t)
	if err := w.Create(ctx, c, "ns", sim.URL, sbv1.RateLimit{RequestsPerSecond: 10, Burst: 10}); err != nil {
		t.Fatal(err)
	}
	sb := &sbv1.Switchboard{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "acme"}, sb); err != nil {
		t.Fatal(err)
	}
	connector := &controllers.SecretConnector{Reader: c, AllowedHosts: controllers.MustHostAllowList("127.0.0.1"), Timeout: 5 * time.Second}
	api, _, err := connector.Connect(ctx, sb, false)
	if err != nil {
		t.Fatalf("connecting with the world's Switchboard and Secret: %v", err)
	}
	conv, err := api.GetConversation(ctx, "conv-1")
	if err != nil {
		t.Fatalf("reading the seeded conversation: %v", err)
	}
	if conv.Active == nil || conv.Active.Name != world.IntegrationBot {
		t.Errorf("conversation's active integration = %+v, want %s", conv.Active, world.IntegrationBot)
	}
	switchboards, err := api.ListSwitchboards(ctx)
	if err != nil || len(switchboards) != 1 {
		t.Fatalf("ListSwitchboards = %v, %v", switchboards, err)
	}
	integrations, err := api.ListSwitchboardIntegrations(ctx, switchboards[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]string{}
	for _, i := range integrations {
		next[i.Name] = i.NextSwitchboardIntegrationID
	}
	if len(next) != 2 || next[world.IntegrationBot] == "" || next[world.IntegrationAgent] == "" {
		t.Errorf("integrations = %+v, want bot and agent-workspace, each with a next", integrations)
	}

	// A key the simulator does not know is refused: the Secret's key is what got in.
	wrong := w
	wrong.KeySecret = "not-the-key"
	if err := c.Update(ctx, wrong.Secret("ns")); err != nil {
		t.Fatal(err)
	}
	api, _, err = connector.Connect(ctx, sb, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetConversation(ctx, "conv-1"); err == nil {
		t.Error("the simulator accepted a key it was not seeded with")
	}
}

func TestCreateKeepsAnExistingNamespaceAndNamesWhatFailed(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t)
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}}); err != nil {
		t.Fatal(err)
	}
	w := newWorld()
	limit := sbv1.RateLimit{RequestsPerSecond: 5, Burst: 7}
	if err := w.Create(ctx, c, "ns", "http://127.0.0.1:1", limit); err != nil {
		t.Fatalf("Create in an existing namespace: %v", err)
	}
	sb := &sbv1.Switchboard{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "acme"}, sb); err != nil {
		t.Fatal(err)
	}
	if sb.Spec.AppID != "app-world" || sb.Spec.Auth.SecretRef.Name != w.SecretName || sb.Spec.Auth.Type != sbv1.AuthTypeBasic ||
		sb.Spec.RateLimit != limit || sb.Spec.Endpoint != "http://127.0.0.1:1" {
		t.Errorf("Switchboard spec = %+v", sb.Spec)
	}
	err := w.Create(ctx, c, "ns", "http://127.0.0.1:1", limit)
	if err == nil || !strings.Contains(err.Error(), "ns/sunshine-key") {
		t.Errorf("second Create = %v, want an error naming the Secret ns/sunshine-key", err)
	}
}

func TestWaitSwitchboardReadyWaitsForReadyAndGivesTheConditionsOnTimeout(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t)
	w := newWorld()
	if err := w.Create(ctx, c, "ns", "http://127.0.0.1:1", sbv1.RateLimit{RequestsPerSecond: 1, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	setReady := func(status metav1.ConditionStatus, reason string) {
		t.Helper()
		sb := &sbv1.Switchboard{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "acme"}, sb); err != nil {
			t.Fatal(err)
		}
		meta.SetStatusCondition(&sb.Status.Conditions, metav1.Condition{Type: sbv1.ConditionReady, Status: status, Reason: reason, Message: reason})
		if err := c.Status().Update(ctx, sb); err != nil {
			t.Fatal(err)
		}
	}
	setReady(metav1.ConditionFalse, "Connecting")
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := w.WaitSwitchboardReady(short, c, "ns", 5*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "ns/acme") || !strings.Contains(err.Error(), "Connecting") {
		t.Errorf("WaitSwitchboardReady on a Switchboard that is not Ready = %v, want an error naming it and its reason", err)
	}
	setReady(metav1.ConditionTrue, sbv1.ReasonSucceeded)
	if err := w.WaitSwitchboardReady(ctx, c, "ns", 5*time.Millisecond); err != nil {
		t.Errorf("WaitSwitchboardReady on a Ready Switchboard = %v", err)
	}
}
