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
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxMetadataBytes is the largest metadata object the API accepts, measured
// as serialized JSON: the bytes the client sends, `{"key":"value",...}`, with
// UTF-8 text and HTML escaping off (see EncodeJSON).
const MaxMetadataBytes = 4096

// MaxIDLength bounds the ids the client puts into a URL path.
const MaxIDLength = 128

// ValidateMetadata checks metadata the way the API does before it is sent: a
// flat object whose values are strings, numbers, booleans or null, at most
// MaxMetadataBytes as JSON (as EncodeJSON writes it). Keys and string values
// must be valid UTF-8 without control characters other than tab, newline and
// carriage return: JSON writes the others as six-byte escapes, which the
// ConversationControl CRD does not count, so both refuse them. A nil or empty
// map is valid. The error is a *ValidationError naming the first offending
// key in sorted order, for example `metadata["foo"]: nested objects are not
// allowed`.
func ValidateMetadata(md map[string]any) error {
	if len(md) == 0 {
		return nil
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := fmt.Sprintf("metadata[%q]", k)
		if reason := textProblem(k); reason != "" {
			return &ValidationError{Field: field, Reason: "the key " + reason}
		}
		// Each value is checked by its JSON form, which is what the API sees: a
		// struct, a json.Marshaler or a pointer is judged by what it encodes to.
		value, err := EncodeJSON(md[k])
		if err != nil {
			return &ValidationError{Field: field, Reason: "cannot be encoded as JSON: " + jsonProblem(err)}
		}
		switch value[0] {
		case '{':
			return &ValidationError{Field: field, Reason: "nested objects are not allowed"}
		case '[':
			return &ValidationError{Field: field, Reason: "arrays are not allowed"}
		}
		if reason := stringValueProblem(md[k], value); reason != "" {
			return &ValidationError{Field: field, Reason: "the value " + reason}
		}
	}
	encoded, err := EncodeJSON(md)
	if err != nil {
		return &ValidationError{Field: "metadata", Reason: "cannot be encoded as JSON: " + jsonProblem(err)}
	}
	if size := len(encoded); size > MaxMetadataBytes {
		return &ValidationError{Field: "metadata", Reason: fmt.Sprintf("is %d bytes as JSON, more than the %d allowed", size, MaxMetadataBytes)}
	}
	return nil
}

// stringValueProblem checks a metadata value that is, or encodes to, a JSON
// string; encoded is its JSON form.
func stringValueProblem(v any, encoded []byte) string {
	if s, ok := v.(string); ok {
		return textProblem(s)
	}
	var s string
	if encoded[0] != '"' || json.Unmarshal(encoded, &s) != nil {
		return ""
	}
	return textProblem(s)
}

// textProblem says why s cannot be a metadata key or string value, or returns "".
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return fmt.Sprintf("must not contain the control character %U (only tab, newline and carriage return are allowed)", r)
		}
	}
	return ""
}

// EncodeJSON encodes v as the client sends request bodies: like json.Marshal,
// but with HTML escaping off, so that "<", ">" and "&" are sent as one byte
// each. Go still escapes `"`, `\`, control characters, U+2028 and U+2029, and
// replaces invalid UTF-8 with U+FFFD.
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsonProblem describes a json.Marshal error without the package prefix.
func jsonProblem(err error) string { return strings.TrimPrefix(err.Error(), "json: ") }

// ValidateEndpoint checks an API base URL as sunshine.New does, with the same
// rules as the Switchboard CRD's spec.endpoint: an absolute http or https URL
// (as url.ParseRequestURI reads it) with a host; no user info ("@"), query
// ("?") or fragment ("#"); a port, if any, from 1 to 65535 without leading
// zeros; and https unless the host is localhost, in 127.0.0.0/8 or [::1]. Its
// errors never echo the URL, which may carry credentials pasted into it.
func ValidateEndpoint(endpoint string) error {
	_, err := parseEndpoint(endpoint)
	return err
}

// parseEndpoint validates the base URL (see ValidateEndpoint) and returns it
// without trailing slashes.
func parseEndpoint(endpoint string) (*url.URL, error) {
	invalid := func(reason string) error { return &ValidationError{Field: "endpoint", Reason: reason} }
	if endpoint == "" {
		return nil, invalid("must not be empty")
	}
	if strings.Contains(endpoint, "@") {
		return nil, invalid(`must not contain user info ("@"): the credentials belong in the Secret`)
	}
	if strings.ContainsAny(endpoint, "?#") {
		return nil, invalid(`must not have a query or a fragment ("?" or "#")`)
	}
	// The CRD's isURL() is url.ParseRequestURI, and url() is url.Parse.
	if _, err := url.ParseRequestURI(endpoint); err != nil {
		return nil, invalid("must be an absolute http(s) URL such as https://acme.zendesk.com/sc")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, invalid("must be an absolute http(s) URL such as https://acme.zendesk.com/sc")
	}
	if port := u.Port(); (port == "" && strings.HasSuffix(u.Host, ":")) || (port != "" && !validPort(port)) {
		return nil, invalid("must have a port from 1 to 65535, or none")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, invalid("must use https unless the host is a loopback address")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// validPort reports whether port is a decimal number from 1 to 65535 without
// leading zeros.
func validPort(port string) bool {
	if len(port) > 5 || port[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == port
}

// isLoopback reports whether host is a loopback host as the CRD's rule reads
// it: localhost (ASCII case-insensitive), an IPv4 address in 127.0.0.0/8, or
// the IPv6 address ::1 written so.
func isLoopback(host string) bool {
	if asciiLower(host) == "localhost" || host == "::1" {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Is4() && addr.IsLoopback()
}

// asciiLower lowers the ASCII letters of s only, like CEL's lowerAscii.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

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
