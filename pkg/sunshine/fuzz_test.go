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
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzDecodeConversation(f *testing.F) {
	f.Add([]byte(`{"conversation":{"id":"c1","type":"personal","metadata":{"lang":"en"},` +
		`"activeSwitchboardIntegration":{"id":"si1","name":"bot","integrationId":"i1","integrationType":"custom"},` +
		`"pendingSwitchboardIntegration":null}}`))
	f.Add([]byte(`{"conversation":null}`))
	f.Add([]byte(`{"conversation":{"activeSwitchboardIntegration":[1,2]}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		conv, err := decodeConversation(body)
		if (conv == nil) == (err == nil) {
			t.Fatalf("decodeConversation = %v, %v; want exactly one of them", conv, err)
		}
	})
}

func FuzzDecodeAPIError(f *testing.F) {
	f.Add(404, "", []byte(`{"errors":[{"code":"conversation_not_found","title":"Conversation not found"}]}`))
	f.Add(429, "5", []byte(`{"errors":[{"code":"too_many_requests","title":"Too Many Requests"}]}`))
	f.Add(503, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`<html></html>`))
	f.Add(400, "-1", []byte(`{"errors":[]}`))
	f.Add(418, "18446744073709551616", []byte(`{"errors":[{"code":7}]}`))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		header := http.Header{}
		header.Set("Retry-After", retryAfter)
		e := decodeAPIError("passControl", status, header, body)
		if e.StatusCode != status || e.Operation != "passControl" {
			t.Fatalf("decodeAPIError = %+v, lost the status or operation", e)
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("RetryAfter = %v, out of [0, %v]", e.RetryAfter, maxRetryAfter)
		}
		if !strings.HasPrefix(e.Error(), "sunshine: passControl: ") {
			t.Fatalf("Error() = %q", e.Error())
		}
	})
}

func FuzzValidateMetadata(f *testing.F) {
	f.Add([]byte(`{"reason":"vip","priority":1,"escalated":true,"none":null}`))
	f.Add([]byte(`{"nested":{"a":1}}`))
	f.Add([]byte(`{"list":[1,2]}`))
	f.Add([]byte(`{"k":"` + strings.Repeat("<", 700) + `"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"k":"` + strings.Repeat("<>&", 1362) + `"}`))
	f.Add([]byte(`{"k":"\u0001","\u2028":"\t"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var md map[string]any
		if json.Unmarshal(data, &md) != nil {
			return
		}
		err := ValidateMetadata(md)
		encoded, _ := EncodeJSON(md)
		flat, plain := true, true
		for k, v := range md {
			switch v := v.(type) {
			case map[string]any, []any:
				flat = false
			case string:
				plain = plain && plainText(v)
			}
			plain = plain && plainText(k)
		}
		if valid := flat && plain && len(encoded) <= MaxMetadataBytes; valid != (err == nil) {
			t.Fatalf("ValidateMetadata(%s) = %v; flat %v, plain %v, %d bytes", encoded, err, flat, plain, len(encoded))
		}
		if bytes.Contains(encoded, []byte(`\u003c`)) {
			t.Fatalf("EncodeJSON escapes HTML: %s", encoded)
		}
	})
}

// plainText reports whether s is valid UTF-8 with no control character but tab,
// newline and carriage return.
func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && !strings.ContainsRune("\t\n\r", r) })
}

func TestParseRetryAfterIsRelativeToNow(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"0", 0},
		{" 12 ", 12 * time.Second},
		{"-3", 0},
		{"1.5", 0},
		{"3601", time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}
