#!/usr/bin/env bash
# `make dev`: the local control plane (with the CRDs), the switchboard simulator and the
# operator, kept running until Ctrl-C, for trying things by hand:
#
#   export KUBECONFIG=<printed path>
#   kubectl create namespace demo && kubectl apply -n demo -k config/samples
#
# The kubeconfig and the logs live in bin/dev/ (the logs stay there after Ctrl-C).
# Settings: see hack/lib.sh; SIM_LISTEN moves the simulator (then change the
# Switchboard's spec.endpoint to match).
set -euo pipefail

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck disable=SC2317 # run by the EXIT trap
on_exit() {
  local rc=$?
  set +e
  trap - INT TERM
  stop_progress
  if [[ -n $WORKDIR ]]; then
    section "Stopping the operator, the simulator and the control plane"
    stop_all
    info "stopped; logs kept in ${WORKDIR#"$ROOT"/}"
  fi
  if ((rc != 0)) && ((rc != 130)) && ((rc != 143)); then
    [[ -n $WORKDIR ]] && log_tails 40
    printf '\n%smake dev FAILED (exit %s)%s\n' "$_red" "$rc" "$_reset" >&2
    exit "$rc"
  fi
  exit 0
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

section "Building: envtest binaries, the operator, the simulator"
build_all

section "Starting a local control plane, the simulator and the operator"
dir=$BIN/dev
if [[ -s $dir/kubeconfig ]] && "$KUBECTL" --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
  fail "another \`make dev\` is running (its kubeconfig is $dir/kubeconfig); stop it first"
fi
mkdir -p "$dir"
rm -f "$dir"/*.log "$dir/kubeconfig"
WORKDIR=$dir
start_all

section "Running until Ctrl-C"
cat <<EOF
    Use the local control plane from another shell:

        export KUBECONFIG=$KUBECONFIG

    The switchboard simulator (app app-demo, API key app_demo_key / demo-secret) is at

        $SIM_URL

    Try it:

        kubectl create namespace demo
        kubectl apply -n demo -k config/samples
        kubectl get switchboards,conversationcontrols -n demo
        curl $SIM_URL/_sim/conversations/app-demo/conv-1

    Logs: ${WORKDIR#"$ROOT"/}/operator.log, sunshine-sim.log, devenv.log
EOF
if [[ $SIM_URL != "http://$SIM_LISTEN_DEFAULT" ]]; then
  info "NOTE: the samples' Switchboard points at http://$SIM_LISTEN_DEFAULT; set its spec.endpoint to $SIM_URL"
fi

# Keep running while all three processes do.
while alive "$DEVENV_PID" && alive "$SIM_PID" && alive "$OPERATOR_PID"; do
  sleep 1
done
fail "a process stopped on its own (see the logs below)"
