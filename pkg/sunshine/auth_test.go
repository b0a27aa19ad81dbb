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

package sunshine_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

func TestBasicAuthSendsKeyIDAndSecret(t *testing.T) {
	srv := newStub(t, http.StatusOK, nil, `{"switchboards":[]}`)
	if _, err := newClient(t, testConfig(srv.URL)).ListSwitchboards(context.Background()); err != nil {
		t.Fatalf("ListSwitchboards: %v", err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("app_key:"+testSecret))
	if got := srv.last(t).Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}

func TestJWTAuthSignsHS256WithKidAndScope(t *testing.T) {
	tests := []struct {
		name, scope, wantScope string
	}{
		{"scope defaults to app", "", "app"},
		{"configured scope is used", "account", "account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStub(t, http.StatusOK, nil, `{"switchboards":[]}`)
			cfg := testConfig(srv.URL)
			cfg.Credentials = sunshine.Credentials{Type: sunshine.AuthJWT, KeyID: "app_key", Secret: sunshine.NewSecret(testSecret), Scope: tt.scope}
			if _, err := newClient(t, cfg).ListSwitchboards(context.Background()); err != nil {
				t.Fatalf("ListSwitchboards: %v", err)
			}
			bearer, ok := strings.CutPrefix(srv.last(t).Header.Get("Authorization"), "Bearer ")
			if !ok {
				t.Fatalf("Authorization is not a bearer token")
			}
			claims := jwt.MapClaims{}
			token, err := jwt.ParseWithClaims(bearer, claims, func(*jwt.Token) (any, error) { return []byte(testSecret), nil },
				jwt.WithValidMethods([]string{"HS256"}))
			if err != nil {
				t.Fatalf("token does not verify with the key secret: %v", err)
			}
			if kid := token.Header["kid"]; kid != "app_key" {
				t.Errorf("kid header = %v, want app_key", kid)
			}
			if typ := token.Header["typ"]; typ != "JWT" {
				t.Errorf("typ header = %v, want JWT", typ)
			}
			if scope := claims["scope"]; scope != tt.wantScope {
				t.Errorf("scope claim = %v, want %s", scope, tt.wantScope)
			}
		})
	}
}
