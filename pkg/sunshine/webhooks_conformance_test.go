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

// The webhook part of the conformance test: the integration and webhook
// calls go through the conformanceTransport like the switchboard calls, and
// every delivery the simulator sends is checked against the request body of
// the document's webhook operation EventWebhooks (under x-webhooks) and each
// event against the schema of its trigger.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// webhookEventPath is where the webhook operation is mounted for validation.
const webhookEventPath = "/webhook-event"

// webhookDoc is the vendor document with its x-webhooks operation "Webhook
// Event" mounted as a path, loaded once.
var webhookDoc struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadWebhookOpenAPI returns the document with the webhook operation at
// webhookEventPath, skipping the test without the document.
func loadWebhookOpenAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	loadOpenAPI(t) // skips without the document
	path, _ := sharedFile(vendorDocument)
	webhookDoc.once.Do(func() {
		data, err := readVendorDocument(path)
		if err != nil {
			webhookDoc.err = err
			return
		}
		var tree map[string]any
		if err := json.Unmarshal(data, &tree); err != nil {
			webhookDoc.err = err
			return
		}
		hooks, _ := tree["x-webhooks"].(map[string]any)
		if hooks == nil || hooks["Webhook Event"] == nil {
			webhookDoc.err = fmt.Errorf("the document has no x-webhooks operation \"Webhook Event\"")
			return
		}
		tree["paths"] = map[string]any{webhookEventPath: hooks["Webhook Event"]}
		tree["servers"] = []any{}
		if data, err = json.Marshal(tree); err != nil {
			webhookDoc.err = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(data)
		if err != nil {
			webhookDoc.err = err
			return
		}
		webhookDoc.doc = doc
		webhookDoc.router, webhookDoc.err = gorillamux.NewRouter(doc)
	})
	if webhookDoc.err != nil {
		t.Fatal(webhookDoc.err)
	}
	return webhookDoc.doc, webhookDoc.router
}

// eventSchemas maps the switchboard triggers to their event schemas.
var eventSchemas = map[string]string{
	sunshine.TriggerPassControl:          "switchboardPassControl",
	sunshine.TriggerPassControlFailure:   "switchboardPassControlFailure",
	sunshine.TriggerOfferControl:         "switchboardOfferControl",
	sunshine.TriggerOfferControlFailure:  "switchboardOfferControlFailure",
	sunshine.TriggerAcceptControl:        "switchboardAcceptControl",
	sunshine.TriggerAcceptControlFailure: "switchboardAcceptControlFailure",
	sunshine.TriggerReleaseControl:       "switchboardReleaseControl",
}

// validateDelivery checks a delivery body against EventWebhooks and each
// event against the schema of its type; it returns the problems found.
func validateDelivery(t *testing.T, body []byte) []string {
	t.Helper()
	doc, router := loadWebhookOpenAPI(t)
	req := httptest.NewRequest(http.MethodPost, webhookEventPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("the webhook operation is not routable: %v", err)
	}
	var problems []string
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		problems = append(problems, "EventWebhooks: "+err.Error())
	}
	var envelope struct {
		App     map[string]any   `json:"app"`
		Webhook map[string]any   `json:"webhook"`
		Events  []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return append(problems, err.Error())
	}
	if envelope.App["id"] == nil || envelope.Webhook["id"] == nil || len(envelope.Events) == 0 {
		problems = append(problems, "the envelope lacks app.id, webhook.id or events")
	}
	for i, ev := range envelope.Events {
		typ, _ := ev["type"].(string)
		name, ok := eventSchemas[typ]
		if !ok {
			problems = append(problems, fmt.Sprintf("events[%d]: type %q is not a switchboard trigger", i, typ))
			continue
		}
		if err := doc.Components.Schemas[name].Value.VisitJSON(ev, openapi3.MultiErrors()); err != nil {
			problems = append(problems, fmt.Sprintf("events[%d] (%s): %v", i, name, err))
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", fmt.Sprint(ev["createdAt"])); err != nil {
			problems = append(problems, fmt.Sprintf("events[%d]: createdAt is not YYYY-MM-DDThh:mm:ss.SSSZ: %v", i, err))
		}
	}
	return problems
}

// hookReceiver answers HEAD and POST with 200 and keeps the POSTed bodies.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	keys   []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			return
		}
		data, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.bodies = append(rc.bodies, data)
		rc.keys = append(rc.keys, r.Header.Get("X-API-Key"))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) received() ([][]byte, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.bodies), slices.Clone(rc.keys)
}

func TestIntegrationAndWebhookCallsConformToTheOpenAPIDocument(t *testing.T) {
	seen := &exchanges{}
	loadOpenAPI(t)
	rc := newHookReceiver(t)
	refusing := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(refusing.Close)
	ctx := context.Background()
	for _, auth := range authTypes {
		sim := newSimulator(t)
		client := simClient(t, sim, withAuth(auth, appKey, ""), withConformance(t, seen))
		in, err := client.CreateCustomIntegration(ctx, sunshine.CustomIntegrationRequest{DisplayName: "switchboard-operator",
			Webhook: sunshine.WebhookRequest{Target: rc.URL + "/hook", Triggers: sunshine.SwitchboardTriggers}})
		if err != nil {
			t.Fatalf("%s: CreateCustomIntegration: %v", auth, err)
		}
		steps := []struct {
			name    string
			call    func() error
			wantErr bool
		}{
			{"listIntegrations", func() error { _, err := client.ListCustomIntegrations(ctx); return err }, false},
			{"getIntegration", func() error { _, err := client.GetIntegration(ctx, in.ID); return err }, false},
			{"listWebhooks", func() error { _, err := client.ListWebhooks(ctx, in.ID); return err }, false},
			{"getWebhook", func() error { _, err := client.GetWebhook(ctx, in.ID, in.Webhooks[0].ID); return err }, false},
			{"updateWebhook", func() error {
				_, err := client.UpdateWebhook(ctx, in.ID, in.Webhooks[0].ID, sunshine.WebhookUpdate{Target: rc.URL + "/moved", Triggers: []string{sunshine.TriggerPassControl}})
				return err
			}, false},
			{"createWebhook", func() error {
				w, err := client.CreateWebhook(ctx, in.ID, sunshine.WebhookRequest{Target: rc.URL + "/second", Triggers: []string{sunshine.TriggerReleaseControl}})
				if err == nil {
					err = client.DeleteWebhook(ctx, in.ID, w.ID)
				}
				return err
			}, false},
			{"createWebhook refused by the HEAD check", func() error {
				_, err := client.CreateWebhook(ctx, in.ID, sunshine.WebhookRequest{Target: refusing.URL, Triggers: []string{sunshine.TriggerReleaseControl}})
				return err
			}, true},
			{"getIntegration of an unknown id", func() error { _, err := client.GetIntegration(ctx, "nope"); return err }, true},
			{"getWebhook of an unknown id", func() error { _, err := client.GetWebhook(ctx, in.ID, "nope"); return err }, true},
			{"deleteWebhook", func() error { return client.DeleteWebhook(ctx, in.ID, in.Webhooks[0].ID) }, false},
			{"deleteIntegration", func() error { return client.DeleteIntegration(ctx, in.ID) }, false},
		}
		for _, step := range steps {
			if err := step.call(); (err != nil) != step.wantErr {
				t.Errorf("%s/%s: error %v, want error: %v", auth, step.name, err, step.wantErr)
			}
		}
	}
	want := []string{"CreateIntegration", "CreateWebhook", "DeleteIntegration", "DeleteWebhook", "GetIntegration",
		"GetWebhook", "ListIntegrations", "ListWebhooks", "UpdateWebhook"}
	summary := make([]string, 0, len(want))
	for _, op := range want {
		statuses := seen.statuses[op]
		if !slices.ContainsFunc(statuses, func(s int) bool { return s == 200 || s == 201 }) {
			t.Errorf("%s was never answered 2xx through the conformance check", op)
		}
		slices.Sort(statuses)
		summary = append(summary, fmt.Sprintf("%s %v", op, slices.Compact(statuses)))
	}
	t.Logf("validated exchanges by operation and status:\n%s", strings.Join(summary, "\n"))
}

func TestEveryDeliveryOfTheSimulatorConformsToTheWebhookSchemas(t *testing.T) {
	loadWebhookOpenAPI(t)
	rc := newHookReceiver(t)
	ctx := context.Background()
	sim := newSimulator(t, sunshinetest.WithAsyncFailures(), sunshinetest.WithWebhookBatchWindow(20*time.Millisecond))
	client := simClient(t, sim)
	in, err := client.CreateCustomIntegration(ctx, sunshine.CustomIntegrationRequest{
		Webhook: sunshine.WebhookRequest{Target: rc.URL, Triggers: sunshine.SwitchboardTriggers}})
	if err != nil {
		t.Fatal(err)
	}
	metadata := map[string]any{"ticket": 4711, "vip": true, "note": "<b>&"}
	calls := []func() error{
		func() error {
			return client.PassControl(ctx, "c1", sunshine.PassControlRequest{SwitchboardIntegration: "agent", Metadata: metadata, Reason: sunshine.ReasonTransferToEmail})
		},
		func() error {
			return client.OfferControl(ctx, "c1", sunshine.OfferControlRequest{SwitchboardIntegration: "bot", Metadata: metadata})
		},
		func() error {
			return client.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{Metadata: metadata})
		},
		func() error {
			return client.ReleaseControl(ctx, "c1", sunshine.ReleaseControlRequest{Reason: sunshine.ReasonTicketClosed})
		},
		func() error {
			return client.PassControl(ctx, "c1", sunshine.PassControlRequest{SwitchboardIntegration: "nobody"})
		},
		func() error {
			return client.OfferControl(ctx, "c1", sunshine.OfferControlRequest{SwitchboardIntegration: "nobody"})
		},
		func() error { return client.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{}) },
		func() error {
			return sim.SetConversation("app-1", "c1", sunshinetest.ConversationState{Active: "bot", Pending: "agent"})
		},
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	wantTypes := len(eventSchemas)
	deadline := time.Now().Add(10 * time.Second)
	var bodies [][]byte
	var keys []string
	types := map[string]bool{}
	for len(types) < wantTypes && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		bodies, keys = rc.received()
		clear(types)
		for _, b := range bodies {
			d, err := sunshine.DecodeWebhookDelivery(b)
			if err != nil {
				t.Fatalf("DecodeWebhookDelivery of a simulator delivery: %v\n%s", err, b)
			}
			for _, e := range d.Events {
				types[e.Type] = true
			}
		}
	}
	if len(types) < wantTypes {
		t.Fatalf("the deliveries carried %v, want every switchboard trigger", types)
	}
	several := false
	for i, b := range bodies {
		if !in.Webhooks[0].Secret.Equal(keys[i]) {
			t.Errorf("delivery %d does not carry the webhook's secret in X-API-Key", i)
		}
		for _, p := range validateDelivery(t, b) {
			t.Errorf("delivery %d does not conform: %s\nbody: %s", i, p, b)
		}
		d, _ := sunshine.DecodeWebhookDelivery(b)
		several = several || len(d.Events) > 1
		for _, e := range d.Events {
			if e.IsFailure() && (e.Payload.Error == nil || !strings.HasPrefix(e.Payload.Error.Code, "switchboard_invalid_")) {
				t.Errorf("failure event %s has error %+v", e.Type, e.Payload.Error)
			}
		}
	}
	if !several {
		t.Errorf("no delivery carried several events; the batching window did not batch")
	}
	t.Logf("validated %d deliveries carrying %d switchboard triggers", len(bodies), len(types))
}

func TestTheDocumentsSwitchboardEventExamplesDecode(t *testing.T) {
	doc, _ := loadWebhookOpenAPI(t)
	found := 0
	for name, ex := range doc.Components.Examples {
		if !strings.HasPrefix(name, "switchboard") || !strings.HasSuffix(name, "Event") {
			continue
		}
		found++
		body, err := json.Marshal(ex.Value.Value)
		if err != nil {
			t.Fatal(err)
		}
		d, err := sunshine.DecodeWebhookDelivery(body)
		if err != nil {
			t.Errorf("example %s: %v", name, err)
			continue
		}
		if d.App.ID == "" || d.Webhook.ID == "" || len(d.Events) != 1 || !d.Events[0].IsSwitchboard() || d.Events[0].ConversationID() == "" {
			t.Errorf("example %s decoded as %+v", name, d)
		}
		e := d.Events[0]
		if e.IsFailure() != strings.HasSuffix(name, "FailureEvent") || (e.IsFailure() && (e.Payload.Error == nil || e.Payload.Error.Code == "")) {
			t.Errorf("example %s: failure %v, error %+v", name, e.IsFailure(), e.Payload.Error)
		}
		if _, ok := eventSchemas[e.Type]; !ok {
			t.Errorf("example %s has the type %q, not a switchboard trigger", name, e.Type)
		}
		for _, p := range validateDelivery(t, body) {
			if !strings.Contains(p, "createdAt") {
				t.Errorf("the document's own example %s fails the check: %s", name, p)
			}
		}
	}
	if found != len(eventSchemas) {
		t.Errorf("found %d switchboard event examples, want %d", found, len(eventSchemas))
	}
}

func TestTheDeliveryCheckCatchesViolations(t *testing.T) {
	loadWebhookOpenAPI(t)
	for name, body := range map[string]string{
		"a reason outside the enum": `{"app":{"id":"a"},"webhook":{"id":"w","version":"v2"},"events":[{"id":"e","type":"switchboard:passControl",` +
			`"createdAt":"2020-09-30T15:14:29.834Z","payload":{"conversation":{"id":"c","type":"personal"},"reason":"bored"}}]}`,
		"an unknown conversation type": `{"app":{"id":"a"},"webhook":{"id":"w"},"events":[{"id":"e","type":"switchboard:releaseControl",` +
			`"createdAt":"2020-09-30T15:14:29.834Z","payload":{"conversation":{"id":"c","type":"group"}}}]}`,
		"a bad timestamp": `{"app":{"id":"a"},"webhook":{"id":"w"},"events":[{"id":"e","type":"switchboard:releaseControl",` +
			`"createdAt":"yesterday","payload":{"conversation":{"id":"c","type":"personal"}}}]}`,
		"no events": `{"app":{"id":"a"},"webhook":{"id":"w"},"events":[]}`,
	} {
		if problems := validateDelivery(t, []byte(body)); len(problems) == 0 {
			t.Errorf("%s: the check found nothing", name)
		}
	}
}
