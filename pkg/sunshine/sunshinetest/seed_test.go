package sunshinetest

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const demoYAML = `
apps:
- id: app-demo
  keys:
  - {id: app_demo_key, secret: demo-secret, scope: app}
  switchboard:
    enabled: true
    default: bot
    integrations:
    - {name: bot, integrationType: custom, next: agent-workspace}
    - {name: agent-workspace, integrationType: "zd:agentWorkspace", next: bot}
  conversations:
  - {id: conv-1, active: bot}
  - {id: conv-2}
`

const demoJSON = `{"apps":[{"id":"app-demo",
  "keys":[{"id":"app_demo_key","secret":"demo-secret","scope":"app"}],
  "switchboard":{"enabled":true,"default":"bot","integrations":[
    {"name":"bot","integrationType":"custom","next":"agent-workspace"},
    {"name":"agent-workspace","integrationType":"zd:agentWorkspace","next":"bot"}]},
  "conversations":[{"id":"conv-1","active":"bot"},{"id":"conv-2"}]}]}`

func TestParseSeedYAMLAndJSONAgree(t *testing.T) {
	y, err := ParseSeed([]byte(demoYAML))
	if err != nil {
		t.Fatal(err)
	}
	j, err := ParseSeed([]byte(demoJSON))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, j) {
		t.Errorf("YAML %+v\nJSON %+v", y, j)
	}
	app := y.Apps[0]
	if len(app.Keys) != 1 || app.Keys[0].Secret != "demo-secret" || len(app.Conversations) != 2 || app.Conversations[0].Active != "bot" {
		t.Errorf("parsed app = %+v", app)
	}
}

func TestParseSeedGeneratesStableVendorStyleIDs(t *testing.T) {
	a, err := ParseSeed([]byte(demoYAML))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParseSeed([]byte(demoYAML))
	if !reflect.DeepEqual(a, b) {
		t.Error("two parses of one seed differ")
	}
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	sb := a.Apps[0].Switchboard
	ids := map[string]bool{sb.ID: true}
	if !hex24.MatchString(sb.ID) {
		t.Errorf("switchboard id %q", sb.ID)
	}
	for _, si := range sb.Integrations {
		for _, id := range []string{si.ID, si.IntegrationID} {
			if !hex24.MatchString(id) || ids[id] {
				t.Errorf("%s: id %q not 24 hex digits or not unique", si.Name, id)
			}
			ids[id] = true
		}
	}
	if sb.Integrations[0].IntegrationType != "custom" {
		t.Errorf("integrationType = %q", sb.Integrations[0].IntegrationType)
	}
}

func TestParseSeedKeepsGivenIDsAndDefaults(t *testing.T) {
	s, err := ParseSeed([]byte(`
apps:
- id: a
  switchboard:
    id: 5ef21b132f21af34f088530d
    integrations:
    - {id: 5ef21b86e933b7355c11c604, name: bot, integrationId: 5ef21b86e933b7355c11c605, deliverStandbyEvents: false, messageHistoryCount: 5}
`))
	if err != nil {
		t.Fatal(err)
	}
	sb := s.Apps[0].Switchboard
	si := sb.Integrations[0]
	if sb.ID != "5ef21b132f21af34f088530d" || si.ID != "5ef21b86e933b7355c11c604" || si.IntegrationID != "5ef21b86e933b7355c11c605" ||
		si.IntegrationType != "custom" || *si.DeliverStandbyEvents || *si.MessageHistoryCount != 5 || sb.Enabled {
		t.Errorf("parsed %+v %+v", sb, si)
	}
}

func TestParseSeedEmptyIsAnEmptyWorld(t *testing.T) {
	s, err := ParseSeed([]byte("apps: []"))
	if err != nil || len(s.Apps) != 0 {
		t.Errorf("ParseSeed = %+v, %v", s, err)
	}
}

func TestParseSeedErrorsNameTheEntry(t *testing.T) {
	const head = "apps:\n- id: a\n  keys: [{id: app_k, secret: s, scope: app}]\n"
	sb := func(rest string) string {
		return head + "  switchboard:\n    default: bot\n    integrations:\n    - {name: bot}\n    - {name: aw, next: bot}\n" + rest
	}
	cases := []struct {
		name, seed, want string
	}{
		{"malformed YAML", "apps: [", "seed: "},
		{"unknown field", "apps:\n- id: a\n  colour: red\n", `unknown field "colour"`},
		{"app without id", "apps:\n- keys: []\n", "apps[0].id: required"},
		{"app id with a slash", "apps:\n- id: a/b\n", `apps[0].id: "a/b" is not usable in a URL path`},
		{"duplicate app", "apps:\n- id: a\n- id: a\n", `apps[1].id: duplicate app "a"`},
		{"key without id", "apps:\n- id: a\n  keys: [{secret: s, scope: app}]\n", "apps[0].keys[0].id: required"},
		{"key without secret", "apps:\n- id: a\n  keys: [{id: k, scope: app}]\n", "apps[0].keys[0].secret: required"},
		{"key without scope", "apps:\n- id: a\n  keys: [{id: k, secret: s}]\n", "apps[0].keys[0].scope: required"},
		{"key with a bad scope", "apps:\n- id: a\n  keys: [{id: k, secret: s, scope: user}]\n", `apps[0].keys[0].scope: "user" is not`},
		{"integration key without integrationId", "apps:\n- id: a\n  keys: [{id: int_k, secret: s, scope: integration}]\n", "apps[0].keys[0].integrationId: required"},
		{"app key with integrationId", "apps:\n- id: a\n  keys: [{id: k, secret: s, scope: app, integrationId: x}]\n", "apps[0].keys[0].integrationId: only for scope"},
		{"key id used twice", head + "- id: b\n  keys: [{id: app_k, secret: t, scope: app}]\n", `apps[1].keys[0].id: duplicate key id "app_k" (also apps[0].keys[0])`},
		{"unknown next", sb("    - {name: x2, next: x}\n"), `apps[0].switchboard.integrations[2].next: unknown integration "x"`},
		{"next pointing at itself", sb("    - {name: x2, next: x2}\n"), "apps[0].switchboard.integrations[2].next: an integration cannot be its own next"},
		{"integration without name", sb("    - {integrationType: custom}\n"), "apps[0].switchboard.integrations[2].name: required"},
		{"integration name with bad characters", sb("    - {name: \"a b\"}\n"), `apps[0].switchboard.integrations[2].name: "a b" must be`},
		{"integration name too long", sb("    - {name: " + strings.Repeat("n", 129) + "}\n"), "apps[0].switchboard.integrations[2].name:"},
		{"duplicate integration name", sb("    - {name: bot}\n"), `apps[0].switchboard.integrations[2].name: duplicate integration name "bot"`},
		{"duplicate integration id", head + "  switchboard:\n    integrations:\n    - {id: x, name: a}\n    - {id: x, name: b}\n", `apps[0].switchboard.integrations[1].id: duplicate id "x"`},
		{"messageHistoryCount out of range", sb("    - {name: c, messageHistoryCount: 11}\n"), "apps[0].switchboard.integrations[2].messageHistoryCount: 11 is not in 1..10"},
		{"more than 10 integrations", head + "  switchboard:\n    integrations:\n" + strings.Repeat("    - {name: x}\n", 11), "apps[0].switchboard.integrations: 11 integrations, at most 10"},
		{"unknown default", head + "  switchboard:\n    default: nobody\n    integrations: [{name: bot}]\n", `apps[0].switchboard.default: unknown integration "nobody"`},
		{"enabled without default", head + "  switchboard:\n    enabled: true\n    integrations: [{name: bot}]\n", "apps[0].switchboard.default: an enabled switchboard must have a default integration"},
		{"conversation without id", sb("  conversations:\n  - {active: bot}\n"), "apps[0].conversations[0].id: required"},
		{"duplicate conversation", sb("  conversations:\n  - {id: c}\n  - {id: c}\n"), `apps[0].conversations[1].id: duplicate conversation "c"`},
		{"unknown active", sb("  conversations:\n  - {id: c}\n  - {id: d, active: x}\n"), `apps[0].conversations[1].active: unknown integration "x"`},
		{"unknown pending", sb("  conversations:\n  - {id: c, pending: x}\n"), `apps[0].conversations[0].pending: unknown integration "x"`},
		{"pending equal to active", sb("  conversations:\n  - {id: c, active: bot, pending: bot}\n"), `apps[0].conversations[0].pending: "bot" is already the active integration`},
		{"active without switchboard", head + "  conversations:\n  - {id: c, active: bot}\n", `apps[0].conversations[0].active: unknown integration "bot"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSeed([]byte(tc.seed))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseSeed error = %v, want it to contain %q", err, tc.want)
			}
			// Validation (not syntax) errors come from New as well.
			var loose Seed
			if yaml.Unmarshal([]byte(tc.seed), &loose) == nil && !strings.HasPrefix(tc.want, "seed") && tc.name != "unknown field" {
				if _, nerr := New(loose); nerr == nil || !strings.Contains(nerr.Error(), tc.want) {
					t.Errorf("New error = %v, want it to contain %q", nerr, tc.want)
				}
			}
		})
	}
}

func TestLoadSeed(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(good, []byte(demoYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSeed(good); err != nil {
		t.Errorf("LoadSeed: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"apps":[{"id":"a","conversations":[{"id":"c","active":"x"}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSeed(bad)
	if err == nil || !strings.Contains(err.Error(), bad+": apps[0].conversations[0].active") {
		t.Errorf("LoadSeed error = %v", err)
	}
	if _, err := LoadSeed(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("LoadSeed of a missing file: no error")
	}
}

func TestNewAcceptsGoSeedAndDoesNotAliasIt(t *testing.T) {
	seed := testSeed()
	sim, err := New(seed)
	if err != nil {
		t.Fatal(err)
	}
	seed.Apps[0].Switchboard.Integrations[0].Name = "changed"
	if sim.Integrations(demoApp)[0].Name != "bot" {
		t.Error("the simulator shares memory with the caller's seed")
	}
	got := sim.Seed()
	got.Apps[0].Keys[0].Secret = "changed"
	if sim.Seed().Apps[0].Keys[0].Secret != appSecret {
		t.Error("Seed() shares memory with the simulator")
	}
}
