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

package sunshinetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The switchboard configuration operations (the vendor's OpenAPI document, tags
// Switchboards and Switchboard Integrations).
const (
	OpCreateSwitchboard            Operation = "createSwitchboard"
	OpUpdateSwitchboard            Operation = "updateSwitchboard"
	OpDeleteSwitchboard            Operation = "deleteSwitchboard"
	OpCreateSwitchboardIntegration Operation = "createSwitchboardIntegration"
	OpUpdateSwitchboardIntegration Operation = "updateSwitchboardIntegration"
	OpDeleteSwitchboardIntegration Operation = "deleteSwitchboardIntegration"
)

// ConfigOperations are the operations that write the switchboard configuration.
var ConfigOperations = []Operation{
	OpCreateSwitchboard, OpUpdateSwitchboard, OpDeleteSwitchboard,
	OpCreateSwitchboardIntegration, OpUpdateSwitchboardIntegration, OpDeleteSwitchboardIntegration,
}

// isConfigWrite tells whether op writes the switchboard configuration.
func isConfigWrite(op Operation) bool {
	for _, o := range ConfigOperations {
		if o == op {
			return true
		}
	}
	return false
}

// Error codes of the configuration routes.
const (
	codeSwitchboardIntegrationNotFound = "switchboard_integration_not_found"
	codeTooManyIntegrations            = "too_many_switchboard_integrations"
)

// matchConfigRoute maps the write routes of the switchboard configuration, given
// the request's method (they share paths with the list routes):
//
//	POST   /v2/apps/{appId}/switchboards
//	PATCH  /v2/apps/{appId}/switchboards/{switchboardId}
//	DELETE /v2/apps/{appId}/switchboards/{switchboardId}
//	POST   /v2/apps/{appId}/switchboards/{switchboardId}/switchboardIntegrations
//	PATCH  /v2/apps/{appId}/switchboards/{switchboardId}/switchboardIntegrations/{id}
//	DELETE /v2/apps/{appId}/switchboards/{switchboardId}/switchboardIntegrations/{id}
//
// It returns rt unchanged when the path or method is none of these.
func matchConfigRoute(rt route, escapedPath, method string) route {
	raw := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	seg := make([]string, len(raw))
	for i, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil || u == "" {
			return rt
		}
		seg[i] = u
	}
	if len(seg) < 4 || seg[0] != "v2" || seg[1] != "apps" || seg[3] != "switchboards" {
		return rt
	}
	out := route{appID: seg[2], matched: true, method: method}
	switch {
	case len(seg) == 4 && method == http.MethodPost:
		out.op = OpCreateSwitchboard
	case len(seg) == 5 && method == http.MethodPatch:
		out.op, out.sbID = OpUpdateSwitchboard, seg[4]
	case len(seg) == 5 && method == http.MethodDelete:
		out.op, out.sbID = OpDeleteSwitchboard, seg[4]
	case len(seg) == 6 && seg[5] == "switchboardIntegrations" && method == http.MethodPost:
		out.op, out.sbID = OpCreateSwitchboardIntegration, seg[4]
	case len(seg) == 7 && seg[5] == "switchboardIntegrations" && method == http.MethodPatch:
		out.op, out.sbID, out.siID = OpUpdateSwitchboardIntegration, seg[4], seg[6]
	case len(seg) == 7 && seg[5] == "switchboardIntegrations" && method == http.MethodDelete:
		out.op, out.sbID, out.siID = OpDeleteSwitchboardIntegration, seg[4], seg[6]
	case len(seg) == 5 || len(seg) == 7:
		// A known path with a method it does not serve: 405, allowing PATCH and DELETE.
		out.method = http.MethodPatch + ", " + http.MethodDelete
	default:
		return rt
	}
	return out
}

// handleConfigWrite answers a configuration write; it runs with s.mu held, after
// authentication and the app lookup.
func (s *Simulator) handleConfigWrite(r *http.Request, a *app, k *key, rt route, body []byte, bodyErr *failure) (int, any) {
	if k.Scope == ScopeIntegration {
		return fail(http.StatusForbidden, codeForbidden, "Forbidden") // SWITCHBOARD.md 7#20
	}
	if bodyErr == nil {
		bodyErr = checkContentType(r, body)
	}
	if f := bodyErr; f != nil {
		return fail(f.status, f.code, f.title)
	}
	if rt.op == OpCreateSwitchboard {
		if a.sb != nil {
			return fail(http.StatusBadRequest, codeBadRequest, "Only one switchboard can be created per app")
		}
		a.sb = &switchboard{id: newID()}
		return http.StatusCreated, map[string]any{"switchboard": switchboardOf(a.sb)}
	}
	if a.sb == nil || a.sb.id != rt.sbID {
		return fail(http.StatusNotFound, codeSwitchboardNotFound, "Switchboard not found")
	}
	fields, f := parseObject(body, rt.op == OpUpdateSwitchboard || rt.op == OpCreateSwitchboardIntegration || rt.op == OpUpdateSwitchboardIntegration)
	if f != nil {
		return fail(f.status, f.code, f.title)
	}
	switch rt.op {
	case OpUpdateSwitchboard:
		return updateSwitchboard(a, fields)
	case OpDeleteSwitchboard:
		deleteSwitchboard(a)
		return http.StatusOK, struct{}{}
	case OpCreateSwitchboardIntegration:
		return createIntegration(a, fields)
	case OpUpdateSwitchboardIntegration:
		return updateIntegration(a, rt.siID, fields)
	default:
		return deleteIntegration(a, rt.siID)
	}
}

func switchboardOf(sb *switchboard) switchboardJSON {
	return switchboardJSON{ID: sb.id, Enabled: sb.enabled, DefaultSwitchboardIntegrationID: sb.defaultID}
}

func integrationOf(si *integration) switchboardIntegrationJSON {
	return switchboardIntegrationJSON{
		ID: si.id, Name: si.name, IntegrationID: si.integrationID, IntegrationType: si.integrationType,
		DeliverStandbyEvents: si.deliverStandbyEvents, NextSwitchboardIntegrationID: si.nextID, MessageHistoryCount: copyPtr(si.messageHistoryCount),
	}
}

// parseObject decodes a JSON object body; required says the route needs one.
func parseObject(body []byte, required bool) (map[string]json.RawMessage, *failure) {
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return nil, badRequest("Request body is required")
		}
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := decodeJSON(body, &fields); err != nil || fields == nil {
		return nil, badRequest("Request body must be a JSON object")
	}
	return fields, nil
}

// field decodes an optional field; null gives isNull.
func field[T any](fields map[string]json.RawMessage, name string) (v T, present, isNull bool, f *failure) {
	raw, ok := fields[name]
	if !ok {
		return v, false, false, nil
	}
	if string(raw) == "null" {
		return v, true, true, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, true, false, badRequest("%s has the wrong type", name)
	}
	return v, true, false, nil
}

var errEnabledWithoutDefault = &failure{status: http.StatusNotFound, code: codeSwitchboardIntegrationNotFound,
	title: "Enabled switchboard must have an associated default switchboardIntegration"}

func updateSwitchboard(a *app, fields map[string]json.RawMessage) (int, any) {
	enabled, setEnabled, _, f1 := field[bool](fields, "enabled")
	def, setDefault, clearDefault, f2 := field[string](fields, "defaultSwitchboardIntegrationId")
	if f := firstFailure(f1, f2); f != nil {
		return fail(f.status, f.code, f.title)
	}
	next := *a.sb
	if setEnabled {
		next.enabled = enabled
	}
	switch {
	case clearDefault:
		next.defaultID = ""
	case setDefault && a.byID(def) == nil:
		return fail(http.StatusNotFound, codeSwitchboardIntegrationNotFound, "SwitchboardIntegration not found")
	case setDefault:
		next.defaultID = def
	}
	if next.enabled && next.defaultID == "" {
		return fail(errEnabledWithoutDefault.status, errEnabledWithoutDefault.code, errEnabledWithoutDefault.title)
	}
	*a.sb = next
	return http.StatusOK, map[string]any{"switchboard": switchboardOf(a.sb)}
}

// deleteSwitchboard removes the switchboard and its integrations; conversations lose
// their active and pending integrations (reassigned on their next activity).
func deleteSwitchboard(a *app) {
	a.sb = nil
	for _, c := range a.convs {
		c.active, c.pending = nil, nil
	}
}

// integrationFields are the parsed fields of a create or update body.
type integrationFields struct {
	name, integrationID, integrationType, next                  string
	hasName, hasID, hasType, hasNext, clearNext, hasDSE, hasMHC bool
	clearMHC, dse                                               bool
	mhc                                                         int
}

func parseIntegrationFields(fields map[string]json.RawMessage) (integrationFields, *failure) {
	var in integrationFields
	var fs [6]*failure
	in.name, in.hasName, _, fs[0] = field[string](fields, "name")
	in.integrationID, in.hasID, _, fs[1] = field[string](fields, "integrationId")
	in.integrationType, in.hasType, _, fs[2] = field[string](fields, "integrationType")
	in.next, in.hasNext, in.clearNext, fs[3] = field[string](fields, "nextSwitchboardIntegrationId")
	in.dse, in.hasDSE, _, fs[4] = field[bool](fields, "deliverStandbyEvents")
	in.mhc, in.hasMHC, in.clearMHC, fs[5] = field[int](fields, "messageHistoryCount")
	if f := firstFailure(fs[:]...); f != nil {
		return in, f
	}
	switch {
	case in.hasName && !nameRE.MatchString(in.name):
		return in, badRequest("name must be 1-128 characters of A-Z a-z 0-9 _ -")
	case in.hasID && in.hasType:
		return in, badRequest("Can't provide both integrationId and integrationType")
	case in.hasMHC && !in.clearMHC && (in.mhc < 1 || in.mhc > 10):
		return in, badRequest("messageHistoryCount must be between 1 and 10")
	case (in.hasID && in.integrationID == "") || (in.hasType && in.integrationType == ""):
		return in, badRequest("integrationId and integrationType must not be empty")
	}
	return in, nil
}

func firstFailure(fs ...*failure) *failure {
	for _, f := range fs {
		if f != nil {
			return f
		}
	}
	return nil
}

// checkNext refuses a next link to an unknown id or to the integration itself (7#23).
func checkNext(a *app, self *integration, in integrationFields) *failure {
	if !in.hasNext || in.clearNext {
		return nil
	}
	switch target := a.byID(in.next); target {
	case nil:
		return badRequest("nextSwitchboardIntegrationId %q is not a switchboard integration of this switchboard", in.next)
	case self:
		return badRequest("A switchboard integration cannot be its own next switchboard integration")
	}
	return nil
}

func createIntegration(a *app, fields map[string]json.RawMessage) (int, any) {
	in, f := parseIntegrationFields(fields)
	switch {
	case f != nil:
	case !in.hasName:
		f = badRequest("name is required")
	case !in.hasID && !in.hasType:
		f = badRequest("One of integrationId or integrationType must be provided")
	case len(a.sb.sis) >= MaxSwitchboardIntegrations:
		f = &failure{status: http.StatusBadRequest, code: codeTooManyIntegrations,
			title: fmt.Sprintf("Switchboard has reached the max number of switchboard integrations (%d)", MaxSwitchboardIntegrations)}
	case a.byName(in.name) != nil:
		f = badRequest("A switchboard integration named %q already exists", in.name) // 7#3
	default:
		f = checkNext(a, nil, in)
	}
	if f != nil {
		return fail(f.status, f.code, f.title)
	}
	si := &integration{id: newID(), name: in.name, deliverStandbyEvents: !in.hasDSE || in.dse}
	setLink(si, in)
	if in.hasNext && !in.clearNext {
		si.nextID = in.next
	}
	if in.hasMHC && !in.clearMHC {
		si.messageHistoryCount = &in.mhc
	}
	a.sb.sis = append(a.sb.sis, si)
	return http.StatusCreated, map[string]any{"switchboardIntegration": integrationOf(si)}
}

// setLink links si to a custom integration by id, or to an OAuth or first-party one by
// type (the vendor fills in the installed integration's id).
func setLink(si *integration, in integrationFields) {
	switch {
	case in.hasID:
		si.integrationID, si.integrationType = in.integrationID, "custom"
	case in.hasType:
		si.integrationType, si.integrationID = in.integrationType, generatedID("integration", in.integrationType)
	}
}

func updateIntegration(a *app, id string, fields map[string]json.RawMessage) (int, any) {
	si := a.byID(id)
	if si == nil {
		return fail(http.StatusNotFound, codeSwitchboardIntegrationNotFound, "SwitchboardIntegration not found")
	}
	in, f := parseIntegrationFields(fields)
	if f == nil && in.hasName && in.name != si.name && a.byName(in.name) != nil {
		f = badRequest("A switchboard integration named %q already exists", in.name)
	}
	if f == nil {
		f = checkNext(a, si, in)
	}
	if f != nil {
		return fail(f.status, f.code, f.title)
	}
	if in.hasName {
		si.name = in.name
	}
	setLink(si, in)
	if in.hasDSE {
		si.deliverStandbyEvents = in.dse
	}
	if in.hasNext {
		si.nextID = in.next // "" when cleared
	}
	switch {
	case in.clearMHC:
		si.messageHistoryCount = nil
	case in.hasMHC:
		si.messageHistoryCount = &in.mhc
	}
	return http.StatusOK, map[string]any{"switchboardIntegration": integrationOf(si)}
}

func deleteIntegration(a *app, id string) (int, any) {
	si := a.byID(id)
	if si == nil {
		return fail(http.StatusNotFound, codeSwitchboardIntegrationNotFound, "SwitchboardIntegration not found")
	}
	if a.sb.defaultID == si.id {
		return fail(http.StatusBadRequest, codeBadRequest, "Cannot delete the default switchboard integration: choose a new default first") // 7#4
	}
	if ref := a.find(func(o *integration) bool { return o != si && o.nextID == si.id }); ref != nil {
		return fail(http.StatusBadRequest, codeBadRequest,
			fmt.Sprintf("Cannot delete a switchboard integration that is the next switchboard integration of %q", ref.name))
	}
	kept := a.sb.sis[:0]
	for _, o := range a.sb.sis {
		if o != si {
			kept = append(kept, o)
		}
	}
	a.sb.sis = kept
	for _, c := range a.convs {
		if c.active == si {
			c.active = nil // reassigned by the default rules on the next activity, without a webhook
		}
		if c.pending == si {
			c.pending = nil
		}
	}
	return http.StatusOK, struct{}{}
}
