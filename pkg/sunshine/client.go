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

package sunshine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/time/rate"
)

// Version is the client version reported in the default User-Agent header,
// `switchboard-operator/<Version>`. Builds stamp it with -ldflags -X.
var Version = "dev"

// Defaults applied by New to zero-valued Config fields.
const (
	// DefaultTimeout bounds one HTTP exchange, from sending the request to reading the body.
	DefaultTimeout = 10 * time.Second
	// DefaultRequestsPerSecond is the sustained rate of the client-side token bucket.
	DefaultRequestsPerSecond = 10
	// DefaultBurst is the size of the client-side token bucket.
	DefaultBurst = 20
)

// maxResponseBytes bounds how much of a response body the client reads; the
// switchboard responses are a few kilobytes at most.
const maxResponseBytes = 1 << 20

// Config configures a Client. Endpoint, AppID and Credentials are required.
type Config struct {
	// Endpoint is the API base URL, for example https://acme.zendesk.com/sc or
	// https://api.smooch.io. Requests go to <Endpoint>/v2/... . It must use https
	// unless the host is a loopback address (127.0.0.0/8, ::1, localhost); see
	// ValidateEndpoint for every rule.
	Endpoint string
	// AppID identifies the Sunshine Conversations app every call acts on.
	AppID string
	// Credentials is the API key used to authenticate every request.
	Credentials Credentials
	// Timeout bounds each HTTP exchange; zero means DefaultTimeout.
	Timeout time.Duration
	// RequestsPerSecond is the sustained rate of the client's token bucket; zero
	// means DefaultRequestsPerSecond. A call never queues behind other callers
	// for a token: it waits at most one token interval (1/RequestsPerSecond, at
	// most a second) and otherwise returns *RateLimitedError without sending.
	RequestsPerSecond float64
	// Burst is the size of the client's token bucket; zero means DefaultBurst.
	Burst int
	// HTTPClient is the HTTP client to use; nil, or one without a Transport, means
	// one over a transport shared by all such clients that keeps
	// DefaultMaxIdleConnsPerHost idle connections per host (see NewTransport). The
	// client works on a copy: it sets Timeout and refuses redirects. A transport
	// that skips TLS verification is refused.
	HTTPClient *http.Client
	// Metrics receives request counts and latencies; nil disables metrics.
	Metrics *Metrics
	// UserAgent overrides the default User-Agent, switchboard-operator/<Version>.
	UserAgent string
}

// String describes the configuration with the secret redacted.
func (c Config) String() string {
	return fmt.Sprintf("{Endpoint:%s AppID:%s Credentials:%s Timeout:%s RequestsPerSecond:%g Burst:%d UserAgent:%s}",
		c.Endpoint, c.AppID, c.Credentials, c.Timeout, c.RequestsPerSecond, c.Burst, c.UserAgent)
}

// GoString describes the configuration as Go syntax with the secret redacted.
func (c Config) GoString() string {
	return fmt.Sprintf("sunshine.Config{Endpoint:%q, AppID:%q, Credentials:%#v, Timeout:%d, RequestsPerSecond:%g, Burst:%d, UserAgent:%q}",
		c.Endpoint, c.AppID, c.Credentials, c.Timeout, c.RequestsPerSecond, c.Burst, c.UserAgent)
}

// Format implements fmt.Formatter so that no verb, %d or %x included, prints the secret.
func (c Config) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// Client calls the switchboard endpoints of one Sunshine Conversations app.
// It is safe for concurrent use.
type Client struct {
	base      *url.URL
	appID     string
	authorize func(*http.Request)
	http      *http.Client
	limiter   *rate.Limiter
	maxWait   time.Duration // longest wait for a token; see admit
	metrics   *Metrics
	userAgent string
}

// New validates cfg and returns a Client. Configuration errors are
// *ValidationError values naming the offending field.
func New(cfg Config) (*Client, error) {
	base, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if err := validateID("appId", cfg.AppID); err != nil {
		return nil, err
	}
	authorize, err := cfg.Credentials.authorizer()
	if err != nil {
		return nil, err
	}
	timeout, err := orDefault("timeout", cfg.Timeout, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	rps, err := orDefault("requestsPerSecond", cfg.RequestsPerSecond, DefaultRequestsPerSecond)
	if err != nil {
		return nil, err
	}
	burst, err := orDefault("burst", cfg.Burst, DefaultBurst)
	if err != nil {
		return nil, err
	}
	httpClient, err := cloneHTTPClient(cfg.HTTPClient, timeout)
	if err != nil {
		return nil, err
	}
	userAgent := cfg.UserAgent
	if userAgent == "" {
		userAgent = "switchboard-operator/" + Version
	}
	return &Client{
		base:      base,
		appID:     cfg.AppID,
		authorize: authorize,
		http:      httpClient,
		limiter:   rate.NewLimiter(rate.Limit(rps), burst),
		maxWait:   min(time.Duration(float64(time.Second)/rps), maxLimiterWait),
		metrics:   cfg.Metrics,
		userAgent: userAgent,
	}, nil
}

// AppID returns the id of the app the client acts on.
func (c *Client) AppID() string { return c.appID }

// orDefault returns def for a zero value and refuses a negative one.
func orDefault[T time.Duration | float64 | int](field string, v, def T) (T, error) {
	switch {
	case v < 0:
		return 0, &ValidationError{Field: field, Reason: "must not be negative"}
	case v == 0:
		return def, nil
	default:
		return v, nil
	}
}

// cloneHTTPClient copies hc (or a default client), gives it the default transport
// when it has none, sets the timeout and turns off redirects: following one would
// re-send a POST as a GET, or send the credentials to another host.
func cloneHTTPClient(hc *http.Client, timeout time.Duration) (*http.Client, error) {
	var clone http.Client
	if hc != nil {
		clone = *hc
	}
	if clone.Transport == nil {
		clone.Transport = defaultTransport
	}
	if t, ok := clone.Transport.(*http.Transport); ok && t.TLSClientConfig != nil && t.TLSClientConfig.InsecureSkipVerify {
		return nil, &ValidationError{Field: "httpClient", Reason: "must verify TLS certificates"}
	}
	clone.Timeout = timeout
	clone.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &clone, nil
}

// url returns the absolute URL of the API path /v2/apps/<appId>/<segments...>,
// every segment path-escaped.
func (c *Client) url(segments ...string) string {
	escaped := c.base.EscapedPath() + "/v2/apps/" + url.PathEscape(c.appID)
	for _, s := range segments {
		escaped += "/" + url.PathEscape(s)
	}
	u := *c.base
	u.RawPath = escaped
	u.Path, _ = url.PathUnescape(escaped) // cannot fail: every part was escaped above
	return u.String()
}

// do sends one request (with body as JSON, unless nil) and returns the body
// of a 2xx answer. It asks the rate limiter first (see admit) and never
// retries. It returns *APIError for a non-2xx answer, *RateLimitedError when
// the limiter refused, and *RequestError when no complete answer arrived.
func (c *Client) do(ctx context.Context, op, method string, body any, segments ...string) ([]byte, error) {
	return c.doQuery(ctx, op, method, nil, body, segments...)
}

// doQuery is do with a query string (nil for none).
func (c *Client) doQuery(ctx context.Context, op, method string, query url.Values, body any, segments ...string) ([]byte, error) {
	var payload io.Reader
	if body != nil {
		data, err := EncodeJSON(body)
		if err != nil {
			return nil, fmt.Errorf("sunshine: %s: encoding request: %w", op, err)
		}
		payload = bytes.NewReader(data)
	}
	target := c.url(segments...)
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, payload)
	if err != nil {
		return nil, fmt.Errorf("sunshine: %s: building request: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.authorize(req)

	if err := c.admit(ctx, op); err != nil {
		return nil, err
	}
	start := time.Now()
	ans, err := c.roundTrip(req)
	c.metrics.observe(op, ans.status, time.Since(start))
	if err != nil {
		return nil, &RequestError{Operation: op, Err: err}
	}
	if ans.status < 200 || ans.status > 299 {
		return nil, decodeAPIError(op, ans.status, ans.header, ans.body)
	}
	return ans.body, nil
}

// maxLimiterWait bounds how long a call waits for the client's token bucket.
const maxLimiterWait = time.Second

// admit takes a token from the client's bucket for one call, without queueing
// behind other callers: when the token comes within one token interval
// (1/RequestsPerSecond, at most maxLimiterWait) the call waits for it, which
// only the next caller in line can do; otherwise the reservation is given back
// and admit returns *RateLimitedError with the delay, so the caller can come
// back later instead of blocking. A waiting call honours ctx.
func (c *Client) admit(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &RequestError{Operation: op, Err: fmt.Errorf("waiting for the rate limiter: %w", err)}
	}
	now := time.Now()
	r := c.limiter.ReserveN(now, 1)
	if !r.OK() {
		return &RateLimitedError{Operation: op, Delay: maxLimiterWait}
	}
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	if delay > c.maxWait {
		r.CancelAt(now)
		return &RateLimitedError{Operation: op, Delay: delay}
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return &RequestError{Operation: op, Err: fmt.Errorf("waiting for the rate limiter: %w", ctx.Err())}
	}
}

// answer is an HTTP response with its body read; status 0 means no complete
// answer arrived.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// roundTrip sends req and reads the body, up to maxResponseBytes.
func (c *Client) roundTrip(req *http.Request) (answer, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return answer{}, fmt.Errorf("reading the %d response: %w", resp.StatusCode, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// decode unmarshals the body of a 2xx answer.
func decode[T any](op string, body []byte) (T, error) {
	var v, zero T
	if err := json.Unmarshal(body, &v); err != nil {
		return zero, fmt.Errorf("sunshine: %s: decoding response: %w", op, err)
	}
	return v, nil
}
