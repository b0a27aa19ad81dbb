package sunshinetest

import (
	"fmt"
	"time"
)

// world is the simulator's mutable state. It is guarded by Simulator.mu:
// every action runs its check-and-transition under that lock, which
// serialises concurrent actions on a conversation (SWITCHBOARD.md 7#21: last
// writer wins, none is lost).
type world struct {
	apps map[string]*app
	keys map[string]*key // by key id, over all apps
}

type app struct {
	id    string
	sb    *switchboard
	convs map[string]*conversation
}

type key struct {
	KeySeed
	appID string
}

type switchboard struct {
	id        string
	enabled   bool
	defaultID string
	sis       []*integration
}

type integration struct {
	id, name, integrationID, integrationType string
	nextID                                   string
	deliverStandbyEvents                     bool
	messageHistoryCount                      *int
}

type conversation struct {
	id              string
	active, pending *integration
	createdAt       time.Time
}

// newWorld builds the state of a normalised seed.
func newWorld(seed Seed, now time.Time) *world {
	w := &world{apps: map[string]*app{}, keys: map[string]*key{}}
	for _, as := range seed.Apps {
		a := &app{id: as.ID, convs: map[string]*conversation{}}
		w.apps[a.id] = a
		w.setKeys(a.id, as.Keys)
		if as.Switchboard != nil {
			a.sb = newSwitchboard(*as.Switchboard)
		}
		for _, cs := range as.Conversations {
			c := &conversation{id: cs.ID, createdAt: now}
			c.active, c.pending = a.byName(cs.Active), a.byName(cs.Pending)
			a.convs[c.id] = c
		}
	}
	return w
}

func newSwitchboard(s SwitchboardSeed) *switchboard {
	sb := &switchboard{id: s.ID, enabled: s.Enabled}
	byName := map[string]*integration{}
	for _, is := range s.Integrations {
		si := &integration{
			id: is.ID, name: is.Name, integrationID: is.IntegrationID, integrationType: is.IntegrationType,
			deliverStandbyEvents: is.DeliverStandbyEvents == nil || *is.DeliverStandbyEvents,
			messageHistoryCount:  copyPtr(is.MessageHistoryCount),
		}
		sb.sis = append(sb.sis, si)
		byName[si.name] = si
	}
	for i, is := range s.Integrations {
		if n := byName[is.Next]; n != nil {
			sb.sis[i].nextID = n.id
		}
	}
	if d := byName[s.Default]; d != nil {
		sb.defaultID = d.id
	}
	return sb
}

// setKeys replaces the keys of app appID.
func (w *world) setKeys(appID string, keys []KeySeed) {
	for id, k := range w.keys {
		if k.appID == appID {
			delete(w.keys, id)
		}
	}
	for _, k := range keys {
		w.keys[k.ID] = &key{KeySeed: k, appID: appID}
	}
}

// find returns the first switchboard integration for which match is true,
// or nil.
func (a *app) find(match func(*integration) bool) *integration {
	if a.sb == nil {
		return nil
	}
	for _, si := range a.sb.sis {
		if match(si) {
			return si
		}
	}
	return nil
}

// byName returns the switchboard integration called name, or nil.
func (a *app) byName(name string) *integration {
	return a.find(func(si *integration) bool { return name != "" && si.name == name })
}

func (a *app) byID(id string) *integration {
	return a.find(func(si *integration) bool { return id != "" && si.id == id })
}

func name(si *integration) string {
	if si == nil {
		return ""
	}
	return si.name
}

// caller is who sent a request, as far as the switchboard cares.
type caller struct {
	keyID string
	scope string
	// integrationID identifies an integration-scoped caller.
	integrationID string
}

func (c caller) integrationScoped() bool { return c.scope == ScopeIntegration }

// is reports whether si belongs to the (integration-scoped) caller.
func (c caller) is(si *integration) bool {
	return si != nil && c.integrationScoped() && si.integrationID == c.integrationID
}

// own returns the first switchboard integration of a that belongs to c, or
// nil.
func (c caller) own(a *app) *integration { return a.find(c.is) }

// failure is a semantic failure of an action (answered as 400 in sync mode,
// as 200 with the state unchanged in async mode), or a 403.
type failure struct {
	status int
	code   string
	title  string
}

func (f *failure) Error() string { return fmt.Sprintf("%d %s: %s", f.status, f.code, f.title) }

func invalidTarget(format string, args ...any) *failure {
	return &failure{status: 400, code: "switchboard_invalid_target", title: fmt.Sprintf(format, args...)}
}

var (
	errAmbiguousTitle = "Ambiguous switchboardIntegration %q: it matches %d switchboard integrations by %s"
	errForbidden      = &failure{status: 403, code: "forbidden", title: "Forbidden"}
	errNothingPending = &failure{status: 400, code: "switchboard_invalid_action", title: "There is no pendingSwitchboardIntegration"}
)

// resolve finds the switchboard integration named by target (SWITCHBOARD.md
// 2.1): `next` relative to ref, then id, then name, then integrationType; a
// step matching several integrations is ambiguous (7#2: 400 bad_request in
// sync mode).
func (a *app) resolve(target string, ref *integration) (*integration, *failure) {
	if a.sb == nil || len(a.sb.sis) == 0 {
		return nil, invalidTarget("Switchboard integration %q not found: the app has no switchboard integrations", target)
	}
	if target == "next" {
		if ref == nil {
			return nil, invalidTarget("Cannot resolve next: there is no reference switchboard integration")
		}
		if n := a.byID(ref.nextID); n != nil {
			return n, nil
		}
		return nil, invalidTarget("Cannot resolve next: switchboard integration %q has no next switchboard integration", ref.name)
	}
	steps := []struct {
		by  string
		key func(*integration) string
	}{
		{"id", func(si *integration) string { return si.id }},
		{"name", func(si *integration) string { return si.name }},
		{"integrationType", func(si *integration) string { return si.integrationType }},
	}
	for _, st := range steps {
		var found []*integration
		for _, si := range a.sb.sis {
			if st.key(si) == target {
				found = append(found, si)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			return nil, &failure{status: 400, code: "bad_request", title: fmt.Sprintf(errAmbiguousTitle, target, len(found), st.by)}
		}
	}
	return nil, invalidTarget("Switchboard integration %q not found", target)
}

// pass applies passControl (SWITCHBOARD.md 2.2, 2.6). It reports whether
// the state changed.
func (a *app) pass(c *conversation, who caller, target string) (bool, *failure) {
	ref := c.active
	if target == "next" && who.integrationScoped() {
		// Caller-relative next: idempotent for an identifiable caller. If the
		// caller is not active, this is a duplicate of a pass it already made.
		if who.own(a) == nil {
			return false, invalidTarget("Cannot resolve next: the calling integration has no switchboard integration")
		}
		if !who.is(c.active) {
			return false, nil
		}
	}
	t, f := a.resolve(target, ref)
	if f != nil {
		return false, f
	}
	if c.active == t && c.pending == nil {
		return false, nil // 7#7: pure no-op
	}
	c.active, c.pending = t, nil
	return true, nil
}

// offer applies offerControl (SWITCHBOARD.md 2.3).
func (a *app) offer(c *conversation, who caller, target string) (bool, *failure) {
	ref := c.active
	if who.integrationScoped() && target == "next" && !who.is(c.active) {
		ref = who.own(a)
	}
	t, f := a.resolve(target, ref)
	if f != nil {
		return false, f
	}
	if t == c.active {
		return false, invalidTarget("Cannot offer control to the active switchboard integration.")
	}
	changed := c.pending != t
	c.pending = t
	return changed, nil
}

// accept applies acceptControl (SWITCHBOARD.md 2.4).
func (a *app) accept(c *conversation, who caller) (bool, *failure) {
	if c.pending == nil {
		return false, errNothingPending
	}
	if who.integrationScoped() && !who.is(c.pending) {
		return false, errForbidden
	}
	c.active, c.pending = c.pending, nil
	return true, nil
}

// release applies releaseControl (SWITCHBOARD.md 2.5).
func (a *app) release(c *conversation, who caller) (bool, *failure) {
	if who.integrationScoped() && !who.is(c.active) {
		return false, errForbidden
	}
	changed := c.active != nil || c.pending != nil
	c.active, c.pending = nil, nil
	return changed, nil
}
