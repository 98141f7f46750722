# shellcheck shell=bash
# toolchain-kubernetes-1.15.sh - the `kubernetes-1.15` step of toolchain.sh (sourced by it; uses its
# helpers and variables: TC, WORK, LOGS, GOVER, log, timed, timed_build, moddir, modfile, new_wrapper).
#
# Builds kube-apiserver and kube-controller-manager v1.15.12, the Kubernetes that the clusters still
# running cert-manager 0.4 run (apps/v1beta1, extensions/v1beta1, apiextensions.k8s.io/v1beta1, ...),
# into $TC/kubernetes-v1.15.12/bin. kubectl is not built: k8s.io/kubectl is not published at v0.15.12,
# and the 1.34 kubectl talks to a 1.15 API server well enough.
#
# Upstream builds 1.15 with `make` inside a GOPATH checkout (vendor/, staging/ symlinked into it,
# generated code produced by build/root/Makefile.generated_files, version from git by
# hack/lib/version.sh). Here only the Go module proxy is available, so the recipe differs from
# upstream in the points marked "DEVIATION" below, each with its reason.

KUBE115_VERSION="v1.15.12"
KUBE115_STAGING_VERSION="v0.15.12"   # k8s.io/<staging module> releases matching v1.15.12
KUBE115_DIR="$TC/kubernetes-$KUBE115_VERSION/bin"
KUBE115_BINS=(kube-apiserver kube-controller-manager)

# The staging modules whose packages feed the OpenAPI definitions of kube-apiserver, besides
# k8s.io/kubernetes itself (see k115_openapi_dirs).
KUBE115_OPENAPI_MODULES=(k8s.io/api k8s.io/apimachinery k8s.io/apiserver k8s.io/apiextensions-apiserver
  k8s.io/kube-aggregator k8s.io/metrics)

# Patches to dependencies, one folder per module (scripts/toolchain/kubernetes-v1.15.12/patches/<module
# path with / as ->-<name>.patch): each file says what it changes and why.
KUBE115_RECIPE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/toolchain/kubernetes-$KUBE115_VERSION"
# module@version -> its patches' file name prefix, in the recipe's patches/ folder
KUBE115_PATCHED_MODULES=("github.com/go-openapi/validate@v0.18.0:go-openapi-validate")

k115_present() { local b; for b in "${KUBE115_BINS[@]}"; do [ -x "$KUBE115_DIR/$b" ] || return 1; done; }

# Built from the recipe as it is now (--print-env takes binaries built before a patch for missing).
k115_current() { [ "$(cat "$KUBE115_DIR/.recipe-sha256" 2>/dev/null)" = "$(k115_recipe_digest)" ]; }

# A digest of the recipe's patches: binaries built before a patch was added are rebuilt.
k115_recipe_digest() {
  (cd "$KUBE115_RECIPE" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$KUBE115_VERSION") \
    | sha256sum | cut -d' ' -f1
}

k115_fail() { # step logfile
  log "kubernetes ${KUBE115_VERSION#v}: $1 failed; log: $2"
  return 1
}

# The wrapper module: requires k8s.io/kubernetes v1.15.12, used through a writable copy.
k115_prepare() { # wrapper dir, logfile
  local w="$1" lf="$2" src gomod
  echo "== preparing the wrapper module in $w" >>"$lf"
  new_wrapper "$w" cmu.local/kubernetes-1.15-wrapper || return 1
  src="$(cd "$w" && moddir "k8s.io/kubernetes@$KUBE115_VERSION" 2>>"$lf")"
  gomod="$(cd "$w" && modfile "k8s.io/kubernetes@$KUBE115_VERSION" 2>>"$lf")"
  { [ -n "$src" ] && [ -d "$src" ] && [ -f "$gomod" ]; } \
    || { echo "cannot download k8s.io/kubernetes@$KUBE115_VERSION (the proxy serves it by exact version only)" >>"$lf"; return 1; }
  # DEVIATION: a writable copy of the module instead of the read-only module cache, because
  # pkg/generated/openapi/zz_generated.openapi.go must be added to it (below); upstream generates it
  # in its git checkout and never commits it (up to 1.23).
  cp -r "$src" "$w/kubernetes" && chmod -R u+w "$w/kubernetes" || return 1
  # DEVIATION: vbom.ml/util (required by k8s.io/kubernetes' go.mod, imported only by kubectl code that
  # is not built here) is not served by the module proxy; the go command still needs its go.mod
  # (1.15's module graph is unpruned), so an empty local module stands in for it.
  mkdir -p "$w/vbom-util" && printf 'module vbom.ml/util\n' >"$w/vbom-util/go.mod" || return 1
  {
    echo
    echo "require k8s.io/kubernetes $KUBE115_VERSION"
    echo
    echo "replace k8s.io/kubernetes => ./kubernetes"
    echo "replace vbom.ml/util => ./vbom-util"
    # DEVIATION: reflect2 v1.0.1 (1.15's pin, used by json-iterator) reaches into runtime map
    # internals that changed in Go 1.18 and is known to crash there; v1.0.2 is the fixed release,
    # same API.
    echo "replace github.com/modern-go/reflect2 => github.com/modern-go/reflect2 v1.0.2"
    # k8s.io/kubernetes' own replace block, which only applies in its own repository: copied so that
    # every dependency is at the version 1.15.12 was released with. DEVIATION: each
    # `k8s.io/X => ./staging/src/k8s.io/X` (the staging tree is not in the module zip) becomes the
    # published k8s.io/X v0.15.12, cut from that same tree. (k8s.io/kubectl, node-api,
    # sample-controller and sample-cli-plugin are not published at v0.15.12, but nothing built
    # here requires them.)
    awk -v v="$KUBE115_STAGING_VERSION" '
      /^replace[ \t]*\(/ {inblk=1; next}
      inblk && /^\)/ {inblk=0; next}
      { line=$0; if (!inblk) { if (line !~ /^replace[ \t]/) next; sub(/^replace[ \t]+/, "", line) } }
      { n=split(line, f, /[ \t]+/); i=1; while (i<=n && f[i]=="") i++
        mod=f[i]; arrow=f[i+1]; dst=f[i+2]
        if (arrow != "=>") next
        if (mod == "vbom.ml/util" || mod == "github.com/modern-go/reflect2" || mod == "github.com/go-openapi/validate") next   # see above and below
        if (dst ~ /^\.\/staging\//) { print "replace " mod " => " mod " " v; next }
        if (dst ~ /^\./) next
        print "replace " mod " => " dst " " f[i+3] }' "$gomod"
  } >>"$w/go.mod" || return 1
  # DEVIATION: dependencies patched for today's Go (scripts/toolchain/kubernetes-v1.15.12/patches/,
  # each patch says why), used from a local copy.
  local entry mv prefix dir p
  for entry in "${KUBE115_PATCHED_MODULES[@]}"; do
    mv="${entry%%:*}" prefix="${entry##*:}" dir="$w/patched/$prefix"
    src="$(cd "$w" && moddir "$mv" 2>>"$lf")" && [ -d "$src" ] || { echo "cannot download $mv" >>"$lf"; return 1; }
    mkdir -p "$w/patched" && cp -r "$src" "$dir" && chmod -R u+w "$dir" || return 1
    for p in "$KUBE115_RECIPE/patches/$prefix"-*.patch; do
      echo "== applying $(basename "$p") to $mv" >>"$lf"
      (cd "$dir" && patch -p1 --forward --batch --no-backup-if-mismatch <"$p") >>"$lf" 2>&1 \
        || { echo "patch $(basename "$p") does not apply to $mv" >>"$lf"; return 1; }
    done
    echo "replace ${mv%@*} => ./patched/$prefix" >>"$w/go.mod" || return 1
  done
  grep -q "^replace k8s.io/api => k8s.io/api $KUBE115_STAGING_VERSION\$" "$w/go.mod" \
    || { echo "the replace block of k8s.io/kubernetes' go.mod was not understood (no k8s.io/api mapping)" >>"$lf"; return 1; }
  cat "$w/go.mod" >>"$lf"
}

# Directories of the packages holding a `+k8s:openapi-gen=` tag, as upstream's
# Makefile.generated_files finds them (files with a `// +k8s:` comment tag in column 0 that mention
# openapi-gen), printed as import paths.
k115_openapi_dirs() { # wrapper dir
  local w="$1" m dir
  for m in k8s.io/kubernetes "${KUBE115_OPENAPI_MODULES[@]}"; do
    if [ "$m" = k8s.io/kubernetes ]; then dir="$w/kubernetes"
    else dir="$(cd "$w" && go list -m -f '{{.Dir}}' "$m")" && [ -d "$dir" ] || { echo "module $m has no directory" >&2; return 1; }; fi
    (cd "$dir" && find . \( -path ./vendor -o -path './_*' -o -path './.*' -o -path ./docs -o -path ./staging \) -prune \
        -o -type f -name '*.go' -print0 \
      | xargs -0 grep -l '^// *+k8s:' 2>/dev/null | xargs -r grep -l '+k8s:openapi-gen=' \
      | xargs -r -n1 dirname | sed "s|^\.|$m|" )
  done | LC_ALL=C sort -u
}

k115_generate_openapi() { # wrapper dir, logfile
  local w="$1" lf="$2" dirs out="$w/openapi-out"
  echo "== generating OpenAPI definitions" >>"$lf"
  # k8s.io/kube-openapi and k8s.io/gengo come from the copied replace block, i.e. the versions 1.15
  # pins (kube-openapi v0.0.0-20190228160746-b3a7cee44a30, gengo v0.0.0-20190116091435-f8a0810f38af).
  (cd "$w" && go build -o "$w/bin/openapi-gen" k8s.io/kube-openapi/cmd/openapi-gen) >>"$lf" 2>&1 || return 1
  (cd "$w" && go mod download -json "${KUBE115_OPENAPI_MODULES[@]}") >>"$lf" 2>&1 || return 1
  dirs="$(k115_openapi_dirs "$w" 2>>"$lf")" && [ -n "$dirs" ] || return 1
  # DEVIATION: upstream scans every staging module; of the tagged packages found there, this leaves
  # out the component configurations (k8s.io/kube-controller-manager, kube-proxy and kubelet
  # config/...: in upstream's API rule list, never served by kube-apiserver; their modules are not
  # needed otherwise). Leaving out a package kube-apiserver serves would fail at its start ("unable
  # to get openapi models: cannot find model definition for ...").
  # k8s.io/apimachinery/pkg/api/resource (Quantity) has its OpenAPI functions written by hand, not
  # tagged, but the definitions refer to it.
  dirs="$(printf '%s\nk8s.io/apimachinery/pkg/api/resource\n' "$dirs" | LC_ALL=C sort -u)"
  printf 'openapi-gen input packages (%s):\n%s\n' "$(echo "$dirs" | wc -l)" "$dirs" >>"$lf"
  rm -rf "$out" "$w/openapi-violations.differ"; mkdir -p "$out"
  # As upstream's Makefile, except: module mode (run inside the wrapper, where go/build resolves the
  # import paths through `go list`) instead of hack/run-in-gopath.sh; output into a scratch
  # --output-base, then copied into the module copy. GODEBUG=gotypesalias=0: gengo (2019) predates
  # go/types.Alias and warns "Making unsupported type entry" for every alias (meta/v1beta1.Table, any,
  # ...); with the pre-1.23 behaviour it sees them as Go 1.12 did (the output was the same either
  # way when tried; the setting only keeps the log readable and the generator on its own terms).
  (cd "$w" && GODEBUG=gotypesalias=0 "$w/bin/openapi-gen" --logtostderr \
      --input-dirs "$(echo "$dirs" | paste -sd, -)" \
      --output-package k8s.io/kubernetes/pkg/generated/openapi \
      --output-file-base zz_generated.openapi \
      --output-base "$out" \
      --go-header-file "$w/kubernetes/hack/boilerplate/boilerplate.generatego.txt" \
      --report-filename "$w/openapi-violations.report") >>"$lf" 2>&1 || return 1
  local gen="$out/k8s.io/kubernetes/pkg/generated/openapi/zz_generated.openapi.go"
  [ -s "$gen" ] || { echo "openapi-gen wrote no $gen" >>"$lf"; return 1; }
  grep -q '^func GetOpenAPIDefinitions' "$gen" || { echo "$gen has no GetOpenAPIDefinitions" >>"$lf"; return 1; }
  cp "$gen" "$w/kubernetes/pkg/generated/openapi/zz_generated.openapi.go" || return 1
  # Upstream fails its build when the API rule violations differ from its known list (a check for API
  # reviewers, not for the binary). Here the report is compared with that list restricted to the
  # packages given to openapi-gen (the list also covers the component configs left out above): equal
  # means openapi-gen saw these packages' types as upstream's did. A difference is logged and warned
  # about, not fatal.
  printf '%s\n' "$dirs" >"$w/openapi-input-dirs.txt"
  awk -F, 'NR==FNR {want[$0]=1; next} ($2 in want)' "$w/openapi-input-dirs.txt" \
      "$w/kubernetes/api/api-rules/violation_exceptions.list" >"$w/openapi-violations.expected"
  if diff "$w/openapi-violations.expected" "$w/openapi-violations.report" >>"$lf" 2>&1; then
    echo "API rule violations: $(wc -l <"$w/openapi-violations.report") lines, identical to upstream's known list for these packages" >>"$lf"
  else
    echo "API rule violations: differ from upstream's known list for these packages (diff above)" >>"$lf"
    touch "$w/openapi-violations.differ"
  fi
}

build_kubernetes_115() {
  local digest; digest="$(k115_recipe_digest)" || return 1
  if k115_present; then
    if [ "$(cat "$KUBE115_DIR/.recipe-sha256" 2>/dev/null)" = "$digest" ]; then
      log "kubernetes $KUBE115_VERSION (${KUBE115_BINS[*]}): cached in $KUBE115_DIR"; return 0
    fi
    log "kubernetes $KUBE115_VERSION: the cached binaries were built from another recipe (before a patch in $KUBE115_RECIPE): rebuilding"
  fi
  local w="$WORK/kubernetes-$KUBE115_VERSION" lf="$LOGS/kubernetes-$KUBE115_VERSION.log" b
  mkdir -p "$LOGS"; : >"$lf"
  timed "kubernetes ${KUBE115_VERSION#v}: preparing the wrapper module" "$lf" k115_prepare "$w" "$lf" \
    || { k115_fail "preparing the wrapper module (k8s.io/kubernetes $KUBE115_VERSION, staging modules $KUBE115_STAGING_VERSION)" "$lf"; return 1; }
  timed "kubernetes ${KUBE115_VERSION#v}: generating OpenAPI definitions" "$lf" k115_generate_openapi "$w" "$lf" \
    || { k115_fail "generating OpenAPI definitions (openapi-gen)" "$lf"; return 1; }
  [ ! -e "$w/openapi-violations.differ" ] \
    || log "kubernetes ${KUBE115_VERSION#v}: warning: openapi-gen's API rule report differs from upstream's known list (see $lf)"
  # Version variables, as hack/lib/version.sh sets them. In 1.15 /version (and --version) read
  # k8s.io/kubernetes/pkg/version; client-go's copy is what its clients send as User-Agent.
  # (k8s.io/component-base/version only exists from 1.16 on.) DEVIATION: gitCommit is left empty
  # (the module zip has no git metadata; upstream's fallback is the unexpanded "$Format:%H$").
  local date lf_x="" v; date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for v in k8s.io/kubernetes/pkg/version k8s.io/client-go/pkg/version; do
    lf_x+=" -X $v.gitVersion=$KUBE115_VERSION -X $v.gitMajor=1 -X $v.gitMinor=15 -X $v.gitTreeState=clean"
    lf_x+=" -X $v.buildDate=$date -X $v.gitCommit="
  done
  for b in "${KUBE115_BINS[@]}"; do
    timed_build "$b" "$KUBE115_VERSION" "$w" "$w/out/$b" "k8s.io/kubernetes/cmd/$b" "$lf_x" \
      || { k115_fail "building $b" "$LOGS/$b-$KUBE115_VERSION.log"; return 1; }
    local got; got="$("$w/out/$b" --version 2>&1 | head -n1)"
    [ "$got" = "Kubernetes $KUBE115_VERSION" ] \
      || { echo "$b --version printed '$got', expected 'Kubernetes $KUBE115_VERSION'" >>"$lf"; k115_fail "checking the version of $b" "$lf"; return 1; }
  done
  mkdir -p "$KUBE115_DIR" || return 1
  for b in "${KUBE115_BINS[@]}"; do mv -f "$w/out/$b" "$KUBE115_DIR/$b" || return 1; done
  echo "$digest" >"$KUBE115_DIR/.recipe-sha256"
  log "kubernetes $KUBE115_VERSION: ${KUBE115_BINS[*]} installed in $KUBE115_DIR"
}
