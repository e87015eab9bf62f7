#!/usr/bin/env bash
# Measures `podgraph worker` throughput with 1, 2 and 3 worker processes on one machine,
# next to a single `podgraph seed` run of the same episodes.
#
#   REDIS_URL=redis://127.0.0.1:6379/ PODGRAPH_CORPUS_DIR=/path/to/corpus \
#     benches/worker_scaling.sh [target/release/podgraph]
#
# Every run queues the Talk Python folder of the corpus under a key prefix of its own and
# writes a new SQLite database, so each run does the whole work. Prints one line per run:
# workers, episodes, wall seconds, episodes per second.
set -euo pipefail

binary=$(realpath "${1:-target/release/podgraph}")
corpus="${PODGRAPH_CORPUS_DIR:?set PODGRAPH_CORPUS_DIR to the transcript corpus}/talkpython"
: "${REDIS_URL:?set REDIS_URL, for example with: eval \"\$(.ci/redis start)\"}"
concurrency="${PODGRAPH_BENCH_CONCURRENCY:-2}"

work=$(mktemp -d "${TMPDIR:-/tmp}/podgraph-worker-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
episodes=$(find "$corpus" -maxdepth 1 -name '*.vtt' | wc -l)

seconds_since() { echo "scale=3; ($(date +%s%N) - $1) / 1000000000" | bc; }

printf '%-8s %-9s %-9s %s\n' runner episodes seconds episodes/s

# One process, for comparison.
start=$(date +%s%N)
"$binary" seed --quiet --json --concurrency "$concurrency" --db "$work/seed.db" "$corpus" >/dev/null
elapsed=$(seconds_since "$start")
printf '%-8s %-9s %-9s %s\n' seed "$episodes" "$elapsed" "$(echo "scale=1; $episodes / $elapsed" | bc)"

for workers in 1 2 3; do
  run="$work/run-$workers"
  mkdir -p "$run"
  cat >"$run/podgraph.toml" <<TOML
[redis]
url = "$REDIS_URL"
key_prefix = "bench-$$-$workers"
TOML
  (cd "$run" && "$binary" --quiet enqueue "$corpus" >/dev/null)

  start=$(date +%s%N)
  pids=()
  for _ in $(seq 1 "$workers"); do
    (cd "$run" && exec "$binary" --quiet worker --exit-when-empty --poll-ms 50 \
      --concurrency "$concurrency" --db "$run/graph.db" >/dev/null) &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid"
  done
  elapsed=$(seconds_since "$start")
  stored=$("$binary" --quiet query --json --db "$run/graph.db" stats |
    tr -d ' \n' | grep -o '"Episode",[0-9]*' | cut -d, -f2)
  printf '%-8s %-9s %-9s %s\n' "$workers" "$stored" "$elapsed" "$(echo "scale=1; $stored / $elapsed" | bc)"
done
