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

package controllers

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultOptionsAreValid(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("DefaultOptions().Validate() = %v", err)
	}
	if err := suiteOptions.Validate(); err != nil {
		t.Fatalf("the suite's options are invalid: %v", err)
	}
}

func TestOptionsValidateNamesTheFlag(t *testing.T) {
	tests := []struct {
		edit func(*Options)
		flag string
	}{
		{func(o *Options) { o.MaxConcurrentReconciles = 0 }, "--max-concurrent-reconciles"},
		{func(o *Options) { o.MaxConcurrentSwitchboardReconciles = 0 }, "--max-concurrent-switchboard-reconciles"},
		{func(o *Options) { o.ReconcileTimeout = 0 }, "--reconcile-timeout"},
		{func(o *Options) { o.ReconcileTimeout = o.APITimeout }, "--reconcile-timeout"},
		{func(o *Options) { o.APITimeout = -time.Second }, "--api-timeout"},
		{func(o *Options) { o.RetryMaxDelay = time.Millisecond }, "--retry-max-delay"},
	}
	for _, tt := range tests {
		o := DefaultOptions()
		tt.edit(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tt.flag) {
			t.Errorf("Validate() = %v, want an error naming %s", err, tt.flag)
		}
	}
}

func TestMetricsServerOptions(t *testing.T) {
	secure := DefaultMetricsOptions().ServerOptions()
	if !secure.SecureServing || secure.FilterProvider == nil || secure.BindAddress != ":8443" {
		t.Errorf("default metrics options: secure=%v filter=%v address=%q; want HTTPS with the authentication filter on :8443",
			secure.SecureServing, secure.FilterProvider != nil, secure.BindAddress)
	}
	if len(secure.TLSOpts) != 1 {
		t.Errorf("default metrics options have %d TLS options, want the one that turns HTTP/2 off", len(secure.TLSOpts))
	}
	plain := MetricsOptions{BindAddress: ":8080"}.ServerOptions()
	if plain.SecureServing || plain.FilterProvider != nil {
		t.Error("--metrics-secure=false still serves HTTPS or filters requests")
	}
}

func TestVendorConnectionsKeptCoverEveryConcurrentReconcile(t *testing.T) {
	d := DefaultOptions()
	if got := vendorIdleConnsPerHost(d); got < d.MaxConcurrentReconciles+d.MaxConcurrentSwitchboardReconciles {
		t.Errorf("with the default options %d idle connections per host are kept, fewer than the %d reconciles at once",
			got, d.MaxConcurrentReconciles+d.MaxConcurrentSwitchboardReconciles)
	}
	many := d
	many.MaxConcurrentReconciles, many.MaxConcurrentSwitchboardReconciles = 64, 8
	if got := vendorIdleConnsPerHost(many); got != 72 {
		t.Errorf("with 64 + 8 reconciles at once %d idle connections per host are kept, want 72", got)
	}
}
