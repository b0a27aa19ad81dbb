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

import "net/http"

// DefaultMaxIdleConnsPerHost is how many idle connections to one vendor host the
// default transport keeps for reuse. http.DefaultTransport keeps 2, so that with more
// concurrent calls to one host than that most calls open a new TCP and TLS connection;
// 32 covers the operator's default concurrency (8 ConversationControl and 4 Switchboard
// reconciles at once) with room to spare.
const DefaultMaxIdleConnsPerHost = 32

// defaultTransport is the transport of every client whose Config.HTTPClient has none:
// one pool of connections shared by all of them, as http.DefaultTransport would be.
var defaultTransport = NewTransport(DefaultMaxIdleConnsPerHost)

// NewTransport returns a clone of http.DefaultTransport (its proxy from the environment,
// dialer, timeouts and HTTP/2) that keeps up to maxIdlePerHost idle connections to each
// host, and at least as many in all; 0 or less means DefaultMaxIdleConnsPerHost. Give it
// at least the number of calls a process makes to one host at once, so that each call
// finds a connection to reuse.
func NewTransport(maxIdlePerHost int) *http.Transport {
	if maxIdlePerHost <= 0 {
		maxIdlePerHost = DefaultMaxIdleConnsPerHost
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdlePerHost
	t.MaxIdleConns = max(t.MaxIdleConns, maxIdlePerHost)
	return t
}
