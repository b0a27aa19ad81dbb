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
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/validationcases"
)

// anyMetadata is md as the operator hands it to the client.
func anyMetadata(md map[string]string) map[string]any {
	out := make(map[string]any, len(md))
	for k, v := range md {
		out[k] = v
	}
	return out
}

func TestClientAcceptsTheSharedMetadataCases(t *testing.T) {
	for _, tc := range validationcases.Metadata {
		t.Run(tc.Name, func(t *testing.T) {
			err := sunshine.ValidateMetadata(anyMetadata(tc.Value))
			if tc.Accept != (err == nil) {
				t.Fatalf("ValidateMetadata = %v, want accept %v", err, tc.Accept)
			}
			var verr *sunshine.ValidationError
			if err != nil && (!errors.As(err, &verr) || !strings.HasPrefix(verr.Field, "metadata")) {
				t.Fatalf("error %v is not a *ValidationError on metadata", err)
			}
		})
	}
}

// TestMetadataIsSentAsMeasured proves that the bytes the client measured are the bytes
// it sends: the metadata object in the request body is exactly as long as the encoding
// ValidateMetadata counted, and "<", ">" and "&" go out unescaped.
func TestMetadataIsSentAsMeasured(t *testing.T) {
	for _, tc := range validationcases.Metadata {
		if !tc.Accept || len(tc.Value) == 0 {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			srv := newStub(t, http.StatusOK, nil, `{}`)
			md := anyMetadata(tc.Value)
			err := newClient(t, testConfig(srv.URL)).PassControl(context.Background(), "c1",
				sunshine.PassControlRequest{SwitchboardIntegration: "bot", Metadata: md})
			if err != nil {
				t.Fatalf("PassControl: %v", err)
			}
			var body struct{ Metadata json.RawMessage }
			if err := json.Unmarshal([]byte(srv.last(t).Body), &body); err != nil {
				t.Fatal(err)
			}
			measured, err := sunshine.EncodeJSON(md)
			if err != nil {
				t.Fatal(err)
			}
			if string(body.Metadata) != string(measured) || len(measured) > sunshine.MaxMetadataBytes {
				t.Fatalf("sent %d bytes of metadata, measured %d (limit %d)", len(body.Metadata), len(measured), sunshine.MaxMetadataBytes)
			}
			var sent map[string]string
			if err := json.Unmarshal(body.Metadata, &sent); err != nil || len(sent) != len(tc.Value) {
				t.Fatalf("sent metadata %v, %v; want the %d keys", sent, err, len(tc.Value))
			}
			for k, v := range tc.Value {
				if sent[k] != v {
					t.Errorf("sent %q = %q, want %q", k, sent[k], v)
				}
			}
			if strings.Contains(string(body.Metadata), `\u003c`) {
				t.Errorf("the body escapes HTML characters: %.80s", body.Metadata)
			}
		})
	}
}

func TestClientAcceptsTheSharedEndpointCases(t *testing.T) {
	for _, tc := range validationcases.Endpoints {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := sunshine.New(testConfig(tc.Value))
			if tc.Accept != (err == nil) {
				t.Fatalf("New with endpoint %q = %v, want accept %v", tc.Value, err, tc.Accept)
			}
			if err := sunshine.ValidateEndpoint(tc.Value); tc.Accept != (err == nil) {
				t.Fatalf("ValidateEndpoint(%q) = %v, want accept %v", tc.Value, err, tc.Accept)
			}
			var verr *sunshine.ValidationError
			if err != nil && (!errors.As(err, &verr) || verr.Field != "endpoint") {
				t.Fatalf("error %v is not a *ValidationError on endpoint", err)
			}
			if err != nil && strings.Contains(tc.Value, "@") && strings.Contains(err.Error(), tc.Value) {
				t.Errorf("error %q echoes the endpoint and its user info", err)
			}
		})
	}
}
