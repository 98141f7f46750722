#!/usr/bin/env bash
# toolchain.sh - build (or find) the local toolchain for the cert-manager upgrade project.
#
# Builds from the Go module proxy (no binary downloads) and installs into a cache
# outside the repo, keyed by version:
#   ${CMU_CACHE:-$HOME/.cache/cert-manager-upgrade}/toolchain/<name>-<version>/bin/...
# and prints shell `export` lines (last lines of stdout) that put them on PATH.
#
# Exit codes: 0 ok, 1 failed, 2 usage.
set -uo pipefail

# ---------------------------------------------------------------- pins
PULUMI_VERSION="${CMU_PULUMI_VERSION:-v3.260.0}"            # pkg/v3 + sdk/v3 (CLI)
NODEJS_HOST_SDK_VERSION="${CMU_NODEJS_HOST_SDK_VERSION:-v3.68.0}" # sdk/v3 still holding nodejs/cmd/pulumi-language-nodejs
PULUMI_NPM_VERSION="${CMU_PULUMI_NPM_VERSION:-${PULUMI_VERSION#v}}" # used by the language-host self test only
K8S_PROVIDER_VERSION="4.25.0"
K8S_PROVIDER_MODVERSION="v4.0.0-20260115033456-f47bc2d6f199"  # pseudo-version of the v4.25.0 commit
KUBE_VERSION="${CMU_KUBE_VERSION:-v1.34.4}"
ETCD_VERSION="${CMU_ETCD_VERSION:-v3.6.16}"                 # only built when no usable etcd is on PATH
ETCD_MIN_VERSION="${CMU_ETCD_MIN_VERSION:-3.4.0}"           # etcd found on PATH at >= this is used

CACHE="${CMU_CACHE:-$HOME/.cache/cert-manager-upgrade}"
TC="$CACHE/toolchain"
WORK="$TC/.work"          # wrapper modules and scratch (never in the repo)
LOGS="$TC/logs"
TIMES="$TC/build-times.tsv"
PULUMI_HOME_DIR="$CACHE/pulumi-home"

# the kubernetes-1.15 step (its pins, recipe and deviations from upstream) lives in its own file
# shellcheck source=toolchain-kubernetes-1.15.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain-kubernetes-1.15.sh" \
  || { echo "[toolchain] cannot read $(dirname "${BASH_SOURCE[0]}")/toolchain-kubernetes-1.15.sh" >&2; exit 1; }
# the optional steps cert-manager (v0.6.2 controller and webhook, built from the module with the
# go.mod and patches in scripts/toolchain/cert-manager-v0.6.2/) and pebble (a test ACME server):
# built only when named in --only, never required by --print-env
# shellcheck source=toolchain-cert-manager.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain-cert-manager.sh" \
  || { echo "[toolchain] cannot read $(dirname "${BASH_SOURCE[0]}")/toolchain-cert-manager.sh" >&2; exit 1; }
# cert-manager-v1.1.1 (controller, webhook, cainjector, acmesolver, its chart and legacy CRDs; helm):
# optional too
# shellcheck source=toolchain-cert-manager-v1.1.1.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain-cert-manager-v1.1.1.sh" \
  || { echo "[toolchain] cannot read $(dirname "${BASH_SOURCE[0]}")/toolchain-cert-manager-v1.1.1.sh" >&2; exit 1; }
# shellcheck source=toolchain-pebble.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain-pebble.sh" \
  || { echo "[toolchain] cannot read $(dirname "${BASH_SOURCE[0]}")/toolchain-pebble.sh" >&2; exit 1; }

usage() {
  cat <<EOF
Usage: $(basename "$0") [options]

Builds or finds the project's toolchain and installs it under
  $TC/<name>-<version>/bin
then prints export lines (last lines of stdout) to put it on PATH:
  eval "\$($(basename "$0") | tail -n 4)"     or     eval "\$($(basename "$0") --print-env)"

Binaries:
  pulumi ${PULUMI_VERSION}  (+ pulumi-language-nodejs from sdk/v3 ${NODEJS_HOST_SDK_VERSION}, beside it)
  pulumi-resource-kubernetes ${K8S_PROVIDER_VERSION}  (installed in the plugin cache ${PULUMI_HOME_DIR})
  kube-apiserver, kube-controller-manager, kubectl ${KUBE_VERSION}  (on PATH)
  kube-apiserver, kube-controller-manager ${KUBE115_VERSION}  (not on PATH: in \$CMU_KUBE_1_15_BIN)
  etcd  (found on PATH if >= ${ETCD_MIN_VERSION}, else built: go.etcd.io/etcd/server/v3 ${ETCD_VERSION})
Optional (built only when named in --only; --print-env exports their folder once built):
  cert-manager-controller, cert-manager-webhook ${CM062_VERSION}  (\$CMU_CERT_MANAGER_BIN)
  pebble, pebble-challtestsrv ${PEBBLE_VERSION} + its test CA and HTTPS certificate  (\$CMU_PEBBLE_BIN)
  cert-manager-{controller,webhook,cainjector,acmesolver} ${CM111_VERSION}, its chart packaged and its
    legacy CRDs generated as upstream does, helm ${HELM_VERSION}  (\$CMU_CERT_MANAGER_V111_DIR: bin/,
    chart/cert-manager-${CM111_VERSION}.tgz, crds.legacy.yaml, PROVENANCE)

Options:
  --print-env      only print the export lines (nothing is built; exit 1 if something is missing)
  --only LIST      comma-separated subset of:
                   pulumi,nodejs-host,k8s-provider,kubernetes,kubernetes-1.15,etcd,test-nodejs,
                   cert-manager,cert-manager-v1.1.1,pebble (these three: only when named here)
  --no-test        skip the language-host self test (a throwaway Pulumi TypeScript project in /tmp)
  --serial         build one group after the other instead of two in parallel
  -h, --help       this help

Environment: CMU_CACHE (cache root), GOMAXPROCS / CMU_BUILD_JOBS (go build -p, default 2).
Logs: $LOGS ; cold build times and peak RSS: $TIMES
EOF
}

PRINT_ENV_ONLY=0; ONLY=""; NO_TEST=0; SERIAL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --print-env) PRINT_ENV_ONLY=1 ;;
    --only) [ $# -ge 2 ] || { usage >&2; exit 2; }; ONLY="$2"; shift ;;
    --only=*) ONLY="${1#--only=}" ;;
    --no-test) NO_TEST=1 ;;
    --serial) SERIAL=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$ONLY" ]; then
  for s in ${ONLY//,/ }; do
    case "$s" in pulumi|nodejs-host|k8s-provider|kubernetes|kubernetes-1.15|etcd|test-nodejs|cert-manager|cert-manager-v1.1.1|pebble) ;;
      *) echo "unknown step in --only: $s" >&2; exit 2 ;; esac
  done
fi

want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
named() { [[ ",$ONLY," == *",$1,"* ]]; }   # optional steps: only when named in --only
log() { echo "[toolchain] $*" >&2; }

JOBS="${CMU_BUILD_JOBS:-2}"
export GOMAXPROCS="${GOMAXPROCS:-2}"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
GOVER="$(go env GOVERSION 2>/dev/null | sed 's/^go//')"

PULUMI_DIR="$TC/pulumi-$PULUMI_VERSION/bin"
NODEJS_HOST_DIR="$TC/pulumi-language-nodejs-$NODEJS_HOST_SDK_VERSION/bin"
PROVIDER_DIR="$TC/pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION/bin"
KUBE_DIR="$TC/kubernetes-$KUBE_VERSION/bin"
ETCD_DIR="$TC/etcd-$ETCD_VERSION/bin"

# ---------------------------------------------------------------- helpers
# ver_ge A B : true when version A >= B (leading v ignored)
ver_ge() { [ "$(printf '%s\n%s\n' "${2#v}" "${1#v}" | sort -V | head -n1)" = "${2#v}" ]; }

# Where a usable binary lives (prints the directory), else nothing.
find_pulumi() {
  if [ -x "$PULUMI_DIR/pulumi" ]; then echo "$PULUMI_DIR"; return; fi
  local p; p="$(command -v pulumi 2>/dev/null)" || return 0
  [ "$("$p" version 2>/dev/null)" = "$PULUMI_VERSION" ] && dirname "$p"
  return 0
}
find_kube() { # name
  if [ -x "$KUBE_DIR/$1" ]; then echo "$KUBE_DIR"; return; fi
  local p v; p="$(command -v "$1" 2>/dev/null)" || return 0
  if [ "$1" = kubectl ]; then v="$("$p" version --client 2>/dev/null | sed -n 's/^Client Version: //p')"
  else v="$("$p" --version 2>/dev/null | awk '{print $2}')"; fi
  [ "$v" = "$KUBE_VERSION" ] && dirname "$p"
  return 0
}
find_etcd() {
  if [ -x "$ETCD_DIR/etcd" ]; then echo "$ETCD_DIR"; return; fi
  local p v; p="$(command -v etcd 2>/dev/null)" || return 0
  v="$("$p" --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
  [ -n "$v" ] && ver_ge "$v" "$ETCD_MIN_VERSION" && dirname "$p"
  return 0
}

# timed_build NAME VERSION WRAPPER_DIR OUT PKG [LDFLAGS]
# go build with /usr/bin/time -v; records wall time and peak RSS to $TIMES.
timed_build() {
  local name="$1" ver="$2" dir="$3" out="$4" pkg="$5" ldflags="${6:-}"
  local tfile="$LOGS/$name-$ver.time" start=$SECONDS rc
  log "building $name $ver ..."
  ( cd "$dir" && /usr/bin/time -v -o "$tfile" \
      go build -p "$JOBS" -trimpath -ldflags "-s -w $ldflags" -o "$out" "$pkg" ) \
      >>"$LOGS/$name-$ver.log" 2>&1
  rc=$?
  local secs=$((SECONDS - start)) rss
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tfile" 2>/dev/null)"
  if [ $rc -eq 0 ]; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$ver" "$secs" "${rss:-?}" >>"$TIMES"
    log "building $name $ver ... done in ${secs}s (peak RSS $(( ${rss:-0} / 1024 )) MiB)"
  else
    log "building $name $ver ... FAILED after ${secs}s; log: $LOGS/$name-$ver.log"
    tail -n 25 "$LOGS/$name-$ver.log" | sed 's/^/    /' >&2
  fi
  return $rc
}

# timed STEPLABEL LOGFILE cmd... : run a non-build step with a progress line
timed() {
  local label="$1" lf="$2" start=$SECONDS rc; shift 2
  "$@" >>"$lf" 2>&1; rc=$?
  if [ $rc -eq 0 ]; then log "$label ... done in $((SECONDS - start))s"
  else log "$label ... FAILED after $((SECONDS - start))s; log: $lf"; tail -n 25 "$lf" | sed 's/^/    /' >&2; fi
  return $rc
}

# replace lines of a dependency's go.mod, without the local (../ or ./) ones
copy_replaces() { # go.mod file
  awk '
    /^replace[ \t]*\(/ {inblk=1; next}
    inblk && /^\)/ {inblk=0; next}
    inblk {print "replace " $0; next}
    /^replace / {print}
  ' "$1" | grep -vE '=>[[:space:]]*\.\.?/' || true
}

moddir() { # module@version -> extracted dir in the module cache (downloads it)
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
modfile() { # module@version -> go.mod path in the download cache
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'
}

new_wrapper() { # dir modulename
  rm -rf "$1"; mkdir -p "$1"
  printf 'module %s\n\ngo %s\n' "$2" "$GOVER" >"$1/go.mod"
}

# ---------------------------------------------------------------- steps
build_pulumi() {
  local d; d="$(find_pulumi)"
  if [ -n "$d" ]; then log "pulumi $PULUMI_VERSION: using $d/pulumi"; return 0; fi
  local w="$WORK/pulumi-$PULUMI_VERSION" gomod
  new_wrapper "$w" cmu.local/pulumi-wrapper
  (cd "$w" && gomod="$(modfile "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")" && [ -f "$gomod" ] || exit 1
    { echo; echo "require ("
      echo "	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION"
      echo "	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION"
      echo ")"; echo
      copy_replaces "$gomod"; } >>go.mod) || { log "pulumi $PULUMI_VERSION: preparing the wrapper module failed"; return 1; }
  timed_build pulumi "$PULUMI_VERSION" "$w" "$w/out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" || return 1
  mkdir -p "$PULUMI_DIR" && mv -f "$w/out/pulumi" "$PULUMI_DIR/pulumi"
}

build_nodejs_host() {
  local dst
  if [ ! -x "$NODEJS_HOST_DIR/pulumi-language-nodejs" ]; then
    local w="$WORK/pulumi-language-nodejs-$NODEJS_HOST_SDK_VERSION" gomod
    new_wrapper "$w" cmu.local/pulumi-language-nodejs-wrapper
    (cd "$w" && gomod="$(modfile "github.com/pulumi/pulumi/sdk/v3@$NODEJS_HOST_SDK_VERSION")" && [ -f "$gomod" ] || exit 1
      { echo; echo "require github.com/pulumi/pulumi/sdk/v3 $NODEJS_HOST_SDK_VERSION"; echo
        copy_replaces "$gomod"; } >>go.mod) \
      || { log "pulumi-language-nodejs $NODEJS_HOST_SDK_VERSION: preparing the wrapper module failed"; return 1; }
    timed_build pulumi-language-nodejs "$NODEJS_HOST_SDK_VERSION" "$w" "$w/out/pulumi-language-nodejs" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$NODEJS_HOST_SDK_VERSION" || return 1
    mkdir -p "$NODEJS_HOST_DIR" && mv -f "$w/out/pulumi-language-nodejs" "$NODEJS_HOST_DIR/"
  else
    log "pulumi-language-nodejs $NODEJS_HOST_SDK_VERSION: cached"
  fi
  # Dynamic providers (the program's one-shot steps) run through this script of the Node.js SDK,
  # which the CLI's own distribution ships beside the binary.
  if ! grep -q '^[[:space:]]*exec node' "$NODEJS_HOST_DIR/pulumi-resource-pulumi-nodejs" 2>/dev/null; then
    local sdkdir
    sdkdir="$(cd "$WORK" 2>/dev/null || cd /tmp; moddir "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")"
    if [ -z "$sdkdir" ] || [ ! -f "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" ]; then
      log "pulumi-resource-pulumi-nodejs: not found in sdk/v3 $PULUMI_VERSION"; return 1
    fi
    # `exec`, so that the CLI stopping the plugin stops node too (the script as shipped leaves a
    # node process behind after every run).
    sed 's/^\([[:space:]]*\)node "\$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH"/\1exec node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH"/' \
      "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" >"$NODEJS_HOST_DIR/.pulumi-resource-pulumi-nodejs.new"
    chmod 0755 "$NODEJS_HOST_DIR/.pulumi-resource-pulumi-nodejs.new"
    mv -f "$NODEJS_HOST_DIR/.pulumi-resource-pulumi-nodejs.new" "$NODEJS_HOST_DIR/pulumi-resource-pulumi-nodejs"
    grep -q '^[[:space:]]*exec node' "$NODEJS_HOST_DIR/pulumi-resource-pulumi-nodejs" \
      || { log "pulumi-resource-pulumi-nodejs: could not make it exec node"; return 1; }
    log "pulumi-resource-pulumi-nodejs: installed from sdk/v3 $PULUMI_VERSION"
  fi
  # the CLI looks for bundled plugins beside its own binary (and on PATH)
  dst="$(find_pulumi)"
  if [ -n "$dst" ] && [ -w "$dst" ] && ! cmp -s "$NODEJS_HOST_DIR/pulumi-language-nodejs" "$dst/pulumi-language-nodejs"; then
    cp -f "$NODEJS_HOST_DIR/pulumi-language-nodejs" "$dst/pulumi-language-nodejs"
  fi
  return 0
}

build_k8s_provider() {
  local bin="$PROVIDER_DIR/pulumi-resource-kubernetes"
  if [ ! -x "$bin" ]; then
    local w="$WORK/pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION" src gomod sdkver
    local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
    new_wrapper "$w" cmu.local/pulumi-kubernetes-provider-wrapper
    src="$(cd "$w" && moddir "$mod@$K8S_PROVIDER_MODVERSION")" && [ -d "$src" ] || { log "cannot download $mod@$K8S_PROVIDER_MODVERSION"; return 1; }
    cp -r "$src" "$w/provider-src" && chmod -R u+w "$w/provider-src"
    gomod="$w/provider-src/go.mod"
    sdkver="$(awk '$1=="github.com/pulumi/pulumi-kubernetes/sdk/v4"{print $2; exit}' "$gomod")"
    { echo; echo "require ("
      echo "	$mod $K8S_PROVIDER_MODVERSION"
      echo "	github.com/pulumi/pulumi-kubernetes/sdk/v4 ${sdkver:-v4.24.0}"
      echo ")"; echo
      echo "replace $mod => ./provider-src"
      copy_replaces "$gomod"; } >>"$w/go.mod"
    # schema-embed.json / terraform-mapping-embed.json (git-ignored upstream, absent from the zip)
    mkdir -p "$w/gen"
    cp "$w/provider-src/cmd/pulumi-resource-kubernetes/generate.go" "$w/gen/generate.go"
    timed "generating provider schema-embed.json (VERSION=$K8S_PROVIDER_VERSION)" \
      "$LOGS/pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION.log" \
      bash -c "cd '$w' && go build -o gen/generate ./gen/generate.go && cd provider-src/cmd/pulumi-resource-kubernetes && VERSION='$K8S_PROVIDER_VERSION' '$w/gen/generate' && test -s schema-embed.json && test -s terraform-mapping-embed.json" || return 1
    timed_build pulumi-resource-kubernetes "$K8S_PROVIDER_VERSION" "$w" "$w/out/pulumi-resource-kubernetes" \
      "$mod/cmd/pulumi-resource-kubernetes" \
      "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION" || return 1
    mkdir -p "$PROVIDER_DIR" && mv -f "$w/out/pulumi-resource-kubernetes" "$bin"
  else
    log "pulumi-resource-kubernetes $K8S_PROVIDER_VERSION: cached"
  fi
  local pd; pd="$(find_pulumi)"
  [ -n "$pd" ] || { log "pulumi CLI missing: cannot install the kubernetes plugin"; return 1; }
  if ! PULUMI_HOME="$PULUMI_HOME_DIR" "$pd/pulumi" plugin ls 2>/dev/null | grep -qE "^kubernetes[[:space:]]+resource[[:space:]]+$K8S_PROVIDER_VERSION"; then
    mkdir -p "$PULUMI_HOME_DIR"
    timed "installing plugin resource kubernetes $K8S_PROVIDER_VERSION into $PULUMI_HOME_DIR" \
      "$LOGS/pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION.log" \
      env PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true \
      "$pd/pulumi" plugin install resource kubernetes "$K8S_PROVIDER_VERSION" --file "$bin" || return 1
  fi
}

build_kubernetes() {
  local need=() b d
  for b in kube-apiserver kube-controller-manager kubectl; do
    d="$(find_kube "$b")"
    if [ -n "$d" ]; then log "$b $KUBE_VERSION: using $d/$b"; else need+=("$b"); fi
  done
  [ ${#need[@]} -eq 0 ] && return 0
  local w="$WORK/kubernetes-$KUBE_VERSION" gomod minor stage
  minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  stage="v0.${KUBE_VERSION#v1.}"   # k8s.io/<staging> modules are published as v0.<minor>.<patch>
  new_wrapper "$w" cmu.local/kubernetes-wrapper
  (cd "$w" && gomod="$(modfile "k8s.io/kubernetes@$KUBE_VERSION")" && [ -f "$gomod" ] || exit 1
    { echo; echo "require k8s.io/kubernetes $KUBE_VERSION"; echo
      # every `k8s.io/x => ./staging/src/k8s.io/x` becomes `k8s.io/x => k8s.io/x v0.<minor>.<patch>`
      copy_replaces_all() { awk '
          /^replace[ \t]*\(/ {inblk=1; next}
          inblk && /^\)/ {inblk=0; next}
          inblk {print; next}
          /^replace / {sub(/^replace[ \t]+/, ""); print}' "$1"; }
      copy_replaces_all "$gomod" | awk -v v="$stage" '$2=="=>" && $3 ~ /^\.\/staging\// {print "replace " $1 " => " $1 " " v; next}
                                                   $2=="=>" && $3 !~ /^\./ {print "replace " $0}'
    } >>go.mod) || { log "kubernetes $KUBE_VERSION: preparing the wrapper module failed"; return 1; }
  local pkgv="k8s.io/component-base/version" cgv="k8s.io/client-go/pkg/version" lf=""
  local date; date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for v in "$pkgv" "$cgv"; do
    lf+=" -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=$date"
  done
  mkdir -p "$KUBE_DIR"
  for b in "${need[@]}"; do
    timed_build "$b" "$KUBE_VERSION" "$w" "$w/out/$b" "k8s.io/kubernetes/cmd/$b" "$lf" || return 1
    mv -f "$w/out/$b" "$KUBE_DIR/$b"
  done
}

build_etcd() {
  local d; d="$(find_etcd)"
  if [ -n "$d" ]; then log "etcd: using $d/etcd ($("$d/etcd" --version 2>/dev/null | head -n1))"; return 0; fi
  local w="$WORK/etcd-$ETCD_VERSION" gomod m
  new_wrapper "$w" cmu.local/etcd-wrapper
  (cd "$w" && gomod="$(modfile "go.etcd.io/etcd/server/v3@$ETCD_VERSION")" && [ -f "$gomod" ] || exit 1
    { echo; echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"; echo
      # server/go.mod replaces its sibling modules with ../ paths: pin them to the same release
      for m in $(awk '$2=="=>" && $3 ~ /^\.\.\// {print $1}' "$gomod"); do
        echo "replace $m => $m $ETCD_VERSION"
      done
      copy_replaces "$gomod" | grep -v FORBIDDEN_DEPENDENCY || true; } >>go.mod) \
    || { log "etcd $ETCD_VERSION: preparing the wrapper module failed"; return 1; }
  timed_build etcd "$ETCD_VERSION" "$w" "$w/out/etcd" go.etcd.io/etcd/server/v3 \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" || return 1
  mkdir -p "$ETCD_DIR" && mv -f "$w/out/etcd" "$ETCD_DIR/etcd"
}

# Throwaway Pulumi TypeScript project: does the CLI drive the nodejs language host?
test_nodejs_host() {
  local marker="$TC/.nodejs-host-ok-$PULUMI_VERSION-$NODEJS_HOST_SDK_VERSION-$PULUMI_NPM_VERSION"
  if [ -f "$marker" ]; then log "nodejs language host self test: passed before ($marker)"; return 0; fi
  local pd; pd="$(find_pulumi)"; [ -n "$pd" ] || { log "no pulumi CLI to test"; return 1; }
  local t; t="$(mktemp -d /tmp/cmu-nodejs-host-test.XXXXXX)"
  local lf="$LOGS/test-nodejs-host.log"; : >"$lf"
  cat >"$t/Pulumi.yaml" <<'EOF'
name: cmu-host-test
runtime: nodejs
description: throwaway project testing the nodejs language host
EOF
  cat >"$t/package.json" <<EOF
{
  "name": "cmu-host-test",
  "version": "0.0.0",
  "private": true,
  "main": "index.ts",
  "dependencies": { "@pulumi/pulumi": "$PULUMI_NPM_VERSION" },
  "devDependencies": { "node": "24", "typescript": "~5.9.0", "ts-node": "^10.9.2", "@types/node": "^24" }
}
EOF
  cat >"$t/tsconfig.json" <<'EOF'
{ "compilerOptions": { "strict": true, "target": "es2022", "module": "commonjs", "moduleResolution": "node", "esModuleInterop": true, "skipLibCheck": true }, "files": ["index.ts"] }
EOF
  cat >"$t/index.ts" <<'EOF'
import * as pulumi from "@pulumi/pulumi";

class Box extends pulumi.ComponentResource {
    public readonly label: pulumi.Output<string>;
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("cmu:test:Box", name, {}, opts);
        this.label = pulumi.output(`box-${name}`);
        this.registerOutputs({ label: this.label });
    }
}

const box = new Box("one");
export const greeting = pulumi.interpolate`hello from node ${process.version}, ${box.label}`;
export const nodeMajor = Number(process.versions.node.split(".")[0]);
EOF
  local env=(env "PATH=$t/node_modules/.bin:$pd:$NODEJS_HOST_DIR:$PATH"
    "PULUMI_HOME=$PULUMI_HOME_DIR" "PULUMI_BACKEND_URL=file://$t/.state" PULUMI_CONFIG_PASSPHRASE=x
    PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true)
  mkdir -p "$t/.state" "$PULUMI_HOME_DIR"
  timed "npm install (@pulumi/pulumi@$PULUMI_NPM_VERSION, node@24) for the host test" "$lf" \
    bash -c "cd '$t' && npm install --no-audit --no-fund" || return 1
  (cd "$t" && "${env[@]}" node --version) >>"$lf" 2>&1
  timed "host test: pulumi stack init dev" "$lf" bash -c "cd '$t' && $(printf '%q ' "${env[@]}") pulumi stack init dev --non-interactive" || return 1
  timed "host test: pulumi preview" "$lf" bash -c "cd '$t' && $(printf '%q ' "${env[@]}") pulumi preview --non-interactive" || return 1
  timed "host test: pulumi up --yes" "$lf" bash -c "cd '$t' && $(printf '%q ' "${env[@]}") pulumi up --yes --non-interactive" || return 1
  local out; out="$(cd "$t" && "${env[@]}" pulumi stack output greeting 2>>"$lf")"
  echo "stack output greeting: $out" >>"$lf"
  case "$out" in "hello from node v24."*) ;; *) log "host test: unexpected stack output '$out' (log $lf)"; return 1 ;; esac
  log "host test: stack output greeting = $out"
  (cd "$t" && "${env[@]}" pulumi destroy --yes --non-interactive && "${env[@]}" pulumi stack rm dev --yes) >>"$lf" 2>&1
  touch "$marker"
  rm -rf "$t"
}

# ---------------------------------------------------------------- env
print_env() {
  local p="" d missing=0 b
  # only the cache's own dirs: a binary found on PATH is already on PATH (and prepending
  # e.g. /usr/bin would reorder the caller's PATH)
  add() { case "$1" in "$TC"/*) ;; *) return 0 ;; esac
          case ":$p:" in *":$1:"*) ;; *) p="${p:+$p:}$1" ;; esac; }
  d="$(find_pulumi)"; if [ -n "$d" ]; then add "$d"; else missing=1; log "missing: pulumi $PULUMI_VERSION"; fi
  if [ -x "$NODEJS_HOST_DIR/pulumi-language-nodejs" ]; then add "$NODEJS_HOST_DIR"; else missing=1; log "missing: pulumi-language-nodejs"; fi
  grep -q '^[[:space:]]*exec node' "$NODEJS_HOST_DIR/pulumi-resource-pulumi-nodejs" 2>/dev/null \
    || { missing=1; log "missing: pulumi-resource-pulumi-nodejs (or an old copy that leaves node running)"; }
  [ -x "$PROVIDER_DIR/pulumi-resource-kubernetes" ] || { missing=1; log "missing: pulumi-resource-kubernetes $K8S_PROVIDER_VERSION"; }
  for b in kube-apiserver kube-controller-manager kubectl; do
    d="$(find_kube "$b")"; if [ -n "$d" ]; then add "$d"; else missing=1; log "missing: $b $KUBE_VERSION"; fi
  done
  d="$(find_etcd)"; if [ -n "$d" ]; then add "$d"; else missing=1; log "missing: etcd"; fi
  # The provider is resolved from the plugin cache (exact version), not from PATH.
  echo "export PULUMI_HOME='$PULUMI_HOME_DIR'"
  echo "export CMU_TOOLCHAIN_DIR='$TC'"
  # Kubernetes 1.15 stays off PATH (PATH keeps the 1.34 binaries); a harness picks it explicitly.
  if k115_present && k115_current; then echo "export CMU_KUBE_1_15_BIN='$KUBE115_DIR'"
  else missing=1; log "missing: ${KUBE115_BINS[*]} $KUBE115_VERSION (or built before a patch of its recipe)"; fi
  # Optional (not on PATH, never "missing"): exported once built with --only cert-manager,pebble.
  if cm062_present; then echo "export CMU_CERT_MANAGER_BIN='$CM062_DIR'"; fi
  # Optional steps built before a patch of their recipe count as not built (the caller rebuilds them).
  if pebble_present && pebble_current; then echo "export CMU_PEBBLE_BIN='$PEBBLE_DIR'"; fi
  if cm111_present && cm111_current; then echo "export CMU_CERT_MANAGER_V111_DIR='$CM111_ROOT'"; echo "export CMU_HELM_BIN='$HELM_DIR'"; fi
  if [ -n "$p" ]; then echo "export PATH='$p':\"\$PATH\""; else echo 'export PATH="$PATH"'; fi
  return $missing
}

if [ $PRINT_ENV_ONLY -eq 1 ]; then print_env; exit $?; fi

for t in go /usr/bin/time; do command -v "$t" >/dev/null || { log "required tool missing: $t"; exit 1; }; done
mkdir -p "$TC" "$WORK" "$LOGS"
[ -f "$TIMES" ] || printf 'finished_utc\tname\tversion\tbuild_seconds\tpeak_rss_kib\n' >"$TIMES"

T0=$SECONDS
group_pulumi() {
  if want pulumi; then build_pulumi || return 1; fi
  if want nodejs-host; then build_nodejs_host || return 1; fi
  if want k8s-provider; then build_k8s_provider || return 1; fi
  if want test-nodejs && [ $NO_TEST -eq 0 ]; then test_nodejs_host || return 1; fi
  if named pebble; then build_pebble || return 1; fi
  if named cert-manager-v1.1.1; then build_cert_manager_v111 || return 1; fi
  return 0
}
group_kube() {
  if want kubernetes; then build_kubernetes || return 1; fi
  if want etcd; then build_etcd || return 1; fi
  if want kubernetes-1.15; then build_kubernetes_115 || return 1; fi
  if named cert-manager; then build_cert_manager || return 1; fi
  return 0
}

rc=0
if [ $SERIAL -eq 1 ]; then
  group_pulumi || rc=1
  group_kube || rc=1
else
  group_pulumi & pa=$!
  group_kube & pb=$!
  wait $pa || rc=1
  wait $pb || rc=1
fi
if [ $rc -ne 0 ]; then log "FAILED after $((SECONDS - T0))s (logs in $LOGS)"; exit 1; fi
log "all done in $((SECONDS - T0))s"
if [ -n "$ONLY" ]; then print_env; exit 0; fi   # a subset run: report what is there
print_env || exit 1
exit 0
