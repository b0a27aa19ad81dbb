package sunshinetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Webhook delivery as the vendor describes it (OpenAPI tag Webhooks, "Retry
// policy"; SWITCHBOARD.md 5).
const (
	// DefaultBatchWindow is how long events wait for others to share their
	// delivery: events of one webhook within this window go in one request.
	DefaultBatchWindow = 100 * time.Millisecond
	// MaxDeliveryAttempts is how often a delivery is tried: the first
	// attempt and up to four retries.
	MaxDeliveryAttempts = 5
	// RetryBase is the wait before the first retry; each further retry waits
	// twice as long (1, 2, 4 and 8 minutes: the last attempt 15 minutes after
	// the first), multiplied by the time scale.
	RetryBase = time.Minute
	// DeliveryTimeout is how long an attempt waits for the answer (20 s),
	// multiplied by the time scale but at least MinDeliveryTimeout.
	DeliveryTimeout = 20 * time.Second
	// MinDeliveryTimeout is the shortest attempt timeout a time scale gives.
	MinDeliveryTimeout = time.Second
	// maxEventsPerDelivery closes a batch early.
	maxEventsPerDelivery = 100
	// maxDeliveryRecords bounds the delivery records kept (oldest dropped).
	maxDeliveryRecords = 10000
	// maxDeliveryFaults bounds the delivery faults active at once.
	maxDeliveryFaults = 1000
)

// nonRetryable are the statuses after which the vendor does not try again.
var nonRetryable = []int{400, 401, 403, 404, 406}

// WithWebhookBatchWindow sets how long an event waits for more events of the
// same webhook to share its delivery (default DefaultBatchWindow; 0 sends
// each event at once, alone).
func WithWebhookBatchWindow(d time.Duration) Option {
	return func(s *Simulator) { s.d.window = max(d, 0) }
}

// WithWebhookTimeScale multiplies the retry schedule and the attempt
// timeout (see RetryBase and DeliveryTimeout): 0.001 turns the vendor's 15
// minutes into 0.9 s. Values of 0 or less keep 1.
func WithWebhookTimeScale(f float64) Option {
	return func(s *Simulator) {
		if f > 0 {
			s.d.scale = f
		}
	}
}

// WithWebhookHTTPClient sets the HTTP client of deliveries and of the HEAD
// check at webhook creation (for a receiver with a test certificate, say).
// Its Timeout is replaced by the scaled DeliveryTimeout.
func WithWebhookHTTPClient(c *http.Client) Option {
	return func(s *Simulator) {
		if c != nil {
			s.d.client = c
		}
	}
}

// DeliveryOutcome is where a delivery stands.
type DeliveryOutcome string

// The outcomes of a delivery.
const (
	// DeliveryPending: not answered with a final status yet (waiting for the
	// batch window, an attempt or a retry).
	DeliveryPending DeliveryOutcome = "pending"
	// DeliveryDelivered: an attempt was answered 2xx.
	DeliveryDelivered DeliveryOutcome = "delivered"
	// DeliveryRejected: an attempt was answered 400, 401, 403, 404 or 406; no retry.
	DeliveryRejected DeliveryOutcome = "rejected"
	// DeliveryFailed: every attempt failed.
	DeliveryFailed DeliveryOutcome = "failed"
	// DeliveryDropped: a Drop fault lost it; nothing was sent.
	DeliveryDropped DeliveryOutcome = "dropped"
)

// DeliveryAttempt is one POST of a delivery.
type DeliveryAttempt struct {
	// Time is when the attempt was sent.
	Time time.Time `json:"time"`
	// Status is the answer's status; 0 when none came (Error says why).
	Status int `json:"status"`
	// Error describes a failure to get an answer.
	Error string `json:"error,omitempty"`
}

// Delivery is the record of one webhook request and its attempts.
type Delivery struct {
	// ID identifies the delivery within the simulator.
	ID string `json:"id"`
	// AppID and WebhookID say whose webhook it went to.
	AppID     string `json:"appId"`
	WebhookID string `json:"webhookId"`
	// EventIDs and EventTypes list the events, oldest first.
	EventIDs   []string `json:"eventIds"`
	EventTypes []string `json:"eventTypes"`
	// Body is the JSON sent: {app, webhook, events}.
	Body json.RawMessage `json:"body"`
	// Attempts are the POSTs made so far.
	Attempts []DeliveryAttempt `json:"attempts"`
	// Outcome is where the delivery stands.
	Outcome DeliveryOutcome `json:"outcome"`
	// Duplicate marks the second sending of a delivery by a Duplicate fault.
	Duplicate bool `json:"duplicate,omitempty"`
	// WrongKey marks a delivery sent with a wrong X-API-Key by a fault.
	WrongKey bool `json:"wrongKey,omitempty"`
}

// DeliveryStats counts deliveries by outcome, and attempts.
type DeliveryStats struct {
	Deliveries int `json:"deliveries"`
	Attempts   int `json:"attempts"`
	Pending    int `json:"pending"`
	Delivered  int `json:"delivered"`
	Rejected   int `json:"rejected"`
	Failed     int `json:"failed"`
	Dropped    int `json:"dropped"`
}

// DeliveryFault changes the next deliveries, as the vendor's network might.
type DeliveryFault struct {
	// WebhookID limits the fault to one webhook; "" for every webhook.
	WebhookID string `json:"webhookId,omitempty"`
	// Delay holds each delivery this long before its first attempt (not
	// scaled). With nothing else set the fault lasts until cleared.
	Delay time.Duration `json:"-"`
	// Duplicate sends the delivery a second time, with the same event ids,
	// after the first one ended.
	Duplicate bool `json:"duplicate,omitempty"`
	// Drop loses the delivery: nothing is sent, nothing is retried.
	Drop bool `json:"drop,omitempty"`
	// WrongKey sends the delivery with an X-API-Key that is not the webhook's secret.
	WrongKey bool `json:"wrongKey,omitempty"`
	// Times is how many deliveries the fault applies to (0 means 1 for
	// Duplicate, Drop and WrongKey).
	Times int `json:"times,omitempty"`
	// After lets this many matching deliveries pass untouched first.
	After int `json:"after,omitempty"`
}

// Validate reports the first problem of a delivery fault, naming its field.
func (f DeliveryFault) Validate() error {
	set := 0
	for _, on := range []bool{f.Duplicate, f.Drop, f.WrongKey} {
		if on {
			set++
		}
	}
	switch {
	case f.Delay < 0:
		return errors.New("delay: must not be negative")
	case f.Times < 0:
		return errors.New("times: must not be negative")
	case f.After < 0:
		return errors.New("after: must not be negative")
	case set > 1:
		return errors.New("duplicate, drop, wrongKey: set only one of them")
	case set == 0 && f.Delay == 0:
		return errors.New("a delivery fault needs delay, duplicate, drop or wrongKey")
	case set == 0 && f.Times != 0:
		return errors.New("times: applies only with duplicate, drop or wrongKey (a delay-only fault lasts until cleared)")
	}
	return nil
}

type activeDeliveryFault struct {
	f          DeliveryFault
	skip, left int
}

func (a *activeDeliveryFault) fails() bool { return a.f.Duplicate || a.f.Drop || a.f.WrongKey }

// destination is where a batch goes, fixed when its first event is queued.
type destination struct {
	appID, webhookID, target, secret string
}

// batch is the events of one webhook waiting for the batch window.
type batch struct {
	dest   destination
	events []eventJSON
	timer  *time.Timer
}

// dispatcher queues, batches and sends the webhook deliveries.
type dispatcher struct {
	window time.Duration
	scale  float64
	client *http.Client

	mu      sync.Mutex
	gen     int // bumped by reset and stop: older deliveries stop retrying
	stopped bool
	ctx     context.Context
	cancel  context.CancelFunc
	batches map[string]*batch // by webhook id
	records []*Delivery
	faults  []*activeDeliveryFault
	running sync.WaitGroup
	nextID  int
}

func newDispatcher() *dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	return &dispatcher{
		window: DefaultBatchWindow, scale: 1, client: &http.Client{},
		ctx: ctx, cancel: cancel, batches: map[string]*batch{},
	}
}

// scaled multiplies d by the time scale.
func (d *dispatcher) scaled(v time.Duration) time.Duration {
	return time.Duration(float64(v) * d.scale)
}

// httpClient is the delivery client with the scaled timeout, never following redirects.
func (d *dispatcher) httpClient() *http.Client {
	c := *d.client
	c.Timeout = max(d.scaled(DeliveryTimeout), MinDeliveryTimeout)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// reset drops queued batches, records and faults; deliveries in flight stop
// after their current attempt.
func (d *dispatcher) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	for _, b := range d.batches {
		b.timer.Stop()
	}
	d.batches = map[string]*batch{}
	d.records = nil
	d.faults = nil
}

// stop ends every delivery and waits for the senders to return.
func (d *dispatcher) stop() {
	d.mu.Lock()
	d.stopped = true
	d.gen++
	for _, b := range d.batches {
		b.timer.Stop()
	}
	d.batches = map[string]*batch{}
	d.mu.Unlock()
	d.cancel()
	d.running.Wait()
}

// enqueue adds an event to the batch of its webhook.
func (d *dispatcher) enqueue(dest destination, ev eventJSON) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	b := d.batches[dest.webhookID]
	if b == nil {
		b = &batch{dest: dest}
		gen := d.gen
		b.timer = time.AfterFunc(d.window, func() { d.flush(dest.webhookID, gen) })
		d.batches[dest.webhookID] = b
	}
	b.events = append(b.events, ev)
	if len(b.events) >= maxEventsPerDelivery {
		b.timer.Stop()
		d.flushLocked(dest.webhookID)
	}
}

// flush sends the batch of a webhook, unless a reset came in between.
func (d *dispatcher) flush(webhookID string, gen int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if gen == d.gen {
		d.flushLocked(webhookID)
	}
}

// flushAll sends every queued batch now.
func (d *dispatcher) flushAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, b := range d.batches {
		b.timer.Stop()
		d.flushLocked(id)
	}
}

// deliveryBody is the JSON of a delivery (OpenAPI operation EventWebhooks).
type deliveryBody struct {
	App struct {
		ID string `json:"id"`
	} `json:"app"`
	Webhook struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"webhook"`
	Events []eventJSON `json:"events"`
}

// flushLocked turns a batch into a delivery and starts sending it; d.mu must be held.
func (d *dispatcher) flushLocked(webhookID string) {
	b := d.batches[webhookID]
	if b == nil {
		return
	}
	delete(d.batches, webhookID)
	var body deliveryBody
	body.App.ID, body.Webhook.ID, body.Webhook.Version, body.Events = b.dest.appID, webhookID, "v2", b.events
	data, _ := json.Marshal(body) // plain data: cannot fail
	fault := d.takeFault(webhookID)
	rec := d.record(b.dest, b.events, data)
	if fault != nil && fault.Drop {
		rec.Outcome = DeliveryDropped
		return
	}
	rec.WrongKey = fault != nil && fault.WrongKey
	d.running.Add(1)
	go d.send(d.gen, b.dest, rec, fault)
}

// record adds a pending delivery record; d.mu must be held.
func (d *dispatcher) record(dest destination, events []eventJSON, body []byte) *Delivery {
	d.nextID++
	rec := &Delivery{ID: fmt.Sprintf("delivery-%d", d.nextID), AppID: dest.appID, WebhookID: dest.webhookID,
		Body: body, Outcome: DeliveryPending, EventIDs: []string{}, EventTypes: []string{}, Attempts: []DeliveryAttempt{}}
	for _, ev := range events {
		rec.EventIDs = append(rec.EventIDs, ev.ID)
		rec.EventTypes = append(rec.EventTypes, ev.Type)
	}
	d.records = append(d.records, rec)
	if over := len(d.records) - maxDeliveryRecords; over > 0 {
		d.records = slices.Delete(d.records, 0, over)
	}
	return rec
}

// takeFault consumes the delivery faults for one delivery to webhookID:
// delays add up, the first failing fault with deliveries left applies.
// d.mu must be held. The result is nil when no fault applies.
func (d *dispatcher) takeFault(webhookID string) *DeliveryFault {
	var out DeliveryFault
	applied := false
	kept := d.faults[:0]
	for _, af := range d.faults {
		switch {
		case af.f.WebhookID != "" && af.f.WebhookID != webhookID:
		case af.skip > 0:
			af.skip--
		case !af.fails():
			out.Delay += af.f.Delay
			applied = true
		case !out.Duplicate && !out.Drop && !out.WrongKey:
			out.Delay += af.f.Delay
			out.Duplicate, out.Drop, out.WrongKey = af.f.Duplicate, af.f.Drop, af.f.WrongKey
			applied = true
			af.left--
		}
		if !af.fails() || af.left > 0 {
			kept = append(kept, af)
		}
	}
	clear(d.faults[len(kept):])
	d.faults = kept
	if !applied {
		return nil
	}
	return &out
}

// send makes the attempts of one delivery, with the vendor's retry
// schedule, and a second sending for a Duplicate fault.
func (d *dispatcher) send(gen int, dest destination, rec *Delivery, fault *DeliveryFault) {
	defer d.running.Done()
	if fault != nil && fault.Delay > 0 && !d.sleep(gen, fault.Delay) {
		return
	}
	key := dest.secret
	if fault != nil && fault.WrongKey {
		key = "wrong-" + randomHex(16)
	}
	client := d.httpClient()
	for attempt := 1; attempt <= MaxDeliveryAttempts; attempt++ {
		if attempt > 1 && !d.sleep(gen, d.scaled(RetryBase<<(attempt-2))) {
			return
		}
		status, errText := d.post(client, dest.target, key, rec.Body)
		outcome := DeliveryPending
		switch {
		case status >= 200 && status <= 299:
			outcome = DeliveryDelivered
		case slices.Contains(nonRetryable, status):
			outcome = DeliveryRejected
		case attempt == MaxDeliveryAttempts:
			outcome = DeliveryFailed
		}
		if !d.addAttempt(gen, rec, DeliveryAttempt{Time: time.Now(), Status: status, Error: errText}, outcome) {
			return
		}
		if outcome != DeliveryPending {
			break
		}
	}
	if fault != nil && fault.Duplicate {
		d.mu.Lock()
		if gen == d.gen {
			var events []eventJSON
			var body deliveryBody
			_ = json.Unmarshal(rec.Body, &body) // the body was marshalled above
			events = body.Events
			dup := d.record(dest, events, rec.Body)
			dup.Duplicate = true
			d.running.Add(1)
			go d.send(gen, dest, dup, nil)
		}
		d.mu.Unlock()
	}
}

// addAttempt records an attempt unless a reset or stop came in between.
func (d *dispatcher) addAttempt(gen int, rec *Delivery, a DeliveryAttempt, outcome DeliveryOutcome) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if gen != d.gen {
		return false
	}
	rec.Attempts = append(rec.Attempts, a)
	rec.Outcome = outcome
	return true
}

// sleep waits for v; false when the dispatcher stopped or was reset.
func (d *dispatcher) sleep(gen int, v time.Duration) bool {
	t := time.NewTimer(v)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.ctx.Done():
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return gen == d.gen
}

// post sends one attempt and returns the status, or 0 and why none came.
func (d *dispatcher) post(client *http.Client, target, key string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "building the request: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sunshinetest-webhooks/1")
	req.Header.Set("X-API-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, ""
}

// checkTarget sends the HEAD request the vendor sends before creating a
// webhook; a failure or a non-2xx answer refuses the creation with 400.
func (d *dispatcher) checkTarget(ctx context.Context, target string) *failure {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, target, nil)
	if err != nil {
		return badRequest("target must be an absolute http or https URL")
	}
	req.Header.Set("User-Agent", "sunshinetest-webhooks/1")
	resp, err := d.httpClient().Do(req)
	if err != nil {
		return badRequest("The webhook target could not be reached with a HEAD request")
	}
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return badRequest("The webhook target answered the HEAD request with %d; it must answer 2xx", resp.StatusCode)
	}
	return nil
}

// Deliveries returns copies of the delivery records, oldest first (at most
// the last 10000).
func (s *Simulator) Deliveries() []Delivery {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Delivery, 0, len(d.records))
	for _, r := range d.records {
		c := *r
		c.EventIDs, c.EventTypes = slices.Clone(r.EventIDs), slices.Clone(r.EventTypes)
		c.Attempts, c.Body = slices.Clone(r.Attempts), slices.Clone(r.Body)
		out = append(out, c)
	}
	return out
}

// DeliveryStats counts the recorded deliveries by outcome, and their attempts.
func (s *Simulator) DeliveryStats() DeliveryStats {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	var st DeliveryStats
	for _, r := range d.records {
		st.Deliveries++
		st.Attempts += len(r.Attempts)
		switch r.Outcome {
		case DeliveryPending:
			st.Pending++
		case DeliveryDelivered:
			st.Delivered++
		case DeliveryRejected:
			st.Rejected++
		case DeliveryFailed:
			st.Failed++
		case DeliveryDropped:
			st.Dropped++
		}
	}
	return st
}

// FlushDeliveries sends every event waiting for its batch window now.
func (s *Simulator) FlushDeliveries() { s.d.flushAll() }

// InjectDeliveryFault adds a fault to the next deliveries; see
// DeliveryFault. It returns the error of DeliveryFault.Validate, or an error
// when 1000 delivery faults are active.
func (s *Simulator) InjectDeliveryFault(f DeliveryFault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	af := &activeDeliveryFault{f: f, skip: f.After, left: f.Times}
	if af.fails() && af.left == 0 {
		af.left = 1
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.faults) >= maxDeliveryFaults {
		return fmt.Errorf("%d delivery faults are active, the limit; clear them first", maxDeliveryFaults)
	}
	d.faults = append(d.faults, af)
	return nil
}

// DeliveryFaults lists the active delivery faults with what is left of them.
func (s *Simulator) DeliveryFaults() []DeliveryFault {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]DeliveryFault, 0, len(d.faults))
	for _, af := range d.faults {
		f := af.f
		f.After = af.skip
		if af.fails() {
			f.Times = af.left
		}
		out = append(out, f)
	}
	return out
}

// ClearDeliveryFaults removes every delivery fault.
func (s *Simulator) ClearDeliveryFaults() {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.faults = nil
}

// StopDeliveries ends the deliveries (queued, in flight and retries) and
// waits for them; later events are not sent. Server.Close calls it.
func (s *Simulator) StopDeliveries() { s.d.stop() }
