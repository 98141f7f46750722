#!/usr/bin/env bash
# cluster.sh - a throwaway local Kubernetes control plane on 127.0.0.1:
# etcd + kube-apiserver + kube-controller-manager (no scheduler, no kubelet).
#
#   cluster.sh start | stop | status | env | verify
#
# Exit codes: 0 ok, 1 failed, 2 usage.
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${CMU_CACHE:-$HOME/.cache/cert-manager-upgrade}"
DIR="${CMU_CLUSTER_DIR:-${TMPDIR:-/tmp}/cmu-cluster-$(id -u)}"
READY_TIMEOUT="${CMU_CLUSTER_TIMEOUT:-180}"   # seconds to wait for each component
COMPONENTS=(etcd kube-apiserver kube-controller-manager)
SERVICE_CIDR="10.0.0.0/24"
SERVICE_IP="10.0.0.1"                          # first address of SERVICE_CIDR (the `kubernetes` Service)

usage() {
  cat <<EOF
Usage: $(basename "$0") start | stop | status | env | verify | stop-apiserver | start-apiserver

A throwaway control plane on 127.0.0.1 (etcd, kube-apiserver, kube-controller-manager),
state in \$CMU_CLUSTER_DIR (now: $DIR).

  start    generate certificates, start the three processes on free ports, wait for /readyz
           (timeout ${READY_TIMEOUT}s per component, \$CMU_CLUSTER_TIMEOUT); no-op if already running
  stop     stop everything that 'start' started and wait until its ports are free
  status   report each component (exit 0 only if all are running and the apiserver is ready)
  env      print: export KUBECONFIG=<state dir>/kubeconfig   (context "local", user in system:masters)
  stop-apiserver / start-apiserver
           kill only kube-apiserver / start it again on the same port and data (for fault tests)
  verify   smoke test with kubectl: namespace create/delete (finalized by the controller-manager),
           a CRD (apiextensions.k8s.io/v1) and a custom object; lists served API groups

Binaries are taken from PATH, else from scripts/toolchain.sh --print-env (build them with toolchain.sh).
Exit codes: 0 ok, 1 failed, 2 usage.
EOF
}

log() { echo "[cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------------ binaries
find_bins() {
  # toolchain binaries first (kubectl there matches the apiserver), then whatever is on PATH
  local envs b
  if [ -x "$SCRIPT_DIR/toolchain.sh" ]; then
    envs="$("$SCRIPT_DIR/toolchain.sh" --print-env 2>/dev/null)"
    [ -n "$envs" ] && eval "$envs"
  fi
  for b in etcd kube-apiserver kube-controller-manager kubectl openssl curl ss; do
    command -v "$b" >/dev/null 2>&1 || die "'$b' not found on PATH (run scripts/toolchain.sh first)"
  done
}

# ------------------------------------------------------------------ ports / pids
port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
pick_port() { # VAR : sets VAR to a free port not picked before (in $PICKED)
  local p i
  for i in $(seq 1 500); do
    p=$(( 20000 + RANDOM % 12000 ))
    case " ${PICKED:-} " in *" $p "*) continue ;; esac
    port_in_use "$p" && continue
    PICKED="${PICKED:-} $p"; printf -v "$1" '%s' "$p"; return 0
  done
  return 1
}
pid_of() { [ -f "$DIR/$1.pid" ] && cat "$DIR/$1.pid" 2>/dev/null; }
pid_running() { local st; st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)"; [ -n "$st" ] && [ "$st" != Z ]; }
alive() { # name : its recorded pid runs, is no zombie, and is still that program (no pid reuse)
  local p st; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  st="$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)"; [ -n "$st" ] && [ "$st" != Z ] || return 1
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$1"
}
load_ports() { [ -f "$DIR/ports.env" ] && . "$DIR/ports.env"; }

# ------------------------------------------------------------------ certificates
gen_certs() {
  local c="$DIR/pki"; mkdir -p "$c"; chmod 700 "$c"
  (
    set -e; cd "$c"
    ossl() { openssl "$@" >/dev/null 2>&1; }
    genkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }   # fast, unlike RSA
    # cluster CA, front-proxy CA
    for ca in ca front-proxy-ca; do
      genkey "$ca.key"
      ossl req -x509 -new -nodes -key "$ca.key" -sha256 -days 3650 -subj "/CN=cmu-local-$ca" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
        -out "$ca.crt"
    done
    # leaf: name ca subject eku [san]
    leaf() {
      local name="$1" ca="$2" subj="$3" eku="$4" san="${5:-}"
      genkey "$name.key"
      ossl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
      {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature"
        echo "extendedKeyUsage=$eku"
        [ -n "$san" ] && echo "subjectAltName=$san"
      } >"$name.ext"
      ossl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -sha256 -days 3650 \
        -extfile "$name.ext" -out "$name.crt"
      rm -f "$name.csr" "$name.ext"
    }
    leaf apiserver ca "/CN=kube-apiserver" serverAuth \
      "IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    leaf admin ca "/O=system:masters/CN=cmu-admin" clientAuth
    # --use-service-account-credentials=false: every controller runs as this identity, and the
    # system:kube-controller-manager ClusterRole alone is too narrow for that, hence system:masters
    leaf controller-manager ca "/O=system:masters/CN=system:kube-controller-manager" clientAuth
    leaf apiserver-kubelet-client ca "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
    leaf front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
    # service-account token signing key pair
    genkey sa.key                       # ES256 tokens
    ossl pkey -in sa.key -pubout -out sa.pub
    chmod 600 ./*.key
  ) || return 1
}

write_kubeconfig() { # file user cert key
  local b64; b64() { base64 -w0 <"$1"; }
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cmu-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$DIR/pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$3")
    client-key-data: $(b64 "$4")
contexts:
- name: local
  context:
    cluster: cmu-local
    user: $2
current-context: local
EOF
  chmod 600 "$1"
}

# ------------------------------------------------------------------ start
launch() { # name cmd...   (own session, so that stopping the caller's job does not kill it)
  local name="$1"; shift
  setsid "$@" >"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
}

tail_log() { log "last lines of $DIR/$1.log:"; tail -n "${2:-30}" "$DIR/$1.log" 2>/dev/null | sed 's/^/    /' >&2; }

wait_for() { # name check-command...
  local name="$1" start=$SECONDS; shift
  while :; do
    if ! alive "$name"; then log "$name exited during startup"; tail_log "$name"; return 1; fi
    if "$@" >/dev/null 2>&1; then log "$name ready in $((SECONDS - start))s"; return 0; fi
    if [ $((SECONDS - start)) -ge "$READY_TIMEOUT" ]; then
      log "$name not ready after ${READY_TIMEOUT}s"; tail_log "$name"; return 1
    fi
    sleep 0.5
  done
}

api_readyz() {
  curl -fsS --max-time 5 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
    "https://127.0.0.1:$API_PORT/readyz"
}

launch_apiserver() {
  local p="$DIR/pki"
  launch kube-apiserver kube-apiserver \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
    --cert-dir="$DIR/run/apiserver" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --client-ca-file="$p/ca.crt" \
    --kubelet-client-certificate="$p/apiserver-kubelet-client.crt" --kubelet-client-key="$p/apiserver-kubelet-client.key" \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC \
    --allow-privileged=true \
    --requestheader-client-ca-file="$p/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$p/front-proxy-client.crt" --proxy-client-key-file="$p/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --endpoint-reconciler-type=none \
    --profiling=false
}

# Fault tests stop and start the API server alone, keeping etcd (and so every object).
cmd_stop_apiserver() {
  load_ports
  local p; p="$(pid_of kube-apiserver)"
  alive kube-apiserver || { log "kube-apiserver is not running"; return 0; }
  kill -KILL "$p" 2>/dev/null
  for _ in $(seq 1 100); do alive kube-apiserver || { log "kube-apiserver stopped"; return 0; }; sleep 0.1; done
  log "kube-apiserver did not stop"; return 1
}

cmd_start_apiserver() {
  find_bins
  load_ports
  alive kube-apiserver && { log "kube-apiserver already running"; return 0; }
  launch_apiserver
  wait_for kube-apiserver api_readyz
}

cmd_start() {
  find_bins
  if [ -f "$DIR/ports.env" ]; then
    if status_quiet; then log "already running (state $DIR)"; echo "export KUBECONFIG=$DIR/kubeconfig"; return 0; fi
    log "stale or partial cluster state in $DIR: cleaning up"
    cmd_stop >/dev/null || return 1
  fi
  mkdir -p "$DIR" || die "cannot create $DIR"
  chmod 700 "$DIR"
  rm -rf "$DIR/etcd-data" "$DIR/pki" "$DIR"/*.log "$DIR"/*.pid "$DIR/ports.env" "$DIR/kubeconfig" \
    "$DIR/controller-manager.kubeconfig" "$DIR/run"
  PICKED=""
  pick_port ETCD_PORT && pick_port ETCD_PEER_PORT && pick_port API_PORT && pick_port KCM_PORT \
    || die "no free port found"
  cat >"$DIR/ports.env" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
EOF
  local t0=$SECONDS
  log "state dir $DIR; ports: etcd $ETCD_PORT (peer $ETCD_PEER_PORT), apiserver $API_PORT, controller-manager $KCM_PORT"
  gen_certs || die "certificate generation failed (openssl)"
  write_kubeconfig "$DIR/kubeconfig" cmu-admin "$DIR/pki/admin.crt" "$DIR/pki/admin.key"
  write_kubeconfig "$DIR/controller-manager.kubeconfig" system:kube-controller-manager \
    "$DIR/pki/controller-manager.crt" "$DIR/pki/controller-manager.key"
  mkdir -p "$DIR/run/apiserver" "$DIR/run/controller-manager"

  # --- etcd
  local etcd_extra=()
  etcd --help 2>&1 | grep -q -- '--unsafe-no-fsync' && etcd_extra+=(--unsafe-no-fsync)
  launch etcd etcd --name cmu --data-dir "$DIR/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "cmu=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --quota-backend-bytes=$((2 * 1024 * 1024 * 1024)) "${etcd_extra[@]}"
  wait_for etcd curl -fsS --max-time 3 "http://127.0.0.1:$ETCD_PORT/health" || { cmd_stop >/dev/null; return 1; }

  # --- kube-apiserver
  launch_apiserver
  wait_for kube-apiserver api_readyz || { cmd_stop >/dev/null; return 1; }
  local p="$DIR/pki"

  # --- kube-controller-manager
  launch kube-controller-manager kube-controller-manager \
    --kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$DIR/run/controller-manager" \
    --controllers='*' \
    --use-service-account-credentials=false \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --leader-elect=false \
    --profiling=false
  wait_for kube-controller-manager curl -fsS -k --max-time 3 "https://127.0.0.1:$KCM_PORT/healthz" \
    || { cmd_stop >/dev/null; return 1; }

  log "cluster up in $((SECONDS - t0))s: kubectl --kubeconfig $DIR/kubeconfig (context local)"
  echo "export KUBECONFIG=$DIR/kubeconfig"
}

# ------------------------------------------------------------------ stop
cmd_stop() {
  local n p rc=0 start
  if [ ! -d "$DIR" ]; then log "not running (no state dir $DIR)"; return 0; fi
  load_ports
  for n in kube-controller-manager kube-apiserver etcd; do
    p="$(pid_of "$n")"
    if alive "$n"; then
      kill -TERM "$p" 2>/dev/null
      start=$SECONDS
      while pid_running "$p" && [ $((SECONDS - start)) -lt 20 ]; do sleep 0.2; done
      if pid_running "$p"; then log "$n (pid $p) did not stop on TERM: KILL"; kill -KILL "$p" 2>/dev/null; sleep 0.5; fi
      log "stopped $n (pid $p)"
    fi
    rm -f "$DIR/$n.pid"
  done
  # wait until the ports are free
  start=$SECONDS
  for p in ${ETCD_PORT:-} ${ETCD_PEER_PORT:-} ${API_PORT:-} ${KCM_PORT:-}; do
    while port_in_use "$p"; do
      if [ $((SECONDS - start)) -ge 30 ]; then log "port $p still in use"; ss -Hltnp "sport = :$p" >&2; rc=1; break; fi
      sleep 0.2
    done
  done
  rm -f "$DIR/ports.env"
  rm -rf "$DIR/etcd-data"
  [ $rc -eq 0 ] && log "stopped; ports free"
  return $rc
}

# ------------------------------------------------------------------ status / env
status_quiet() { load_ports || return 1; local n; for n in "${COMPONENTS[@]}"; do alive "$n" || return 1; done; api_readyz; }

cmd_status() {
  local n p all=0
  if ! load_ports; then echo "cluster: not running (state dir $DIR)"; return 1; fi
  echo "state dir: $DIR"
  for n in "${COMPONENTS[@]}"; do
    p="$(pid_of "$n")"
    if alive "$n"; then echo "$n: running (pid $p)"; else echo "$n: NOT running"; all=1; fi
  done
  echo "ports: etcd $ETCD_PORT, etcd-peer $ETCD_PEER_PORT, kube-apiserver $API_PORT, kube-controller-manager $KCM_PORT"
  if api_readyz >/dev/null 2>&1; then echo "apiserver /readyz: ok (https://127.0.0.1:$API_PORT)"; else echo "apiserver /readyz: FAILED"; all=1; fi
  echo "kubeconfig: $DIR/kubeconfig (context local)"
  return $all
}

cmd_env() {
  if [ ! -f "$DIR/kubeconfig" ] || [ ! -f "$DIR/ports.env" ]; then log "not running: run '$0 start' first"; return 1; fi
  echo "export KUBECONFIG=$DIR/kubeconfig"
}

# ------------------------------------------------------------------ verify
cmd_verify() {
  find_bins
  status_quiet >/dev/null 2>&1 || die "cluster not running"
  export KUBECONFIG="$DIR/kubeconfig"
  local ns="cmu-verify-$$" start rc=0
  kubectl version -o yaml | sed -n 's/^  gitVersion: /server\/client gitVersion: /p'
  kubectl create namespace "$ns" >/dev/null || return 1
  kubectl -n "$ns" create configmap probe --from-literal=a=b >/dev/null || return 1
  start=$SECONDS
  kubectl delete namespace "$ns" --wait=true --timeout=90s >/dev/null || { log "namespace $ns did not finish deleting"; rc=1; }
  kubectl get namespace "$ns" >/dev/null 2>&1 && { log "namespace $ns still exists"; rc=1; }
  [ $rc -eq 0 ] && echo "namespace create+delete (finalized by controller-manager): ok in $((SECONDS - start))s"
  kubectl apply -f - >/dev/null <<'EOF' || return 1
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.verify.cmu.local
spec:
  group: verify.cmu.local
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
EOF
  kubectl wait --for=condition=Established crd/widgets.verify.cmu.local --timeout=60s >/dev/null || return 1
  kubectl apply -f - >/dev/null <<'EOF' || return 1
apiVersion: verify.cmu.local/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
EOF
  [ "$(kubectl get widget w1 -n default -o jsonpath='{.spec.size}')" = 3 ] || { log "custom object not read back"; return 1; }
  kubectl delete widget w1 -n default >/dev/null && kubectl delete crd widgets.verify.cmu.local >/dev/null || return 1
  echo "CRD (apiextensions.k8s.io/v1) + custom object: ok"
  # Deployment -> ReplicaSet -> Pod (Pending: there is no scheduler/kubelet), then GC of the dependants
  kubectl -n default create deployment cmu-verify --image=registry.invalid/none:0 >/dev/null || return 1
  start=$SECONDS
  until [ -n "$(kubectl -n default get pods -l app=cmu-verify -o name 2>/dev/null)" ]; do
    [ $((SECONDS - start)) -ge 60 ] && { log "deployment did not create a pod (controller-manager?)"; return 1; }
    sleep 0.5
  done
  kubectl -n default delete deployment cmu-verify --cascade=background >/dev/null || return 1
  until [ -z "$(kubectl -n default get rs,pods -l app=cmu-verify -o name 2>/dev/null)" ]; do
    [ $((SECONDS - start)) -ge 120 ] && { log "garbage collector did not remove the ReplicaSet/Pod"; return 1; }
    sleep 0.5
  done
  echo "deployment -> replicaset -> pod, then garbage collection: ok in $((SECONDS - start))s"
  # the aggregator accepts an APIService (backed by a Service without endpoints: Available=False)
  kubectl apply -f - >/dev/null <<'EOF' || return 1
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1alpha1.verify.cmu.local}
spec:
  group: verify.cmu.local
  version: v1alpha1
  groupPriorityMinimum: 1000
  versionPriority: 15
  insecureSkipTLSVerify: true
  service: {name: cmu-verify-none, namespace: default, port: 443}
EOF
  kubectl delete apiservice v1alpha1.verify.cmu.local >/dev/null || return 1
  echo "APIService (apiregistration.k8s.io/v1) create/delete: ok"
  local gv
  for gv in apiextensions.k8s.io/v1beta1 apps/v1beta1 apps/v1beta2 rbac.authorization.k8s.io/v1beta1 \
            admissionregistration.k8s.io/v1beta1 apiregistration.k8s.io/v1beta1 batch/v1beta1 extensions/v1beta1; do
    if kubectl get --raw "/apis/$gv" >/dev/null 2>&1; then echo "served:     $gv"; else echo "not served: $gv"; fi
  done
  return $rc
}

# ------------------------------------------------------------------ main
[ $# -eq 1 ] || { usage >&2; exit 2; }
case "$1" in
  start) cmd_start ;;
  stop-apiserver) cmd_stop_apiserver ;;
  start-apiserver) cmd_start_apiserver ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  verify) cmd_verify ;;
  -h|--help|help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
exit $?
