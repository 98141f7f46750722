# shellcheck shell=bash
# toolchain-cert-manager.sh - the `cert-manager` step of toolchain.sh (sourced by it; uses its helpers
# and variables: TC, WORK, LOGS, log, timed, timed_build, moddir, new_wrapper).
#
# Builds the controller and the webhook of cert-manager v0.6.2 (the release of chart v0.6.6, the
# upgrade's target) into $TC/cert-manager-v0.6.2/bin as cert-manager-controller and
# cert-manager-webhook, so that a local cluster can run the real thing. Not part of the default
# build and not required by --print-env: only `toolchain.sh --only cert-manager` builds it, and
# --print-env prints CMU_CERT_MANAGER_BIN once it is there.
#
# Upstream built 0.6.2 with Bazel from a dep-managed vendor/ (Gopkg.lock: Kubernetes 1.10.12
# libraries). Here only the Go module proxy is available, which does not serve those commits, so
# the build is a copy of the v0.6.2 module with the go.mod and patches kept in
# scripts/toolchain/cert-manager-v0.6.2/ (each file there says what it changes and why). The points
# where this recipe differs from upstream are marked DEVIATION.

CM062_VERSION="v0.6.2"
CM062_MODULE="github.com/jetstack/cert-manager"
CM062_DIR="$TC/cert-manager-$CM062_VERSION/bin"
CM062_RECIPE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/toolchain/cert-manager-$CM062_VERSION"
# package (in the module) -> installed binary name, as the release's images call them
CM062_PKGS=(cmd/controller cmd/webhook)
CM062_BINS=(cert-manager-controller cert-manager-webhook)
# The arguments the v0.6.6 chart starts each with (its Deployments' args, values as a release in
# namespace cert-manager has them): checked to parse, together with --help (which stops there).
CM062_CHART_ARGS=("--cluster-resource-namespace=cert-manager --leader-election-namespace=cert-manager"
  "--v=12 --secure-port=6443 --tls-cert-file=/certs/tls.crt --tls-private-key-file=/certs/tls.key --disable-admission-plugins=NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,Initializers")

cm062_present() { local b; for b in "${CM062_BINS[@]}"; do [ -x "$CM062_DIR/$b" ] || return 1; done; }

# A digest of the recipe (go.mod, patches, local modules): a cached build made from another recipe
# is rebuilt.
cm062_recipe_digest() {
  (cd "$CM062_RECIPE" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$CM062_VERSION") \
    | sha256sum | cut -d' ' -f1
}

cm062_fail() { # step logfile
  log "cert-manager $CM062_VERSION: $1 failed; log: $2"
  return 1
}

# A writable copy of the v0.6.2 module with the project's go.mod, local modules and patches.
cm062_prepare() { # work dir, logfile
  local w="$1" lf="$2" src p
  echo "== preparing a copy of $CM062_MODULE@$CM062_VERSION in $w" >>"$lf"
  [ -f "$CM062_RECIPE/go.mod" ] || { echo "no recipe in $CM062_RECIPE" >>"$lf"; return 1; }
  # an empty module only to run `go mod download` from
  new_wrapper "$w" cmu.local/cert-manager-download || return 1
  src="$(cd "$w" && moddir "$CM062_MODULE@$CM062_VERSION" 2>>"$lf")"
  [ -n "$src" ] && [ -d "$src/cmd/controller" ] \
    || { echo "cannot download $CM062_MODULE@$CM062_VERSION (the proxy serves it by exact version only)" >>"$lf"; return 1; }
  # DEVIATION: the module is built as the main module from a writable copy (not required from the
  # read-only module cache), because its go.mod and two source files are replaced (below).
  cp -r "$src" "$w/cert-manager" && chmod -R u+w "$w/cert-manager" || return 1
  # vendor/ holds only a BUILD.bazel in the module zip (dep's vendor tree was not published);
  # removed so that no go command mode takes it for the dependencies.
  rm -rf "$w/cert-manager/vendor"
  # DEVIATION: go.mod (the module has none; see the comments in it) and the local modules it
  # replaces glog and k8s.io/ingress with.
  cp "$CM062_RECIPE/go.mod" "$w/cert-manager/go.mod" || return 1
  cp -r "$CM062_RECIPE/local" "$w/cert-manager/local" || return 1
  # DEVIATION: source patches for the Kubernetes 1.14 libraries (each patch says why), in order.
  for p in "$CM062_RECIPE"/patches/*.patch; do
    [ -f "$p" ] || continue
    echo "== applying $(basename "$p")" >>"$lf"
    (cd "$w/cert-manager" && patch -p1 --forward --batch --no-backup-if-mismatch <"$p") >>"$lf" 2>&1 \
      || { echo "patch $(basename "$p") does not apply" >>"$lf"; return 1; }
  done
  echo "== go.mod" >>"$lf"; cat "$w/cert-manager/go.mod" >>"$lf"
}

# The binary starts, accepts the chart's arguments and prints its usage (a build with both glog and
# klog panics here with "flag redefined: log_dir"; a flag the chart passes but the binary lacks is
# "unknown flag"). Prints the usage text to stdout.
cm062_check_help() { # binary, chart arguments (one string, split on spaces)
  local out rc args
  read -r -a args <<<"$2"
  out="$("$1" "${args[@]}" --help 2>&1)"; rc=$?
  printf '%s %s --help\n%s\n' "$(basename "$1")" "$2" "$out"
  [ $rc -eq 0 ] || { echo "$(basename "$1") --help exited $rc" >&2; return 1; }
  case "$out" in *panic*|*"flag redefined"*|*"unknown flag"*) echo "$(basename "$1") --help failed" >&2; return 1 ;; esac
  return 0
}

build_cert_manager() {
  local digest; digest="$(cm062_recipe_digest)" || return 1
  if cm062_present; then
    if [ "$(cat "$CM062_DIR/.recipe-sha256" 2>/dev/null)" = "$digest" ]; then
      log "cert-manager $CM062_VERSION (${CM062_BINS[*]}): cached in $CM062_DIR"; return 0
    fi
    log "cert-manager $CM062_VERSION: the cached binaries were built from another recipe: rebuilding"
  fi
  local w="$WORK/cert-manager-$CM062_VERSION" lf="$LOGS/cert-manager-$CM062_VERSION.log" i b
  mkdir -p "$LOGS"; : >"$lf"
  timed "cert-manager $CM062_VERSION: preparing the module copy (go.mod, local modules, patches)" "$lf" \
    cm062_prepare "$w" "$lf" || { cm062_fail "preparing the module copy" "$lf"; return 1; }
  # Version variables, as the release's Bazel build set them (pkg/util/BUILD.bazel x_defs;
  # APP_VERSION = the release tag). AppVersion also names the default ACME HTTP-01 solver image
  # (quay.io/jetstack/cert-manager-acmesolver:<AppVersion>). DEVIATION: AppGitCommit is left empty
  # (the module zip has no git metadata).
  local lf_x="-X $CM062_MODULE/pkg/util.AppVersion=$CM062_VERSION -X $CM062_MODULE/pkg/util.AppGitCommit= -X $CM062_MODULE/pkg/util.AppGitState="
  for i in "${!CM062_PKGS[@]}"; do
    b="${CM062_BINS[$i]}"
    timed_build "$b" "$CM062_VERSION" "$w/cert-manager" "$w/out/$b" "./${CM062_PKGS[$i]}" "$lf_x" \
      || { cm062_fail "building $b" "$LOGS/$b-$CM062_VERSION.log"; return 1; }
    echo "== $b --help" >>"$lf"
    cm062_check_help "$w/out/$b" "${CM062_CHART_ARGS[$i]}" >>"$lf" 2>&1 \
      || { cm062_fail "starting $b with the chart's arguments and --help" "$lf"; return 1; }
  done
  # The recipe's go.mod is meant to be complete: say so when the go command had to add to it.
  if ! diff "$CM062_RECIPE/go.mod" "$w/cert-manager/go.mod" >>"$lf" 2>&1; then
    log "cert-manager $CM062_VERSION: warning: the go command changed go.mod (diff in $lf); update $CM062_RECIPE/go.mod"
  fi
  # AppVersion shows in --help as the default solver image's tag
  grep -q "(default \"quay.io/jetstack/cert-manager-acmesolver:$CM062_VERSION\")" "$lf" \
    || { echo "cert-manager-controller --help does not show version $CM062_VERSION (default ACME solver image)" >>"$lf"; cm062_fail "checking the controller's version" "$lf"; return 1; }
  mkdir -p "$CM062_DIR" || return 1
  for b in "${CM062_BINS[@]}"; do mv -f "$w/out/$b" "$CM062_DIR/$b" || return 1; done
  echo "$digest" >"$CM062_DIR/.recipe-sha256"
  log "cert-manager $CM062_VERSION: ${CM062_BINS[*]} installed in $CM062_DIR"
}
