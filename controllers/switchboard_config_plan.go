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

package controllers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// configOp is one kind of switchboard configuration call.
type configOp string

// The configuration calls, named like the client's operations.
const (
	opCreateSwitchboard          configOp = "createSwitchboard"
	opUpdateSwitchboard          configOp = "updateSwitchboard"
	opDeleteSwitchboard          configOp = "deleteSwitchboard"
	opCreateIntegration          configOp = "createSwitchboardIntegration"
	opUpdateIntegration          configOp = "updateSwitchboardIntegration"
	opDeleteIntegration          configOp = "deleteSwitchboardIntegration"
	nextUnknownPrefix                     = "#" // a live next link to an id that is not listed
	maxPlannedCalls                       = 64  // far more than any reachable plan needs
	defaultDeliverStandby                 = true
	vendorMaxIntegrations                 = sunshine.MaxSwitchboardIntegrations
	blockedDuplicateNameMessage           = "the app's switchboard has two integrations called %q; integrations are matched by name, so rename one at the vendor"
	blockedCapacityMessage                = "the switchboard already has %d integrations and none of those to remove can go before the new ones exist"
	blockedDefaultRemovalMessage          = "integration %q is the switchboard's default and no other default is declared, so it cannot be removed"
	blockedTooManyPlannedMessage          = "the plan needs more than %d calls"
)

// configCall is one planned call. Integrations are named, never addressed by id: the ids
// of integrations created earlier in the same pass are known only when the call is made.
type configCall struct {
	Op configOp
	// Name is the integration the call creates, changes or deletes.
	Name string
	// IntegrationID and IntegrationType are the link of a create, or a changed link.
	IntegrationID, IntegrationType string
	// DeliverStandbyEvents is set on a create that turns it off, or a change of it.
	DeliverStandbyEvents *bool
	// Next is the name of the next integration; a pointer to "" clears it.
	Next *string
	// MessageHistoryCount is set on a create or change; a pointer to 0 clears it.
	MessageHistoryCount *int
	// Enabled and Default are the changes of updateSwitchboard (Default a name, "" for
	// unchanged).
	Enabled *bool
	Default string
}

// String describes the call for events, messages and tests, such as
// `updateSwitchboardIntegration bot (next=agents)`.
func (c configCall) String() string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if c.IntegrationID != "" {
		add("integrationId=%s", c.IntegrationID)
	}
	if c.IntegrationType != "" {
		add("integrationType=%s", c.IntegrationType)
	}
	if c.DeliverStandbyEvents != nil {
		add("deliverStandbyEvents=%t", *c.DeliverStandbyEvents)
	}
	if c.Next != nil {
		add("next=%s", orNone(*c.Next))
	}
	if c.MessageHistoryCount != nil {
		add("messageHistoryCount=%s", orNone(fmt.Sprint(*c.MessageHistoryCount)))
	}
	if c.Default != "" {
		add("default=%s", c.Default)
	}
	if c.Enabled != nil {
		add("enabled=%t", *c.Enabled)
	}
	s := string(c.Op)
	if c.Name != "" {
		s += " " + c.Name
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func orNone(s string) string {
	if s == "" || s == "0" {
		return "none"
	}
	return s
}

// configPlan is the ordered list of calls that makes the vendor match the declaration.
type configPlan struct {
	Calls []configCall
	// Blocked, when not empty, says why the declaration cannot be reached in full; the
	// calls still make every change that can be made.
	Blocked string
}

// modelIntegration is a switchboard integration as the configPlanner tracks it, by name.
type modelIntegration struct {
	Name, IntegrationID, IntegrationType string
	DeliverStandbyEvents                 bool
	Next                                 string
	MessageHistoryCount                  *int
}

// configModel is the switchboard configuration the configPlanner tracks while it plans: the
// live state, then the state after each planned call.
type configModel struct {
	Exists, Enabled bool
	Default         string
	Integrations    []modelIntegration // in listing order
}

func (m *configModel) find(name string) *modelIntegration {
	for i := range m.Integrations {
		if m.Integrations[i].Name == name {
			return &m.Integrations[i]
		}
	}
	return nil
}

// referrer returns an integration (other than name itself) whose next is name, or nil.
func (m *configModel) referrer(name string) *modelIntegration {
	for i := range m.Integrations {
		if in := &m.Integrations[i]; in.Name != name && in.Next == name {
			return in
		}
	}
	return nil
}

// modelOf reads the live listing into a model: next links and the default by name.
func modelOf(board *sunshine.Switchboard, integrations []sunshine.SwitchboardIntegration) (configModel, error) {
	if board == nil {
		return configModel{}, nil
	}
	names := make(map[string]string, len(integrations))
	for _, in := range integrations {
		if slices.Contains(slices.Collect(mapValues(names)), in.Name) {
			return configModel{}, fmt.Errorf(blockedDuplicateNameMessage, in.Name)
		}
		names[in.ID] = in.Name
	}
	byID := func(id string) string {
		if id == "" {
			return ""
		}
		if n, ok := names[id]; ok {
			return n
		}
		return nextUnknownPrefix + id
	}
	m := configModel{Exists: true, Enabled: board.Enabled, Default: byID(board.DefaultSwitchboardIntegrationID)}
	for _, in := range integrations {
		m.Integrations = append(m.Integrations, modelIntegration{
			Name: in.Name, IntegrationID: in.IntegrationID, IntegrationType: in.IntegrationType,
			DeliverStandbyEvents: in.DeliverStandbyEvents, Next: byID(in.NextSwitchboardIntegrationID),
			MessageHistoryCount: copyInt(in.MessageHistoryCount),
		})
	}
	return m, nil
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// linkMatches tells whether a live integration is linked as declared: by integrationId
// when the declaration names one, else by integrationType.
func linkMatches(live modelIntegration, want sunshine.IntegrationConfig) bool {
	if want.IntegrationID != "" {
		return live.IntegrationID == want.IntegrationID
	}
	return live.IntegrationType == want.IntegrationType
}

// integrationChange is the update that makes live match want, and whether one is needed.
func integrationChange(live modelIntegration, want sunshine.IntegrationConfig) (configCall, bool) {
	c := configCall{Op: opUpdateIntegration, Name: want.Name}
	changed := false
	if !linkMatches(live, want) {
		c.IntegrationID, c.IntegrationType, changed = want.IntegrationID, want.IntegrationType, true
	}
	if live.DeliverStandbyEvents != want.DeliverStandbyEvents {
		c.DeliverStandbyEvents, changed = &want.DeliverStandbyEvents, true
	}
	if live.Next != want.Next {
		c.Next, changed = &want.Next, true
	}
	if !sameInt(live.MessageHistoryCount, want.MessageHistoryCount) {
		n := 0
		if want.MessageHistoryCount != nil {
			n = *want.MessageHistoryCount
		}
		c.MessageHistoryCount, changed = &n, true
	}
	return c, changed
}

func sameInt(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// configPlanner builds a plan step by step, applying each call to its model.
type configPlanner struct {
	want    sunshine.SwitchboardConfig
	model   configModel
	calls   []configCall
	deletes []string // names to delete, in listing order
	blocked string
}

// planConfig computes the calls that make the live configuration (board nil: the app
// has no switchboard) match want, fewest first, in an order the vendor accepts at every
// step: create the switchboard if there is none, create the missing integrations (with
// their next link when its target exists already), change the integrations that differ
// (next links by then point at existing integrations), then the default and enabled in
// one call, then delete the integrations that are not declared, each once nothing points
// at it. The switchboard is never enabled without a default, whatever call fails: the
// default only ever moves to another integration, and enabling comes with or after it.
// Integrations are matched by name. want.Default "" leaves the default as it is.
//
// It is pure: the same inputs give the same plan, and a plan applied in full makes the
// next plan empty.
func planConfig(want sunshine.SwitchboardConfig, board *sunshine.Switchboard, integrations []sunshine.SwitchboardIntegration) configPlan {
	model, err := modelOf(board, integrations)
	if err != nil {
		return configPlan{Blocked: err.Error()}
	}
	p := &configPlanner{want: want, model: model}
	if !p.model.Exists {
		p.emit(configCall{Op: opCreateSwitchboard})
	}
	for _, in := range p.model.Integrations {
		if !slices.ContainsFunc(want.Integrations, func(w sunshine.IntegrationConfig) bool { return w.Name == in.Name }) {
			p.deletes = append(p.deletes, in.Name)
		}
	}
	p.createMissing()
	p.changeDiffering()
	p.updateSwitchboard()
	p.deleteUndeclared()
	if len(p.calls) > maxPlannedCalls {
		return configPlan{Blocked: fmt.Sprintf(blockedTooManyPlannedMessage, maxPlannedCalls)}
	}
	return configPlan{Calls: p.calls, Blocked: p.blocked}
}

// emit adds a call to the plan and applies it to the model.
func (p *configPlanner) emit(c configCall) {
	p.calls = append(p.calls, c)
	applyToModel(&p.model, c)
}

// applyToModel changes the model as the vendor changes the configuration for the call.
func applyToModel(m *configModel, c configCall) {
	switch c.Op {
	case opCreateSwitchboard:
		*m = configModel{Exists: true}
	case opDeleteSwitchboard:
		*m = configModel{}
	case opUpdateSwitchboard:
		if c.Default != "" {
			m.Default = c.Default
		}
		if c.Enabled != nil {
			m.Enabled = *c.Enabled
		}
	case opCreateIntegration:
		in := modelIntegration{Name: c.Name, DeliverStandbyEvents: defaultDeliverStandby}
		m.Integrations = append(m.Integrations, in)
		applyIntegrationChange(m.find(c.Name), c)
	case opUpdateIntegration:
		applyIntegrationChange(m.find(c.Name), c)
	case opDeleteIntegration:
		m.Integrations = slices.DeleteFunc(m.Integrations, func(in modelIntegration) bool { return in.Name == c.Name })
	}
}

func applyIntegrationChange(in *modelIntegration, c configCall) {
	switch {
	case c.IntegrationID != "":
		in.IntegrationID, in.IntegrationType = c.IntegrationID, "custom"
	case c.IntegrationType != "":
		// The vendor fills in the installed integration's id; the configPlanner compares types only.
		in.IntegrationType, in.IntegrationID = c.IntegrationType, ""
	}
	if c.DeliverStandbyEvents != nil {
		in.DeliverStandbyEvents = *c.DeliverStandbyEvents
	}
	if c.Next != nil {
		in.Next = *c.Next
	}
	if c.MessageHistoryCount != nil {
		in.MessageHistoryCount = nil
		if *c.MessageHistoryCount != 0 {
			in.MessageHistoryCount = copyInt(c.MessageHistoryCount)
		}
	}
}

// createMissing creates the declared integrations that do not exist, each with its next
// link when the target exists by then: targets first, so that only a cycle of new
// integrations needs a later change.
func (p *configPlanner) createMissing() {
	var missing []sunshine.IntegrationConfig
	for _, w := range p.want.Integrations {
		if p.model.find(w.Name) == nil {
			missing = append(missing, w)
		}
	}
	for len(missing) > 0 {
		if len(p.model.Integrations) >= vendorMaxIntegrations && !p.makeRoom() {
			p.blocked = fmt.Sprintf(blockedCapacityMessage, len(p.model.Integrations))
			return
		}
		i := slices.IndexFunc(missing, func(w sunshine.IntegrationConfig) bool { return w.Next == "" || p.model.find(w.Next) != nil })
		if i < 0 {
			i = 0
		}
		p.emit(createCall(missing[i], p.model.find(missing[i].Next) != nil))
		missing = slices.Delete(missing, i, i+1)
	}
}

// createCall creates w, with its next link when withNext.
func createCall(w sunshine.IntegrationConfig, withNext bool) configCall {
	c := configCall{Op: opCreateIntegration, Name: w.Name, IntegrationID: w.IntegrationID, IntegrationType: w.IntegrationType,
		MessageHistoryCount: copyInt(w.MessageHistoryCount)}
	if !w.DeliverStandbyEvents {
		c.DeliverStandbyEvents = &w.DeliverStandbyEvents
	}
	if withNext && w.Next != "" {
		next := w.Next
		c.Next = &next
	}
	return c
}

// makeRoom deletes one integration that is to go before the new ones exist, so that a
// full switchboard can take a new one: preferably one nothing points at, else it first
// repoints what points at one (see repointReferrers), moving the default to the declared
// one or, while that does not exist yet, to an integration that stays.
func (p *configPlanner) makeRoom() bool {
	if i := slices.IndexFunc(p.deletes, func(n string) bool { return p.model.referrer(n) == nil && p.model.Default != n }); i >= 0 {
		p.deleteNow(p.deletes[i])
		return true
	}
	for _, name := range p.deletes {
		if p.model.Default == name && !p.moveDefaultOff(name) {
			continue
		}
		p.repointReferrers(name)
		p.deleteNow(name)
		return true
	}
	return false
}

// moveDefaultOff moves the default away from name, to the declared default when it
// exists, else to an integration that stays; false when there is none.
func (p *configPlanner) moveDefaultOff(name string) bool {
	target := p.want.Default
	if target == "" || target == name || p.model.find(target) == nil {
		target = ""
		for _, in := range p.model.Integrations {
			if !slices.Contains(p.deletes, in.Name) {
				target = in.Name
				break
			}
		}
	}
	if target == "" {
		return false
	}
	p.emit(configCall{Op: opUpdateSwitchboard, Default: target})
	return true
}

// repointReferrers changes the integrations whose next is name: a declared one to its
// declared state when that can be reached now, else (an undeclared one, or one whose
// declared next does not exist yet) by clearing its next, which costs a call only when a
// full switchboard leaves no other way.
func (p *configPlanner) repointReferrers(name string) {
	for r := p.model.referrer(name); r != nil; r = p.model.referrer(name) {
		w := p.declared(r.Name)
		if w != nil && (w.Next == "" || p.model.find(w.Next) != nil) {
			c, _ := integrationChange(*r, *w)
			p.emit(c)
			continue
		}
		clear := ""
		p.emit(configCall{Op: opUpdateIntegration, Name: r.Name, Next: &clear})
	}
}

func (p *configPlanner) declared(name string) *sunshine.IntegrationConfig {
	for i := range p.want.Integrations {
		if p.want.Integrations[i].Name == name {
			return &p.want.Integrations[i]
		}
	}
	return nil
}

func (p *configPlanner) deleteNow(name string) {
	p.emit(configCall{Op: opDeleteIntegration, Name: name})
	p.deletes = slices.DeleteFunc(p.deletes, func(n string) bool { return n == name })
}

// changeDiffering changes every declared integration that differs, in declaration order.
func (p *configPlanner) changeDiffering() {
	for _, w := range p.want.Integrations {
		live := p.model.find(w.Name)
		if live == nil {
			continue // blocked: it could not be created
		}
		if c, changed := integrationChange(*live, w); changed {
			if c.Next != nil && *c.Next != "" && p.model.find(*c.Next) == nil {
				c.Next = nil // its target could not be created; the blocked message says why
				if !callChanges(c) {
					continue
				}
			}
			p.emit(c)
		}
	}
}

func callChanges(c configCall) bool {
	return c.IntegrationID != "" || c.IntegrationType != "" || c.DeliverStandbyEvents != nil || c.Next != nil || c.MessageHistoryCount != nil
}

// updateSwitchboard sets the default and enabled in one call, when either differs.
func (p *configPlanner) updateSwitchboard() {
	c := configCall{Op: opUpdateSwitchboard}
	if d := p.want.Default; d != "" && d != p.model.Default && p.model.find(d) != nil {
		c.Default = d
	}
	if e := p.want.Enabled; e != nil && *e != p.model.Enabled && (!*e || c.Default != "" || p.model.find(p.model.Default) != nil) {
		c.Enabled = e
	}
	if c.Default != "" || c.Enabled != nil {
		p.emit(c)
	}
}

// deleteUndeclared deletes the integrations that are not declared, each once nothing
// points at it; a cycle among them is broken by clearing one next link.
func (p *configPlanner) deleteUndeclared() {
	for len(p.deletes) > 0 {
		i := slices.IndexFunc(p.deletes, func(n string) bool { return p.model.referrer(n) == nil && p.model.Default != n })
		if i >= 0 {
			p.deleteNow(p.deletes[i])
			continue
		}
		name := p.deletes[0]
		if p.model.Default == name {
			p.blocked = fmt.Sprintf(blockedDefaultRemovalMessage, name)
			p.deletes = p.deletes[1:]
			continue
		}
		r := p.model.referrer(name)
		if p.declared(r.Name) != nil {
			// A declared referrer is left pointing here only when its own target is
			// missing (blocked); keep this one.
			p.deletes = p.deletes[1:]
			continue
		}
		clear := ""
		p.emit(configCall{Op: opUpdateIntegration, Name: r.Name, Next: &clear})
	}
}

// configDrift names the fields in which the live configuration differs from want,
// sorted, such as `integrations[bot].next` or `enabled`; nil when it matches.
func configDrift(want sunshine.SwitchboardConfig, board *sunshine.Switchboard, integrations []sunshine.SwitchboardIntegration) []string {
	m, err := modelOf(board, integrations)
	if err != nil {
		return []string{"integrations (duplicate names)"}
	}
	if !m.Exists {
		return []string{"switchboard (missing)"}
	}
	var out []string
	for _, w := range want.Integrations {
		live := m.find(w.Name)
		if live == nil {
			out = append(out, fmt.Sprintf("integrations[%s] (missing)", w.Name))
			continue
		}
		out = append(out, integrationDrift(*live, w)...)
	}
	for _, in := range m.Integrations {
		if !slices.ContainsFunc(want.Integrations, func(w sunshine.IntegrationConfig) bool { return w.Name == in.Name }) {
			out = append(out, fmt.Sprintf("integrations[%s] (not declared)", in.Name))
		}
	}
	if want.Default != "" && m.Default != want.Default {
		out = append(out, "defaultIntegration")
	}
	if want.Enabled != nil && m.Enabled != *want.Enabled {
		out = append(out, "enabled")
	}
	slices.Sort(out)
	return out
}

func integrationDrift(live modelIntegration, w sunshine.IntegrationConfig) []string {
	var out []string
	field := func(f string) { out = append(out, fmt.Sprintf("integrations[%s].%s", w.Name, f)) }
	if !linkMatches(live, w) {
		if w.IntegrationID != "" {
			field("integrationId")
		} else {
			field("integrationType")
		}
	}
	if live.DeliverStandbyEvents != w.DeliverStandbyEvents {
		field("deliverStandbyEvents")
	}
	if live.Next != w.Next {
		field("next")
	}
	if !sameInt(live.MessageHistoryCount, w.MessageHistoryCount) {
		field("messageHistoryCount")
	}
	return out
}

// deletionConfig is what remains of the live configuration once the integrations the
// operator created (createdIDs) are removed: the adopted integrations as they are, their
// next links to removed ones cleared, the default kept when adopted, else moved to the
// first adopted integration by name. It reports whether nothing adopted remains.
func deletionConfig(board *sunshine.Switchboard, integrations []sunshine.SwitchboardIntegration, createdIDs []string) (sunshine.SwitchboardConfig, bool) {
	created := map[string]bool{}
	names := map[string]string{}
	for _, in := range integrations {
		names[in.ID] = in.Name
		if slices.Contains(createdIDs, in.ID) {
			created[in.Name] = true
		}
	}
	want := sunshine.SwitchboardConfig{}
	for _, in := range integrations {
		if created[in.Name] {
			continue
		}
		next := names[in.NextSwitchboardIntegrationID]
		if created[next] {
			next = ""
		}
		want.Integrations = append(want.Integrations, sunshine.IntegrationConfig{
			Name: in.Name, IntegrationID: in.IntegrationID, DeliverStandbyEvents: in.DeliverStandbyEvents, Next: next,
			MessageHistoryCount: copyInt(in.MessageHistoryCount),
		})
	}
	if d := names[board.DefaultSwitchboardIntegrationID]; d != "" && !created[d] {
		want.Default = d
	} else if len(want.Integrations) > 0 {
		want.Default = slices.MinFunc(want.Integrations, func(a, b sunshine.IntegrationConfig) int { return strings.Compare(a.Name, b.Name) }).Name
	}
	return want, len(want.Integrations) == 0
}
