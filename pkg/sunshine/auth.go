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

package sunshine

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// AuthType selects how a Client authenticates.
type AuthType string

const (
	// AuthBasic sends the key id and secret as HTTP Basic credentials.
	AuthBasic AuthType = "Basic"
	// AuthJWT sends a bearer JWT signed with HS256 by the key secret, with the
	// key id in the `kid` header and the scope in the `scope` claim.
	AuthJWT AuthType = "JWT"
)

// DefaultScope is the JWT `scope` claim used when Credentials.Scope is empty.
const DefaultScope = "app"

// Credentials is a Sunshine Conversations API key. The secret is a Secret,
// which no fmt verb, encoder or logger prints, whether the Credentials are
// printed themselves or inside another value (a struct field, exported or
// not, a pointer, a slice or a map).
type Credentials struct {
	// Type is AuthBasic or AuthJWT; empty means AuthBasic.
	Type AuthType
	// KeyID is the API key id, for example app_5d8cff3cd55b040010928b5c.
	KeyID string
	// Secret is the API key secret; see NewSecret.
	Secret Secret
	// Scope is the JWT `scope` claim: "app" (the default), "account" or
	// "integration". Basic authentication ignores it: the key decides the scope.
	Scope string
}

// String describes the credentials with the secret redacted.
func (c Credentials) String() string {
	return fmt.Sprintf("{Type:%s KeyID:%s Secret:%s Scope:%s}", c.Type, c.KeyID, c.Secret, c.Scope)
}

// GoString describes the credentials as Go syntax with the secret redacted.
func (c Credentials) GoString() string {
	return fmt.Sprintf("sunshine.Credentials{Type:%q, KeyID:%q, Secret:%q, Scope:%q}", c.Type, c.KeyID, c.Secret.String(), c.Scope)
}

// Format implements fmt.Formatter so that every verb, %d or %x included,
// prints the String or GoString form.
func (c Credentials) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// MarshalJSON encodes the credentials with the secret redacted, so that
// loggers that encode values as JSON do not print it either.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"type": string(c.Type), "keyId": c.KeyID, "secret": c.Secret.String(), "scope": c.Scope})
}

// LogValue implements slog.LogValuer: the credentials log as a group with the
// secret redacted.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(c.Type)), slog.String("keyId", c.KeyID),
		slog.String("secret", c.Secret.String()), slog.String("scope", c.Scope))
}

// MarshalLog implements logr.Marshaler (used by logr sinks such as zapr): the
// credentials log as their String form.
func (c Credentials) MarshalLog() any { return c.String() }

// Secret holds a credential. Its value is reachable only through an unexported
// function value, which fmt, encoding/json, reflection-based printers and
// loggers show at most as an address; its own methods print "[redacted]", or
// nothing when it is empty. The zero Secret is empty.
type Secret struct {
	reveal func() string
}

// redacted is what every printed form of a non-empty Secret shows.
const redacted = "[redacted]"

// NewSecret returns a Secret holding value.
func NewSecret(value string) Secret {
	if value == "" {
		return Secret{}
	}
	return Secret{reveal: func() string { return value }}
}

// IsSet reports whether the secret is not empty.
func (s Secret) IsSet() bool { return s.reveal != nil }

// value returns the secret itself, for authenticating requests only.
func (s Secret) value() string {
	if s.reveal == nil {
		return ""
	}
	return s.reveal()
}

// Equal reports, in constant time for candidates of the secret's length,
// whether candidate is the secret; an empty secret equals nothing. It is how
// a receiver checks the X-API-Key header of a webhook delivery without ever
// holding the secret as a string.
func (s Secret) Equal(candidate string) bool {
	if !s.IsSet() {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(s.value()), []byte(candidate)) == 1
}

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if !s.IsSet() {
		return ""
	}
	return redacted
}

// GoString returns the String form as a Go string literal.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format implements fmt.Formatter so that every verb prints the String form.
func (s Secret) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s) }

// MarshalJSON encodes the String form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes the String form, for encoders and loggers that prefer
// encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue implements slog.LogValuer with the String form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalLog implements logr.Marshaler with the String form.
func (s Secret) MarshalLog() any { return s.String() }

// formatRedacted prints v through its own String or GoString method whatever
// the verb, instead of letting fmt print the fields one by one.
func formatRedacted(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
}) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, v.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", v.String())
	default:
		_, _ = io.WriteString(f, v.String())
	}
}

// authorizer checks the credentials and returns the function that adds them
// to a request. A JWT does not expire, so it is signed once here.
func (c Credentials) authorizer() (func(*http.Request), error) {
	if c.KeyID == "" {
		return nil, &ValidationError{Field: "credentials.keyId", Reason: "must not be empty"}
	}
	if !c.Secret.IsSet() {
		return nil, &ValidationError{Field: "credentials.secret", Reason: "must not be empty"}
	}
	switch c.Type {
	case AuthBasic, "":
		if strings.Contains(c.KeyID, ":") {
			return nil, &ValidationError{Field: "credentials.keyId", Reason: `must not contain ":" with Basic authentication`}
		}
		keyID, secret := c.KeyID, c.Secret.value()
		return func(r *http.Request) { r.SetBasicAuth(keyID, secret) }, nil
	case AuthJWT:
		token, err := signJWT(c.KeyID, c.Secret.value(), c.Scope)
		if err != nil {
			return nil, err
		}
		bearer := "Bearer " + token
		return func(r *http.Request) { r.Header.Set("Authorization", bearer) }, nil
	default:
		return nil, &ValidationError{Field: "credentials.type", Reason: fmt.Sprintf("must be %q or %q", AuthBasic, AuthJWT)}
	}
}

// signJWT returns an HS256 token with header {"alg":"HS256","typ":"JWT","kid":keyID}
// and claims {"scope":scope}, the form the API documents for API keys.
func signJWT(keyID, secret, scope string) (string, error) {
	if scope == "" {
		scope = DefaultScope
	}
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"scope": scope})
	token.Header["kid"] = keyID
	signed, err := token.SignedString([]byte(secret))
	if err != nil {
		// The error of an HMAC signer never includes the key; say no more than needed.
		return "", fmt.Errorf("sunshine: signing the JWT: %w", err)
	}
	return signed, nil
}
