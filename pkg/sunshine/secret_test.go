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
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// fmtVerbs is every verb (with the flags that change how values are walked) of the fmt
// package, plus a few it does not know.
var fmtVerbs = []string{
	"%v", "%+v", "%#v", "%T", "%%", "%t", "%b", "%c", "%d", "%o", "%O", "%q", "%x", "%X", "%U", "%#U",
	"%e", "%E", "%f", "%F", "%g", "%G", "%s", "%p", "%#p", "%#x", "% x", "%10.3v", "%-8s", "%08d", "%w", "%z",
}

// secretHolders returns the secret in every shape a program might print: the Secret,
// Credentials and Config as values and pointers, and inside structs (exported,
// unexported and embedded fields, pointers), slices, arrays, maps and interfaces.
func secretHolders() map[string]any {
	secret := sunshine.NewSecret(testSecret)
	creds := sunshine.Credentials{Type: sunshine.AuthJWT, KeyID: "app_key", Secret: secret, Scope: "app"}
	cfg := sunshine.Config{Endpoint: "https://acme.zendesk.com/sc", AppID: "app", Credentials: creds}
	type exported struct{ Creds sunshine.Credentials }
	type unexported struct{ creds sunshine.Credentials }
	type unexportedSecret struct{ s sunshine.Secret }
	type unexportedPointer struct{ creds *sunshine.Credentials }
	type unexportedConfig struct{ cfg sunshine.Config }
	type embedded struct{ sunshine.Credentials }
	type embeddedPointer struct{ *sunshine.Credentials }
	type deep struct {
		list  []sunshine.Credentials
		byKey map[string]sunshine.Secret
		any   any
		arr   [1]sunshine.Secret
		ptrs  []*sunshine.Config
	}
	holders := map[string]any{
		"Secret": secret, "*Secret": &secret,
		"Credentials": creds, "*Credentials": &creds,
		"Config": cfg, "*Config": &cfg,
		"struct with an exported Credentials":     exported{creds},
		"struct with an unexported Credentials":   unexported{creds},
		"pointer to that struct":                  &unexported{creds},
		"struct with an unexported Secret":        unexportedSecret{secret},
		"struct with an unexported *Credentials":  unexportedPointer{&creds},
		"struct with an unexported Config":        unexportedConfig{cfg},
		"struct embedding Credentials":            embedded{creds},
		"struct embedding *Credentials":           embeddedPointer{&creds},
		"[]Credentials":                           []sunshine.Credentials{creds},
		"map[string]Secret":                       map[string]sunshine.Secret{"k": secret},
		"map[string]*Credentials":                 map[string]*sunshine.Credentials{"k": &creds},
		"[]any":                                   []any{secret, creds, &cfg},
		"struct with unexported slices and maps":  deep{[]sunshine.Credentials{creds}, map[string]sunshine.Secret{"k": secret}, creds, [1]sunshine.Secret{secret}, []*sunshine.Config{&cfg}},
		"pointer to struct with slices and maps":  &deep{[]sunshine.Credentials{creds}, map[string]sunshine.Secret{"k": secret}, &creds, [1]sunshine.Secret{secret}, []*sunshine.Config{&cfg}},
		"struct in an unexported field of struct": struct{ inner unexported }{unexported{creds}},
	}
	return holders
}

// revealsSecret tells whether out shows the secret in any encoding fmt might use.
func revealsSecret(out string) bool {
	b := []byte(testSecret)
	forms := []string{testSecret, hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(b), fmt.Sprintf("%d", b), fmt.Sprintf("% x", b), fmt.Sprintf("%U", []rune(testSecret)[:3])}
	for _, form := range forms {
		if strings.Contains(out, form) {
			return true
		}
	}
	return false
}

func TestNoFmtVerbPrintsTheSecret(t *testing.T) {
	for name, v := range secretHolders() {
		for _, verb := range fmtVerbs {
			if out := fmt.Sprintf(verb, v); revealsSecret(out) {
				t.Errorf("fmt %s of %s reveals the secret: %s", verb, name, masked(out))
			}
		}
		if out := fmt.Sprint(v) + fmt.Sprintln(v); revealsSecret(out) {
			t.Errorf("fmt.Sprint of %s reveals the secret: %s", name, masked(out))
		}
		if err := fmt.Errorf("wrapped: %v", v); revealsSecret(err.Error()) {
			t.Errorf("fmt.Errorf of %s reveals the secret: %s", name, masked(err.Error()))
		}
	}
}

func TestEncodersAndLoggersDoNotPrintTheSecret(t *testing.T) {
	for name, v := range secretHolders() {
		if out, err := json.Marshal(v); err != nil || revealsSecret(string(out)) {
			t.Errorf("JSON of %s = %s, %v", name, masked(string(out)), err)
		}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("Connected", "value", v)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("Connected", "value", v)
		logr := funcr.New(func(prefix, args string) { buf.WriteString(prefix + args + "\n") }, funcr.Options{})
		logr.Info("Connected", "value", v)
		zl := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zapcore.DebugLevel))
		zapr.NewLogger(zl).Info("Connected", "value", v)
		zapr.NewLogger(zl).Error(fmt.Errorf("failed with %v", v), "Failed")
		if revealsSecret(buf.String()) {
			t.Errorf("a logger printed the secret of %s:\n%s", name, masked(buf.String()))
		}
	}
}

func TestRedactedFormsStillDescribeTheCredentials(t *testing.T) {
	creds := sunshine.Credentials{Type: sunshine.AuthJWT, KeyID: "app_key", Secret: sunshine.NewSecret(testSecret), Scope: "app"}
	for _, tt := range []struct{ format, want string }{
		{"%v", "{Type:JWT KeyID:app_key Secret:[redacted] Scope:app}"},
		{"%+v", "{Type:JWT KeyID:app_key Secret:[redacted] Scope:app}"},
		{"%#v", `sunshine.Credentials{Type:"JWT", KeyID:"app_key", Secret:"[redacted]", Scope:"app"}`},
		{"%s", "{Type:JWT KeyID:app_key Secret:[redacted] Scope:app}"},
	} {
		if got := fmt.Sprintf(tt.format, creds); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.format, got, tt.want)
		}
	}
	if got := fmt.Sprintf("%v|%#v", sunshine.NewSecret(testSecret), sunshine.NewSecret(testSecret)); got != `[redacted]|"[redacted]"` {
		t.Errorf("a set secret prints as %s", got)
	}
	if got := fmt.Sprintf("%v", sunshine.Credentials{KeyID: "k"}); !strings.Contains(got, "Secret: ") {
		t.Errorf("an empty secret should show as empty: %s", got)
	}
	if sunshine.NewSecret("").IsSet() || !sunshine.NewSecret("x").IsSet() {
		t.Errorf("IsSet does not tell an empty secret from a set one")
	}
	cfg := testConfig("https://acme.zendesk.com/sc")
	cfg.Credentials = creds
	for name, v := range map[string]any{"Credentials": creds, "Config": cfg} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			if out := fmt.Sprintf(format, v); !strings.Contains(out, "app_key") || !strings.Contains(out, "[redacted]") {
				t.Errorf("fmt %s of %s hides the key id or the fact that a secret is set: %s", format, name, masked(out))
			}
		}
		if out, _ := json.Marshal(v); !strings.Contains(string(out), "[redacted]") {
			t.Errorf("JSON of %s = %s, want the secret shown as [redacted]", name, masked(string(out)))
		}
	}
}
