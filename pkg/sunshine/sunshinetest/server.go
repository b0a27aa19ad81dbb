package sunshinetest

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sort"
	"sync"
	"time"
)

// Operation names an API operation of the simulator, spelt like the
// vendor's operation ids (lower camel case).
type Operation string

// The operations the simulator serves.
const (
	OpPassControl                 Operation = "passControl"
	OpOfferControl                Operation = "offerControl"
	OpAcceptControl               Operation = "acceptControl"
	OpReleaseControl              Operation = "releaseControl"
	OpGetConversation             Operation = "getConversation"
	OpListSwitchboards            Operation = "listSwitchboards"
	OpListSwitchboardIntegrations Operation = "listSwitchboardIntegrations"
)

// Operations lists every operation the simulator serves.
var Operations = []Operation{
	OpPassControl, OpOfferControl, OpAcceptControl, OpReleaseControl,
	OpGetConversation, OpListSwitchboards, OpListSwitchboardIntegrations,
	OpListIntegrations, OpCreateIntegration, OpGetIntegration, OpDeleteIntegration, // hooks.go
	OpListWebhooks, OpCreateWebhook, OpGetWebhook, OpUpdateWebhook, OpDeleteWebhook,
	OpCreateSwitchboard, OpUpdateSwitchboard, OpDeleteSwitchboard,
	OpCreateSwitchboardIntegration, OpUpdateSwitchboardIntegration, OpDeleteSwitchboardIntegration,
}

// Option configures a Simulator.
type Option func(*Simulator)

// WithAsyncFailures makes semantic failures of the actions (unresolvable or
// ambiguous target, offer to the active integration, accept with nothing
// pending) answer `200 {}` with the state unchanged, as the vendor does when
// it reports them only through `:failure` webhooks (SWITCHBOARD.md 7#1). By
// default they answer 400 switchboard_invalid_target /
// switchboard_invalid_action (bad_request for an ambiguous target).
func WithAsyncFailures() Option { return func(s *Simulator) { s.async = true } }

// WithLogger logs one line per request: method, path, operation, status and
// duration (never credentials).
func WithLogger(l *slog.Logger) Option { return func(s *Simulator) { s.log = l } }

// WithRequestHook calls f after each request is handled (also for unknown
// routes, with an empty Operation). f runs on the request's goroutine and
// must be safe for concurrent use.
func WithRequestHook(f func(RequestInfo)) Option { return func(s *Simulator) { s.hook = f } }

// RequestInfo describes one handled request.
type RequestInfo struct {
	// Operation is the operation of the route, "" when no operation matched.
	Operation Operation
	// AppID and ConversationID are taken from the path ("" when absent).
	AppID, ConversationID string
	// Status is the answered HTTP status; 0 when the connection was dropped
	// by an injected fault.
	Status int
	// Time is when the request arrived.
	Time time.Time
	// Method and Path are the request's method and URL path.
	Method, Path string
	// Duration is how long the request took to handle.
	Duration time.Duration
	// Fault is a copy of the injected fault that decided the answer (status,
	// drop, lost answer or no effect, as injected); nil when none did.
	// Latency-only faults are not reported here.
	Fault *Fault
}

// Simulator is an in-memory Sunshine Conversations switchboard API. It is an
// http.Handler serving the vendor's `/v2/apps/{appId}/...` routes; use
// NewServer for a listening server. All methods are safe for concurrent use.
type Simulator struct {
	seed  Seed // normalised; Reset returns to it
	async bool
	log   *slog.Logger
	hook  func(RequestInfo)
	now   func() time.Time
	// maxConvs bounds the conversations the admin routes create.
	maxConvs int

	mu     sync.Mutex
	w      *world
	counts map[Operation]int
	faults []*activeFault
	hooks  map[string]*appHooks // custom integrations by app id (hooks.go)

	d *dispatcher // webhook deliveries (deliveries.go)
}

// New returns a simulator serving the world of seed. The seed is validated
// as by ParseSeed; missing ids are generated.
func New(seed Seed, opts ...Option) (*Simulator, error) {
	norm, err := normalizeSeed(seed)
	if err != nil {
		return nil, err
	}
	s := &Simulator{seed: norm, now: time.Now, maxConvs: DefaultMaxConversations, d: newDispatcher()}
	for _, o := range opts {
		o(s)
	}
	s.Reset()
	return s, nil
}

// Server is a Simulator listening on a loopback address.
type Server struct {
	*Simulator
	// URL is the base URL of the server, e.g. http://127.0.0.1:41234; API
	// paths start with /v2 below it.
	URL string
	srv *httptest.Server
}

// NewServer starts a simulator on 127.0.0.1 (an httptest.Server). Close it
// when done.
func NewServer(seed Seed, opts ...Option) (*Server, error) {
	sim, err := New(seed, opts...)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(sim)
	return &Server{Simulator: sim, URL: srv.URL, srv: srv}, nil
}

// Close stops the webhook deliveries and shuts the server down, closing open
// connections.
func (s *Server) Close() {
	s.StopDeliveries()
	s.srv.Close()
}

// Seed returns the normalised seed: the initial world with generated ids
// filled in.
func (s *Simulator) Seed() Seed {
	out, _ := normalizeSeed(s.seed) // deep copy; the seed is already valid
	return out
}

// Reset returns the simulator to the seed state: conversations, keys,
// counts and faults; custom integrations and webhooks are removed, queued
// deliveries, delivery records and delivery faults dropped.
func (s *Simulator) Reset() {
	w := newWorld(s.seed, s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
	s.counts = map[Operation]int{}
	s.faults = nil
	s.hooks = map[string]*appHooks{}
	s.d.reset()
}

// Count returns how many requests reached the route of op since the start
// or the last Reset/ResetCounts. Every request on an operation's route and
// method counts, including those answered with an injected fault or an
// error (401, 404, 400...); requests to unknown routes and wrong methods do
// not.
func (s *Simulator) Count(op Operation) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// Counts returns the count of every operation (see Count); operations never
// called are present with 0.
func (s *Simulator) Counts() map[Operation]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Operation]int, len(Operations))
	for _, op := range Operations {
		out[op] = s.counts[op]
	}
	return out
}

// ResetCounts sets every count to zero.
func (s *Simulator) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[Operation]int{}
}

// ConversationState is the switchboard state of a conversation by
// integration names; "" when there is no such integration.
type ConversationState struct {
	Active  string `json:"active"`
	Pending string `json:"pending"`
}

// Conversation returns the state of a conversation and whether it exists.
func (s *Simulator) Conversation(appID, conversationID string) (ConversationState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.apps[appID]
	if a == nil {
		return ConversationState{}, false
	}
	c := a.convs[conversationID]
	if c == nil {
		return ConversationState{}, false
	}
	return ConversationState{Active: name(c.active), Pending: name(c.pending)}, true
}

// SetConversation sets the state of a conversation, creating it if missing,
// as an agent or a bot would outside the API (not counted, no fault
// applies). Names must be integrations of the app's switchboard, and the
// pending one must differ from the active one. A change of an existing
// conversation sends the switchboard events the move amounts to to the
// app's webhooks (see emitMove); SetConversationSilently sends none.
func (s *Simulator) SetConversation(appID, conversationID string, st ConversationState) error {
	return s.setConversation(appID, conversationID, st, true)
}

// SetConversationSilently is SetConversation without events, as the vendor
// moves conversations when their switchboard integration is deleted.
func (s *Simulator) SetConversationSilently(appID, conversationID string, st ConversationState) error {
	return s.setConversation(appID, conversationID, st, false)
}

func (s *Simulator) setConversation(appID, conversationID string, st ConversationState, events bool) error {
	if err := checkPathID("conversation id", conversationID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.apps[appID]
	if a == nil {
		return fmt.Errorf("unknown app %q", appID)
	}
	names := map[string]bool{}
	if a.sb != nil {
		for _, si := range a.sb.sis {
			names[si.name] = true
		}
	}
	if err := checkConversationState("conversation "+conversationID, st, names); err != nil {
		return err
	}
	c := a.convs[conversationID]
	existed := c != nil
	if c == nil {
		c = &conversation{id: conversationID, createdAt: s.now()}
		a.convs[conversationID] = c
	}
	oldActive, oldPending := c.active, c.pending
	c.active, c.pending = a.byName(st.Active), a.byName(st.Pending)
	if events && existed {
		s.emitMove(appID, c, oldActive, oldPending)
	}
	return nil
}

// DeleteConversation removes a conversation; later requests for it answer
// 404 conversation_not_found.
func (s *Simulator) DeleteConversation(appID, conversationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.w.apps[appID]; a != nil {
		delete(a.convs, conversationID)
	}
}

// Conversations returns the ids of the conversations of an app, sorted.
func (s *Simulator) Conversations(appID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.apps[appID]
	if a == nil {
		return nil
	}
	ids := make([]string, 0, len(a.convs))
	for id := range a.convs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// SetKeys replaces the API keys of an app (credential rotation): requests
// signed with the old keys answer 401 from then on. Key ids must stay unique
// over all apps.
func (s *Simulator) SetKeys(appID string, keys ...KeySeed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.apps[appID] == nil {
		return fmt.Errorf("unknown app %q", appID)
	}
	seen := map[string]string{}
	for id, k := range s.w.keys {
		if k.appID != appID {
			seen[id] = "app " + k.appID
		}
	}
	norm, err := normalizeKeys("keys", keys, seen)
	if err != nil {
		return err
	}
	s.w.setKeys(appID, norm)
	return nil
}

// Integrations returns the switchboard integrations of an app with their
// ids (generated ones filled in); nil for an unknown app or one without a
// switchboard.
func (s *Simulator) Integrations(appID string) []IntegrationSeed {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.apps[appID]
	if a == nil || a.sb == nil {
		return nil
	}
	out := make([]IntegrationSeed, 0, len(a.sb.sis))
	for _, si := range a.sb.sis {
		dse := si.deliverStandbyEvents
		out = append(out, IntegrationSeed{
			ID: si.id, Name: si.name, IntegrationType: si.integrationType, IntegrationID: si.integrationID,
			Next: name(a.byID(si.nextID)), DeliverStandbyEvents: &dse, MessageHistoryCount: copyPtr(si.messageHistoryCount),
		})
	}
	return out
}
