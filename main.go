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

// Command manager runs the switchboard-operator: the Switchboard and
// ConversationControl reconcilers in one controller-runtime manager.
package main

import (
	"errors"
	"flag"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/controllers"
	"github.com/switchboard-operator/switchboard-operator/internal/memlimit"
)

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(sbv1.AddToScheme(scheme))
}

func main() {
	var (
		metricsOpts          controllers.MetricsOptions
		probeAddr            string
		enableLeaderElection bool
		leaderElectionNS     string
		kubeAPIQPS           float64
		kubeAPIBurst         int
		memoryLimitRatio     float64
		opts                 controllers.Options
		mgrOpts              controllers.ManagerOptions
	)
	metricsOpts.BindFlags(flag.CommandLine)
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "The address the health and readiness probes bind to.")
	flag.BoolVar(&enableLeaderElection, "leader-elect", false,
		"Enable leader election, so that only one replica of the manager is active at a time.")
	flag.StringVar(&leaderElectionNS, "leader-election-namespace", "",
		"Namespace of the leader election Lease; defaults to the manager's own namespace.")
	flag.Float64Var(&kubeAPIQPS, "kube-api-qps", 0,
		"Client-side limit of queries per second to the Kubernetes API server; 0 keeps none and relies on the API server's priority and fairness.")
	flag.IntVar(&kubeAPIBurst, "kube-api-burst", 0, "Burst of the client-side limit set by --kube-api-qps.")
	flag.Float64Var(&memoryLimitRatio, "go-memory-limit-ratio", 0.9,
		"Without GOMEMLIMIT in the environment, set the Go runtime's soft memory limit to this share of the container's memory "+
			"limit (its cgroup), so that the collector works harder near the limit instead of the container being killed; 0 turns it off.")
	opts.BindFlags(flag.CommandLine)
	mgrOpts.BindFlags(flag.CommandLine)
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	memLimit, err := memlimit.Set("/sys/fs/cgroup", memoryLimitRatio)
	if err != nil {
		setupLog.Error(err, "Invalid memory limit")
		os.Exit(2)
	}
	setupLog.Info("Go memory limit", "softLimitBytes", memLimit.Limit, "containerLimitBytes", memLimit.ContainerLimit, "source", memLimit.Reason)
	if err := errors.Join(opts.Validate(), mgrOpts.Validate()); err != nil {
		setupLog.Error(err, "Invalid flags")
		os.Exit(2)
	}
	setupLog.Info("Allowed endpoint hosts", "patterns", opts.AllowedEndpointHosts.Patterns(),
		"metricsAddress", metricsOpts.BindAddress, "metricsSecure", metricsOpts.Secure)

	restConfig := ctrl.GetConfigOrDie()
	if kubeAPIQPS > 0 {
		restConfig.QPS, restConfig.Burst = float32(kubeAPIQPS), max(kubeAPIBurst, int(kubeAPIQPS))
	}
	managerOptions := ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOpts.ServerOptions(),
		HealthProbeBindAddress:  probeAddr,
		LeaderElection:          enableLeaderElection,
		LeaderElectionNamespace: leaderElectionNS,
		// Secrets are read on demand with a plain GET: the manager must not cache (and so
		// list and watch) every Secret of the cluster.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	}
	// The watch label selector, the cache transform, the Lease's name and warm-up.
	if err := mgrOpts.ApplyTo(&managerOptions); err != nil {
		setupLog.Error(err, "Invalid flags")
		os.Exit(2)
	}
	setupLog.Info("Shard", "watchLabelSelector", mgrOpts.WatchLabelSelector, "leaderElectionID", managerOptions.LeaderElectionID,
		"enableWarmup", mgrOpts.EnableWarmup)
	mgr, err := ctrl.NewManager(restConfig, managerOptions)
	if err != nil {
		setupLog.Error(err, "Unable to create the manager")
		os.Exit(1)
	}

	if err := controllers.SetupWithManager(mgr, opts, ctrlmetrics.Registry); err != nil {
		setupLog.Error(err, "Unable to set up the reconcilers")
		os.Exit(1)
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		setupLog.Error(err, "Unable to set up the health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		setupLog.Error(err, "Unable to set up the ready check")
		os.Exit(1)
	}

	setupLog.Info("Starting the manager")
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		setupLog.Error(err, "The manager stopped with an error")
		os.Exit(1)
	}
}
