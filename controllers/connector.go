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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	switchboardv1alpha1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// Secret keys holding the API key of a Switchboard.
const (
	SecretKeyID     = "keyId"
	SecretKeySecret = "secret"
)

// SunshineAPI is what the reconcilers need of the vendor's API. *sunshine.Client
// implements it; unit tests use a fake.
type SunshineAPI interface {
	PassControl(ctx context.Context, conversationID string, req sunshine.PassControlRequest) error
	OfferControl(ctx context.Context, conversationID string, req sunshine.OfferControlRequest) error
	AcceptControl(ctx context.Context, conversationID string, req sunshine.AcceptControlRequest) error
	ReleaseControl(ctx context.Context, conversationID string, req sunshine.ReleaseControlRequest) error
	GetConversation(ctx context.Context, conversationID string) (*sunshine.Conversation, error)
	ListSwitchboards(ctx context.Context) ([]sunshine.Switchboard, error)
	ListSwitchboardIntegrations(ctx context.Context, switchboardID string) ([]sunshine.SwitchboardIntegration, error)
}

var _ SunshineAPI = (*sunshine.Client)(nil)

// Connector hands out the API client of a Switchboard.
type Connector interface {
	// Connect returns the client for sb. With refresh it re-reads the Secret and
	// rebuilds the client when the Secret or the connection settings changed; without it
	// a client built earlier is reused. The second result identifies the credentials and
	// settings the client was built from, without revealing them.
	Connect(ctx context.Context, sb *switchboardv1alpha1.Switchboard, refresh bool) (SunshineAPI, string, error)
	// Forget drops the client of a Switchboard that is gone.
	Forget(key types.NamespacedName)
}

// ErrSecretNotFound is returned by Connect when the Secret is missing or incomplete.
var ErrSecretNotFound = errors.New("secret not found")

// SecretConnector builds one *sunshine.Client per Switchboard from its Secret and shares
// it between every reconcile that uses the Switchboard, so one app's rate limit covers
// all of them.
type SecretConnector struct {
	// Reader reads Secrets. It should be uncached (the manager's APIReader), so the
	// manager does not list and watch every Secret of the cluster.
	Reader client.Reader
	// Metrics, when set, is shared by every client.
	Metrics *sunshine.Metrics
	// Timeout bounds each API call.
	Timeout time.Duration
	// HTTPClient is the base HTTP client (optional).
	HTTPClient *http.Client

	mu      sync.Mutex
	clients map[types.NamespacedName]connection
}

type connection struct {
	fingerprint string
	api         SunshineAPI
}

var _ Connector = (*SecretConnector)(nil)

// Connect implements Connector.
func (c *SecretConnector) Connect(ctx context.Context, sb *switchboardv1alpha1.Switchboard, refresh bool) (SunshineAPI, string, error) {
	key := types.NamespacedName{Namespace: sb.Namespace, Name: sb.Name}
	if !refresh {
		c.mu.Lock()
		conn, ok := c.clients[key]
		c.mu.Unlock()
		if ok {
			return conn.api, conn.fingerprint, nil
		}
	}

	secret := &corev1.Secret{}
	secretKey := types.NamespacedName{Namespace: sb.Namespace, Name: sb.Spec.Auth.SecretRef.Name}
	if err := c.Reader.Get(ctx, secretKey, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", fmt.Errorf("%w: Secret %q does not exist in namespace %q", ErrSecretNotFound, secretKey.Name, secretKey.Namespace)
		}
		return nil, "", fmt.Errorf("reading Secret %q: %w", secretKey.Name, err)
	}
	keyID, secretValue := string(secret.Data[SecretKeyID]), string(secret.Data[SecretKeySecret])
	if keyID == "" || secretValue == "" {
		return nil, "", fmt.Errorf("%w: Secret %q must have the keys %q and %q", ErrSecretNotFound, secretKey.Name, SecretKeyID, SecretKeySecret)
	}

	fingerprint := connectionFingerprint(sb, secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn, ok := c.clients[key]; ok && conn.fingerprint == fingerprint {
		return conn.api, fingerprint, nil
	}
	authType := sunshine.AuthBasic
	if sb.Spec.Auth.Type == switchboardv1alpha1.AuthTypeJWT {
		authType = sunshine.AuthJWT
	}
	api, err := sunshine.New(sunshine.Config{
		Endpoint:          sb.Spec.Endpoint,
		AppID:             sb.Spec.AppID,
		Credentials:       sunshine.Credentials{Type: authType, KeyID: keyID, Secret: sunshine.NewSecret(secretValue)},
		Timeout:           c.Timeout,
		RequestsPerSecond: float64(sb.Spec.RateLimit.RequestsPerSecond),
		Burst:             int(sb.Spec.RateLimit.Burst),
		HTTPClient:        c.HTTPClient,
		Metrics:           c.Metrics,
	})
	if err != nil {
		return nil, "", err
	}
	if c.clients == nil {
		c.clients = map[types.NamespacedName]connection{}
	}
	c.clients[key] = connection{fingerprint: fingerprint, api: api}
	return api, fingerprint, nil
}

// Forget implements Connector.
func (c *SecretConnector) Forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, key)
}

// connectionFingerprint identifies the settings and the Secret version a client is built
// from. It hashes the Secret's identity and resourceVersion, never its data.
func connectionFingerprint(sb *switchboardv1alpha1.Switchboard, secret *corev1.Secret) string {
	h := sha256.New()
	_, _ = fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00%s\x00%s",
		sb.Spec.Endpoint, sb.Spec.AppID, sb.Spec.Auth.Type,
		sb.Spec.RateLimit.RequestsPerSecond, sb.Spec.RateLimit.Burst,
		secret.UID, secret.ResourceVersion)
	return hex.EncodeToString(h.Sum(nil))[:16]
}
