# shellcheck shell=bash
# Shared by hack/demo.sh (`make demo`) and hack/dev.sh (`make dev`); sourced, not run.
#
# Builds what the local environment needs and starts and stops its three processes:
#   - the control plane: hack/devenv (kube-apiserver + etcd from bin/k8s, CRDs installed)
#   - the switchboard simulator: hack/sunshine-sim with hack/sunshine-sim/seed.yaml
#   - the operator: bin/manager (the real main.go), pointed at the control plane
# Each process logs to a file in $WORKDIR. The operator knows nothing about the
# simulator: a Switchboard's spec.endpoint is the only link between them.
#
# Settings (environment):
#   KUBEBUILDER_ASSETS  folder of kube-apiserver, etcd, kubectl (default bin/k8s/<version>-<os>-<arch>)
#   K8S_VERSION, ETCD_VERSION  versions of the envtest binaries (defaults as in the Makefile)
#   SIM_LISTEN          address of the simulator (default 127.0.0.1:8091, the samples' endpoint)
#   SIM_SEED            seed file of the simulator (default hack/sunshine-sim/seed.yaml)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
K8S_VERSION=${K8S_VERSION:-1.37.2}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
ASSETS=${KUBEBUILDER_ASSETS:-$BIN/k8s/$K8S_VERSION-$(go env GOOS)-$(go env GOARCH)}
KUBECTL=${KUBECTL:-$ASSETS/kubectl}
SIM_LISTEN_DEFAULT=127.0.0.1:8091
SIM_LISTEN=${SIM_LISTEN:-$SIM_LISTEN_DEFAULT}
SIM_SEED=${SIM_SEED:-$ROOT/hack/sunshine-sim/seed.yaml}

WORKDIR=${WORKDIR:-}   # logs and kubeconfig; set by the caller or by make_workdir
SIM_URL=""             # http://ADDR of the running simulator
PROBE_ADDR=""          # health probe address of the running operator
DEVENV_PID="" SIM_PID="" OPERATOR_PID=""

if [[ -t 1 ]]; then
  _bold=$'\e[1m' _dim=$'\e[2m' _red=$'\e[31m' _green=$'\e[32m' _reset=$'\e[0m'
else
  _bold="" _dim="" _red="" _green="" _reset=""
fi

# section TITLE: a header between the steps of the story.
section() { printf '\n%s==> %s%s\n' "$_bold" "$*" "$_reset"; }
# info MESSAGE...: one line of progress.
info() { printf '    %s\n' "$*"; }
# ok MESSAGE...: a check that passed (counted in CHECKS_PASSED).
CHECKS_PASSED=0
ok() {
  CHECKS_PASSED=$((CHECKS_PASSED + 1))
  printf '    %s✓ %s%s\n' "$_green" "$*" "$_reset"
}
# fail MESSAGE...: report an error and exit non-zero (the caller's EXIT trap cleans up).
fail() { printf '%sERROR: %s%s\n' "$_red" "$*" "$_reset" >&2; exit 1; }

# shell_quote ARG...: the arguments as a person would type them.
shell_quote() {
  local out="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '%s' "${out# }"
}

# kc ARG...: show and run `kubectl ARG...` against the local control plane.
kc() {
  printf '%s$ kubectl %s%s\n' "$_dim" "$(shell_quote "$@")" "$_reset"
  "$KUBECTL" "$@"
}

# kcq ARG...: run kubectl without showing the command (for checks and output formatting).
kcq() { "$KUBECTL" "$@"; }

# with_progress WHAT CMD...: run CMD in the foreground (so that Ctrl-C reaches it), while
# a ticker says every 20 s that WHAT is still going on.
PROGRESS_PID=""
with_progress() {
  local what=$1 rc=0
  shift
  (
    start=$SECONDS
    trap 'kill "$s" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 20 &
      s=$!
      wait "$s"
      info "still $what ($((SECONDS - start))s; the first build takes minutes, later ones seconds)"
    done
  ) &
  PROGRESS_PID=$!
  "$@" || rc=$?
  stop_progress
  return "$rc"
}

# stop_progress: stop the ticker of with_progress, if one runs.
stop_progress() {
  [[ -n $PROGRESS_PID ]] || return 0
  kill -TERM "$PROGRESS_PID" 2>/dev/null || true
  wait "$PROGRESS_PID" 2>/dev/null || true
  PROGRESS_PID=""
}

# build_all: the envtest binaries (skipped when present), the operator, the control plane
# launcher and the simulator.
build_all() {
  require_tools
  info "envtest binaries (kube-apiserver, etcd, kubectl) in ${ASSETS#"$ROOT"/}"
  K8S_VERSION=$K8S_VERSION ETCD_VERSION=$ETCD_VERSION KUBEBUILDER_ASSETS=$ASSETS \
    "$ROOT/hack/envtest/build.sh" >/dev/null
  local name pkg start
  for name in manager devenv sunshine-sim; do
    case $name in
      manager) pkg=. ;;
      *) pkg=./hack/$name ;;
    esac
    info "go build -o bin/$name $pkg"
    start=$SECONDS
    with_progress "building bin/$name" go -C "$ROOT" build -o "$BIN/$name" "$pkg" ||
      fail "building bin/$name failed (see the compiler output above)"
    if ((SECONDS - start > 5)); then info "built bin/$name in $((SECONDS - start))s"; fi
  done
}

require_tools() {
  local t
  for t in go curl; do
    command -v "$t" >/dev/null || fail "$t is required but not on PATH"
  done
}

# make_workdir PREFIX: a fresh temporary directory for logs and the kubeconfig.
make_workdir() {
  WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
}

# alive PID: whether PID is running (an exited child that was not yet reaped is not).
alive() {
  local state=""
  kill -0 "$1" 2>/dev/null || return 1
  if [[ -r /proc/$1/stat ]]; then
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  else
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  fi
  [[ ${state:0:1} != Z ]]
}

# start_bg VAR LOG CMD...: start CMD in the background, in its own session (so that a
# Ctrl-C reaches it only through stop_all, once), with output to LOG; its pid goes in VAR.
start_bg() {
  local var=$1 log=$2
  shift 2
  if command -v setsid >/dev/null; then
    setsid "$@" >"$log" 2>&1 </dev/null &
  else
    "$@" >"$log" 2>&1 </dev/null &
  fi
  printf -v "$var" '%s' "$!"
}

# wait_for_log NAME PID LOG PATTERN SECONDS: wait until LOG matches PATTERN (grep -E);
# fail when the process exits first or time runs out.
wait_for_log() {
  local name=$1 pid=$2 log=$3 pattern=$4 deadline=$((SECONDS + $5))
  until grep -Eq "$pattern" "$log" 2>/dev/null; do
    alive "$pid" || { tail -n 20 "$log" >&2; fail "$name exited during start-up (log: $log)"; }
    ((SECONDS < deadline)) || { tail -n 20 "$log" >&2; fail "$name not ready after $5s (log: $log)"; }
    sleep 0.2
  done
}

# start_control_plane: kube-apiserver and etcd with the CRDs; exports KUBECONFIG.
start_control_plane() {
  local kubeconfig=$WORKDIR/kubeconfig
  start_bg DEVENV_PID "$WORKDIR/devenv.log" \
    "$BIN/devenv" --kubeconfig "$kubeconfig" --assets "$ASSETS" --crds "$ROOT/config/crd/bases"
  wait_for_log "the control plane (devenv)" "$DEVENV_PID" "$WORKDIR/devenv.log" '^KUBECONFIG=' 180
  export KUBECONFIG=$kubeconfig
  info "control plane up: $(sed -n 's/^devenv: control plane ready at \([^ ]*\).*/\1/p' "$WORKDIR/devenv.log")" \
    "(kube-apiserver and etcd $K8S_VERSION/$ETCD_VERSION, CRDs from config/crd/bases)"
}

# start_simulator: the simulator on $SIM_LISTEN; when that is the default and taken,
# on a free port (callers then point the Switchboard's endpoint at $SIM_URL).
start_simulator() {
  local log=$WORKDIR/sunshine-sim.log listen=$SIM_LISTEN
  start_bg SIM_PID "$log" "$BIN/sunshine-sim" --listen "$listen" --seed "$SIM_SEED"
  if ! wait_for_log_quiet "$SIM_PID" "$log" '^sunshine-sim listening on ' 30; then
    if [[ $listen == "$SIM_LISTEN_DEFAULT" ]] && grep -q 'address already in use' "$log"; then
      info "$listen is taken; starting the simulator on a free port instead"
      wait "$SIM_PID" 2>/dev/null || true
      listen=127.0.0.1:0
      start_bg SIM_PID "$log" "$BIN/sunshine-sim" --listen "$listen" --seed "$SIM_SEED"
    fi
    wait_for_log "the simulator" "$SIM_PID" "$log" '^sunshine-sim listening on ' 30
  fi
  SIM_URL=$(sed -n 's/^sunshine-sim listening on //p' "$log" | head -n 1)
  info "simulator up: $SIM_URL (seed ${SIM_SEED#"$ROOT"/})"
}

# wait_for_log_quiet PID LOG PATTERN SECONDS: like wait_for_log, but returns 1 instead
# of failing.
wait_for_log_quiet() {
  local pid=$1 log=$2 pattern=$3 deadline=$((SECONDS + $4))
  until grep -Eq "$pattern" "$log" 2>/dev/null; do
    if ! alive "$pid" || ((SECONDS >= deadline)); then return 1; fi
    sleep 0.2
  done
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  local port i
  for i in $(seq 1 100); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  fail "no free TCP port found on 127.0.0.1 (tried $i)"
}

# start_operator: bin/manager against the control plane, metrics off, health probes and the
# webhook receiver on free loopback ports (RECEIVER_ADDR), and the simulator's loopback
# hosts allowed as endpoints (the operator refuses them by default); returns when /readyz
# answers.
start_operator() {
  local log=$WORKDIR/operator.log deadline=$((SECONDS + 60))
  PROBE_ADDR=127.0.0.1:$(free_port)
  RECEIVER_ADDR=127.0.0.1:$(free_port)
  start_bg OPERATOR_PID "$log" env KUBECONFIG="$KUBECONFIG" "$BIN/manager" \
    --metrics-bind-address=0 --health-probe-bind-address="$PROBE_ADDR" \
    --receiver-bind-address="$RECEIVER_ADDR" \
    --allowed-endpoint-hosts=127.0.0.1,localhost
  until curl -fsS -o /dev/null "http://$PROBE_ADDR/readyz" 2>/dev/null; do
    alive "$OPERATOR_PID" || { tail -n 20 "$log" >&2; fail "the operator exited during start-up (log: $log)"; }
    ((SECONDS < deadline)) || { tail -n 20 "$log" >&2; fail "the operator is not ready after 60s (log: $log)"; }
    sleep 0.2
  done
  info "operator up: bin/manager (pid $OPERATOR_PID, health probes on $PROBE_ADDR, webhook receiver on $RECEIVER_ADDR, log ${log})"
}

# start_all: control plane, simulator and operator, in that order.
start_all() {
  start_control_plane
  start_simulator
  start_operator
}

# stop_pid NAME PID: SIGTERM, up to 30 s to exit, then SIGKILL; reaps the process.
stop_pid() {
  local name=$1 pid=$2 i
  [[ -n $pid ]] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
      alive "$pid" || break
      sleep 0.2
    done
    if alive "$pid"; then
      info "$name did not stop within 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

# stop_all: everything start_all (and with_progress) started, in reverse order.
stop_all() {
  stop_progress
  stop_pid "the operator" "$OPERATOR_PID"
  OPERATOR_PID=""
  stop_pid "the simulator" "$SIM_PID"
  SIM_PID=""
  stop_pid "the control plane" "$DEVENV_PID"
  DEVENV_PID=""
}

# log_tails [LINES]: the end of every log, for a failure report.
log_tails() {
  local lines=${1:-40} f
  for f in "$WORKDIR"/operator.log "$WORKDIR"/sunshine-sim.log "$WORKDIR"/devenv.log; do
    [[ -s $f ]] || continue
    printf '\n%s--- last %s lines of %s ---%s\n' "$_bold" "$lines" "$f" "$_reset" >&2
    tail -n "$lines" "$f" >&2
  done
}

# sim_state CONVERSATION: the simulator's live state of a conversation of app-demo, as
# "active=NAME pending=NAME" ("-" for none).
sim_state() {
  local json active pending
  json=$(curl -fsS "$SIM_URL/_sim/conversations/${SIM_APP:-app-demo}/$1") ||
    fail "the simulator did not answer for conversation $1"
  active=$(sed -n 's/.*"active":"\([^"]*\)".*/\1/p' <<<"$json")
  pending=$(sed -n 's/.*"pending":"\([^"]*\)".*/\1/p' <<<"$json")
  printf 'active=%s pending=%s\n' "${active:--}" "${pending:--}"
}
