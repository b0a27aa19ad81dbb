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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// LeaderElectionID is the name of the leader election Lease of a manager without a shard.
const LeaderElectionID = "switchboard-operator.conversations.dev"

// LastAppliedAnnotation is the annotation in which `kubectl apply` (client-side) keeps the
// whole object as last applied; the cache drops it.
const LastAppliedAnnotation = corev1.LastAppliedConfigAnnotation

// ManagerOptions configure what the manager caches and how it elects a leader; main binds
// them to command-line flags.
type ManagerOptions struct {
	// WatchLabelSelector limits the manager to the Switchboards and ConversationControls
	// whose labels match (Flux's --watch-label-selector); empty means every object.
	WatchLabelSelector string
	// Shard names the manager's shard in the leader election Lease. Empty means a name
	// derived from WatchLabelSelector (or none without a selector).
	Shard string
	// EnableWarmup fills the caches while the manager waits for the Lease, so that a
	// follower that becomes leader starts reconciling at once (controller-runtime's
	// EnableWarmup).
	EnableWarmup bool
	// PprofBindAddress serves Go's /debug/pprof on this address (controller-runtime's
	// PprofBindAddress); empty or "0" serves nothing.
	PprofBindAddress string
}

// BindFlags registers the options as flags on fs.
func (o *ManagerOptions) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.WatchLabelSelector, "watch-label-selector", "",
		"Label selector (such as switchboard.conversations.dev/shard=a): the manager handles, and caches, only the Switchboards and "+
			"ConversationControls whose labels match. Empty: every object.")
	fs.StringVar(&o.Shard, "shard", "",
		"Name of this manager's shard in the leader election Lease (switchboard-operator-SHARD.conversations.dev); a DNS label. "+
			"Empty: derived from --watch-label-selector.")
	fs.BoolVar(&o.EnableWarmup, "enable-warmup", false,
		"Fill the caches while waiting to become leader, so that a failover starts reconciling without waiting for the initial list.")
	fs.StringVar(&o.PprofBindAddress, "pprof-bind-address", "",
		"Address that serves Go's /debug/pprof profiles (heap, CPU), such as 127.0.0.1:8082; empty or 0 serves none. Keep it off a "+
			"public interface: profiles show the process's memory.")
}

// Validate checks the options; its errors name the flag and what it allows.
func (o ManagerOptions) Validate() error {
	var errs []error
	if _, err := labels.Parse(o.WatchLabelSelector); err != nil {
		errs = append(errs, fmt.Errorf("--watch-label-selector %q is not a label selector: %w", o.WatchLabelSelector, err))
	}
	if o.Shard != "" {
		if msgs := validation.IsDNS1123Label(o.Shard); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--shard %q must be a DNS label (lower-case letters, digits and '-', at most 63): %s",
				o.Shard, msgs[0]))
		}
	}
	return errors.Join(errs...)
}

// ShardName is the shard in the Lease's name: Shard, else "s" and the first ten hex digits of
// the SHA-256 of the selector in its canonical form (requirements sorted), else "" without a
// selector.
func (o ManagerOptions) ShardName() string {
	if o.Shard != "" {
		return o.Shard
	}
	sel, err := labels.Parse(o.WatchLabelSelector)
	if err != nil || sel.Empty() {
		return ""
	}
	sum := sha256.Sum256([]byte(sel.String()))
	return "s" + hex.EncodeToString(sum[:5])
}

// LeaderElectionID is the name of the manager's Lease: one per shard, so that every shard
// has a leader of its own.
func (o ManagerOptions) LeaderElectionID() string {
	if shard := o.ShardName(); shard != "" {
		return "switchboard-operator-" + shard + ".conversations.dev"
	}
	return LeaderElectionID
}

// ApplyTo sets the manager options that these options govern: the cache's label
// selectors for both kinds, its transform, the Lease's name, warm-up and the pprof
// address. It returns an error for an invalid selector.
func (o ManagerOptions) ApplyTo(opts *ctrl.Options) error {
	sel, err := labels.Parse(o.WatchLabelSelector)
	if err != nil {
		return fmt.Errorf("--watch-label-selector %q is not a label selector: %w", o.WatchLabelSelector, err)
	}
	opts.LeaderElectionID = o.LeaderElectionID()
	opts.Cache.DefaultTransform = StripUnreadFields
	if !sel.Empty() {
		opts.Cache.ByObject = map[client.Object]cache.ByObject{
			&sbv1.ConversationControl{}: {Label: sel},
			&sbv1.Switchboard{}:         {Label: sel},
		}
	}
	if o.EnableWarmup {
		opts.Controller.EnableWarmup = &o.EnableWarmup
	}
	if o.PprofBindAddress != "" {
		opts.PprofBindAddress = o.PprofBindAddress
	}
	return nil
}

// StripUnreadFields is the cache's transform: it drops what the operator never reads from
// every cached object, and shares the strings ConversationControls repeat, to save memory. The last-applied annotation goes; managedFields keep
// their manager, operation, subresource and time (the handoff latency metric reads when the
// object was last changed, and by whom) but lose fieldsV1, the bulk of them. Objects the
// operator writes back are patched with a merge patch computed between two cached copies,
// so the dropped fields are never sent.
var StripUnreadFields toolscache.TransformFunc = func(in any) (any, error) {
	// Tombstones (DeletedFinalStateUnknown) carry no object metadata: they pass unchanged.
	if obj, err := meta.Accessor(in); err == nil {
		stripUnreadFields(obj)
	}
	if cc, ok := in.(*sbv1.ConversationControl); ok {
		internStrings(cc)
	}
	return in, nil
}

func stripUnreadFields(obj metav1.Object) {
	if ann := obj.GetAnnotations(); ann != nil {
		if _, ok := ann[LastAppliedAnnotation]; ok {
			delete(ann, LastAppliedAnnotation)
			if len(ann) == 0 {
				ann = nil
			}
			obj.SetAnnotations(ann)
		}
	}
	mf := obj.GetManagedFields()
	changed := false
	for i := range mf {
		if mf[i].FieldsV1 != nil {
			mf[i].FieldsV1, changed = nil, true
		}
	}
	// Only objects that had fieldsV1 are written: setting managedFields on an object
	// without them would allocate.
	if changed {
		obj.SetManagedFields(mf)
	}
}
