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

package receiver

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// SecretSource reads the secret of a Switchboard's webhook through the vendor's API.
type SecretSource interface {
	WebhookSecret(ctx context.Context, sb types.NamespacedName) (sunshine.Secret, error)
}

// SecretSourceFunc adapts a function to SecretSource.
type SecretSourceFunc func(ctx context.Context, sb types.NamespacedName) (sunshine.Secret, error)

// WebhookSecret implements SecretSource.
func (f SecretSourceFunc) WebhookSecret(ctx context.Context, sb types.NamespacedName) (sunshine.Secret, error) {
	return f(ctx, sb)
}

// DefaultSecretRefreshInterval is how often, at most, a secret is read again after a
// delivery whose key did not match it.
const DefaultSecretRefreshInterval = time.Minute

// Secrets holds the webhook secrets in memory, one per Switchboard: set by the
// reconciler when it reads its webhook, or read through Source on first use (on a
// replica that does not reconcile). A key that does not match makes it read the secret
// again, at most once per RefreshInterval, so a rotated secret is picked up and wrong
// keys cannot make it call the API more often.
type Secrets struct {
	// Source reads a secret that is not held, or held for longer than RefreshInterval.
	Source SecretSource
	// RefreshInterval defaults to DefaultSecretRefreshInterval.
	RefreshInterval time.Duration
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	mu      sync.Mutex
	entries map[types.NamespacedName]secretEntry
}

type secretEntry struct {
	secret sunshine.Secret
	read   time.Time // when the secret was last read or set
}

func (s *Secrets) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Secrets) interval() time.Duration {
	if s.RefreshInterval > 0 {
		return s.RefreshInterval
	}
	return DefaultSecretRefreshInterval
}

// Set holds secret for sb, as just read.
func (s *Secrets) Set(sb types.NamespacedName, secret sunshine.Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = map[types.NamespacedName]secretEntry{}
	}
	s.entries[sb] = secretEntry{secret: secret, read: s.now()}
}

// Forget drops the secret of sb (its webhook is gone).
func (s *Secrets) Forget(sb types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, sb)
}

// Verify tells whether key is the secret of sb's webhook. It reads the secret when it
// holds none, or when key does not match and the secret was read longer than
// RefreshInterval ago. An error means the secret could not be read.
func (s *Secrets) Verify(ctx context.Context, sb types.NamespacedName, key string) (bool, error) {
	s.mu.Lock()
	entry, held := s.entries[sb]
	if held && entry.secret.Equal(key) {
		s.mu.Unlock()
		return true, nil
	}
	if held && s.now().Sub(entry.read) < s.interval() {
		s.mu.Unlock()
		return false, nil
	}
	if held {
		// Claim the refresh, so that concurrent mismatches read the secret once.
		entry.read = s.now()
		s.entries[sb] = entry
	}
	s.mu.Unlock()
	if s.Source == nil {
		return false, nil
	}
	secret, err := s.Source.WebhookSecret(ctx, sb)
	if err != nil {
		return false, err
	}
	s.Set(sb, secret)
	return secret.Equal(key), nil
}
