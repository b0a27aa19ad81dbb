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

// Package validationcases is the one table of values that both the client
// (sunshine.ValidateMetadata, sunshine.New) and the CRDs (ConversationControl
// spec.metadata, Switchboard spec.endpoint) must accept or refuse alike. The
// client's unit tests, the CEL rules evaluated in-process and the envtest
// suite all run it, so that whatever the API server accepts the client sends.
package validationcases

import "strings"

// Case is one value and whether it is valid.
type Case[T any] struct {
	// Name says what the case shows.
	Name string
	// Value is the metadata or endpoint.
	Value T
	// Accept is true when the CRD and the client must both accept Value, false
	// when both must refuse it.
	Accept bool
}

// jsonFrame is the size of `{"k":""}`: the bytes around a one-key metadata
// object with key "k".
const jsonFrame = len(`{"k":""}`)

// limit is the vendor's metadata limit, in bytes of JSON.
const limit = 4096

// fill returns metadata {"k": prefix + "x"...} of exactly size bytes as JSON,
// given that prefix is prefixBytes bytes as JSON (escapes included).
func fill(prefix string, prefixBytes, size int) map[string]string {
	return map[string]string{"k": prefix + strings.Repeat("x", size-jsonFrame-prefixBytes)}
}

// Metadata are values of ConversationControl spec.metadata. Sizes are
// counted by hand: UTF-8 bytes, with `"`, `\`, tab, newline and carriage
// return written as two bytes, U+2028 and U+2029 as six, and `<`, `>`, `&` as
// one (HTML escaping off).
var Metadata = []Case[map[string]string]{
	{Name: "no metadata", Value: map[string]string{}, Accept: true},
	{Name: "small flat metadata", Value: map[string]string{"reason": "vip", "priority": "1"}, Accept: true},
	{Name: "exactly 4096 bytes of ASCII", Value: fill("", 0, limit), Accept: true},
	{Name: "4097 bytes of ASCII", Value: fill("", 0, limit+1)},
	{Name: "four keys of exactly 4096 bytes", Value: map[string]string{ // 2 braces + 3 commas + 4 x `"a":""` = 29
		"a": strings.Repeat("a", 1000), "b": strings.Repeat("b", 1000), "c": strings.Repeat("c", 1000), "d": strings.Repeat("d", limit-29-3000),
	}, Accept: true},
	{Name: "four keys of 4097 bytes", Value: map[string]string{
		"a": strings.Repeat("a", 1000), "b": strings.Repeat("b", 1000), "c": strings.Repeat("c", 1000), "d": strings.Repeat("d", limit-29-3000+1),
	}},
	{Name: `"é" 3000 times is 6000 bytes, not 3000 characters`, Value: map[string]string{"k": strings.Repeat("é", 3000)}},
	{Name: `"é" up to exactly 4096 bytes`, Value: map[string]string{"k": strings.Repeat("é", (limit-jsonFrame)/2)}, Accept: true},
	{Name: `"é" up to 4097 bytes`, Value: fill(strings.Repeat("é", (limit-jsonFrame)/2), limit-jsonFrame, limit+1)},
	{Name: "a four-byte character in a key counts four bytes", Value: map[string]string{"😀": strings.Repeat("x", limit-len(`{"😀":""}`))}, Accept: true},
	{Name: "a four-byte character in a key, one byte over", Value: map[string]string{"😀": strings.Repeat("x", limit-len(`{"😀":""}`)+1)}},
	{Name: `"<>&" are one byte each (HTML escaping off), exactly 4096 bytes`, Value: fill(strings.Repeat("<>&", 1000), 3000, limit), Accept: true},
	{Name: `"<>&" one byte over`, Value: fill(strings.Repeat("<>&", 1000), 3000, limit+1)},
	{Name: `quotes and backslashes are two bytes each, exactly 4096 bytes`, Value: fill(strings.Repeat(`"\`, 500), 2000, limit), Accept: true},
	{Name: `quotes and backslashes, one byte over`, Value: fill(strings.Repeat(`"\`, 500), 2000, limit+1)},
	{Name: "tab, newline and carriage return are two bytes each, exactly 4096 bytes", Value: fill(strings.Repeat("\t\n\r", 300), 1800, limit), Accept: true},
	{Name: "tab, newline and carriage return, one byte over", Value: fill(strings.Repeat("\t\n\r", 300), 1800, limit+1)},
	{Name: "U+2028 and U+2029 are six bytes each, exactly 4096 bytes", Value: fill(strings.Repeat("\u2028\u2029", 300), 3600, limit), Accept: true},
	{Name: "U+2028 and U+2029, one byte over", Value: fill(strings.Repeat("\u2028\u2029", 300), 3600, limit+1)},
	{Name: "escapes in a key count too", Value: map[string]string{`"k"`: strings.Repeat("x", limit-len(`{"\"k\"":""}`))}, Accept: true},
	{Name: "escapes in a key, one byte over", Value: map[string]string{`"k"`: strings.Repeat("x", limit-len(`{"\"k\"":""}`)+1)}},
	{Name: "DEL and C1 characters are plain UTF-8", Value: map[string]string{"k": "a\u007fb\u0085c"}, Accept: true},
	{Name: "a control character in a value", Value: map[string]string{"k": "a\u0001b"}},
	{Name: "NUL in a value", Value: map[string]string{"k": "a\x00"}},
	{Name: "backspace in a value", Value: map[string]string{"k": "a\bb"}},
	{Name: "a control character in a key", Value: map[string]string{"k\u001f": "v"}},
	{Name: "128 keys", Value: manyKeys(128), Accept: true},
}

// manyKeys returns n small entries.
func manyKeys(n int) map[string]string {
	md := make(map[string]string, n)
	for i := range n {
		md[string(rune('a'+i/26))+string(rune('a'+i%26))] = "v"
	}
	return md
}

// Endpoints are values of Switchboard spec.endpoint.
var Endpoints = []Case[string]{
	{Name: "a Zendesk subdomain with a path", Value: "https://acme.zendesk.com/sc", Accept: true},
	{Name: "the US host", Value: "https://api.smooch.io", Accept: true},
	{Name: "the EU host with a trailing slash", Value: "https://api.eu-1.smooch.io/", Accept: true},
	{Name: "https with port 443", Value: "https://api.smooch.io:443", Accept: true},
	{Name: "the highest port", Value: "https://api.smooch.io:65535/v", Accept: true},
	{Name: "an upper-case scheme and host", Value: "HTTPS://API.SMOOCH.IO", Accept: true},
	{Name: "http to 127.0.0.1 (the simulator)", Value: "http://127.0.0.1:8091", Accept: true},
	{Name: "http to another 127/8 address", Value: "http://127.1.2.3", Accept: true},
	{Name: "http to localhost with a path", Value: "http://localhost:8091/sc", Accept: true},
	{Name: "http to LOCALHOST", Value: "http://LOCALHOST:8091", Accept: true},
	{Name: "http to ::1", Value: "http://[::1]:8091", Accept: true},
	{Name: "empty", Value: ""},
	{Name: "not a URL", Value: "acme zendesk"},
	{Name: "no scheme", Value: "acme.zendesk.com/sc"},
	{Name: "another scheme", Value: "ftp://acme.zendesk.com"},
	{Name: "no host", Value: "https:///sc"},
	{Name: "a port but no host name", Value: "https://:443"},
	{Name: "an opaque URL", Value: "https:acme.zendesk.com"},
	{Name: "user and password", Value: "https://u:p@acme.zendesk.com/sc"},
	{Name: "a user", Value: "https://user@acme.zendesk.com"},
	{Name: "an empty user info", Value: "https://@acme.zendesk.com"},
	{Name: "a query", Value: "https://acme.zendesk.com/sc?x=1"},
	{Name: "an empty query", Value: "https://acme.zendesk.com/sc?"},
	{Name: "a fragment", Value: "https://acme.zendesk.com/sc#x"},
	{Name: "an empty fragment", Value: "https://acme.zendesk.com/sc#"},
	{Name: "port 0", Value: "https://acme.zendesk.com:0"},
	{Name: "port 65536", Value: "https://acme.zendesk.com:65536"},
	{Name: "port 99999", Value: "https://acme.zendesk.com:99999/sc"},
	{Name: "a port with a leading zero", Value: "https://acme.zendesk.com:0443"},
	{Name: "a non-numeric port", Value: "https://acme.zendesk.com:https"},
	{Name: "an empty port", Value: "https://acme.zendesk.com:/sc"},
	{Name: "an empty port on an IPv6 loopback", Value: "http://[::1]:"},
	{Name: "plain http to a remote host", Value: "http://acme.zendesk.com/sc"},
	{Name: "plain http to a name that starts like a loopback address", Value: "http://127.0.0.1.nip.io"},
	{Name: "plain http to localhost.example", Value: "http://localhost.example:8091"},
	{Name: "plain http to an IPv4-mapped loopback", Value: "http://[::ffff:127.0.0.1]:8091"},
	{Name: "plain http to a loopback with a zone", Value: "http://[::1%25lo]:8091"},
	{Name: "plain http to a malformed address", Value: "http://127.999.0.1"},
	{Name: "plain http to a short-form address", Value: "http://127.1"},
	{Name: "plain http to a loopback address with a leading zero", Value: "http://127.0.0.01:8091"},
	{Name: "plain http to ::1 written in full (only [::1] counts)", Value: "http://[0:0:0:0:0:0:0:1]:8091"},
	{Name: "plain http to a host after a loopback-like prefix", Value: "http://127.0.0.1:80:80"},
}

// Integration is one entry of Switchboard spec.integrations.
type Integration struct {
	Name, IntegrationID, IntegrationType, Next string
	DeliverStandbyEvents                       *bool
	MessageHistoryCount                        *int
}

// Config is the switchboard configuration of a Switchboard spec under
// managementPolicy Manage: spec.enabled, spec.defaultIntegration and
// spec.integrations.
type Config struct {
	Enabled      *bool
	Default      string
	Integrations []Integration
}

// ConfigCase is one configuration and whether the CRD and the client
// (sunshine.ValidateSwitchboardConfig) accept it.
type ConfigCase struct {
	// Name says what the case shows.
	Name string
	// Value is the configuration.
	Value Config
	// Accept is true when both must accept Value.
	Accept bool
	// Field is, for a refused Value, the start of the spec field both errors name
	// (below spec.), such as "integrations" or "defaultIntegration".
	Field string
}

// bot is the custom integration "bot" with next.
func bot(next string) Integration {
	return Integration{Name: "bot", IntegrationID: "5e1f0c0ffee0000000000001", Next: next}
}

func typed(name, integrationType, next string) Integration {
	return Integration{Name: name, IntegrationType: integrationType, Next: next}
}

func on() *bool { v := true; return &v }

func count(n int) *int { return &n }

// routing is bot -> agent workspace -> bot.
var routing = []Integration{bot("agent-workspace"), typed("agent-workspace", "zd:agentWorkspace", "bot")}

func tenIntegrations(extra int) []Integration {
	out := make([]Integration, 0, 10+extra)
	for i := range 10 + extra {
		out = append(out, typed("i"+string(rune('a'+i)), "partner", ""))
	}
	return out
}

// Configs are values of Switchboard spec.enabled, defaultIntegration and integrations.
var Configs = []ConfigCase{
	{Name: "bot -> agent workspace -> bot, enabled", Value: Config{Enabled: on(), Default: "bot", Integrations: routing}, Accept: true},
	{Name: "disabled with a default", Value: Config{Default: "bot", Integrations: []Integration{bot("")}}, Accept: true},
	{Name: "ten integrations", Value: Config{Default: "ia", Integrations: tenIntegrations(0)}, Accept: true},
	{Name: "eleven integrations", Value: Config{Default: "ia", Integrations: tenIntegrations(1)}, Field: "integrations"},
	{Name: "a name of 128 characters", Value: Config{Default: strings.Repeat("n", 128), Integrations: []Integration{typed(strings.Repeat("n", 128), "x", "")}}, Accept: true},
	{Name: "a name of 129 characters", Value: Config{Default: "bot", Integrations: []Integration{routing[0], typed(strings.Repeat("n", 129), "x", "")}}, Field: "integrations"},
	{Name: "a name with a dot", Value: Config{Default: "bot", Integrations: []Integration{routing[0], typed("a.b", "x", "")}}, Field: "integrations"},
	{Name: "a name with a space", Value: Config{Default: "bot", Integrations: []Integration{routing[0], typed("a b", "x", "")}}, Field: "integrations"},
	{Name: "an empty name", Value: Config{Default: "bot", Integrations: []Integration{routing[0], typed("", "x", "")}}, Field: "integrations"},
	{Name: "two integrations with one name", Value: Config{Default: "bot", Integrations: []Integration{routing[0], typed("bot", "x", "")}}, Field: "integrations"},
	{Name: "both integrationId and integrationType", Value: Config{Default: "bot", Integrations: []Integration{{Name: "bot", IntegrationID: "5e1f", IntegrationType: "custom"}}}, Field: "integrations"},
	{Name: "neither integrationId nor integrationType", Value: Config{Default: "bot", Integrations: []Integration{{Name: "bot"}}}, Field: "integrations"},
	{Name: "messageHistoryCount 1", Value: Config{Default: "bot", Integrations: []Integration{{Name: "bot", IntegrationType: "x", MessageHistoryCount: count(1)}}}, Accept: true},
	{Name: "messageHistoryCount 10", Value: Config{Default: "bot", Integrations: []Integration{{Name: "bot", IntegrationType: "x", MessageHistoryCount: count(10)}}}, Accept: true},
	{Name: "messageHistoryCount 0", Value: Config{Default: "bot", Integrations: []Integration{{Name: "bot", IntegrationType: "x", MessageHistoryCount: count(0)}}}, Field: "integrations"},
	{Name: "messageHistoryCount 11", Value: Config{Default: "bot", Integrations: []Integration{{Name: "bot", IntegrationType: "x", MessageHistoryCount: count(11)}}}, Field: "integrations"},
	{Name: "next naming no entry", Value: Config{Default: "bot", Integrations: []Integration{bot("agents")}}, Field: "integrations"},
	{Name: "next naming the integration itself", Value: Config{Default: "bot", Integrations: []Integration{bot("bot")}}, Field: "integrations"},
	{Name: "a default naming no entry", Value: Config{Default: "agents", Integrations: routing}, Field: "defaultIntegration"},
	{Name: "no default", Value: Config{Integrations: routing}, Field: "defaultIntegration"},
	{Name: "enabled without a default", Value: Config{Enabled: on(), Integrations: routing}, Field: "enabled"},
}
