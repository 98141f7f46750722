# shellcheck shell=bash
# toolchain-cert-manager-v1.1.1.sh - the `cert-manager-v1.1.1` step of toolchain.sh (sourced by it;
# uses its helpers and variables: TC, WORK, LOGS, log, timed, timed_build, moddir, new_wrapper,
# cm062_check_help).
#
# cert-manager v1.1.1 is the newest release that runs on Kubernetes 1.15 (with its legacy CRDs,
# `cert-manager.io/v1` and `acme.cert-manager.io/v1` only). This step makes, in
# $TC/cert-manager-v1.1.1:
#   bin/cert-manager-{controller,webhook,cainjector,acmesolver}  the four images' programs, built
#        from the github.com/jetstack/cert-manager v1.1.1 module;
#   chart/cert-manager-v1.1.1.tgz  deploy/charts/cert-manager of the same module, packaged as the
#        release's Bazel build packages it (templates/crds.yaml and crds.legacy.yaml generated);
#   crds.legacy.yaml  the legacy CRD manifest (upstream's //deploy/crds:crds.legacy);
#   PROVENANCE  module version and zip hash, recipe digest, Helm version.
# plus helm (helm.sh/helm/v3, the version the Pulumi provider embeds) in $TC/helm-<version>/bin,
# which packages and renders the chart as upstream's //hack/bin:helm did.
# Optional like the v0.6.2 step: only `toolchain.sh --only cert-manager-v1.1.1` builds it;
# --print-env prints CMU_CERT_MANAGER_V111_DIR once everything is there.
#
# The recipe (go.mod change, local module, chart packaging) is in scripts/toolchain/cert-manager-v1.1.1/
# (README.md there says what differs from upstream and why); the points are marked DEVIATION.

CM111_VERSION="v1.1.1"
CM111_MODULE="github.com/jetstack/cert-manager"
CM111_ROOT="$TC/cert-manager-$CM111_VERSION"
CM111_DIR="$CM111_ROOT/bin"
CM111_RECIPE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/toolchain/cert-manager-$CM111_VERSION"
CM111_PKGS=(cmd/controller cmd/webhook cmd/cainjector cmd/acmesolver)
CM111_BINS=(cert-manager-controller cert-manager-webhook cert-manager-cainjector cert-manager-acmesolver)
# The arguments each is started with, as the v1.1.1 chart's Deployments have them with the default
# values (release cert-manager in namespace cert-manager), and for the acmesolver as the
# controller's HTTP-01 solver pods have them (pkg/issuer/acme/http/pod.go): checked to parse.
CM111_CHART_ARGS=(
  "--v=2 --cluster-resource-namespace=cert-manager --leader-election-namespace=kube-system"
  "--v=2 --secure-port=10250 --dynamic-serving-ca-secret-namespace=cert-manager --dynamic-serving-ca-secret-name=cert-manager-webhook-ca --dynamic-serving-dns-names=cert-manager-webhook,cert-manager-webhook.cert-manager,cert-manager-webhook.cert-manager.svc"
  "--v=2 --leader-election-namespace=kube-system"
  "--listen-port=8089 --domain=example.com --token=t --key=k")
# The Helm that packages and renders the chart: the one github.com/pulumi/pulumi-kubernetes 4.25.0
# (the project's provider) embeds, so that the chart renders here as the provider's Release renders it.
HELM_VERSION="v3.18.6"
HELM_DIR="$TC/helm-$HELM_VERSION/bin"

cm111_present() {
  local b; for b in "${CM111_BINS[@]}"; do [ -x "$CM111_DIR/$b" ] || return 1; done
  [ -f "$CM111_ROOT/chart/cert-manager-$CM111_VERSION.tgz" ] && [ -f "$CM111_ROOT/crds.legacy.yaml" ] && [ -x "$HELM_DIR/helm" ]
}

cm111_current() { [ "$(cat "$CM111_ROOT/.recipe-sha256" 2>/dev/null)" = "$(cm111_recipe_digest)" ]; }

# A digest of the recipe and of this file (pins, ldflags): a cached build made from another recipe
# is rebuilt.
cm111_recipe_digest() {
  { (cd "$CM111_RECIPE" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum <"${BASH_SOURCE[0]}"; echo "$CM111_VERSION $HELM_VERSION"; } | sha256sum | cut -d' ' -f1
}

cm111_fail() { # step logfile
  log "cert-manager $CM111_VERSION: $1 failed; log: $2"
  return 1
}

# A writable copy of the v1.1.1 module with the recipe's go.mod change and local module.
cm111_prepare() { # work dir, logfile
  local w="$1" lf="$2" src p
  echo "== preparing a copy of $CM111_MODULE@$CM111_VERSION in $w" >>"$lf"
  [ -d "$CM111_RECIPE/patches" ] || { echo "no recipe in $CM111_RECIPE" >>"$lf"; return 1; }
  new_wrapper "$w" cmu.local/cert-manager-download || return 1
  src="$(cd "$w" && moddir "$CM111_MODULE@$CM111_VERSION" 2>>"$lf")"
  [ -n "$src" ] && [ -d "$src/cmd/controller" ] \
    || { echo "cannot download $CM111_MODULE@$CM111_VERSION (the proxy serves it by exact version only)" >>"$lf"; return 1; }
  (cd "$w" && go mod download -json "$CM111_MODULE@$CM111_VERSION") >"$w/module.json" 2>>"$lf" || return 1
  # DEVIATION: built as the main module from a writable copy (its go.mod gets a replace directive,
  # which only the main module's go.mod may carry).
  cp -r "$src" "$w/cert-manager" && chmod -R u+w "$w/cert-manager" || return 1
  cp -r "$CM111_RECIPE/local" "$w/cert-manager/local" || return 1
  for p in "$CM111_RECIPE"/patches/*.patch; do
    [ -f "$p" ] || continue
    echo "== applying $(basename "$p")" >>"$lf"
    (cd "$w/cert-manager" && patch -p1 --forward --batch --no-backup-if-mismatch <"$p") >>"$lf" 2>&1 \
      || { echo "patch $(basename "$p") does not apply" >>"$lf"; return 1; }
  done
  cp "$w/cert-manager/go.mod" "$w/go.mod.patched"
}

build_helm() {
  if [ -x "$HELM_DIR/helm" ]; then log "helm $HELM_VERSION: cached in $HELM_DIR"; return 0; fi
  local w="$WORK/helm-$HELM_VERSION"
  new_wrapper "$w" cmu.local/helm-wrapper || return 1
  (cd "$w" && go get "helm.sh/helm/v3@$HELM_VERSION") >>"$LOGS/helm-$HELM_VERSION.log" 2>&1 \
    || { log "cannot get helm.sh/helm/v3@$HELM_VERSION; log: $LOGS/helm-$HELM_VERSION.log"; return 1; }
  # The version variable as helm's Makefile sets it (LDFLAGS += -X .../internal/version.version).
  timed_build helm "$HELM_VERSION" "$w" "$w/out/helm" helm.sh/helm/v3/cmd/helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" || return 1
  "$w/out/helm" version --short 2>&1 | grep -q "^$HELM_VERSION" \
    || { log "helm $HELM_VERSION: the built binary reports another version: $("$w/out/helm" version --short 2>&1)"; return 1; }
  mkdir -p "$HELM_DIR" && mv -f "$w/out/helm" "$HELM_DIR/helm"
}

build_cert_manager_v111() {
  local digest; digest="$(cm111_recipe_digest)" || return 1
  if cm111_present; then
    if [ "$(cat "$CM111_ROOT/.recipe-sha256" 2>/dev/null)" = "$digest" ]; then
      log "cert-manager $CM111_VERSION (${CM111_BINS[*]}, chart, legacy CRDs): cached in $CM111_ROOT"; return 0
    fi
    log "cert-manager $CM111_VERSION: the cached build was made from another recipe: rebuilding"
  fi
  build_helm || return 1
  local w="$WORK/cert-manager-$CM111_VERSION" lf="$LOGS/cert-manager-$CM111_VERSION.log" i b
  mkdir -p "$LOGS"; : >"$lf"
  timed "cert-manager $CM111_VERSION: preparing the module copy (go.mod, local module)" "$lf" \
    cm111_prepare "$w" "$lf" || { cm111_fail "preparing the module copy" "$lf"; return 1; }
  # Version variables as the release's Bazel build sets them (build/version.bzl version_x_defs:
  # AppVersion = STABLE_DOCKER_TAG = the release tag). AppVersion also names the default ACME
  # HTTP-01 solver image (quay.io/jetstack/cert-manager-acmesolver:<AppVersion>).
  # DEVIATION: AppGitCommit and AppGitState are left empty (the module zip has no git metadata).
  local ldx="-X $CM111_MODULE/pkg/util.AppVersion=$CM111_VERSION -X $CM111_MODULE/pkg/util.AppGitCommit= -X $CM111_MODULE/pkg/util.AppGitState="
  for i in "${!CM111_PKGS[@]}"; do
    b="${CM111_BINS[$i]}"
    timed_build "$b" "$CM111_VERSION" "$w/cert-manager" "$w/out/$b" "./${CM111_PKGS[$i]}" "$ldx" \
      || { cm111_fail "building $b" "$LOGS/$b-$CM111_VERSION.log"; return 1; }
    echo "== $b --help" >>"$lf"
    cm062_check_help "$w/out/$b" "${CM111_CHART_ARGS[$i]}" >>"$lf" 2>&1 \
      || { cm111_fail "starting $b with the chart's arguments and --help" "$lf"; return 1; }
  done
  # The recipe's go.mod change is meant to be complete: say so when the go command added to it.
  if ! diff "$w/go.mod.patched" "$w/cert-manager/go.mod" >>"$lf" 2>&1; then
    log "cert-manager $CM111_VERSION: warning: the go command changed go.mod (diff in $lf); update the recipe's go.mod patch"
  fi
  grep -q "(default \"quay.io/jetstack/cert-manager-acmesolver:$CM111_VERSION\")" "$lf" \
    || { echo "cert-manager-controller --help does not show version $CM111_VERSION (default ACME solver image)" >>"$lf"; cm111_fail "checking the controller's version" "$lf"; return 1; }
  # hack/filter-crd (upstream's legacy CRD generator), from the same module copy.
  timed_build filter-crd "$CM111_VERSION" "$w/cert-manager" "$w/out/filter-crd" ./hack/filter-crd "" \
    || { cm111_fail "building hack/filter-crd" "$LOGS/filter-crd-$CM111_VERSION.log"; return 1; }
  rm -rf "$w/chart-out"
  timed "cert-manager $CM111_VERSION: packaging the chart and generating the legacy CRDs" "$lf" \
    bash "$CM111_RECIPE/package-chart.sh" "$w/cert-manager" "$CM111_VERSION" "$w/out/filter-crd" "$HELM_DIR/helm" "$w/chart-out" \
    || { cm111_fail "packaging the chart" "$lf"; return 1; }
  rm -rf "$CM111_ROOT" && mkdir -p "$CM111_DIR" || return 1
  for b in "${CM111_BINS[@]}"; do mv -f "$w/out/$b" "$CM111_DIR/$b" || return 1; done
  mv "$w/chart-out/chart" "$CM111_ROOT/chart" && mv "$w/chart-out/crds.legacy.yaml" "$w/chart-out/crds.regular.yaml" "$w/chart-out/cert-manager-legacy.crds.yaml" "$CM111_ROOT/" || return 1
  {
    echo "module: $CM111_MODULE@$CM111_VERSION"
    sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/zip hash (go.sum h1, the module cache .ziphash): \1/p' "$w/module.json"
    echo "built: $(date -u +%FT%TZ) with $(go env GOVERSION), recipe sha256 $digest"
    echo "helm: $HELM_VERSION (helm.sh/helm/v3, built from the module)"
    echo "chart: deploy/charts/cert-manager, packaged as scripts/toolchain/cert-manager-$CM111_VERSION/package-chart.sh does"
    echo "what differs from upstream and why: scripts/toolchain/cert-manager-$CM111_VERSION/README.md"
  } >"$CM111_ROOT/PROVENANCE"
  echo "$digest" >"$CM111_ROOT/.recipe-sha256"
  log "cert-manager $CM111_VERSION: ${CM111_BINS[*]}, chart and legacy CRDs installed in $CM111_ROOT"
}
