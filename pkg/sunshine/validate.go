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
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxMetadataBytes is the largest metadata object the API accepts, measured
// as serialized JSON.
const MaxMetadataBytes = 4096

// MaxIDLength bounds the ids the client puts into a URL path.
const MaxIDLength = 128

// ValidateMetadata checks metadata the way the API does before it is sent: a
// flat object whose values are strings, numbers, booleans or null, at most
// MaxMetadataBytes as JSON. A nil or empty map is valid. The error is a
// *ValidationError naming the first offending key in sorted order, for
// example `metadata["foo"]: nested objects are not allowed`.
func ValidateMetadata(md map[string]any) error {
	if len(md) == 0 {
		return nil
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Each value is checked by its JSON form, which is what the API sees: a
	// struct, a json.Marshaler or a pointer is judged by what it encodes to.
	size := len("{}") + len(md) - 1 // braces and commas
	for _, k := range keys {
		field := fmt.Sprintf("metadata[%q]", k)
		key, _ := json.Marshal(k) // a string always encodes
		value, err := json.Marshal(md[k])
		if err != nil {
			return &ValidationError{Field: field, Reason: "cannot be encoded as JSON: " + jsonProblem(err)}
		}
		switch value[0] {
		case '{':
			return &ValidationError{Field: field, Reason: "nested objects are not allowed"}
		case '[':
			return &ValidationError{Field: field, Reason: "arrays are not allowed"}
		}
		size += len(key) + len(":") + len(value)
	}
	if size > MaxMetadataBytes {
		return &ValidationError{Field: "metadata", Reason: fmt.Sprintf("is %d bytes as JSON, more than the %d allowed", size, MaxMetadataBytes)}
	}
	return nil
}

// jsonProblem describes a json.Marshal error without the package prefix.
func jsonProblem(err error) string { return strings.TrimPrefix(err.Error(), "json: ") }

// validateID checks an id that goes into the URL path: not empty, at most
// MaxIDLength bytes, and nothing that could change which path is addressed.
func validateID(field, id string) error {
	invalid := func(reason string) error { return &ValidationError{Field: field, Reason: reason} }
	switch {
	case id == "":
		return invalid("must not be empty")
	case len(id) > MaxIDLength:
		return invalid(fmt.Sprintf("must be at most %d bytes", MaxIDLength))
	case !utf8.ValidString(id):
		return invalid("must be valid UTF-8")
	case id == "." || strings.Contains(id, ".."):
		return invalid(`must not be "." or contain ".."`)
	}
	for _, r := range id {
		if strings.ContainsRune("/?#%", r) || unicode.IsSpace(r) || unicode.IsControl(r) {
			return invalid(fmt.Sprintf("must not contain %q", r))
		}
	}
	return nil
}

// validateTarget checks the switchboardIntegration of passControl and offerControl.
func validateTarget(target string) error {
	if target == "" {
		return &ValidationError{Field: "switchboardIntegration", Reason: `must name a switchboard integration (id, name, integrationType) or be "next"`}
	}
	return nil
}

// validateReason checks the optional reason of passControl and releaseControl.
func validateReason(reason string) error {
	switch reason {
	case "", ReasonTicketClosed, ReasonTransferToEmail:
		return nil
	default:
		return &ValidationError{Field: "reason", Reason: fmt.Sprintf("must be %q or %q", ReasonTicketClosed, ReasonTransferToEmail)}
	}
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
