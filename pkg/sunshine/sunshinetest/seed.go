package sunshinetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// Seed is the initial world of a Simulator: apps with their API keys,
// switchboard, switchboard integrations and conversations. It is read from
// YAML or JSON with ParseSeed or LoadSeed, or built in Go by tests.
type Seed struct {
	// Apps are the Sunshine Conversations apps the simulator serves.
	Apps []AppSeed `json:"apps"`
}

// AppSeed describes one app.
type AppSeed struct {
	// ID is the app id used in `/v2/apps/{appId}/...` paths.
	ID string `json:"id"`
	// Keys are the API keys accepted for this app.
	Keys []KeySeed `json:"keys,omitempty"`
	// Switchboard is the app's switchboard; nil means the app has none.
	Switchboard *SwitchboardSeed `json:"switchboard,omitempty"`
	// Conversations are the conversations that exist from the start.
	Conversations []ConversationSeed `json:"conversations,omitempty"`
}

// Scopes of API keys (the JWT `scope` claim must equal the key's scope).
const (
	ScopeApp         = "app"
	ScopeAccount     = "account"
	ScopeIntegration = "integration"
)

// KeySeed is an API key: a key id (Basic user name, JWT `kid`) and a secret.
type KeySeed struct {
	// ID is the key id, e.g. app_5723a347f82ba0516cb4ea34. Unique in the seed.
	ID string `json:"id"`
	// Secret is the key secret (Basic password, JWT HS256 signing key).
	Secret string `json:"secret"`
	// Scope is app, account or integration. An account key may call any app
	// of the simulator; app and integration keys only the app they are listed
	// under.
	Scope string `json:"scope"`
	// IntegrationID is, for integration scope, the id of the custom
	// integration the key belongs to; it identifies the caller as the
	// switchboard integrations whose integrationId equals it.
	IntegrationID string `json:"integrationId,omitempty"`
}

// SwitchboardSeed describes an app's switchboard.
type SwitchboardSeed struct {
	// ID is the switchboard id; generated (24 hex digits) when empty.
	ID string `json:"id,omitempty"`
	// Enabled is the switchboard's enabled flag. An enabled switchboard needs
	// a Default.
	Enabled bool `json:"enabled"`
	// Default is the name of the default switchboard integration.
	Default string `json:"default,omitempty"`
	// Integrations are the switchboard integrations (at most 10).
	Integrations []IntegrationSeed `json:"integrations,omitempty"`
}

// IntegrationSeed describes one switchboard integration.
type IntegrationSeed struct {
	// ID is the switchboard integration id; generated when empty.
	ID string `json:"id,omitempty"`
	// Name is the integration's handle: [A-Za-z0-9_-], at most 128
	// characters, unique within the switchboard.
	Name string `json:"name"`
	// IntegrationType is `custom` for custom integrations, or an OAuth client
	// id such as `zd:agentWorkspace`. Defaults to custom.
	IntegrationType string `json:"integrationType,omitempty"`
	// IntegrationID is the id of the linked integration; generated when
	// empty (the vendor fills it for OAuth links too).
	IntegrationID string `json:"integrationId,omitempty"`
	// Next is the name of the integration the `next` keyword leads to.
	Next string `json:"next,omitempty"`
	// DeliverStandbyEvents is reported by the list call; nil means true
	// (the vendor's default on create).
	DeliverStandbyEvents *bool `json:"deliverStandbyEvents,omitempty"`
	// MessageHistoryCount is reported by the list call when set (1..10).
	MessageHistoryCount *int `json:"messageHistoryCount,omitempty"`
}

// ConversationSeed describes a conversation and its switchboard state.
type ConversationSeed struct {
	// ID is the conversation id.
	ID string `json:"id"`
	// Active is the name of the active integration; empty for none.
	Active string `json:"active,omitempty"`
	// Pending is the name of the pending integration; empty for none.
	Pending string `json:"pending,omitempty"`
}

// MaxSwitchboardIntegrations is the vendor's limit of switchboard
// integrations per switchboard.
const MaxSwitchboardIntegrations = 10

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// ParseSeed reads a seed from YAML or JSON, validates it and fills in the
// defaults (generated ids, integrationType custom). Errors name the offending
// entry, e.g. `apps[0].switchboard.integrations[2].next: unknown integration "x"`.
func ParseSeed(data []byte) (Seed, error) {
	var s Seed
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return Seed{}, fmt.Errorf("seed: %w", err)
	}
	return normalizeSeed(s)
}

// LoadSeed reads a seed file (YAML or JSON); see ParseSeed.
func LoadSeed(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, err
	}
	s, err := ParseSeed(data)
	if err != nil {
		return Seed{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// generatedID derives a vendor-style id (24 hex digits) from its parts, so
// the same seed always yields the same ids.
func generatedID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:12])
}

// normalizeSeed validates s and returns a deep copy with defaults filled in.
func normalizeSeed(in Seed) (Seed, error) {
	out := Seed{Apps: make([]AppSeed, len(in.Apps))}
	apps := map[string]bool{}
	keys := map[string]string{}
	for i, a := range in.Apps {
		at := fmt.Sprintf("apps[%d]", i)
		if err := checkPathID(at+".id", a.ID); err != nil {
			return Seed{}, err
		}
		if apps[a.ID] {
			return Seed{}, fmt.Errorf("%s.id: duplicate app %q", at, a.ID)
		}
		apps[a.ID] = true
		na, err := normalizeApp(at, a, keys)
		if err != nil {
			return Seed{}, err
		}
		out.Apps[i] = na
	}
	return out, nil
}

func checkPathID(at, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s: required", at)
	case strings.ContainsAny(id, "/?#") || strings.TrimSpace(id) != id:
		return fmt.Errorf("%s: %q is not usable in a URL path", at, id)
	}
	return nil
}

// normalizeApp validates one app. keys maps key ids already seen (in any app)
// to where they were seen, since a key id must identify one key.
func normalizeApp(at string, a AppSeed, keys map[string]string) (AppSeed, error) {
	out := AppSeed{ID: a.ID}
	var err error
	if out.Keys, err = normalizeKeys(at, a.Keys, keys); err != nil {
		return AppSeed{}, err
	}
	if a.Switchboard != nil {
		sb, err := normalizeSwitchboard(at+".switchboard", a.ID, *a.Switchboard)
		if err != nil {
			return AppSeed{}, err
		}
		out.Switchboard = &sb
	}
	names := map[string]bool{}
	if out.Switchboard != nil {
		for _, si := range out.Switchboard.Integrations {
			names[si.Name] = true
		}
	}
	seen := map[string]bool{}
	for j, c := range a.Conversations {
		ct := fmt.Sprintf("%s.conversations[%d]", at, j)
		if err := checkPathID(ct+".id", c.ID); err != nil {
			return AppSeed{}, err
		}
		if seen[c.ID] {
			return AppSeed{}, fmt.Errorf("%s.id: duplicate conversation %q", ct, c.ID)
		}
		seen[c.ID] = true
		if err := checkConversationState(ct, ConversationState{Active: c.Active, Pending: c.Pending}, names); err != nil {
			return AppSeed{}, err
		}
		out.Conversations = append(out.Conversations, ConversationSeed{ID: c.ID, Active: c.Active, Pending: c.Pending})
	}
	return out, nil
}

// checkConversationState checks that active and pending name integrations
// of the switchboard (names) and differ.
func checkConversationState(at string, st ConversationState, names map[string]bool) error {
	if st.Active != "" && !names[st.Active] {
		return fmt.Errorf("%s.active: unknown integration %q", at, st.Active)
	}
	if st.Pending != "" && !names[st.Pending] {
		return fmt.Errorf("%s.pending: unknown integration %q", at, st.Pending)
	}
	if st.Pending != "" && st.Pending == st.Active {
		return fmt.Errorf("%s.pending: %q is already the active integration", at, st.Pending)
	}
	return nil
}

func normalizeKeys(at string, in []KeySeed, seen map[string]string) ([]KeySeed, error) {
	var out []KeySeed
	for j, k := range in {
		kt := fmt.Sprintf("%s.keys[%d]", at, j)
		if err := checkKey(kt, k); err != nil {
			return nil, err
		}
		if prev, ok := seen[k.ID]; ok {
			return nil, fmt.Errorf("%s.id: duplicate key id %q (also %s)", kt, k.ID, prev)
		}
		seen[k.ID] = kt
		out = append(out, k)
	}
	return out, nil
}

func checkKey(at string, k KeySeed) error {
	if k.ID == "" {
		return fmt.Errorf("%s.id: required", at)
	}
	if k.Secret == "" {
		return fmt.Errorf("%s.secret: required", at)
	}
	switch k.Scope {
	case ScopeApp, ScopeAccount:
		if k.IntegrationID != "" {
			return fmt.Errorf("%s.integrationId: only for scope %q", at, ScopeIntegration)
		}
	case ScopeIntegration:
		if k.IntegrationID == "" {
			return fmt.Errorf("%s.integrationId: required for scope %q", at, ScopeIntegration)
		}
	case "":
		return fmt.Errorf("%s.scope: required (app, account or integration)", at)
	default:
		return fmt.Errorf("%s.scope: %q is not app, account or integration", at, k.Scope)
	}
	return nil
}

func normalizeSwitchboard(at, appID string, in SwitchboardSeed) (SwitchboardSeed, error) {
	out := SwitchboardSeed{ID: in.ID, Enabled: in.Enabled, Default: in.Default}
	if out.ID == "" {
		out.ID = generatedID(appID, "switchboard")
	}
	if len(in.Integrations) > MaxSwitchboardIntegrations {
		return SwitchboardSeed{}, fmt.Errorf("%s.integrations: %d integrations, at most %d allowed",
			at, len(in.Integrations), MaxSwitchboardIntegrations)
	}
	names := map[string]bool{}
	ids := map[string]bool{}
	for j, si := range in.Integrations {
		it := fmt.Sprintf("%s.integrations[%d]", at, j)
		if !nameRE.MatchString(si.Name) {
			if si.Name == "" {
				return SwitchboardSeed{}, fmt.Errorf("%s.name: required", it)
			}
			return SwitchboardSeed{}, fmt.Errorf("%s.name: %q must be 1-128 characters of A-Z a-z 0-9 _ -", it, si.Name)
		}
		if names[si.Name] {
			return SwitchboardSeed{}, fmt.Errorf("%s.name: duplicate integration name %q", it, si.Name)
		}
		names[si.Name] = true
		if si.ID == "" {
			si.ID = generatedID(appID, "switchboardIntegration", si.Name)
		}
		if ids[si.ID] {
			return SwitchboardSeed{}, fmt.Errorf("%s.id: duplicate id %q", it, si.ID)
		}
		ids[si.ID] = true
		if si.IntegrationType == "" {
			si.IntegrationType = "custom"
		}
		if si.IntegrationID == "" {
			si.IntegrationID = generatedID(appID, "integration", si.Name)
		}
		if si.MessageHistoryCount != nil && (*si.MessageHistoryCount < 1 || *si.MessageHistoryCount > 10) {
			return SwitchboardSeed{}, fmt.Errorf("%s.messageHistoryCount: %d is not in 1..10", it, *si.MessageHistoryCount)
		}
		si.DeliverStandbyEvents = copyPtr(si.DeliverStandbyEvents)
		si.MessageHistoryCount = copyPtr(si.MessageHistoryCount)
		out.Integrations = append(out.Integrations, si)
	}
	for j, si := range out.Integrations {
		it := fmt.Sprintf("%s.integrations[%d]", at, j)
		switch {
		case si.Next == "":
		case si.Next == si.Name:
			return SwitchboardSeed{}, fmt.Errorf("%s.next: an integration cannot be its own next", it)
		case !names[si.Next]:
			return SwitchboardSeed{}, fmt.Errorf("%s.next: unknown integration %q", it, si.Next)
		}
	}
	switch {
	case out.Default != "" && !names[out.Default]:
		return SwitchboardSeed{}, fmt.Errorf("%s.default: unknown integration %q", at, out.Default)
	case out.Default == "" && out.Enabled:
		return SwitchboardSeed{}, errors.New(at + ".default: an enabled switchboard must have a default integration")
	}
	return out, nil
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
