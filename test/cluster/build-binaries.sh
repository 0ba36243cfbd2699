#!/usr/bin/env bash
# Builds the pinned control-plane binaries from the Go module proxy into a cache outside
# the repo (VIGIL_CACHE, default ~/.cache/vigil), keyed by version. Rebuilds only what is
# missing. No Docker: kube-* and kubectl come from the k8s.io/kubernetes module through a
# wrapper go.mod that replaces every staging module with its published v0.X.Y.
set -euo pipefail

# shellcheck source=versions.env
. "$(dirname "$0")/versions.env"
CACHE="${VIGIL_CACHE:-$HOME/.cache/vigil}"
BIN="$CACHE/bin"
WORK="$CACHE/build"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN=local
mkdir -p "$BIN" "$WORK"

say() { echo "build-binaries: $*" >&2; }

kube_targets=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

build_kube() {
  local missing=()
  for t in "${kube_targets[@]}"; do [ -x "$BIN/$t-$KUBE_VERSION" ] || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local dir="$WORK/kubernetes-$KUBE_VERSION"
  mkdir -p "$dir"
  say "kubernetes $KUBE_VERSION: building ${missing[*]} (cold: ~15-25 min on 2 cores)"
  (cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null)
  local src; src="$(go env GOMODCACHE)/k8s.io/kubernetes@$KUBE_VERSION"
  local staging_version="v0.${KUBE_VERSION#v1.}"
  local minor; minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  {
    echo "module vigil.dev/kube-build"
    echo
    echo "go $(awk '/^go /{print $2; exit}' "$src/go.mod")"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # The staging modules are the ones kubernetes' own go.mod replaces with ./staging paths
    # (module zips leave nested modules out, so the folder itself is not there to list).
    for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$src/go.mod"); do
      echo "	$m => $m $staging_version"
    done
    echo ")"
  } > "$dir/go.mod"
  cat > "$dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$dir" && go mod tidy -e >/dev/null 2>&1 || true; cd "$dir" && go mod download)
  local pkg="k8s.io/component-base/version"
  local cpkg="k8s.io/client-go/pkg/version"
  local ld="-s -w"
  for p in "$pkg" "$cpkg"; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld="$ld -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z -X $p.gitCommit=module-proxy"
  done
  for t in "${missing[@]}"; do
    say "go build $t"
    (cd "$dir" && go build -trimpath -ldflags "$ld" -o "$BIN/$t-$KUBE_VERSION.tmp" "k8s.io/kubernetes/cmd/$t")
    mv "$BIN/$t-$KUBE_VERSION.tmp" "$BIN/$t-$KUBE_VERSION"
  done
}

build_etcd() {
  [ -x "$BIN/etcd-$ETCD_VERSION" ] && return 0
  local dir="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  say "etcd $ETCD_VERSION: building"
  cat > "$dir/go.mod" <<GOMOD
module vigil.dev/etcd-build

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat > "$dir/main.go" <<'GO'
// The etcd server binary: the same entry point as etcd's own main package.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$dir" && go mod tidy >/dev/null && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd-$ETCD_VERSION.tmp" .)
  mv "$BIN/etcd-$ETCD_VERSION.tmp" "$BIN/etcd-$ETCD_VERSION"
}

build_helm() {
  [ -x "$BIN/helm-$HELM_VERSION" ] && return 0
  say "helm $HELM_VERSION: building"
  local dir="$WORK/helm-$HELM_VERSION"
  mkdir -p "$dir"
  local ver="helm.sh/helm/v4/internal/version"
  (cd "$dir" && GOBIN="$dir" go install -trimpath \
    -ldflags "-s -w -X $ver.version=$HELM_VERSION -X $ver.gitTreeState=clean" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION")
  mv "$dir/helm" "$BIN/helm-$HELM_VERSION"
}

case "${1:-all}" in
  etcd) build_etcd ;;
  helm) build_helm ;;
  kube) build_kube ;;
  all) build_etcd; build_helm; build_kube ;;
  *) echo "usage: $0 [all|etcd|helm|kube]" >&2; exit 2 ;;
esac
# Stable names point at the pinned versions, so tools and users find them without versions.
for t in etcd:$ETCD_VERSION helm:$HELM_VERSION kube-apiserver:$KUBE_VERSION kube-controller-manager:$KUBE_VERSION kube-scheduler:$KUBE_VERSION kubectl:$KUBE_VERSION; do
  n="${t%%:*}"; v="${t#*:}"
  [ -x "$BIN/$n-$v" ] && ln -sfn "$n-$v" "$BIN/$n"
done
exit 0
