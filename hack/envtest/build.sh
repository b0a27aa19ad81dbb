#!/usr/bin/env bash
# Builds the envtest binaries (kube-apiserver, kubectl, etcd) from source, using
# nothing but the Go module proxy, into a folder laid out like setup-envtest's:
#   ${KUBEBUILDER_ASSETS:-bin/k8s/<k8s version>-<os>-<arch>}/{kube-apiserver,kubectl,etcd}
# Binaries already present at the right version are not rebuilt.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.37.2}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
goos=$(go env GOOS)
goarch=$(go env GOARCH)
dest=${KUBEBUILDER_ASSETS:-$root/bin/k8s/$K8S_VERSION-$goos-$goarch}
mkdir -p "$dest"

log() { printf '[envtest] %s\n' "$*" >&2; }

# The module proxy configured for this machine (go env GOPROXY) is the only source.
export GOFLAGS=-mod=mod
export CGO_ENABLED=0

major=${K8S_VERSION%%.*}
minor=${K8S_VERSION#*.}; minor=${minor%%.*}
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

# has_version BINARY WANT: true when BINARY exists and reports WANT.
has_version() {
  local bin=$1 want=$2 got
  [ -x "$dest/$bin" ] || return 1
  case $bin in
    kube-apiserver) got=$("$dest/$bin" --version 2>/dev/null || true) ;;
    kubectl) got=$("$dest/$bin" version --client 2>/dev/null | head -n1 || true) ;;
    etcd) got=$("$dest/$bin" --version 2>/dev/null | head -n1 || true) ;;
  esac
  [[ $got == *"$want"* ]]
}

build() {
  local bin=$1 module_dir=$2 pkg=$3 want=$4 ldflags=$5
  if has_version "$bin" "$want"; then
    log "$bin $want already in $dest"
    return
  fi
  log "building $bin $want from the Go module proxy (slow the first time: minutes on 2 cores; seconds once the Go build cache is warm)"
  local start=$SECONDS
  (cd "$here/$module_dir" && go build -trimpath -ldflags "$ldflags" -o "$dest/$bin.tmp" "$pkg") &
  local pid=$!
  # Stop the build with this script (Ctrl-C), not after it.
  trap 'kill "$pid" 2>/dev/null; exit 130' INT TERM
  local next_note=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next_note" ] && kill -0 "$pid" 2>/dev/null; then
      log "  still building $bin ($((SECONDS - start))s)"
      next_note=$((SECONDS + 30))
    fi
  done
  wait "$pid"
  trap - INT TERM
  mv "$dest/$bin.tmp" "$dest/$bin"
  has_version "$bin" "$want" || { log "$bin does not report version $want"; exit 1; }
  log "built $bin in $((SECONDS - start))s"
}

build etcd etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "-s -w"
build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver "v$K8S_VERSION" "$kube_ldflags"
build kubectl kube k8s.io/kubernetes/cmd/kubectl "v$K8S_VERSION" "$kube_ldflags"
log "envtest binaries ready in $dest"
echo "$dest"
