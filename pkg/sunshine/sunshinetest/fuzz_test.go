package sunshinetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzActionRequest sends arbitrary bodies, content types and conversation
// ids through the handler: it must never panic nor answer 5xx, and must
// always answer JSON of the vendor's shapes.
func FuzzActionRequest(f *testing.F) {
	for _, seed := range []struct {
		op       uint8
		conv, ct string
		body     string
	}{
		{0, "conv-1", "application/json", `{"switchboardIntegration":"next"}`},
		{0, "conv-1", "application/json", `{"switchboardIntegration":"custom","metadata":{"a":1}}`},
		{0, "conv-1", "application/json", `{"switchboardIntegration":"bot","reason":"ticketClosed"}`},
		{1, "conv-1", "application/json", `{"switchboardIntegration":"agent-workspace","metadata":{"a":{"b":[1]}}}`},
		{1, "conv-2", "application/json; charset=utf-8", `{"switchboardIntegration":1e400}`},
		{2, "conv-1", "application/json", `{}`},
		{2, "conv-1", "application/json", `null`},
		{3, "conv-1", "", ``},
		{3, "conv-1", "text/plain", `{"reason":"x"}`},
		{0, "conv%2F1", "application/json", `{"switchboardIntegration":"bot"}{}`},
		{1, "nope", "application/json", `{"switchboardIntegration":"\u0000","metadata":{"k":"` + strings.Repeat("x", 5000) + `"}}`},
		{4, "conv-1", "application/json", `[`},
	} {
		f.Add(seed.op, seed.conv, seed.ct, seed.body)
	}
	sim, err := New(testSeed())
	if err != nil {
		f.Fatal(err)
	}
	ops := []Operation{OpPassControl, OpOfferControl, OpAcceptControl, OpReleaseControl, OpGetConversation}
	f.Fuzz(func(t *testing.T, op uint8, conv, contentType, body string) {
		o := ops[int(op)%len(ops)]
		path := convPath(demoApp, conv)
		method := http.MethodGet
		if o != OpGetConversation {
			path, method = path+"/"+string(o), http.MethodPost
		}
		u, err := url.Parse("http://sim" + path)
		if err != nil {
			t.Skip("not a URL a request could carry")
		}
		req := httptest.NewRequest(method, "http://sim/", strings.NewReader(body))
		req.URL = u
		req.Header.Set("Content-Type", contentType)
		req.SetBasicAuth(appKey, appSecret)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %s %q: status %d %s", method, path, body, rec.Code, rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v == nil {
			t.Fatalf("answer is not a JSON object: %q", rec.Body)
		}
		if rec.Code >= 400 {
			var eb errorBody
			if json.Unmarshal(rec.Body.Bytes(), &eb) != nil || len(eb.Errors) != 1 || eb.Errors[0].Code == "" || eb.Errors[0].Title == "" {
				t.Fatalf("error body %q", rec.Body)
			}
		}
	})
}

// FuzzParseSeed: ParseSeed never panics, and a seed it accepts builds a
// simulator and survives a round trip through JSON unchanged.
func FuzzParseSeed(f *testing.F) {
	f.Add(demoYAML)
	f.Add(demoJSON)
	f.Add("apps: []")
	f.Add("apps:\n- id: a\n  switchboard:\n    integrations:\n    - {name: a, next: b}\n    - {name: b, next: a}\n")
	f.Add("apps:\n- id: a\n  conversations: [{id: c, active: x}]\n")
	f.Add("{")
	f.Add("apps: [{id: a, keys: [{id: k, secret: s, scope: integration, integrationId: i}]}]")
	f.Fuzz(func(t *testing.T, data string) {
		s, err := ParseSeed([]byte(data))
		if err != nil {
			return
		}
		if _, err := New(s); err != nil {
			t.Fatalf("New refuses a parsed seed: %v", err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseSeed(b)
		if err != nil {
			t.Fatalf("reparse of %s: %v", b, err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip changed the seed:\n%+v\n%+v", s, again)
		}
	})
}
