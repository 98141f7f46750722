# shellcheck shell=bash
# toolchain-pebble.sh - the `pebble` step of toolchain.sh (sourced by it; uses its helpers and
# variables: TC, WORK, LOGS, log, timed_build, moddir, modfile, new_wrapper).
#
# Builds Pebble, Let's Encrypt's test ACME server (in memory), and its challenge test server into
# $TC/pebble-v2.10.3/bin, with the files a local run needs beside them:
#   pebble, pebble-challtestsrv
#   pebble.minica.pem      the test CA that signed Pebble's HTTPS certificate: clients trust it
#                          (curl --cacert, SSL_CERT_FILE for Go programs such as cert-manager)
#   localhost-cert.pem     Pebble's HTTPS certificate (CN localhost; SANs localhost, pebble,
#   localhost-key.pem      127.0.0.1) and its key, the pair test/config/pebble-config.json uses
# From the module zip's test/certs/ (public test material: never trust the CA outside a test).
# Not part of the default build and not required by --print-env: only `toolchain.sh --only pebble`
# builds it, and --print-env prints CMU_PEBBLE_BIN once it is there.
#
# The recipe is upstream's `go install github.com/letsencrypt/pebble/v2/cmd/...@v2.10.3`: the wrapper
# module requires only pebble/v2, whose go.mod has no replace directives, so every dependency is at
# the version Pebble's go.mod selects. Pebble's config file must be written by its user (upstream's
# test/config/pebble-config.json listens on 0.0.0.0; a local run keeps to 127.0.0.1).

PEBBLE_VERSION="v2.10.3"
PEBBLE_MODULE="github.com/letsencrypt/pebble/v2"
PEBBLE_DIR="$TC/pebble-$PEBBLE_VERSION/bin"
PEBBLE_BINS=(pebble pebble-challtestsrv)
# file in the module -> file in $PEBBLE_DIR
PEBBLE_FILES=(test/certs/pebble.minica.pem:pebble.minica.pem
  test/certs/localhost/cert.pem:localhost-cert.pem
  test/certs/localhost/key.pem:localhost-key.pem)

# Patches to Pebble (each says what it changes and why), applied to a writable copy of the module.
PEBBLE_RECIPE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/toolchain/pebble-$PEBBLE_VERSION"
pebble_recipe_digest() {
  (cd "$PEBBLE_RECIPE" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$PEBBLE_VERSION") \
    | sha256sum | cut -d' ' -f1
}

pebble_current() { [ "$(cat "$PEBBLE_DIR/.recipe-sha256" 2>/dev/null)" = "$(pebble_recipe_digest)" ]; }

pebble_present() {
  local b f; for b in "${PEBBLE_BINS[@]}"; do [ -x "$PEBBLE_DIR/$b" ] || return 1; done
  for f in "${PEBBLE_FILES[@]}"; do [ -s "$PEBBLE_DIR/${f#*:}" ] || return 1; done
}

build_pebble() {
  local digest; digest="$(pebble_recipe_digest)" || return 1
  if pebble_present; then
    if [ "$(cat "$PEBBLE_DIR/.recipe-sha256" 2>/dev/null)" = "$digest" ]; then
      log "pebble $PEBBLE_VERSION (${PEBBLE_BINS[*]}): cached in $PEBBLE_DIR"; pebble_cert_warning; return 0
    fi
    log "pebble $PEBBLE_VERSION: the cached binaries were built from another recipe (before a patch in $PEBBLE_RECIPE): rebuilding"
  fi
  local w="$WORK/pebble-$PEBBLE_VERSION" src b f m p
  new_wrapper "$w" cmu.local/pebble-wrapper || return 1
  src="$(cd "$w" && moddir "$PEBBLE_MODULE@$PEBBLE_VERSION")"
  [ -n "$src" ] && [ -d "$src/cmd/pebble" ] || { log "pebble: cannot download $PEBBLE_MODULE@$PEBBLE_VERSION"; return 1; }
  printf '\nrequire %s %s\n' "$PEBBLE_MODULE" "$PEBBLE_VERSION" >>"$w/go.mod"
  # DEVIATION: built from a patched copy (scripts/toolchain/pebble-$PEBBLE_VERSION/patches/).
  cp -r "$src" "$w/pebble" && chmod -R u+w "$w/pebble" || return 1
  for p in "$PEBBLE_RECIPE"/patches/*.patch; do
    (cd "$w/pebble" && patch -p1 --forward --batch --no-backup-if-mismatch <"$p") >>"$LOGS/pebble-$PEBBLE_VERSION.log" 2>&1 \
      || { log "pebble: patch $(basename "$p") does not apply (log: $LOGS/pebble-$PEBBLE_VERSION.log)"; return 1; }
  done
  printf 'replace %s => ./pebble\n' "$PEBBLE_MODULE" >>"$w/go.mod"
  for b in "${PEBBLE_BINS[@]}"; do
    # cmd/pebble's `version` ("dev" unless set with -ldflags, as upstream's release build does)
    timed_build "$b" "$PEBBLE_VERSION" "$w" "$w/out/$b" "$PEBBLE_MODULE/cmd/$b" "-X main.version=$PEBBLE_VERSION" || return 1
  done
  local got; got="$("$w/out/pebble" -version 2>&1)"
  [ "$got" = "Pebble version: $PEBBLE_VERSION" ] || { log "pebble: -version printed '$got', expected 'Pebble version: $PEBBLE_VERSION'"; return 1; }
  mkdir -p "$PEBBLE_DIR" || return 1
  for f in "${PEBBLE_FILES[@]}"; do
    [ -s "$src/${f%%:*}" ] || { log "pebble: $PEBBLE_MODULE@$PEBBLE_VERSION has no ${f%%:*}"; return 1; }
    # (the key is public test material, but a key file stays private to its user all the same)
    case "$f" in *key.pem) m=0600 ;; *) m=0644 ;; esac
    install -m "$m" "$src/${f%%:*}" "$PEBBLE_DIR/${f#*:}" || return 1
  done
  for b in "${PEBBLE_BINS[@]}"; do mv -f "$w/out/$b" "$PEBBLE_DIR/$b" || return 1; done
  echo "$digest" >"$PEBBLE_DIR/.recipe-sha256"
  log "pebble $PEBBLE_VERSION: ${PEBBLE_BINS[*]} and its test CA and HTTPS certificate installed in $PEBBLE_DIR"
  pebble_cert_warning
}

# The HTTPS certificate shipped in v2.10.3 expires on 2027-10-03: say so before it breaks a run.
pebble_cert_warning() {
  command -v openssl >/dev/null || return 0
  openssl x509 -checkend $((30 * 24 * 3600)) -noout -in "$PEBBLE_DIR/localhost-cert.pem" >/dev/null 2>&1 \
    || log "pebble: warning: $PEBBLE_DIR/localhost-cert.pem expires within 30 days ($(openssl x509 -enddate -noout -in "$PEBBLE_DIR/localhost-cert.pem" 2>/dev/null))"
  return 0
}
