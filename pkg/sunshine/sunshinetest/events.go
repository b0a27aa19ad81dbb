package sunshinetest

import "net/http"

// Switchboard triggers (OpenAPI document, "Webhook Triggers").
const (
	triggerPass            = "switchboard:passControl"
	triggerOffer           = "switchboard:offerControl"
	triggerAccept          = "switchboard:acceptControl"
	triggerRelease         = "switchboard:releaseControl"
	failureSuffix          = ":failure"
	codeEventInvalidTarget = "switchboard_invalid_target"
	codeEventInvalidAction = "switchboard_invalid_action"
	noEffectFaultMessage   = "The action had no effect"
)

// Event shapes of the schemas switchboard* and conversationTruncated.
type (
	eventJSON struct {
		ID        string           `json:"id"`
		Type      string           `json:"type"`
		CreatedAt string           `json:"createdAt"`
		Payload   eventPayloadJSON `json:"payload"`
	}
	eventPayloadJSON struct {
		Conversation conversationTruncatedJSON `json:"conversation"`
		Metadata     map[string]any            `json:"metadata,omitempty"`
		Reason       string                    `json:"reason,omitempty"`
		Error        *eventErrorJSON           `json:"error,omitempty"`
	}
	eventErrorJSON struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	conversationTruncatedJSON struct {
		ID                            string                             `json:"id"`
		Type                          string                             `json:"type"`
		ActiveSwitchboardIntegration  *switchboardIntegrationWebhookJSON `json:"activeSwitchboardIntegration,omitempty"`
		PendingSwitchboardIntegration *switchboardIntegrationWebhookJSON `json:"pendingSwitchboardIntegration,omitempty"`
	}
)

// actionTriggers maps the actions to their success triggers.
var actionTriggers = map[Operation]string{
	OpPassControl: triggerPass, OpOfferControl: triggerOffer, OpAcceptControl: triggerAccept, OpReleaseControl: triggerRelease,
}

// emit sends an event about conversation c of app appID to every webhook of
// the app subscribed to its trigger (SWITCHBOARD.md 7#12), with the
// conversation as it is now. s.mu must be held.
func (s *Simulator) emit(appID string, c *conversation, trigger string, p eventPayloadJSON) {
	h := s.hooks[appID]
	if h == nil {
		return
	}
	p.Conversation = conversationTruncatedJSON{
		ID: c.id, Type: "personal",
		ActiveSwitchboardIntegration: webhookJSON(c.active), PendingSwitchboardIntegration: webhookJSON(c.pending),
	}
	ev := eventJSON{ID: newID(), Type: trigger, CreatedAt: s.now().UTC().Format(timeFormat), Payload: p}
	for _, in := range h.integrations {
		for _, w := range in.webhooks {
			if w.subscribes(trigger) {
				s.d.enqueue(destination{appID: appID, webhookID: w.id, target: w.target, secret: w.secret}, ev)
			}
		}
	}
}

// emitAction sends the event of an action: its trigger when it changed the
// conversation, its :failure trigger when it failed in async mode (the
// error with the codes of SWITCHBOARD.md 2.7, the conversation unchanged),
// nothing otherwise (a no-op, a synchronous error, releaseControl's
// failures, which have no trigger). s.mu must be held.
func (s *Simulator) emitAction(appID string, c *conversation, op Operation, ab actionBody, changed bool, f *failure) {
	trigger := actionTriggers[op]
	p := eventPayloadJSON{Metadata: ab.metadata}
	switch {
	case f == nil && changed:
		if op == OpPassControl || op == OpReleaseControl {
			p.Reason = ab.reason
		}
		s.emit(appID, c, trigger, p)
	case f != nil && s.async && f.status == http.StatusBadRequest && op != OpReleaseControl:
		code := f.code
		if code != codeEventInvalidAction {
			code = codeEventInvalidTarget // 7#2: an ambiguous target fails as invalid target
		}
		p.Error = &eventErrorJSON{Code: code, Message: f.title}
		s.emit(appID, c, trigger+failureSuffix, p)
	}
}

// emitNoEffect sends the :failure event of an action a NoEffect fault
// answered 200 without applying, when its app and conversation exist.
func (s *Simulator) emitNoEffect(r *http.Request, rt route) {
	if rt.op == OpReleaseControl || !isAction(rt.op) {
		return
	}
	body, _ := readBody(r)
	ab, _ := parseActionBody(rt.op, body)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.apps[rt.appID]
	if a == nil || a.convs[rt.convID] == nil {
		return
	}
	code := codeEventInvalidTarget
	if rt.op == OpAcceptControl {
		code = codeEventInvalidAction
	}
	s.emit(a.id, a.convs[rt.convID], actionTriggers[rt.op]+failureSuffix,
		eventPayloadJSON{Metadata: ab.metadata, Error: &eventErrorJSON{Code: code, Message: noEffectFaultMessage}})
}

// emitMove sends the events of a move made outside the API (an agent or a
// bot in the vendor's UI): releaseControl when nothing is left, acceptControl
// when the pending integration became active, passControl when another one
// did (or the pending one was dropped), then offerControl when a new one is
// pending. s.mu must be held.
func (s *Simulator) emitMove(appID string, c *conversation, oldActive, oldPending *integration) {
	newActive, newPending := c.active, c.pending
	if newActive == oldActive && newPending == oldPending {
		return
	}
	if newActive == nil && newPending == nil {
		s.emit(appID, c, triggerRelease, eventPayloadJSON{})
		return
	}
	if newActive != oldActive || newPending == nil {
		// Show the conversation as the first action left it.
		c.pending = nil
		trigger := triggerPass
		if newActive != nil && newActive == oldPending {
			trigger = triggerAccept
		}
		if newActive != nil {
			s.emit(appID, c, trigger, eventPayloadJSON{})
		}
		c.pending = newPending
	}
	if newPending != nil && newPending != oldPending {
		s.emit(appID, c, triggerOffer, eventPayloadJSON{})
	}
}
