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

// Package world is the test world that the envtest suites and the benchmark share: the
// simulator's seed (one app with its key and a switchboard that links bot ->
// agent-workspace -> bot, bot the default) and the Kubernetes objects that connect the
// operator to it (a Secret holding the key and a Basic-auth Switchboard). It builds
// objects and waits for them; it starts nothing itself, so each caller keeps its own
// envtest, simulator and manager.
package world

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The integrations of the world's switchboard.
const (
	// IntegrationBot is the default integration, a custom integration (the bot).
	IntegrationBot = "bot"
	// IntegrationAgent is the Zendesk Agent Workspace.
	IntegrationAgent = "agent-workspace"
)

// The keys of the Secret that a Switchboard's spec.auth.secretRef names, as the operator
// reads them (the product contract: `keyId` and `secret`).
const (
	SecretKeyID     = "keyId"
	SecretKeySecret = "secret"
)

// World is one app of the simulator and the names of the objects that reach it.
type World struct {
	// AppID is the app's id in the simulator and the Switchboard's spec.appId.
	AppID string
	// KeyID and KeySecret are the app's API key; the Secret carries them. KeySecret is a
	// test credential, known to the simulator only.
	KeyID, KeySecret string
	// SecretName and SwitchboardName name the Secret and the Switchboard in a namespace.
	SecretName, SwitchboardName string
	// Integrations are the app's switchboard integrations; the first is the default.
	Integrations []sunshinetest.IntegrationSeed
}

// New is the world of one app with the given key: a Secret named "sunshine-key", a
// Switchboard named switchboardName, and the integrations bot -> agent-workspace -> bot.
func New(appID, keyID, keySecret, switchboardName string) World {
	return World{
		AppID: appID, KeyID: keyID, KeySecret: keySecret, SecretName: "sunshine-key", SwitchboardName: switchboardName,
		Integrations: []sunshinetest.IntegrationSeed{
			{Name: IntegrationBot, IntegrationType: "custom", Next: IntegrationAgent},
			{Name: IntegrationAgent, IntegrationType: "zd:agentWorkspace", Next: IntegrationBot},
		},
	}
}

// Seed is the simulator's seed of the world, with the given conversations in the app.
func (w World) Seed(conversations ...sunshinetest.ConversationSeed) sunshinetest.Seed {
	app := sunshinetest.AppSeed{
		ID:            w.AppID,
		Keys:          []sunshinetest.KeySeed{{ID: w.KeyID, Secret: w.KeySecret, Scope: sunshinetest.ScopeApp}},
		Switchboard:   &sunshinetest.SwitchboardSeed{Enabled: true, Integrations: append([]sunshinetest.IntegrationSeed(nil), w.Integrations...)},
		Conversations: conversations,
	}
	if len(w.Integrations) > 0 {
		app.Switchboard.Default = w.Integrations[0].Name
	}
	return sunshinetest.Seed{Apps: []sunshinetest.AppSeed{app}}
}

// Secret is the Secret of namespace that holds the app's key (in data, as the API server
// stores it, so that fake clients hold it the same way).
func (w World) Secret(namespace string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: w.SecretName, Namespace: namespace},
		Data:       map[string][]byte{SecretKeyID: []byte(w.KeyID), SecretKeySecret: []byte(w.KeySecret)},
	}
}

// Switchboard is the Basic-auth Switchboard of namespace for the app at endpoint (the
// simulator's URL), with the given vendor rate limit.
func (w World) Switchboard(namespace, endpoint string, limit sbv1.RateLimit) *sbv1.Switchboard {
	return &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: w.SwitchboardName, Namespace: namespace},
		Spec: sbv1.SwitchboardSpec{
			Endpoint:  endpoint,
			AppID:     w.AppID,
			Auth:      sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: w.SecretName}},
			RateLimit: limit,
		},
	}
}

// Create creates the namespace (unless it exists), the Secret and the Switchboard for the
// app at endpoint.
func (w World) Create(ctx context.Context, c client.Client, namespace, endpoint string, limit sbv1.RateLimit) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	for _, obj := range []client.Object{w.Secret(namespace), w.Switchboard(namespace, endpoint, limit)} {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %T %s/%s: %w", obj, namespace, obj.GetName(), err)
		}
	}
	return nil
}

// WaitSwitchboardReady polls the Switchboard of namespace every interval until the operator
// has made it Ready, or ctx ends; the error then gives its last conditions.
func (w World) WaitSwitchboardReady(ctx context.Context, c client.Client, namespace string, interval time.Duration) error {
	sb := &sbv1.Switchboard{}
	key := client.ObjectKey{Namespace: namespace, Name: w.SwitchboardName}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lastErr error
	for {
		lastErr = c.Get(ctx, key, sb)
		if lastErr == nil && meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for Switchboard %s to be Ready (conditions %v): %w", key, sb.Status.Conditions,
				errors.Join(ctx.Err(), lastErr))
		case <-tick.C:
		}
	}
}
