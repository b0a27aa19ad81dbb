package sunshine

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The switchboard webhook triggers (OpenAPI document, "Webhook Events").
const (
	TriggerPassControl           = "switchboard:passControl"
	TriggerPassControlFailure    = "switchboard:passControl:failure"
	TriggerOfferControl          = "switchboard:offerControl"
	TriggerOfferControlFailure   = "switchboard:offerControl:failure"
	TriggerAcceptControl         = "switchboard:acceptControl"
	TriggerAcceptControlFailure  = "switchboard:acceptControl:failure"
	TriggerReleaseControl        = "switchboard:releaseControl"
	failureTriggerSuffix         = ":failure"
	switchboardTriggerPrefix     = "switchboard:"
	maxEventsPerDeliveryAccepted = 1000
)

// SwitchboardTriggers lists every switchboard trigger, in the order a webhook
// managed by the operator subscribes to them.
var SwitchboardTriggers = []string{
	TriggerPassControl, TriggerPassControlFailure,
	TriggerOfferControl, TriggerOfferControlFailure,
	TriggerAcceptControl, TriggerAcceptControlFailure,
	TriggerReleaseControl,
}

// WebhookDelivery is the body of one webhook request: the vendor sends
// several events per request (OpenAPI operation EventWebhooks).
type WebhookDelivery struct {
	// App is the app whose events these are.
	App struct {
		ID string `json:"id"`
	} `json:"app"`
	// Webhook is the webhook that generated the payload.
	Webhook struct {
		ID      string `json:"id"`
		Version string `json:"version,omitempty"`
	} `json:"webhook"`
	// Events are the events delivered, oldest first.
	Events []WebhookEvent `json:"events"`
}

// WebhookEvent is one event of a delivery. Only the fields of the
// switchboard events are decoded; other events keep their type and id.
type WebhookEvent struct {
	// ID is unique per event; a retried delivery repeats it.
	ID string `json:"id"`
	// Type is the trigger, for example TriggerPassControl.
	Type string `json:"type"`
	// CreatedAt is the vendor's timestamp, formatted YYYY-MM-DDThh:mm:ss.SSSZ.
	CreatedAt string `json:"createdAt,omitempty"`
	// Payload holds the conversation after the event and, for the failure
	// events, the error.
	Payload EventPayload `json:"payload"`
}

// EventPayload is the payload of a switchboard event.
type EventPayload struct {
	// Conversation is the conversation the event is about, with its active and
	// pending switchboard integrations after the event.
	Conversation *Conversation `json:"conversation,omitempty"`
	// Metadata is the metadata sent with the action.
	Metadata map[string]any `json:"metadata,omitempty"`
	// Reason is the reason given with a passControl or releaseControl, for
	// example ReasonTicketClosed.
	Reason string `json:"reason,omitempty"`
	// Error is the vendor's error of a failure event (the document leaves its
	// shape open; its examples send {code, message}).
	Error *EventError `json:"error,omitempty"`
}

// EventError is the error object of a failure event: the vendor's examples
// carry {code, message}; title is read too, as the API's error bodies use it.
type EventError struct {
	// Code is the vendor's error code, for example "switchboard_invalid_target".
	Code string `json:"code,omitempty"`
	// Message is the vendor's explanation.
	Message string `json:"message,omitempty"`
	// Title is read for bodies shaped like the API's errors.
	Title string `json:"title,omitempty"`
}

// IsSwitchboard says whether the event is one of the switchboard triggers.
func (e WebhookEvent) IsSwitchboard() bool {
	return strings.HasPrefix(e.Type, switchboardTriggerPrefix)
}

// IsFailure says whether the event reports an action the vendor refused.
func (e WebhookEvent) IsFailure() bool {
	return e.IsSwitchboard() && strings.HasSuffix(e.Type, failureTriggerSuffix)
}

// ConversationID is the id of the event's conversation, empty when the event
// carries none.
func (e WebhookEvent) ConversationID() string {
	if e.Payload.Conversation == nil {
		return ""
	}
	return e.Payload.Conversation.ID
}

// DecodeWebhookDelivery parses a delivery body and checks the fields the
// operator relies on: the app id, and an id and a type on every event.
func DecodeWebhookDelivery(body []byte) (*WebhookDelivery, error) {
	var d WebhookDelivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("webhook delivery: the body is not the vendor's JSON: %w", err)
	}
	if d.App.ID == "" {
		return nil, fmt.Errorf("webhook delivery: app.id is required")
	}
	if len(d.Events) > maxEventsPerDeliveryAccepted {
		return nil, fmt.Errorf("webhook delivery: %d events; at most %d are accepted per delivery",
			len(d.Events), maxEventsPerDeliveryAccepted)
	}
	for i, e := range d.Events {
		if e.ID == "" || e.Type == "" {
			return nil, fmt.Errorf("webhook delivery: events[%d] needs an id and a type", i)
		}
	}
	return &d, nil
}
