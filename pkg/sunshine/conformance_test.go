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

// The conformance test checks the client and the simulator against the
// vendor's OpenAPI document: every request the client sends and every answer
// the simulator gives pass through a transport that validates them with
// kin-openapi. The document is read from ../shared/reference next to the
// repository and never copied into it; without it the test is skipped.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"sigs.k8s.io/yaml"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// vendorDocument is the path of the vendor's OpenAPI document relative to the
// directory that holds the repository.
var vendorDocument = filepath.Join("shared", "reference", "sunshine-openapi.yaml")

// openAPI is the vendor document and a router over it, loaded once per test binary.
var openAPI struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadOpenAPI returns the vendor document and its router, skipping the test
// when the document is not there.
func loadOpenAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	path, err := sharedFile(vendorDocument)
	if err != nil {
		t.Skipf("skipping the OpenAPI conformance check: the vendor document is not available (%v)", err)
	}
	openAPI.once.Do(func() {
		data, err := readVendorDocument(path)
		if err != nil {
			openAPI.err = fmt.Errorf("reading %s: %w", path, err)
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(data)
		if err != nil {
			openAPI.err = fmt.Errorf("loading %s: %w", path, err)
			return
		}
		// Match paths only: the document's servers are the vendor's hosts,
		// the simulator listens on a random loopback port.
		doc.Servers = nil
		openAPI.doc = doc
		openAPI.router, openAPI.err = gorillamux.NewRouter(doc)
	})
	if openAPI.err != nil {
		t.Fatal(openAPI.err)
	}
	return openAPI.doc, openAPI.router
}

// readVendorDocument reads the vendor document as JSON, with one defect of
// version 17.12.1 mended in memory: a schema property in the parameter
// userFilterQuery (not used by this client) says `required: true`, which
// OpenAPI 3.0 only allows on parameters, headers and request bodies, and
// which kin-openapi refuses to load. Any such boolean outside of those is
// dropped.
func readVendorDocument(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if data, err = yaml.YAMLToJSON(data); err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, err
	}
	dropSchemaRequiredBooleans(tree)
	return json.Marshal(tree)
}

// dropSchemaRequiredBooleans removes `required: <bool>` from every object that
// is not a parameter (in), header (schema) or request body (content).
func dropSchemaRequiredBooleans(node any) {
	switch n := node.(type) {
	case map[string]any:
		if _, isBool := n["required"].(bool); isBool && n["in"] == nil && n["schema"] == nil && n["content"] == nil {
			delete(n, "required")
		}
		for _, v := range n {
			dropSchemaRequiredBooleans(v)
		}
	case []any:
		for _, v := range n {
			dropSchemaRequiredBooleans(v)
		}
	}
}

// sharedFile finds rel under ../ of the repository root (the directory with go.mod).
func sharedFile(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			path := filepath.Join(filepath.Dir(dir), rel)
			_, err := os.Stat(path)
			return path, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// exchanges records, by operation id, the HTTP statuses answered; 0 for no answer.
type exchanges struct {
	mu       sync.Mutex
	statuses map[string][]int
}

func (e *exchanges) add(operationID string, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.statuses == nil {
		e.statuses = map[string][]int{}
	}
	e.statuses[operationID] = append(e.statuses[operationID], status)
}

// reporter is the part of testing.T the conformanceTransport reports to.
type reporter interface {
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// conformanceTransport validates each request and response against the
// vendor document. Security requirements are not checked
// (NoopAuthenticationFunc): the auth tests check the credentials.
type conformanceTransport struct {
	t      reporter
	doc    *openapi3.T
	router routers.Router
	seen   *exchanges
}

func (c *conformanceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	reqBody, err := readBody(&req.Body)
	if err != nil {
		return nil, err
	}
	route, pathParams, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s matches no operation of the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return http.DefaultTransport.RoundTrip(req)
	}
	opID := route.Operation.OperationID
	input := &openapi3filter.RequestValidationInput{
		Request:    req.Clone(req.Context()),
		PathParams: pathParams,
		Route:      route,
		Options:    &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	input.Request.Body = io.NopCloser(bytes.NewReader(reqBody))
	if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
		c.t.Errorf("request of %s does not conform to the OpenAPI document: %v\nbody: %s", opID, err, reqBody)
	}

	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		c.seen.add(opID, 0)
		return nil, err
	}
	respBody, err := readBody(&resp.Body)
	if err != nil {
		return nil, err
	}
	c.seen.add(opID, resp.StatusCode)
	c.validateResponse(req.Context(), input, resp, respBody)
	return resp, nil
}

// validateResponse checks an answer against the operation's documented
// response for its status. A status the document does not list for the
// operation (401, 429 and 5xx are listed nowhere, 400 rarely) is logged and
// its body checked against the generic errorResponse schema.
func (c *conformanceTransport) validateResponse(ctx context.Context, input *openapi3filter.RequestValidationInput, resp *http.Response, body []byte) {
	op := input.Route.Operation
	if op.Responses.Status(resp.StatusCode) == nil && op.Responses.Default() == nil {
		c.t.Logf("%s answered %d, which the OpenAPI document does not list for it; checking the body against errorResponse", op.OperationID, resp.StatusCode)
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			c.t.Errorf("%s answered %d with a body that is not JSON: %v", op.OperationID, resp.StatusCode, err)
			return
		}
		if err := c.doc.Components.Schemas["errorResponse"].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			c.t.Errorf("%s answered %d with a body that is not an errorResponse: %v", op.OperationID, resp.StatusCode, err)
		}
		return
	}
	err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	})
	if err != nil {
		c.t.Errorf("%d answer of %s does not conform to the OpenAPI document: %v\nbody: %s", resp.StatusCode, op.OperationID, err, body)
	}
}

// readBody reads *body and puts back a reader over the same bytes.
func readBody(body *io.ReadCloser) ([]byte, error) {
	if *body == nil || *body == http.NoBody {
		return nil, nil
	}
	data, err := io.ReadAll(*body)
	_ = (*body).Close()
	*body = io.NopCloser(bytes.NewReader(data))
	return data, err
}

// withConformance returns a config mutator that routes the client's requests
// through a conformanceTransport reporting to t.
func withConformance(t *testing.T, seen *exchanges) func(*sunshine.Config) {
	doc, router := loadOpenAPI(t)
	return func(c *sunshine.Config) {
		c.HTTPClient = &http.Client{Transport: &conformanceTransport{t: t, doc: doc, router: router, seen: seen}}
	}
}

func TestClientAndSimulatorConformToTheOpenAPIDocument(t *testing.T) {
	seen := &exchanges{}
	loadOpenAPI(t)

	t.Run("every operation succeeds", func(t *testing.T) {
		metadata := map[string]any{"reason": "vip", "priority": 1, "escalated": true, "none": nil}
		for _, auth := range authTypes {
			sim := newSimulator(t)
			client := simClient(t, sim, withAuth(auth, appKey, ""), withConformance(t, seen))
			ctx := context.Background()
			steps := []struct {
				name string
				call func() error
			}{
				{"offerControl", func() error {
					return client.OfferControl(ctx, "c1", sunshine.OfferControlRequest{SwitchboardIntegration: "agent", Metadata: metadata})
				}},
				{"getConversation with active and pending", func() error { _, err := client.GetConversation(ctx, "c1"); return err }},
				{"acceptControl", func() error { return client.AcceptControl(ctx, "c1", sunshine.AcceptControlRequest{}) }},
				{"passControl", func() error {
					return client.PassControl(ctx, "c1", sunshine.PassControlRequest{SwitchboardIntegration: "next", Metadata: metadata, Reason: sunshine.ReasonTicketClosed})
				}},
				{"releaseControl", func() error {
					return client.ReleaseControl(ctx, "c1", sunshine.ReleaseControlRequest{Reason: sunshine.ReasonTransferToEmail})
				}},
				{"getConversation with nothing active", func() error { _, err := client.GetConversation(ctx, "c1"); return err }},
				{"listSwitchboards", func() error { _, err := client.ListSwitchboards(ctx); return err }},
				{"listSwitchboardIntegrations", func() error { _, err := client.ListSwitchboardIntegrations(ctx, "sb-1"); return err }},
			}
			for _, step := range steps {
				if err := step.call(); err != nil {
					t.Errorf("%s/%s: %v", auth, step.name, err)
				}
			}
		}
	})

	t.Run("every error", func(t *testing.T) {
		for _, tt := range errorCases() {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.run(t, withConformance(t, seen)); err == nil {
					t.Errorf("call succeeded, want an error")
				}
			})
		}
	})

	wantOperations := []string{
		"AcceptControl", "GetConversation", "ListSwitchboardIntegrations", "ListSwitchboards",
		"OfferControl", "PassControl", "ReleaseControl",
	}
	summary := make([]string, 0, len(wantOperations))
	for _, op := range wantOperations {
		statuses := seen.statuses[op]
		if !slices.Contains(statuses, http.StatusOK) {
			t.Errorf("%s was never answered 200 through the conformance check", op)
		}
		slices.Sort(statuses)
		summary = append(summary, fmt.Sprintf("%s %v", op, slices.Compact(statuses)))
	}
	slices.Sort(summary)
	t.Logf("validated exchanges by operation and status (0: no answer):\n%s", strings.Join(summary, "\n"))
}

// findings records what a conformanceTransport reports.
type findings struct {
	mu     sync.Mutex
	errors []string
}

func (f *findings) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *findings) Logf(string, ...any) {}

func TestConformanceCheckCatchesViolations(t *testing.T) {
	doc, router := loadOpenAPI(t)
	tests := []struct {
		name, method, path, body, answer, want string
	}{
		{
			name: "request body without the required switchboardIntegration", method: http.MethodPost,
			path: "/v2/apps/app-1/conversations/c1/passControl", body: `{"metadata":{"a":1}}`, answer: `{}`,
			want: "request of PassControl does not conform",
		},
		{
			name: "response without the required switchboard id", method: http.MethodGet,
			path: "/v2/apps/app-1/switchboards", answer: `{"switchboards":[{"enabled":"yes"}]}`,
			want: "200 answer of ListSwitchboards does not conform",
		},
		{
			name: "path of no operation", method: http.MethodGet, path: "/v2/apps/app-1/nowhere", answer: `{}`,
			want: "matches no operation",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStub(t, http.StatusOK, nil, tt.answer)
			found := &findings{}
			client := &http.Client{Transport: &conformanceTransport{t: found, doc: doc, router: router, seen: &exchanges{}}}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if len(found.errors) != 1 || !strings.Contains(found.errors[0], tt.want) {
				t.Errorf("findings = %q, want one containing %q", found.errors, tt.want)
			}
		})
	}
}
