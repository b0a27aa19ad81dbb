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
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
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
	Connect(ctx context.Context, sb *sbv1.Switchboard, refresh bool) (SunshineAPI, string, error)
	// Forget drops the client of a Switchboard that is gone.
	Forget(key types.NamespacedName)
}

// Errors of Connect that the reconcilers report as Stalled, each with its own reason.
var (
	// ErrEndpointNotAllowed: the host of spec.endpoint is not in the allow-list.
	ErrEndpointNotAllowed = errors.New("endpoint not allowed")
	// ErrSecretNotFound: the Secret does not exist.
	ErrSecretNotFound = errors.New("secret not found")
	// ErrSecretInvalid: the Secret lacks a key, or a key's value is empty.
	ErrSecretInvalid = errors.New("secret invalid")
	// ErrSecretForbidden: the API server refused to let the operator read the Secret.
	ErrSecretForbidden = errors.New("secret forbidden")
)

// SecretConnector builds one *sunshine.Client per Switchboard from its Secret and shares
// it between every reconcile that uses the Switchboard, so one app's rate limit covers
// all of them.
//
// Before it reads a Secret or builds a client it checks the host of spec.endpoint
// against AllowedHosts, so that a Switchboard cannot send an app's key to a host the
// operator's administrators did not approve.
type SecretConnector struct {
	// Reader reads Secrets. It should be uncached (the manager's APIReader), so the
	// manager does not list and watch every Secret of the cluster.
	Reader client.Reader
	// AllowedHosts are the endpoint hosts the connector connects to; the zero value
	// allows DefaultAllowedEndpointHosts.
	AllowedHosts HostAllowList
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
func (c *SecretConnector) Connect(ctx context.Context, sb *sbv1.Switchboard, refresh bool) (SunshineAPI, string, error) {
	key := types.NamespacedName{Namespace: sb.Namespace, Name: sb.Name}
	if err := c.AllowedHosts.check(sb.Spec.Endpoint); err != nil {
		return nil, "", err
	}
	if !refresh {
		c.mu.Lock()
		conn, ok := c.clients[key]
		c.mu.Unlock()
		if ok {
			return conn.api, conn.fingerprint, nil
		}
	}

	secret, keyID, secretValue, err := c.readSecret(ctx, types.NamespacedName{Namespace: sb.Namespace, Name: sb.Spec.Auth.SecretRef.Name})
	if err != nil {
		return nil, "", err
	}

	fingerprint := connectionFingerprint(sb, secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn, ok := c.clients[key]; ok && conn.fingerprint == fingerprint {
		return conn.api, fingerprint, nil
	}
	authType := sunshine.AuthBasic
	if sb.Spec.Auth.Type == sbv1.AuthTypeJWT {
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

// readSecret reads the Secret and returns it with its key id and secret, trimmed of
// surrounding whitespace (a file made with a trailing newline, `kubectl create secret
// --from-file`, works).
func (c *SecretConnector) readSecret(ctx context.Context, key types.NamespacedName) (*corev1.Secret, string, string, error) {
	secret := &corev1.Secret{}
	if err := c.Reader.Get(ctx, key, secret); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return nil, "", "", fmt.Errorf("%w: Secret %q does not exist in namespace %q", ErrSecretNotFound, key.Name, key.Namespace)
		case apierrors.IsForbidden(err):
			return nil, "", "", fmt.Errorf("%w: the operator may not read Secret %q in namespace %q (403 Forbidden): "+
				"its ServiceAccount needs get on secrets there", ErrSecretForbidden, key.Name, key.Namespace)
		default:
			return nil, "", "", &secretReadError{name: key.Name, err: err}
		}
	}
	values := make(map[string]string, 2)
	var problems []string
	for _, k := range []string{SecretKeyID, SecretKeySecret} {
		raw, ok := secret.Data[k]
		values[k] = strings.TrimSpace(string(raw))
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("has no key %q", k))
		case values[k] == "":
			problems = append(problems, fmt.Sprintf("has an empty %q", k))
		}
	}
	if len(problems) > 0 {
		return nil, "", "", fmt.Errorf("%w: Secret %q %s; it needs the keys %q and %q", ErrSecretInvalid, key.Name,
			strings.Join(problems, " and "), SecretKeyID, SecretKeySecret)
	}
	return secret, values[SecretKeyID], values[SecretKeySecret], nil
}

// secretReadError is a Secret read that failed for a reason that may pass (the API
// server unavailable, a timeout). Its message is stable: the API server's reason, not
// the raw error with its addresses.
type secretReadError struct {
	name string
	err  error
}

func (e *secretReadError) Error() string {
	if reason := apierrors.ReasonForError(e.err); reason != metav1.StatusReasonUnknown {
		return fmt.Sprintf("reading Secret %q: the Kubernetes API server answered %s", e.name, reason)
	}
	return fmt.Sprintf("reading Secret %q: the Kubernetes API server did not answer", e.name)
}

func (e *secretReadError) Unwrap() error { return e.err }

// Forget implements Connector.
func (c *SecretConnector) Forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, key)
}

// connectionFingerprint identifies the settings and the Secret version a client is built
// from. It hashes the Secret's identity and resourceVersion, never its data.
func connectionFingerprint(sb *sbv1.Switchboard, secret *corev1.Secret) string {
	h := sha256.New()
	_, _ = fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00%s\x00%s",
		sb.Spec.Endpoint, sb.Spec.AppID, sb.Spec.Auth.Type,
		sb.Spec.RateLimit.RequestsPerSecond, sb.Spec.RateLimit.Burst,
		secret.UID, secret.ResourceVersion)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// DefaultAllowedEndpointHosts are the vendor's API hosts, the default of
// --allowed-endpoint-hosts. The servers of the vendor's OpenAPI document are
// https://{subdomain}.zendesk.com/sc, https://api.smooch.io (US) and
// https://api.eu-1.smooch.io (EU); *.smooch.io covers the regional hosts. Loopback
// hosts are not in it.
var DefaultAllowedEndpointHosts = []string{"api.smooch.io", "*.smooch.io", "*.zendesk.com"}

// HostAllowList is the set of hosts a Switchboard's endpoint may name: exact host
// names or IP addresses, and `*.` followed by a domain for every host under it (at any
// depth, not the domain itself). Hosts compare case-insensitively. It implements
// flag.Value for a comma-separated list. The zero value allows
// DefaultAllowedEndpointHosts.
type HostAllowList struct {
	patterns []string
}

var _ flag.Value = (*HostAllowList)(nil)

// NewHostAllowList validates patterns and returns the list; an error names the first
// pattern that is neither a host nor `*.` and a domain.
func NewHostAllowList(patterns ...string) (HostAllowList, error) {
	if len(patterns) == 0 {
		return HostAllowList{}, errors.New("list at least one host or *.domain")
	}
	l := HostAllowList{patterns: make([]string, 0, len(patterns))}
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSpace(p))
		if err := validateHostPattern(p); err != nil {
			return HostAllowList{}, fmt.Errorf("%q %w", p, err)
		}
		if !slices.Contains(l.patterns, p) {
			l.patterns = append(l.patterns, p)
		}
	}
	return l, nil
}

// MustHostAllowList is NewHostAllowList that panics on an invalid pattern, for
// constant lists.
func MustHostAllowList(patterns ...string) HostAllowList {
	l, err := NewHostAllowList(patterns...)
	if err != nil {
		panic(err)
	}
	return l
}

// validateHostPattern checks one lower-cased pattern.
func validateHostPattern(p string) error {
	if domain, ok := strings.CutPrefix(p, "*."); ok {
		if errs := validation.IsDNS1123Subdomain(domain); len(errs) > 0 || !strings.Contains(domain, ".") {
			return errors.New("is not *. followed by a domain with at least two labels, such as *.zendesk.com")
		}
		return nil
	}
	if net.ParseIP(p) != nil {
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(p); len(errs) > 0 {
		return errors.New("is not a host name, an IP address, or *. followed by a domain (no scheme, port or path)")
	}
	return nil
}

// Set implements flag.Value: a comma-separated list of patterns replaces the list.
func (l *HostAllowList) Set(value string) error {
	var patterns []string
	for p := range strings.SplitSeq(value, ",") {
		if p = strings.TrimSpace(p); p != "" {
			patterns = append(patterns, p)
		}
	}
	parsed, err := NewHostAllowList(patterns...)
	if err != nil {
		return err
	}
	*l = parsed
	return nil
}

// String implements flag.Value: the patterns set, comma-separated ("" for the zero
// value, which allows DefaultAllowedEndpointHosts).
func (l *HostAllowList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.patterns, ",")
}

// Patterns returns the patterns in effect.
func (l HostAllowList) Patterns() []string { return slices.Clone(l.effective()) }

func (l HostAllowList) effective() []string {
	if len(l.patterns) == 0 {
		return DefaultAllowedEndpointHosts
	}
	return l.patterns
}

// Allows reports whether host (a URL's host name, without port) is in the list.
func (l HostAllowList) Allows(host string) bool {
	host = strings.ToLower(host)
	if host == "" {
		return false
	}
	for _, p := range l.effective() {
		if domain, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+domain) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}

// check returns an error wrapping ErrEndpointNotAllowed unless the host of endpoint is
// allowed. It parses the endpoint as the client does, so the host checked is the host
// the client would connect to.
func (l HostAllowList) check(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return &sunshine.ValidationError{Field: "endpoint", Reason: "must be an absolute URL such as https://acme.zendesk.com/sc"}
	}
	if !l.Allows(u.Hostname()) {
		return fmt.Errorf("%w: the host %q of spec.endpoint is not in the operator's --allowed-endpoint-hosts (%s); "+
			"the Secret was not read and no connection was made", ErrEndpointNotAllowed, u.Hostname(), strings.Join(l.effective(), ", "))
	}
	return nil
}
