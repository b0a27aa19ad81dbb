package sunshinetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// deliveryFaultJSON is the JSON form of a DeliveryFault on the admin routes:
//
//	{"webhookId":"","delay":"2s","duplicate":false,"drop":false,"wrongKey":false,"times":1,"after":0}
type deliveryFaultJSON struct {
	WebhookID string `json:"webhookId"`
	Delay     string `json:"delay"`
	Duplicate bool   `json:"duplicate"`
	Drop      bool   `json:"drop"`
	WrongKey  bool   `json:"wrongKey"`
	Times     int    `json:"times"`
	After     int    `json:"after"`
}

// deliveryFaultFields lists the fields of deliveryFaultJSON for error messages.
const deliveryFaultFields = "webhookId, delay, duplicate, drop, wrongKey, times, after"

// parseDeliveryFaultJSON decodes a delivery fault; errors name the field.
func parseDeliveryFaultJSON(body []byte) (DeliveryFault, error) {
	var fj deliveryFaultJSON
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fj); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return DeliveryFault{}, fmt.Errorf("%s; allowed: %s", strings.TrimPrefix(err.Error(), "json: "), deliveryFaultFields)
		}
		return DeliveryFault{}, fmt.Errorf("body must be one JSON object with the fields %s", deliveryFaultFields)
	}
	if dec.More() {
		return DeliveryFault{}, fmt.Errorf("body must be one JSON object, without trailing data")
	}
	f := DeliveryFault{WebhookID: fj.WebhookID, Duplicate: fj.Duplicate, Drop: fj.Drop, WrongKey: fj.WrongKey, Times: fj.Times, After: fj.After}
	var err error
	if f.Delay, err = parseDuration("delay", fj.Delay); err != nil {
		return DeliveryFault{}, err
	}
	return f, f.Validate()
}

// adminDeliveries serves /_sim/deliveries and /_sim/delivery-faults.
func (s *Simulator) adminDeliveries(w http.ResponseWriter, r *http.Request, what string) {
	if what == "deliveries" {
		if allowMethod(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]any{"deliveries": s.Deliveries(), "stats": s.DeliveryStats()})
		}
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		s.ClearDeliveryFaults()
	case http.MethodPost:
		body, f := readBody(r)
		if f == nil {
			fault, err := parseDeliveryFaultJSON(body)
			if err == nil {
				err = s.InjectDeliveryFault(fault)
			}
			if err != nil {
				f = badRequest("%s", err.Error())
			}
		}
		if f != nil {
			writeError(w, f.status, f.code, f.title)
			return
		}
	default:
		allowMethod(w, r, http.MethodGet+", "+http.MethodPost+", "+http.MethodDelete)
		return
	}
	list := []deliveryFaultJSON{}
	for _, f := range s.DeliveryFaults() {
		list = append(list, deliveryFaultJSON{WebhookID: f.WebhookID, Delay: f.Delay.String(), Duplicate: f.Duplicate,
			Drop: f.Drop, WrongKey: f.WrongKey, Times: f.Times, After: f.After})
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": list})
}
