#!/usr/bin/env bash
# Starts or stops a throwaway CNCF distribution (Debian's docker-registry 2.8.2) on a free loopback port.
#
#   ci/registry.sh start MODE DIR   MODE: plain | htpasswd | token | tls ; DIR: an empty work directory
#   ci/registry.sh stop DIR
#
# `start` prints KEY=VALUE lines (also written to DIR/env) that tests read:
#   ENVCTL_TEST_REGISTRY=127.0.0.1:PORT   always
#   ENVCTL_TEST_USER / ENVCTL_TEST_PASSWORD   htpasswd and token modes (token: anonymous gets pull only)
#   ENVCTL_TEST_CA=DIR/tls/ca.crt            tls mode (the self-signed CA to trust)
#   ENVCTL_TEST_CERTS_DIR=DIR/certs.d         tls mode (certs.d/<host:port>/ca.crt layout)
# Test-only credentials; never reuse them.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

wait_http() { # url [curl args]
    local url=$1; shift
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "$@" "$url"; then return 0; fi
        sleep 0.1
    done
    echo "registry.sh: $url did not come up" >&2
    return 1
}

# Background servers must not inherit a caller's pipes (a test runner waiting for EOF would hang).
close_extra_fds() {
    local fd
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}

cmd=${1:-}; case "$cmd" in
start)
    close_extra_fds
    MODE=${2:?mode}; DIR=${3:?dir}
    mkdir -p "$DIR/data"
    PORT=$(free_port)
    AUTH=""; TLS=""; SCHEME=http; CURLARGS=()
    : >"$DIR/env"
    case "$MODE" in
    plain) ;;
    htpasswd)
        htpasswd -Bbn envctl 'envctl-test-secret-htpasswd-x9' >"$DIR/htpasswd"
        AUTH="auth: {htpasswd: {realm: envctl-test, path: $DIR/htpasswd}}"
        printf 'ENVCTL_TEST_USER=envctl\nENVCTL_TEST_PASSWORD=envctl-test-secret-htpasswd-x9\n' >>"$DIR/env" ;;
    token)
        TPORT=$(free_port)
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/signing.key" -out "$DIR/signing.crt" -days 2 \
            -subj /CN=envctl-test-token-signer >/dev/null 2>&1
        python3 "$HERE/token_server.py" --port "$TPORT" --key "$DIR/signing.key" --cert "$DIR/signing.crt" \
            --user envctl --password 'envctl-test-secret-token-q7' --log "$DIR/token.log" </dev/null >"$DIR/token-server.out" 2>&1 &
        echo $! >"$DIR/token.pid"
        wait_http "http://127.0.0.1:$TPORT/healthz"
        AUTH="auth: {token: {realm: \"http://127.0.0.1:$TPORT/token\", service: envctl-test-registry, issuer: envctl-test-issuer, rootcertbundle: $DIR/signing.crt}}"
        printf 'ENVCTL_TEST_USER=envctl\nENVCTL_TEST_PASSWORD=envctl-test-secret-token-q7\nENVCTL_TEST_TOKEN_LOG=%s\n' "$DIR/token.log" >>"$DIR/env" ;;
    tls)
        mkdir -p "$DIR/tls" "$DIR/certs.d/127.0.0.1:$PORT"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/tls/server.key" -out "$DIR/tls/ca.crt" -days 2 \
            -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
        cp "$DIR/tls/ca.crt" "$DIR/certs.d/127.0.0.1:$PORT/ca.crt"
        TLS="tls: {certificate: $DIR/tls/ca.crt, key: $DIR/tls/server.key}"
        SCHEME=https; CURLARGS=(--cacert "$DIR/tls/ca.crt")
        printf 'ENVCTL_TEST_CA=%s\nENVCTL_TEST_CERTS_DIR=%s\n' "$DIR/tls/ca.crt" "$DIR/certs.d" >>"$DIR/env" ;;
    *) echo "registry.sh: unknown mode $MODE (plain|htpasswd|token|tls)" >&2; exit 64 ;;
    esac
    cat >"$DIR/config.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $DIR/data}
  delete: {enabled: true}
  maintenance: {uploadpurging: {enabled: false}}
$AUTH
http:
  addr: 127.0.0.1:$PORT
  secret: envctl-test-secret-not-for-production
  $TLS
YAML
    docker-registry serve "$DIR/config.yml" </dev/null >"$DIR/registry.log" 2>&1 &
    echo $! >"$DIR/registry.pid"
    # With ENVCTL_REGISTRY_OWNER_PID (tests pass their own pid), a watchdog stops the servers when that
    # process is gone, so a crashed or killed test run leaves nothing listening.
    if [ -n "${ENVCTL_REGISTRY_OWNER_PID:-}" ]; then
        ( while kill -0 "$ENVCTL_REGISTRY_OWNER_PID" 2>/dev/null; do sleep 1; done
          bash "$HERE/registry.sh" stop "$DIR" ) </dev/null >/dev/null 2>&1 &
    fi
    wait_http "$SCHEME://127.0.0.1:$PORT/v2/" "${CURLARGS[@]}"
    echo "ENVCTL_TEST_REGISTRY=127.0.0.1:$PORT" >>"$DIR/env"
    cat "$DIR/env"
    ;;
stop)
    DIR=${2:?dir}
    for f in registry.pid token.pid; do
        if [ -f "$DIR/$f" ]; then
            pid=$(cat "$DIR/$f"); kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$DIR/$f"
        fi
    done ;;
*) echo "usage: ci/registry.sh start plain|htpasswd|token|tls DIR | stop DIR" >&2; exit 64 ;;
esac
