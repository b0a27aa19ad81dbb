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
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// metadataOfSize returns flat metadata that is exactly n bytes as JSON (n >= 8).
func metadataOfSize(n int) map[string]any {
	return map[string]any{"k": strings.Repeat("x", n-len(`{"k":""}`))}
}

// namedString is a string type of another package, such as the CRD's metadata values.
type namedString string

func TestValidateMetadata(t *testing.T) {
	tests := []struct {
		name       string
		md         map[string]any
		wantField  string // "" means valid
		wantReason string
	}{
		{name: "nil metadata is valid"},
		{name: "empty metadata is valid", md: map[string]any{}},
		{name: "strings, numbers, booleans and null are valid", md: map[string]any{
			"s": "v", "i": 1, "u": uint8(2), "f": 1.5, "n": json.Number("3"), "b": true, "null": nil,
		}},
		{name: "exactly the size limit is valid", md: metadataOfSize(sunshine.MaxMetadataBytes)},
		{name: "one byte over the size limit", md: metadataOfSize(sunshine.MaxMetadataBytes + 1),
			wantField: "metadata", wantReason: "is 4097 bytes as JSON, more than the 4096 allowed"},
		{name: "HTML characters count one byte, as sent with HTML escaping off",
			md: map[string]any{"k": strings.Repeat("x", sunshine.MaxMetadataBytes-len(`{"k":""}`)-3) + "<>&"}},
		{name: "quotes count two bytes, as sent",
			md:        map[string]any{"k": strings.Repeat("x", sunshine.MaxMetadataBytes-len(`{"k":""}`)) + `"`},
			wantField: "metadata", wantReason: "is 4098 bytes as JSON, more than the 4096 allowed"},
		{name: "a control character in a key", md: map[string]any{"a\x01": "v"},
			wantField: `metadata["a\x01"]`, wantReason: "the key must not contain the control character U+0001 (only tab, newline and carriage return are allowed)"},
		{name: "a control character in a value", md: map[string]any{"a": "\x00"},
			wantField: `metadata["a"]`, wantReason: "the value must not contain the control character U+0000 (only tab, newline and carriage return are allowed)"},
		{name: "a control character in a value that encodes to a string", md: map[string]any{"a": json.RawMessage(`"\u0007"`)},
			wantField: `metadata["a"]`, wantReason: "the value must not contain the control character U+0007 (only tab, newline and carriage return are allowed)"},
		{name: "a control character in a value of a named string type", md: map[string]any{"a": namedString("\x1b")},
			wantField: `metadata["a"]`, wantReason: "the value must not contain the control character U+001B (only tab, newline and carriage return are allowed)"},
		{name: "invalid UTF-8 in a value", md: map[string]any{"a": "\xff"},
			wantField: `metadata["a"]`, wantReason: "the value must be valid UTF-8"},
		{name: "tab, newline and carriage return are allowed", md: map[string]any{"a": "\t\n\r"}},
		{name: "a nested map", md: map[string]any{"foo": map[string]any{"a": 1}},
			wantField: `metadata["foo"]`, wantReason: "nested objects are not allowed"},
		{name: "a struct", md: map[string]any{"foo": struct{ A int }{1}},
			wantField: `metadata["foo"]`, wantReason: "nested objects are not allowed"},
		{name: "an array", md: map[string]any{"list": []string{"a"}},
			wantField: `metadata["list"]`, wantReason: "arrays are not allowed"},
		{name: "a raw JSON object", md: map[string]any{"raw": json.RawMessage(` {"a":1}`)},
			wantField: `metadata["raw"]`, wantReason: "nested objects are not allowed"},
		{name: "a value JSON cannot encode", md: map[string]any{"nan": math.NaN()},
			wantField: `metadata["nan"]`, wantReason: "cannot be encoded as JSON: unsupported value: NaN"},
		{name: "the first offending key in sorted order is named", md: map[string]any{"b": []int{}, "a": map[string]any{}},
			wantField: `metadata["a"]`, wantReason: "nested objects are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sunshine.ValidateMetadata(tt.md)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("ValidateMetadata: %v", err)
				}
				return
			}
			var verr *sunshine.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.wantField || verr.Reason != tt.wantReason {
				t.Fatalf("ValidateMetadata error = %v, want field %s: %s", err, tt.wantField, tt.wantReason)
			}
			if want := "sunshine: " + tt.wantField + ": " + tt.wantReason; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestInvalidInputSendsNothing(t *testing.T) {
	pass := func(conversationID string, req sunshine.PassControlRequest) func(context.Context, *sunshine.Client) error {
		return func(ctx context.Context, c *sunshine.Client) error { return c.PassControl(ctx, conversationID, req) }
	}
	getConversation := func(id string) func(context.Context, *sunshine.Client) error {
		return func(ctx context.Context, c *sunshine.Client) error {
			_, err := c.GetConversation(ctx, id)
			return err
		}
	}
	nested := map[string]any{"foo": map[string]any{"bar": "baz"}}
	tests := []struct {
		name      string
		call      func(context.Context, *sunshine.Client) error
		wantField string
	}{
		{"empty conversation id", pass("", sunshine.PassControlRequest{SwitchboardIntegration: "bot"}), "conversationId"},
		{"conversation id with a slash", pass("c1/../c2", sunshine.PassControlRequest{SwitchboardIntegration: "bot"}), "conversationId"},
		{"conversation id with a question mark", getConversation("c1?x=1"), "conversationId"},
		{"conversation id with a hash", getConversation("c1#x"), "conversationId"},
		{"conversation id with a percent sign", getConversation("c1%2Fc2"), "conversationId"},
		{"conversation id with a space", getConversation("c 1"), "conversationId"},
		{"conversation id with a newline", getConversation("c1\n"), "conversationId"},
		{"conversation id that is a parent reference", getConversation(".."), "conversationId"},
		{"conversation id that is a dot", getConversation("."), "conversationId"},
		{"conversation id that is not UTF-8", getConversation("c\xff"), "conversationId"},
		{"conversation id over the length limit", getConversation(strings.Repeat("c", sunshine.MaxIDLength+1)), "conversationId"},
		{"pass without a target", pass("c1", sunshine.PassControlRequest{}), "switchboardIntegration"},
		{"pass with an unknown reason", pass("c1", sunshine.PassControlRequest{SwitchboardIntegration: "bot", Reason: "bored"}), "reason"},
		{"pass with nested metadata", pass("c1", sunshine.PassControlRequest{SwitchboardIntegration: "bot", Metadata: nested}), `metadata["foo"]`},
		{"offer without a target", func(ctx context.Context, c *sunshine.Client) error {
			return c.OfferControl(ctx, "c1", sunshine.OfferControlRequest{})
		}, "switchboardIntegration"},
		{"offer with too much metadata", func(ctx context.Context, c *sunshine.Client) error {
			return c.OfferControl(ctx, "c1", sunshine.OfferControlRequest{SwitchboardIntegration: "agent", Metadata: metadataOfSize(5000)})
		}, "metadata"},
		{"accept with array metadata", func(ctx context.Context, c *sunshine.Client) error {
			return c.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{Metadata: map[string]any{"a": []any{1}}})
		}, `metadata["a"]`},
		{"release with an unknown reason", func(ctx context.Context, c *sunshine.Client) error {
			return c.ReleaseControl(ctx, "c1", sunshine.ReleaseControlRequest{Reason: "ticketclosed"})
		}, "reason"},
		{"release on a bad conversation id", func(ctx context.Context, c *sunshine.Client) error {
			return c.ReleaseControl(ctx, "a/b", sunshine.ReleaseControlRequest{})
		}, "conversationId"},
		{"switchboard integrations of a bad switchboard id", func(ctx context.Context, c *sunshine.Client) error {
			_, err := c.ListSwitchboardIntegrations(ctx, "sb 1")
			return err
		}, "switchboardId"},
		{"switchboard integrations of an empty switchboard id", func(ctx context.Context, c *sunshine.Client) error {
			_, err := c.ListSwitchboardIntegrations(ctx, "")
			return err
		}, "switchboardId"},
	}
	sim := newSimulator(t)
	client := simClient(t, sim)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(context.Background(), client)
			var verr *sunshine.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.wantField {
				t.Fatalf("error = %v, want a *ValidationError for %s", err, tt.wantField)
			}
			if !sunshine.IsInvalidRequest(err) || sunshine.IsRetryable(err) {
				t.Errorf("error %v should be an invalid request and not retryable", err)
			}
			for op, n := range sim.Counts() {
				if n != 0 {
					t.Errorf("simulator received %d %s requests, want none", n, op)
				}
			}
		})
	}
}
