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
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/validationcases"
)

// Inputs the API server never hands to the operator are not compared: the CRD
// schema bounds the number of metadata keys and the endpoint's length, and the
// API server's JSON decoding replaces invalid UTF-8. The client must still
// refuse invalid UTF-8 in metadata.
const (
	maxFuzzKeys           = 128
	maxFuzzEndpointLength = 512
)

// FuzzMetadataAgreesWithCRD builds metadata from two keys, a value repeated up to
// the size limit and a second value, and checks that the ConversationControl CRD's
// rules and sunshine.ValidateMetadata accept or refuse it alike.
func FuzzMetadataAgreesWithCRD(f *testing.F) {
	f.Add("k", "é", uint16(3000), "", "")
	f.Add("k", "x", uint16(4088), "", "")
	f.Add("k", "x", uint16(4089), "", "")
	f.Add("k", "<>&", uint16(1362), "", "")
	f.Add("a", "\"\\", uint16(1000), "b", "\t\n\r")
	f.Add("\u2028", "\u2029", uint16(600), "c", "\x01")
	f.Add("k\x00", "v", uint16(1), "", "")
	for _, tc := range validationcases.Metadata {
		for k, v := range tc.Value {
			f.Add(k, v, uint16(1), "", "")
			break
		}
	}
	f.Fuzz(func(t *testing.T, key1, value1 string, repeat uint16, key2, value2 string) {
		md := map[string]string{}
		if key1 != "" || value1 != "" {
			count := int(repeat)
			if n := utf8.RuneCountInString(value1); n > 0 && count*n > 5000 {
				count = 5000 / n // a little over the limit is enough
			}
			md[key1] = strings.Repeat(value1, count)
		}
		if key2 != "" {
			md[key2] = value2
		}
		if len(md) > maxFuzzKeys {
			t.Skip()
		}
		clientErr := sunshine.ValidateMetadata(anyMetadata(md))
		for k, v := range md {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				if clientErr == nil {
					t.Fatalf("the client accepts invalid UTF-8 in %q: %q", k, v)
				}
				return
			}
		}
		crdOK, crdErrs := crdAcceptsMetadata(t, md)
		if crdOK != (clientErr == nil) {
			encoded, _ := sunshine.EncodeJSON(anyMetadata(md))
			t.Fatalf("metadata of %d bytes: CRD accepts %v (%v), client error %v", len(encoded), crdOK, crdErrs, clientErr)
		}
	})
}

// FuzzEndpointAgreesWithCRD checks that the Switchboard CRD's rules and
// sunshine.ValidateEndpoint accept or refuse an endpoint alike.
func FuzzEndpointAgreesWithCRD(f *testing.F) {
	for _, tc := range validationcases.Endpoints {
		f.Add(tc.Value)
	}
	f.Add("http://[::1]:8091/sc/")
	f.Add("https://xn--bcher-kva.example/")
	f.Add("http://localhoſt:8091")
	f.Add("https://acme.zendesk.com:443:443")
	f.Add("https://[fe80::1%25en0]:443")
	f.Fuzz(func(t *testing.T, endpoint string) {
		if !utf8.ValidString(endpoint) || utf8.RuneCountInString(endpoint) > maxFuzzEndpointLength {
			t.Skip()
		}
		clientErr := sunshine.ValidateEndpoint(endpoint)
		crdOK, crdErrs := crdAcceptsEndpoint(t, endpoint)
		if crdOK != (clientErr == nil) {
			t.Fatalf("endpoint %q: CRD accepts %v (%v), client error %v", endpoint, crdOK, crdErrs, clientErr)
		}
	})
}
