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
	"flag"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the reconcilers; main binds them to command-line flags.
type Options struct {
	// MaxConcurrentReconciles is the number of ConversationControls reconciled at once.
	MaxConcurrentReconciles int
	// APITimeout bounds every call to the vendor's API.
	APITimeout time.Duration
}

// BindFlags registers the options as flags on fs, with their defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", 4,
		"Number of ConversationControls reconciled at once.")
	fs.DurationVar(&o.APITimeout, "api-timeout", 10*time.Second,
		"Timeout of every call to the Sunshine Conversations API.")
}

// SetupWithManager registers the Switchboard and ConversationControl reconcilers.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if err := (&SwitchboardReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&ConversationControlReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr, opts)
}
