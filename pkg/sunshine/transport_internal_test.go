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
	"net/http"
	"testing"
)

func TestAClientWithoutATransportKeepsConnectionsForItsConcurrency(t *testing.T) {
	own := &http.Transport{MaxIdleConnsPerHost: 3}
	tests := []struct {
		name string
		hc   *http.Client
		want int
	}{
		{"no HTTP client", nil, DefaultMaxIdleConnsPerHost},
		{"an HTTP client without a transport", &http.Client{}, DefaultMaxIdleConnsPerHost},
		{"an HTTP client with a transport of its own", &http.Client{Transport: own}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{Endpoint: "https://api.example.com", AppID: "app-1",
				Credentials: Credentials{Type: AuthBasic, KeyID: "app_key", Secret: NewSecret("not-a-real-secret")}, HTTPClient: tt.hc})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			tr, ok := c.http.Transport.(*http.Transport)
			if !ok {
				t.Fatalf("the client's transport is %T, want *http.Transport", c.http.Transport)
			}
			if tr.MaxIdleConnsPerHost != tt.want {
				t.Errorf("MaxIdleConnsPerHost = %d, want %d", tr.MaxIdleConnsPerHost, tt.want)
			}
		})
	}
	a, _ := New(Config{Endpoint: "https://a.example.com", AppID: "app-1", Credentials: Credentials{Type: AuthBasic, KeyID: "k", Secret: NewSecret("s")}})
	b, _ := New(Config{Endpoint: "https://b.example.com", AppID: "app-2", Credentials: Credentials{Type: AuthBasic, KeyID: "k", Secret: NewSecret("s")}})
	if a.http.Transport != b.http.Transport {
		t.Error("two clients without a transport have transports of their own; they should share one pool of connections")
	}
}
