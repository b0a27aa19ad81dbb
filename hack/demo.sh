#!/usr/bin/env bash
# `make demo`: the operator at work on one machine, with no Zendesk account and no cluster.
#
# Builds what it needs, starts a local control plane (kube-apiserver + etcd, with the
# CRDs), the switchboard simulator and the operator (bin/manager, a separate process),
# then walks through a story with kubectl: connect to the app, escalate a conversation
# from the bot to the agents, offer and accept, hand back with `next`, release, and one
# error the way a user meets it. After each step it shows the objects (kubectl get) and
# the simulator's live state of the conversation, and checks that state. It stops
# everything it started and exits 0, or non-zero with the ends of the logs when a step
# fails. Settings: see hack/lib.sh.
set -euo pipefail

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT" # the commands shown use paths relative to the repository
NS=demo
SAMPLES=config/samples
WAIT_TIMEOUT=${WAIT_TIMEOUT:-60s}
STARTED=$SECONDS

on_exit() {
  local rc=$?
  set +e
  trap - INT TERM
  stop_progress
  if ((rc != 0 && rc != 130 && rc != 143)) && [[ -n $DEVENV_PID ]] && alive "$DEVENV_PID"; then
    section "Objects at the time of the failure"
    kcq get switchboards,conversationcontrols -A 2>&1
    kcq get switchboards,conversationcontrols -A -o \
      jsonpath='{range .items[*]}{.kind}/{.metadata.name}:{"\n"}{range .status.conditions[*]}{"    "}{.type}={.status} {.reason}: {.message}{"\n"}{end}{end}' 2>&1
  fi
  if [[ -n $WORKDIR ]]; then
    section "Stopping the operator, the simulator and the control plane"
    stop_all
  fi
  if ((rc == 130 || rc == 143)); then
    rm -rf "$WORKDIR"
    printf '\nThe demo was interrupted: everything it started is stopped.\n' >&2
  elif ((rc != 0)); then
    [[ -n $WORKDIR ]] && log_tails 40
    printf '\n%sThe demo FAILED (exit %s); logs kept in %s%s\n' "$_red" "$rc" "$WORKDIR" "$_reset" >&2
    printf 'demo: %s passed, 1 failed\n' "$CHECKS_PASSED"
  else
    rm -rf "$WORKDIR"
    printf '\n%sThe demo finished in %ss: everything it started is stopped.%s\n' "$_green" "$((SECONDS - STARTED))" "$_reset"
    printf 'demo: %s passed, 0 failed\n' "$CHECKS_PASSED"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# show_sim CONVERSATION WANT: print the simulator's live state of CONVERSATION and
# fail unless it is WANT ("active=NAME pending=NAME", "-" for none).
show_sim() {
  local got
  got=$(sim_state "$1")
  info "simulator, live state of $1: $got"
  [[ $got == "$2" ]] || fail "$1 should be \"$2\" in the simulator, but is \"$got\""
  ok "$1 is as expected: $2"
}

# show_applied NAME: what the operator last did for the ConversationControl NAME.
show_applied() {
  local action integration reached generation
  IFS='|' read -r action integration reached generation < <(kcq get cc "$1" -n "$NS" -o \
    jsonpath='{.status.lastAppliedAction.action}|{.status.lastAppliedAction.integration}|{.status.lastAppliedAction.reached.name}|{.status.lastAppliedAction.generation}{"\n"}')
  [[ $reached == "$integration" ]] && reached=""
  info "operator, status.lastAppliedAction of $1: ${action:-none}${integration:+ $integration}${reached:+ (reached $reached)}${generation:+, generation $generation}"
}

# step NAME CONVERSATION WANT: wait for Ready, then show the objects and the live state.
step() {
  kc wait conversationcontrol/"$1" -n "$NS" --for=condition=Ready --timeout="$WAIT_TIMEOUT"
  kc get conversationcontrols -n "$NS"
  show_applied "$1"
  show_sim "$2" "$3"
}

section "1. Building: envtest binaries, the operator, the simulator"
build_all

section "2. Starting a local control plane, the simulator and the operator"
make_workdir switchboard-demo
info "logs in $WORKDIR"
start_all

section "3. Connect to the app: a Secret with the API key and a Switchboard"
kc create namespace "$NS"
kc apply -n "$NS" -f "$SAMPLES/secret.yaml"
switchboard=$SAMPLES/switchboard_v1alpha1_switchboard.yaml
if [[ $SIM_URL != "http://$SIM_LISTEN_DEFAULT" ]]; then
  info "the simulator is not on $SIM_LISTEN_DEFAULT: using a copy of the sample with endpoint $SIM_URL"
  sed "s|endpoint: http://$SIM_LISTEN_DEFAULT\$|endpoint: $SIM_URL|" "$switchboard" >"$WORKDIR/switchboard.yaml"
  grep -q "endpoint: $SIM_URL\$" "$WORKDIR/switchboard.yaml" || fail "could not set the endpoint in a copy of $switchboard"
  switchboard=$WORKDIR/switchboard.yaml
fi
kc apply -n "$NS" -f "$switchboard"
kc wait switchboard/demo -n "$NS" --for=condition=Ready --timeout="$WAIT_TIMEOUT"
kc get switchboards -n "$NS"
info "the app's switchboard integrations, as the operator listed them:"
kcq get switchboards demo -n "$NS" -o \
  jsonpath='{range .status.integrations[*]}{"      "}{.name} ({.integrationType}), next: {.next}{"\n"}{end}'

section "4. Escalate conv-1 from the bot to the agents (passControl)"
show_sim conv-1 "active=bot pending=-"
kc apply -n "$NS" -f "$SAMPLES/switchboard_v1alpha1_conversationcontrol.yaml"
step escalate-conv-1 conv-1 "active=agent-workspace pending=-"

section "5. Offer conv-2 to the agents (offerControl): they become pending"
show_sim conv-2 "active=- pending=-"
kc apply -n "$NS" -f "$SAMPLES/switchboard_v1alpha1_conversationcontrol_offer.yaml"
step offer-conv-2 conv-2 "active=- pending=agent-workspace"

section "6. The agents accept conv-2: state Offered -> Active (acceptControl)"
kc patch conversationcontrol offer-conv-2 -n "$NS" --type merge -p '{"spec":{"state":"Active"}}'
step offer-conv-2 conv-2 "active=agent-workspace pending=-"

section "7. Hand conv-1 back with \`next\` (passControl to the next integration: the bot)"
kc patch conversationcontrol escalate-conv-1 -n "$NS" --type merge -p '{"spec":{"integration":"next"}}'
step escalate-conv-1 conv-1 "active=bot pending=-"

section "8. Release conv-1: state Released, no integration (releaseControl)"
kc patch conversationcontrol escalate-conv-1 -n "$NS" --type json \
  -p '[{"op":"replace","path":"/spec/state","value":"Released"},{"op":"remove","path":"/spec/integration"}]'
step escalate-conv-1 conv-1 "active=- pending=-"
info "a manifest can ask for a release too (conv-3 starts with the bot):"
show_sim conv-3 "active=bot pending=-"
kc apply -n "$NS" -f "$SAMPLES/switchboard_v1alpha1_conversationcontrol_release.yaml"
step release-conv-3 conv-3 "active=- pending=-"
info "offer-conv-2 has deletionPolicy: Release, so deleting it releases conv-2:"
kc delete conversationcontrol offer-conv-2 -n "$NS" --wait --timeout="$WAIT_TIMEOUT"
show_sim conv-2 "active=- pending=-"

section "9. An error, the way you meet it: an integration name that does not exist"
cat hack/demo/wrong-integration.yaml
kc apply -n "$NS" -f hack/demo/wrong-integration.yaml
kc wait conversationcontrol/escalate-conv-6 -n "$NS" --for=condition=Stalled --timeout="$WAIT_TIMEOUT"
kc get conversationcontrols -n "$NS"
IFS='|' read -r status reason message < <(kcq get cc escalate-conv-6 -n "$NS" -o \
  jsonpath='{.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].reason}|{.status.conditions[?(@.type=="Ready")].message}{"\n"}')
info "Ready=$status, reason $reason:"
info "  $message"
[[ $status == False && $reason == IntegrationNotFound ]] ||
  fail "escalate-conv-6 should be Ready=False with reason IntegrationNotFound, not Ready=$status $reason"
ok "escalate-conv-6 is Stalled, Ready=False with reason IntegrationNotFound"
show_sim conv-6 "active=- pending=-"
info "fix it by naming an existing integration (bot or agent-workspace), e.g.:"
info "  kubectl patch cc escalate-conv-6 -n $NS --type merge -p '{\"spec\":{\"integration\":\"agent-workspace\"}}'"

section "10. The switchboard itself as code: app-routing configured from YAML (managementPolicy Manage)"
# for_sim FILE: FILE, or a copy of it with the simulator's endpoint when it is not the default.
for_sim() {
  if [[ $SIM_URL == "http://$SIM_LISTEN_DEFAULT" ]]; then
    printf '%s\n' "$1"
    return
  fi
  sed "s|endpoint: http://$SIM_LISTEN_DEFAULT\$|endpoint: $SIM_URL|" "$1" >"$WORKDIR/$(basename "$1")"
  grep -q "endpoint: $SIM_URL\$" "$WORKDIR/$(basename "$1")" || fail "could not set the endpoint in a copy of $1"
  printf '%s\n' "$WORKDIR/$(basename "$1")"
}
# show_config GENERATION: wait until the Switchboard routing applied GENERATION, then show
# it, the integrations it configured and the calls it made.
show_config() {
  kc wait switchboard/routing -n "$NS" --for=jsonpath='{.status.config.appliedGeneration}'="$1" --timeout="$WAIT_TIMEOUT"
  kc wait switchboard/routing -n "$NS" --for=condition=ConfigInSync --timeout="$WAIT_TIMEOUT"
  kc get switchboards routing -n "$NS"
  info "the app's switchboard integrations, as the operator configured them:"
  kcq get switchboards routing -n "$NS" -o \
    jsonpath='{range .status.integrations[*]}{"      "}{.name} ({.integrationType}), next: {.next}{"\n"}{end}'
  info "what the operator did (Events):"
  kcq get events -n "$NS" --field-selector reason=ConfigApplied,involvedObject.name=routing \
    -o jsonpath='{range .items[*]}{"      "}{.message}{"\n"}{end}'
}
info "app-routing has no switchboard yet; the sample declares bot -> agent-workspace -> bot:"
kc apply -n "$NS" -f "$(for_sim "$SAMPLES/switchboard_v1alpha1_switchboard_routing.yaml")"
show_config 1
[[ $(kcq get switchboards routing -n "$NS" -o jsonpath='{.status.defaultIntegration} {.status.enabled} {.status.config.createdSwitchboard}') == "bot true true" ]] ||
  fail "routing should have created an enabled switchboard with the default bot"
ok "the operator created app-routing's switchboard, its two integrations, the next links, the default and enabled"
info "a change applied with kubectl apply: a triage bot takes new conversations and hands them to the bot"
kc apply -n "$NS" -f "$(for_sim hack/demo/routing-change.yaml)"
show_config 2
[[ $(kcq get switchboards routing -n "$NS" -o jsonpath='{.status.defaultIntegration}') == triage ]] ||
  fail "routing's default should be triage"
ok "the change is applied: triage is the default and hands over to the bot"

section "Done"
info "API calls the simulator served: $(curl -fsS "$SIM_URL/_sim/counts")"
