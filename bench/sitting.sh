#!/usr/bin/env bash
# One benchmark sitting: starts a server, warms it up, then runs every `overseer bench` scenario
# REPS times (default 3; report the median, as the peers' scripts do) and saves each run's JSON.
#   bench/sitting.sh OUT_DIR                                  # the embedded default database
#   bench/sitting.sh OUT_DIR --database-url 'jdbc:postgresql://127.0.0.1:5432/overseer_bench?user=postgres'
# Build first (./mvnw -q -DskipTests package); run nothing else meanwhile (2 cores).
# VACUUM_URL=postgresql://…: VACUUM ANALYZE that database before each scenario, outside the timed
# runs: the steady state autovacuum would keep, for a database where autovacuum is off.
# SEED_URL=postgresql://… (the server's external database): at the end, seed 1,000,000 finished
# jobs (docs/seed-finished-jobs.sql) and run process at 32 in flight REPS more times.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; shift
reps=${REPS:-3}
mkdir -p "$out"
data=$(mktemp -d)
java -jar server/target/overseer-server.jar --port 50551 --metrics-port 9464 --host 127.0.0.1 \
  --data-dir "$data" "$@" > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT  # the server ends by SIGTERM (143): not a failure
until grep -q listening "$out/server.log"; do sleep 0.5; done
bench() {
  if [ -n "${VACUUM_URL:-}" ]; then psql -q "$VACUUM_URL" -c 'VACUUM ANALYZE'; fi
  java -jar client/target/overseer.jar bench "$1" --target 127.0.0.1:50551 \
    --metrics http://127.0.0.1:9464/metrics "${@:2}"
}
bench process --in-flight 32 --jobs 10000 > "$out/warmup.txt"   # JIT of server and bench
for rep in $(seq 1 "$reps"); do
  bench create --save "$out/create-$rep.json" | tee "$out/create-$rep.txt"
  bench process --in-flight 8,32 --save "$out/process-$rep.json" | tee "$out/process-$rep.txt"
  bench latency --save "$out/latency-$rep.json" | tee "$out/latency-$rep.txt"
done
bench watch --watchers 10000 --rate 400 --save "$out/watch.json" | tee "$out/watch.txt"
bench e2e --duration 20s --save "$out/e2e.json" | tee "$out/e2e.txt"
# pickup latency at half the maximum rate (e2e's), with e2e's 32 in flight
half=$(grep -o '"jobs_per_second": *[0-9.]*' "$out/e2e.json" | head -1 | awk -F: '{printf "%d", $2 / 2}')
for rep in $(seq 1 "$reps"); do
  bench latency --rate "$half" --jobs $((half * 10)) --in-flight 32 \
    --save "$out/latency-half-$rep.json" | tee "$out/latency-half-$rep.txt"
done
if [ -n "${SEED_URL:-}" ]; then
  psql -q "$SEED_URL" -v n=1000000 -f docs/seed-finished-jobs.sql
  # the seed writes ~1 GB of WAL in a minute: without this, the runs below overlap the checkpoints
  # it sets off (2026-12-04: 3,996 and 4,797 jobs/s during them, 6,222 after), not a steady table
  psql -q "$SEED_URL" -c CHECKPOINT
  for rep in $(seq 1 "$reps"); do
    bench process --in-flight 32 --save "$out/process-1m-$rep.json" | tee "$out/process-1m-$rep.txt"
  done
fi
