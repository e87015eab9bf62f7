#!/usr/bin/env bash
# Load test of `podgraph serve` with wrk, which runs as its own process so the load
# generator does not share the server's threads or runtime.
#
#   PODGRAPH_CORPUS_DIR=/path/to/corpus crates/podgraph-api/benches/http-load.sh
#
# Builds the release binary and seeds a database from $PODGRAPH_CORPUS_DIR/talkpython,
# or reuses PODGRAPH_LOAD_DB when that file already holds a graph. Serves it on a
# loopback port with the rate limit lifted and warms up. Then runs wrk
# (`-t2 -cN -d10s --latency`) for entity lookup, search and /health at 1, 16 and 64
# connections. Entity lookups
# cycle through the 200 most mentioned entities, read from the API itself. Prints a
# Markdown table and stops the server.
#
# Settings (environment):
#   PODGRAPH_CORPUS_DIR       corpus with a talkpython/ folder; needed to seed
#   PODGRAPH_LOAD_DB          database file to seed once and reuse [default: a new
#                             temporary database, removed at the end]
#   PODGRAPH_LOAD_ADDR        loopback address to serve on [default: 127.0.0.1:18480]
#   PODGRAPH_LOAD_SECONDS     duration of each wrk run [default: 10]
#   PODGRAPH_LOAD_CONNECTIONS connection counts to run [default: "1 16 64"]
#   PODGRAPH_BIN              podgraph binary to serve with, for comparing builds
#                             [default: build target/release/podgraph]
#
# Needs wrk (Debian package `wrk`) and curl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
addr="${PODGRAPH_LOAD_ADDR:-127.0.0.1:18480}"
seconds="${PODGRAPH_LOAD_SECONDS:-10}"
connections="${PODGRAPH_LOAD_CONNECTIONS:-1 16 64}"

for tool in wrk curl cargo; do
    if ! command -v "$tool" >/dev/null; then
        echo "http-load: $tool is not installed (wrk: apt-get install wrk)" >&2
        exit 1
    fi
done
case "$addr" in
    127.*:* | localhost:* | \[::1\]:*) ;;
    *)
        echo "http-load: PODGRAPH_LOAD_ADDR=$addr is not a loopback address" >&2
        exit 1
        ;;
esac

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

db="${PODGRAPH_LOAD_DB:-$work/load.db}"

if [[ -n "${PODGRAPH_BIN:-}" ]]; then
    podgraph="$PODGRAPH_BIN"
else
    echo "http-load: building the release binary" >&2
    (cd "$root" && cargo build --quiet --release -p podgraph-cli --bin podgraph)
    podgraph="${CARGO_TARGET_DIR:-$root/target}/release/podgraph"
fi

# The rate limit is lifted so that no request of the runs gets a 429 response.
cat >"$work/podgraph.toml" <<EOF
[api]
addr = "$addr"
rate_limit = { per_second = 1000000000.0, burst = 1000000000 }
EOF

if [[ ! -s "$db" ]]; then
    if [[ -z "${PODGRAPH_CORPUS_DIR:-}" ]]; then
        echo "http-load: $db does not exist; set PODGRAPH_CORPUS_DIR to seed it" >&2
        exit 1
    fi
    echo "http-load: seeding $db from $PODGRAPH_CORPUS_DIR/talkpython" >&2
    started=$SECONDS
    "$podgraph" --config "$work/podgraph.toml" --quiet seed --db "$db" \
        "$PODGRAPH_CORPUS_DIR/talkpython" >&2
    echo "http-load: seeded in $((SECONDS - started)) s" >&2
fi

echo "http-load: serving $db on $addr" >&2
"$podgraph" --config "$work/podgraph.toml" --quiet serve --db "$db" &
server_pid=$!
base="http://$addr"
for _ in $(seq 1 100); do
    if curl -fsS "$base/health" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "http-load: podgraph serve exited before /health responded" >&2
        exit 1
    fi
    sleep 0.1
done
curl -fsS "$base/health" >/dev/null

# The listing is ordered by mention count, most mentioned first.
curl -fsS "$base/api/v1/entities?limit=200" |
    grep -o '"id":"[0-9a-f-]\{36\}"' | cut -d'"' -f4 >"$work/entity-ids"
if [[ ! -s "$work/entity-ids" ]]; then
    echo "http-load: the API listed no entities; is $db seeded?" >&2
    exit 1
fi

# Runs wrk once and prints `requests requests/s p50 p99 errors`.
run_wrk() {
    local conns="$1" duration="$2" route="$3"
    local threads=$((conns < 2 ? conns : 2))
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/http-load.lua" "$base" \
        -- "$route" "$work/entity-ids" | sed -n 's/^RESULT //p'
}

echo "http-load: warming up" >&2
run_wrk 16 3s entity >/dev/null
run_wrk 16 2s search >/dev/null

echo
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| route | connections | requests | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|"
for conns in $connections; do
    for route in entity search health; do
        case "$route" in
            entity) label='`GET /api/v1/entities/{id}`' ;;
            search) label='`GET /api/v1/search`' ;;
            health) label='`GET /health`' ;;
        esac
        read -r requests rate p50 p99 errors < <(run_wrk "$conns" "${seconds}s" "$route")
        echo "| $label | $conns | $requests | $rate | $p50 | $p99 | $errors |"
    done
done
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
