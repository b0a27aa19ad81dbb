package sunshinetest

import (
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
)

// received is one POST a receiver got.
type received struct {
	key  string
	body deliveryBody
	at   time.Time
}

// receiver is a webhook target that records what it gets and answers the
// n-th POST (1-based) with status(n); HEAD answers headStatus.
type receiver struct {
	*httptest.Server
	mu         sync.Mutex
	heads      int
	posts      []received
	status     func(n int) int
	headStatus int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{status: func(int) int { return http.StatusOK }, headStatus: http.StatusOK}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if r.Method == http.MethodHead {
			rc.heads++
			w.WriteHeader(rc.headStatus)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var body deliveryBody
		if err := json.Unmarshal(data, &body); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("receiver got %s %s %q: %v", r.Method, r.Header.Get("Content-Type"), data, err)
		}
		rc.posts = append(rc.posts, received{key: r.Header.Get("X-API-Key"), body: body, at: time.Now()})
		w.WriteHeader(rc.status(len(rc.posts)))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.posts)
}

// events lists the types of every event received, in order.
func (rc *receiver) events() []string {
	var out []string
	for _, p := range rc.got() {
		for _, e := range p.body.Events {
			out = append(out, e.Type)
		}
	}
	return out
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hook is a webhook created through the API.
type hook struct{ integrationID, webhookID, secret string }

var switchboardTriggers = []string{
	"switchboard:passControl", "switchboard:passControl:failure", "switchboard:offerControl",
	"switchboard:offerControl:failure", "switchboard:acceptControl", "switchboard:acceptControl:failure",
	"switchboard:releaseControl",
}

// createHook creates a custom integration with one webhook to target.
func createHook(t *testing.T, srv *Server, target string, triggers ...string) hook {
	t.Helper()
	if len(triggers) == 0 {
		triggers = switchboardTriggers
	}
	tr, _ := json.Marshal(triggers)
	r := call(t, srv, http.MethodPost, "/v2/apps/"+demoApp+"/integrations", keyAuth(appKey),
		`{"type":"custom","displayName":"operator","webhooks":[{"target":"`+target+`","triggers":`+string(tr)+`}]}`)
	wantAnswer(t, r, http.StatusCreated, "")
	var resp struct{ Integration integrationResponseJSON }
	r.decode(t, &resp)
	if len(resp.Integration.Webhooks) != 1 {
		t.Fatalf("created %s, want one webhook", r.body)
	}
	w := resp.Integration.Webhooks[0]
	return hook{integrationID: resp.Integration.ID, webhookID: w.ID, secret: w.Secret}
}

func integrationsPath(rest string) string { return "/v2/apps/" + demoApp + "/integrations" + rest }

func TestIntegrationsAndWebhooksCRUD(t *testing.T) {
	srv := newTestServer(t)
	rc := newReceiver(t)
	h := createHook(t, srv, rc.URL+"/hook", "switchboard:passControl")
	if len(h.secret) != 32 || len(h.integrationID) != 24 || len(h.webhookID) != 24 {
		t.Errorf("ids and secret = %+v, want 24 and 32 hex digits", h)
	}
	if rc.heads != 1 {
		t.Errorf("the target got %d HEAD requests at creation, want 1", rc.heads)
	}

	r := call(t, srv, http.MethodGet, integrationsPath("?filter[types]=custom"), keyAuth(appKey), "")
	wantAnswer(t, r, 200, "")
	var list struct {
		Integrations []integrationResponseJSON
		Meta         struct{ HasMore bool }
	}
	r.decode(t, &list)
	if len(list.Integrations) != 1 || list.Integrations[0].ID != h.integrationID || list.Integrations[0].DisplayName != "operator" || list.Meta.HasMore {
		t.Errorf("list = %s", r.body)
	}
	r = call(t, srv, http.MethodGet, integrationsPath("?filter[types]=web"), keyAuth(appKey), "")
	if !strings.Contains(string(r.body), `"integrations":[]`) {
		t.Errorf("a filter without custom listed %s", r.body)
	}

	r = call(t, srv, http.MethodPost, integrationsPath("/"+h.integrationID+"/webhooks"), keyAuth(appKey),
		`{"target":"`+rc.URL+`/second","triggers":["switchboard:releaseControl"],"includeFullUser":true}`)
	wantAnswer(t, r, http.StatusCreated, "")
	var created struct{ Webhook hookJSON }
	r.decode(t, &created)
	if created.Webhook.Secret == "" || created.Webhook.Secret == h.secret || !created.Webhook.IncludeFullUser || created.Webhook.Version != "v2" {
		t.Errorf("second webhook = %s", r.body)
	}

	r = call(t, srv, http.MethodGet, integrationsPath("/"+h.integrationID+"/webhooks/"+h.webhookID), keyAuth(appKey), "")
	var got struct{ Webhook hookJSON }
	r.decode(t, &got)
	if got.Webhook.Secret != h.secret || got.Webhook.Target != rc.URL+"/hook" {
		t.Errorf("GET webhook = %d %+v, want the secret and target", r.status, got.Webhook.Target)
	}

	r = call(t, srv, http.MethodPatch, integrationsPath("/"+h.integrationID+"/webhooks/"+h.webhookID), keyAuth(appKey),
		`{"triggers":["switchboard:offerControl","switchboard:releaseControl"]}`)
	wantAnswer(t, r, 200, "")
	r.decode(t, &got)
	if got.Webhook.Secret != h.secret || got.Webhook.Target != rc.URL+"/hook" || !slices.Equal(got.Webhook.Triggers, []string{"switchboard:offerControl", "switchboard:releaseControl"}) {
		t.Errorf("PATCH changed more than the triggers: %+v", got.Webhook.Triggers)
	}

	r = call(t, srv, http.MethodGet, integrationsPath("/"+h.integrationID+"/webhooks"), keyAuth(appKey), "")
	var hooks struct{ Webhooks []hookJSON }
	r.decode(t, &hooks)
	if len(hooks.Webhooks) != 2 {
		t.Errorf("list webhooks = %s, want two", r.body)
	}
	wantAnswer(t, call(t, srv, http.MethodDelete, integrationsPath("/"+h.integrationID+"/webhooks/"+h.webhookID), keyAuth(appKey), ""), 200, "")
	wantAnswer(t, call(t, srv, http.MethodGet, integrationsPath("/"+h.integrationID+"/webhooks/"+h.webhookID), keyAuth(appKey), ""), 404, codeNotFound)
	wantAnswer(t, call(t, srv, http.MethodGet, integrationsPath("/"+h.integrationID), keyAuth(appKey), ""), 200, "")
	wantAnswer(t, call(t, srv, http.MethodDelete, integrationsPath("/"+h.integrationID), keyAuth(appKey), ""), 200, "")
	wantAnswer(t, call(t, srv, http.MethodGet, integrationsPath("/"+h.integrationID), keyAuth(appKey), ""), 404, codeIntegrationNotFound)
	wantAnswer(t, call(t, srv, http.MethodGet, integrationsPath("/"+h.integrationID+"/webhooks"), keyAuth(appKey), ""), 404, codeIntegrationNotFound)
	if n := srv.Count(OpCreateWebhook); n != 1 {
		t.Errorf("Count(createWebhook) = %d, want 1", n)
	}
}

func TestWebhookCreationSendsAHEADToTheTargetFirst(t *testing.T) {
	srv := newTestServer(t)
	rc := newReceiver(t)
	rc.headStatus = http.StatusNotFound
	body := `{"type":"custom","webhooks":[{"target":"` + rc.URL + `/hook","triggers":["switchboard:passControl"]}]}`
	r := call(t, srv, http.MethodPost, integrationsPath(""), keyAuth(appKey), body)
	wantAnswer(t, r, http.StatusBadRequest, codeBadRequest)
	if !strings.Contains(string(r.body), "HEAD request with 404") {
		t.Errorf("the error does not say the HEAD failed: %s", r.body)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r = call(t, srv, http.MethodPost, integrationsPath(""), keyAuth(appKey),
		`{"type":"custom","webhooks":[{"target":"`+closed.URL+`","triggers":["switchboard:passControl"]}]}`)
	wantAnswer(t, r, http.StatusBadRequest, codeBadRequest)
	if strings.Contains(string(r.body), closed.URL) {
		t.Errorf("the error echoes the target: %s", r.body)
	}
	r = call(t, srv, http.MethodGet, integrationsPath(""), keyAuth(appKey), "")
	if !strings.Contains(string(r.body), `"integrations":[]`) {
		t.Errorf("a refused webhook left an integration: %s", r.body)
	}
}

func TestAnAppHasAtMostTenWebhooks(t *testing.T) {
	srv := newTestServer(t)
	rc := newReceiver(t)
	h := createHook(t, srv, rc.URL)
	for i := 2; i <= MaxWebhooksPerApp; i++ {
		r := call(t, srv, http.MethodPost, integrationsPath("/"+h.integrationID+"/webhooks"), keyAuth(appKey),
			fmt.Sprintf(`{"target":"%s/%d","triggers":["switchboard:passControl"]}`, rc.URL, i))
		wantAnswer(t, r, http.StatusCreated, "")
	}
	r := call(t, srv, http.MethodPost, integrationsPath("/"+h.integrationID+"/webhooks"), keyAuth(appKey),
		`{"target":"`+rc.URL+`","triggers":["switchboard:passControl"]}`)
	wantAnswer(t, r, http.StatusBadRequest, codeBadRequest)
	if !strings.Contains(string(r.body), "limited to 10 webhooks") {
		t.Errorf("11th webhook: %s", r.body)
	}
	r = call(t, srv, http.MethodPost, integrationsPath(""), keyAuth(appKey),
		`{"type":"custom","webhooks":[{"target":"`+rc.URL+`","triggers":["switchboard:passControl"]}]}`)
	wantAnswer(t, r, http.StatusBadRequest, codeBadRequest)
	srv.Reset()
	createHook(t, srv, rc.URL) // Reset removed them
}

func TestIntegrationAndWebhookRoutesRefuseBadRequests(t *testing.T) {
	srv := newTestServer(t)
	rc := newReceiver(t)
	h := createHook(t, srv, rc.URL)
	wh := func(triggers string) string {
		return `{"type":"custom","webhooks":[{"target":"` + rc.URL + `","triggers":` + triggers + `}]}`
	}
	tests := []struct {
		name, method, path string
		auth               authFn
		body               string
		status             int
		code, title        string
	}{
		{"no credentials", "GET", integrationsPath(""), nil, "", 401, codeUnauthorized, ""},
		{"another type", "POST", integrationsPath(""), keyAuth(appKey), `{"type":"web"}`, 400, codeBadRequest, "Invalid integration type"},
		{"two webhooks", "POST", integrationsPath(""), keyAuth(appKey),
			`{"type":"custom","webhooks":[{"target":"` + rc.URL + `","triggers":["switchboard:passControl"]},{"target":"` + rc.URL + `","triggers":["switchboard:passControl"]}]}`,
			400, codeBadRequest, "exactly one webhook"},
		{"no triggers", "POST", integrationsPath(""), keyAuth(appKey), wh(`[]`), 400, codeBadRequest, "triggers"},
		{"an unknown trigger", "POST", integrationsPath(""), keyAuth(appKey), wh(`["switchboard:PassControl"]`), 400, codeBadRequest, "Invalid trigger"},
		{"a relative target", "POST", integrationsPath("/" + h.integrationID + "/webhooks"), keyAuth(appKey), `{"target":"/x","triggers":["user:merge"]}`, 400, codeBadRequest, "target"},
		{"a long display name", "POST", integrationsPath(""), keyAuth(appKey), `{"type":"custom","displayName":"` + strings.Repeat("x", 101) + `"}`, 400, codeBadRequest, "displayName"},
		{"an integration key on the integration routes", "GET", integrationsPath(""), keyAuth(botKey), "", 403, codeForbidden, ""},
		{"an integration key on another integration's webhooks", "GET", integrationsPath("/" + h.integrationID + "/webhooks"), keyAuth(botKey), "", 403, codeForbidden, ""},
		{"an integration key on its own webhooks (me)", "GET", integrationsPath("/me/webhooks"), keyAuth(botKey), "", 404, codeIntegrationNotFound, ""},
		{"me with an app key", "GET", integrationsPath("/me/webhooks"), keyAuth(appKey), "", 404, codeIntegrationNotFound, ""},
		{"an unknown webhook", "PATCH", integrationsPath("/" + h.integrationID + "/webhooks/nope"), keyAuth(appKey), `{"target":"https://x.example"}`, 404, codeNotFound, ""},
		{"a PATCH of an integration", "PATCH", integrationsPath("/" + h.integrationID), keyAuth(appKey), `{}`, 405, "method_not_allowed", ""},
		{"an unknown app", "GET", "/v2/apps/nope/integrations", keyAuth(accountKey), "", 404, codeAppNotFound, ""},
		{"a body that is not JSON", "PATCH", integrationsPath("/" + h.integrationID + "/webhooks/" + h.webhookID), keyAuth(appKey), `{`, 400, codeBadRequest, ""},
		{"a bad page size", "GET", integrationsPath("?page[size]=101"), keyAuth(appKey), "", 400, codeBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.method, tt.path, tt.auth, tt.body)
			wantAnswer(t, r, tt.status, tt.code)
			if !strings.Contains(string(r.body), tt.title) {
				t.Errorf("body %s does not say %q", r.body, tt.title)
			}
		})
	}
	if r := call(t, srv, "PUT", integrationsPath("/"+h.integrationID+"/webhooks/"+h.webhookID), keyAuth(appKey), "{}"); r.header.Get("Allow") != "GET, PATCH, DELETE" {
		t.Errorf("405 Allow = %q", r.header.Get("Allow"))
	}
}

// deliveryEvent is an event as received, decoded loosely.
type deliveryEvent = eventJSON

func TestActionsAndMovesAreDeliveredWithTheWebhookSecret(t *testing.T) {
	srv := newTestServer(t, WithWebhookBatchWindow(time.Millisecond))
	rc := newReceiver(t)
	h := createHook(t, srv, rc.URL)
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey),
		`{"switchboardIntegration":"agent-workspace","metadata":{"ticket":42},"reason":"transferToEmail"}`), 200, "")
	eventually(t, "the passControl delivery", func() bool { return len(rc.got()) == 1 })
	p := rc.got()[0]
	if p.key != h.secret || p.body.App.ID != demoApp || p.body.Webhook.ID != h.webhookID || p.body.Webhook.Version != "v2" || len(p.body.Events) != 1 {
		t.Fatalf("delivery = key ok %v, %+v", p.key == h.secret, p.body)
	}
	ev := p.body.Events[0]
	if ev.Type != "switchboard:passControl" || len(ev.ID) != 24 || ev.Payload.Conversation.ID != "conv-1" ||
		ev.Payload.Conversation.ActiveSwitchboardIntegration == nil || ev.Payload.Conversation.ActiveSwitchboardIntegration.Name != "agent-workspace" ||
		ev.Payload.Reason != "transferToEmail" || fmt.Sprint(ev.Payload.Metadata["ticket"]) != "42" {
		t.Errorf("event = %+v", ev)
	}
	if _, err := time.Parse(timeFormat, ev.CreatedAt); err != nil {
		t.Errorf("createdAt %q: %v", ev.CreatedAt, err)
	}

	// Moves made outside the API, as agents and bots make them.
	mustSet(t, srv.Simulator, "conv-1", st("agent-workspace", "bot")) // an offer
	eventually(t, "the offer", func() bool { return len(rc.events()) == 2 })
	mustSet(t, srv.Simulator, "conv-1", st("bot", "")) // the offer accepted
	eventually(t, "the accept", func() bool { return len(rc.events()) == 3 })
	mustSet(t, srv.Simulator, "conv-1", st("", "")) // released
	eventually(t, "the release", func() bool { return len(rc.events()) == 4 })
	if err := srv.SetConversationSilently(demoApp, "conv-1", st("agent-workspace", "")); err != nil {
		t.Fatal(err)
	}
	mustSet(t, srv.Simulator, "conv-1", st("agent-workspace", "")) // no change
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpReleaseControl), keyAuth(appKey), `{"reason":"ticketClosed"}`), 200, "")
	eventually(t, "the API release", func() bool { return len(rc.events()) == 5 })
	want := []string{"switchboard:passControl", "switchboard:offerControl", "switchboard:acceptControl", "switchboard:releaseControl", "switchboard:releaseControl"}
	if got := rc.events(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	last := rc.got()[4].body.Events[0]
	if last.Payload.Reason != "ticketClosed" || last.Payload.Conversation.ActiveSwitchboardIntegration != nil {
		t.Errorf("release event = %+v, want the reason and no active integration", last.Payload)
	}
	offer := rc.got()[1].body.Events[0].Payload.Conversation
	if offer.ActiveSwitchboardIntegration.Name != "agent-workspace" || offer.PendingSwitchboardIntegration.Name != "bot" {
		t.Errorf("offer event conversation = %+v", offer)
	}
	st := srv.DeliveryStats()
	if st.Deliveries != 5 || st.Delivered != 5 || st.Attempts != 5 {
		t.Errorf("stats = %+v, want 5 deliveries delivered in 5 attempts", st)
	}
}

func TestEventsCloseTogetherShareOneDeliveryAndOnlySubscribedTriggersGo(t *testing.T) {
	srv := newTestServer(t, WithWebhookBatchWindow(time.Hour))
	rc := newReceiver(t)
	all := createHook(t, srv, rc.URL+"/all")
	releases := createHook(t, srv, rc.URL+"/releases", "switchboard:releaseControl")
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpOfferControl), keyAuth(appKey), `{"switchboardIntegration":"agent-workspace"}`), 200, "")
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpOfferControl), keyAuth(appKey), `{"switchboardIntegration":"bot"}`), 400, "switchboard_invalid_target")
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpReleaseControl), keyAuth(appKey), ``), 200, "")
	if n := len(rc.got()); n != 0 {
		t.Fatalf("%d deliveries before the window closed", n)
	}
	srv.FlushDeliveries()
	eventually(t, "two deliveries", func() bool { return len(rc.got()) == 2 })
	byHook := map[string]received{}
	for _, p := range rc.got() {
		byHook[p.body.Webhook.ID] = p
	}
	a := byHook[all.webhookID].body.Events
	if len(a) != 2 || a[0].Type != "switchboard:offerControl" || a[1].Type != "switchboard:releaseControl" || a[0].ID == a[1].ID {
		t.Errorf("the all-triggers webhook got %+v, want offerControl and releaseControl with distinct ids in one delivery", a)
	}
	// The second offer (bot, to the active bot) failed synchronously: no event.
	r := byHook[releases.webhookID]
	if len(r.body.Events) != 1 || r.body.Events[0].Type != "switchboard:releaseControl" || r.key != releases.secret {
		t.Errorf("the releaseControl webhook got %+v", r.body.Events)
	}
	if a[1].ID != r.body.Events[0].ID {
		t.Errorf("one event has two ids: %s and %s", a[1].ID, r.body.Events[0].ID)
	}
}

func TestFailedDeliveriesAreRetriedOnTheVendorsSchedule(t *testing.T) {
	const scale = 0.001 // retries after 60, 120, 240 and 480 ms
	srv := newTestServer(t, WithWebhookBatchWindow(time.Millisecond), WithWebhookTimeScale(scale))
	rc := newReceiver(t)
	createHook(t, srv, rc.URL)
	rc.mu.Lock()
	rc.status = func(int) int { return http.StatusServiceUnavailable }
	rc.mu.Unlock()
	mustSet(t, srv.Simulator, "conv-1", st("agent-workspace", ""))
	eventually(t, "the delivery to fail", func() bool { return srv.DeliveryStats().Failed == 1 })
	d := srv.Deliveries()[0]
	if len(d.Attempts) != MaxDeliveryAttempts || len(rc.got()) != MaxDeliveryAttempts {
		t.Fatalf("attempts = %d (received %d), want %d", len(d.Attempts), len(rc.got()), MaxDeliveryAttempts)
	}
	ids := map[string]bool{}
	for i, a := range d.Attempts {
		if a.Status != http.StatusServiceUnavailable {
			t.Errorf("attempt %d status %d", i, a.Status)
		}
		ids[rc.got()[i].body.Events[0].ID] = true
		if i == 0 {
			continue
		}
		wait := time.Duration(float64(RetryBase<<(i-1)) * scale)
		if gap := a.Time.Sub(d.Attempts[i-1].Time); gap < wait {
			t.Errorf("retry %d came %s after the attempt before it, want at least %s", i, gap, wait)
		}
	}
	if len(ids) != 1 {
		t.Errorf("retries changed the event id: %v", ids)
	}

	srv.Reset()
	createHook(t, srv, rc.URL)
	rc.mu.Lock()
	rc.posts = nil
	rc.status = func(n int) int { return map[bool]int{true: 500, false: 200}[n <= 2] }
	rc.mu.Unlock()
	mustSet(t, srv.Simulator, "conv-1", st("agent-workspace", ""))
	eventually(t, "the delivery to succeed", func() bool { return srv.DeliveryStats().Delivered == 1 })
	if n := len(srv.Deliveries()[0].Attempts); n != 3 {
		t.Errorf("attempts = %d, want 3 (two 500s, then 200)", n)
	}
}

func TestNoRetryAfterTheNonRecoverableStatuses(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 406} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := newTestServer(t, WithWebhookBatchWindow(time.Millisecond), WithWebhookTimeScale(0.0001))
			rc := newReceiver(t)
			createHook(t, srv, rc.URL)
			rc.mu.Lock()
			rc.status = func(int) int { return status }
			rc.mu.Unlock()
			mustSet(t, srv.Simulator, "conv-1", st("agent-workspace", ""))
			eventually(t, "the rejection", func() bool { return srv.DeliveryStats().Rejected == 1 })
			srv.StopDeliveries() // any retry would have been scheduled by now; stop and look
			if n := len(rc.got()); n != 1 {
				t.Errorf("%d attempts after %d, want 1", n, status)
			}
		})
	}
}

func TestAsyncFailuresAreDeliveredAsFailureEvents(t *testing.T) {
	srv := newTestServer(t, WithAsyncFailures(), WithWebhookBatchWindow(time.Millisecond))
	rc := newReceiver(t)
	createHook(t, srv, rc.URL)
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), `{"switchboardIntegration":"nobody","metadata":{"k":"v"}}`), 200, "")
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpAcceptControl), keyAuth(appKey), `{}`), 200, "")
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpOfferControl), keyAuth(appKey), `{"switchboardIntegration":"custom"}`), 200, "") // ambiguous
	srv.InjectFault(OpPassControl, Fault{NoEffect: true})
	wantAnswer(t, call(t, srv, http.MethodPost, actionPath("conv-1", OpPassControl), keyAuth(appKey), `{"switchboardIntegration":"agent-workspace"}`), 200, "")
	eventually(t, "four failure events", func() bool { return len(rc.events()) == 4 })
	var events []deliveryEvent
	for _, p := range rc.got() {
		events = append(events, p.body.Events...)
	}
	want := []struct{ typ, code string }{
		{"switchboard:passControl:failure", "switchboard_invalid_target"},
		{"switchboard:acceptControl:failure", "switchboard_invalid_action"},
		{"switchboard:offerControl:failure", "switchboard_invalid_target"},
		{"switchboard:passControl:failure", "switchboard_invalid_target"},
	}
	for i, w := range want {
		e := events[i]
		if e.Type != w.typ || e.Payload.Error == nil || e.Payload.Error.Code != w.code || e.Payload.Error.Message == "" {
			t.Errorf("event %d = %s %+v, want %s with code %s", i, e.Type, e.Payload.Error, w.typ, w.code)
			continue
		}
		c := e.Payload.Conversation
		if c.ActiveSwitchboardIntegration == nil || c.ActiveSwitchboardIntegration.Name != "bot" || c.PendingSwitchboardIntegration != nil {
			t.Errorf("event %d shows the conversation %+v, want it unchanged (bot active)", i, c)
		}
	}
	if events[0].Payload.Metadata["k"] != "v" {
		t.Errorf("the failure event lost the metadata: %+v", events[0].Payload)
	}
	wantState(t, srv.Simulator, "conv-1", st("bot", ""))
}

func TestDeliveryFaults(t *testing.T) {
	move := func(srv *Server, active string) { mustSet(t, srv.Simulator, "conv-1", st(active, "")) }
	t.Run("duplicate: the same event ids twice", func(t *testing.T) {
		srv := newTestServer(t, WithWebhookBatchWindow(time.Millisecond))
		rc := newReceiver(t)
		createHook(t, srv, rc.URL)
		if err := srv.InjectDeliveryFault(DeliveryFault{Duplicate: true}); err != nil {
			t.Fatal(err)
		}
		move(srv, "agent-workspace")
		eventually(t, "two deliveries", func() bool { return len(rc.got()) == 2 })
		got := rc.got()
		if got[0].body.Events[0].ID != got[1].body.Events[0].ID {
			t.Errorf("a duplicate carries other event ids")
		}
		if d := srv.Deliveries(); len(d) != 2 || d[0].Duplicate || !d[1].Duplicate {
			t.Errorf("records = %+v", d)
		}
		move(srv, "bot") // the fault was used up
		eventually(t, "a third delivery", func() bool { return len(rc.got()) == 3 })
	})
	t.Run("drop: nothing is sent", func(t *testing.T) {
		srv := newTestServer(t, WithWebhookBatchWindow(time.Millisecond))
		rc := newReceiver(t)
		createHook(t, srv, rc.URL)
		if err := srv.InjectDeliveryFault(DeliveryFault{Drop: true, Times: 2}); err != nil {
			t.Fatal(err)
		}
		move(srv, "agent-workspace")
		eventually(t, "one dropped", func() bool { return srv.DeliveryStats().Dropped == 1 })
		move(srv, "bot")
		eventually(t, "two dropped", func() bool { return srv.DeliveryStats().Dropped == 2 })
		move(srv, "agent-workspace")
		eventually(t, "the next delivery", func() bool { return len(rc.got()) == 1 })
		if got := rc.got()[0].body.Events[0].Payload.Conversation.ActiveSwitchboardIntegration.Name; got != "agent-workspace" {
			t.Errorf("the delivered event shows %s", got)
		}
	})
	t.Run("wrong key: a 401 is not retried", func(t *testing.T) {
		srv := newTestServer(t, WithWebhookBatchWindow(time.Millisecond), WithWebhookTimeScale(0.0001))
		rc := newReceiver(t)
		h := createHook(t, srv, rc.URL)
		rc.mu.Lock()
		rc.status = func(n int) int {
			if rc.posts[n-1].key != h.secret {
				return http.StatusUnauthorized
			}
			return http.StatusOK
		}
		rc.mu.Unlock()
		if err := srv.InjectDeliveryFault(DeliveryFault{WrongKey: true, WebhookID: h.webhookID}); err != nil {
			t.Fatal(err)
		}
		move(srv, "agent-workspace")
		eventually(t, "the rejection", func() bool { return srv.DeliveryStats().Rejected == 1 })
		d := srv.Deliveries()[0]
		if !d.WrongKey || len(d.Attempts) != 1 || d.Attempts[0].Status != 401 || rc.got()[0].key == "" {
			t.Errorf("delivery = %+v", d)
		}
	})
	t.Run("delay: held before the first attempt", func(t *testing.T) {
		srv := newTestServer(t, WithWebhookBatchWindow(time.Millisecond))
		rc := newReceiver(t)
		createHook(t, srv, rc.URL)
		if err := srv.InjectDeliveryFault(DeliveryFault{Delay: 200 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		move(srv, "agent-workspace")
		eventually(t, "the delivery", func() bool { return len(rc.got()) == 1 })
		if gap := rc.got()[0].at.Sub(start); gap < 200*time.Millisecond {
			t.Errorf("delivered %s after the event, want at least the delay", gap)
		}
		if f := srv.DeliveryFaults(); len(f) != 1 {
			t.Errorf("a delay-only fault should last until cleared: %+v", f)
		}
		srv.ClearDeliveryFaults()
	})
	t.Run("invalid faults name the field", func(t *testing.T) {
		srv := newTestServer(t)
		for f, want := range map[DeliveryFault]string{
			{}:                           "needs delay",
			{Drop: true, WrongKey: true}: "set only one",
			{Delay: -1}:                  "delay:",
			{Delay: 1, Times: 2}:         "times:",
			{Drop: true, After: -1}:      "after:",
		} {
			if err := srv.InjectDeliveryFault(f); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("InjectDeliveryFault(%+v) = %v, want %q", f, err, want)
			}
		}
	})
}

func TestDeliveryAdminRoutes(t *testing.T) {
	srv, err := NewServer(testSeed(), WithWebhookBatchWindow(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	admin := httptest.NewServer(srv.Handler())
	t.Cleanup(admin.Close)
	rc := newReceiver(t)
	createHook(t, srv, rc.URL)
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, admin.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(data))
	}
	if code, body := do("POST", "/_sim/delivery-faults", `{"drop":true,"wrongKey":true}`); code != 400 || !strings.Contains(body, "set only one") {
		t.Errorf("bad fault = %d %s", code, body)
	}
	if code, body := do("POST", "/_sim/delivery-faults", `{"dorp":true}`); code != 400 || !strings.Contains(body, "dorp") {
		t.Errorf("unknown field = %d %s", code, body)
	}
	if code, body := do("POST", "/_sim/delivery-faults", `{"duplicate":true,"times":1}`); code != 200 || !strings.Contains(body, `"duplicate":true`) {
		t.Errorf("fault = %d %s", code, body)
	}
	if code, _ := do("PUT", "/_sim/conversations/app-demo/conv-1?events=false", `{"active":"agent-workspace"}`); code != 200 {
		t.Errorf("silent move = %d", code)
	}
	if code, _ := do("PUT", "/_sim/conversations/app-demo/conv-1", `{"active":"bot"}`); code != 200 {
		t.Errorf("move = %d", code)
	}
	eventually(t, "two deliveries (one duplicated)", func() bool { return len(rc.got()) == 2 })
	code, body := do("GET", "/_sim/deliveries", "")
	var resp struct {
		Deliveries []Delivery
		Stats      DeliveryStats
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || code != 200 {
		t.Fatalf("GET /_sim/deliveries = %d %s: %v", code, body, err)
	}
	if resp.Stats.Deliveries != 2 || len(resp.Deliveries) != 2 || resp.Deliveries[0].EventTypes[0] != "switchboard:passControl" {
		t.Errorf("deliveries = %s", body)
	}
	if code, body := do("DELETE", "/_sim/delivery-faults", ""); code != 200 || body != `{"faults":[]}` {
		t.Errorf("DELETE = %d %s", code, body)
	}
	if code, _ := do("POST", "/_sim/deliveries", ""); code != 405 {
		t.Errorf("POST /_sim/deliveries = %d, want 405", code)
	}
}
