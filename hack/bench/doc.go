// Command bench measures what switchboard-operator costs per handoff, against the cost
// floor of the API server itself. `make bench` runs it (BENCH_N objects, 1000 by
// default; BENCH_FLAGS passes more flags):
//
//	KUBEBUILDER_ASSETS=bin/k8s/1.37.2-linux-amd64 go run ./hack/bench -n 1000
//
// One process starts envtest (a real kube-apiserver and etcd, as separate processes),
// the switchboard simulator (sunshinetest) seeded with the test world the envtest suite
// shares (test/world: one app, its key, bot -> agent-workspace -> bot), and a
// controller-runtime manager wired as main.go wires it (controllers.SetupWithManager,
// Secrets uncached, metrics not served). Its run is a list of phases (phases.go):
//
//  1. The baseline: a plain client does the least API-server work the same N objects need
//     (create each ConversationControl, then one status patch), with -concurrency
//     workers, before the manager starts and in a namespace of its own. The baseline
//     objects are deleted before the manager starts, so the operator never sees them.
//     Two more runs of it, each in a namespace of its own, are reported beside it, not
//     as the target's floor: with a status the size of the operator's after a handoff
//     (before the manager starts), and with that status and one Event per object as
//     well (every write the operator makes, without its reconciles, its watch or its
//     vendor calls; at the very end, so that the operator run meets the same API server
//     as before it existed), so that a reader can tell what the operator's writes cost
//     from what the operator adds to them.
//  2. The operator run: N conversations are put into the simulator with the bot active,
//     the world's Secret and Switchboard are created, the manager starts, and N
//     ConversationControls are created with -concurrency workers: most ask for the
//     Agent Workspace to be Active, -next-percent name `next`, -offered-percent offer
//     control instead. Every object is one handoff: exactly one switchboard action is
//     the floor. The run ends when the manager's status write of the last object comes
//     back Ready (Ready=True and observedGeneration equal to the generation). The bench
//     reads that from the answers to the manager's writes in its transport, not from a
//     watch of its own, so it adds no work to the API server.
//  3. A quiet period (-quiet) with nothing changing: only the scheduled polls
//     (spec.pollInterval, -poll-interval) may call the vendor's API or write.
//  4. A restart (-restart-window, a minute; 0 skips it): the manager stops with every
//     object in sync and a new one starts (a manager of its own, with its own cache, as
//     a new process). Once its cache has synced one new object is created and timed until
//     Ready (how long it waits behind the initial list), and the vendor calls and
//     API-server requests of the window after the start are counted: the target is no
//     call but the polls that fall due (with a one-minute poll interval, each object's
//     slot comes once in the window).
//  5. The baseline again, once the manager has stopped (after the restart, or after the
//     quiet period with -restart-window 0), the same creates and patches in a fresh
//     namespace of its own, so no manager sees its objects. The first baseline runs on a
//     fresh API server, this one on one that holds the operator run's N objects and has
//     run for minutes (at N=1000 on a 2-core machine the first alone took 5.4 s to 8.3 s
//     in four runs of one commit). The time ratio is the operator run's time over the
//     mean of the two; the table shows both baselines and the ratio against the first
//     alone as well. The baseline with the operator's status runs once, before, beside
//     the first, and the CPU ratio is taken against the first.
//
// What it counts, rather than estimates:
//   - vendor API calls, from the simulator's request hook: actions and reads per
//     operation and per conversation. A read of a conversation that comes at least 45%
//     of the poll interval after the previous read of it is counted as a poll (the
//     operator's first poll comes at the first poll slot at least half an interval after
//     the handoff); every other read is a read "outside polls".
//   - handoff latency: from the return of the object's create call to the arrival of
//     its action at the simulator (p50, p99, max).
//   - API-server requests, by verb and resource, from a RoundTripper wrapped around the
//     manager's rest.Config (rest.Config.WrapTransport); the bench's own requests go
//     through a second counter and are reported apart.
//   - reconciles, from controller-runtime's reconcile counter.
//   - memory: the process's heap (runtime/metrics, sampled every 100 ms; HeapInuse and
//     HeapAlloc) and RSS (VmRSS sampled, VmHWM at the end, from /proc), and the RSS of
//     the kube-apiserver and etcd child processes. The process also holds the
//     simulator, the bench's clients and the envtest plumbing, so the heap is an upper
//     bound of the manager's; the live heap before the manager starts is reported so
//     that the manager's share can be read off.
//
// It prints one plain-text table, writes the same figures as JSON to
// bin/bench/bench-N-TIMESTAMP.json (and the manager's log and an SVG chart beside it),
// and says which machine it ran on. With -cpuprofile it also writes two CPU profiles of
// the operator run: this process's (manager, simulator, clients) and the API server's,
// read from kube-apiserver's /debug/pprof/profile for the first part of the run as long
// as the baseline (`go tool pprof -top FILE`). It never asserts on time: it exits non-zero only when it cannot
// run or when not every object became Ready before -timeout. The targets are
// printed beside the figures as met or missed.
//
// With -drift (`make bench-drift`) it runs the drift scenario instead: N objects in
// sync, then others move -drift-share of the conversations at -drift-rate, timed until
// each object reports InSync=False, once with polls only (-drift-poll-interval) and once
// with webhooks (-drift-safety-poll); it prints the figures, the vendor reads per
// handoff, per move and per hour, and the targets (see drift.go).
//
// Client settings: -qps and -burst set the manager's rest.Config QPS and Burst; by
// default (-qps -1) there is no client-side limit, as with main.go's --kube-api-qps 0. The bench's own client (its creates, and
// the baseline) has no client-side limit, so that the baseline measures the API
// server's own limit. -concurrency sets MaxConcurrentReconciles and the number of
// workers of the bench's creators and of the baseline; every other controllers.Options
// value is controllers.DefaultOptions().
// The Switchboard's vendor rate limit is raised to -vendor-rps/-vendor-burst so that
// it does not hide the operator's own cost. -vendor-idle-conns sets how many idle
// connections to the simulator the vendor clients keep (0, the default, keeps the
// operator's own: at least sunshine.DefaultMaxIdleConnsPerHost and at least the reconciles
// that may run at once), to see what reusing connections is worth.
package main
