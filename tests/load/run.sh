#!/usr/bin/env bash
# HTTP load figures for autopilot-server on this machine (loopback only, bounded in time).
# Builds the release binary, starts it on a temporary SQLite database (or, with
# BACKEND=postgres, on a private PostgreSQL cluster started by tests/pg-cluster.sh) with
# --auth none, fills it through the API, then measures with wrk:
#   1. GET one event by key
#   2. an indexed filtered page: $filter=deploymentState eq 'failure'
#      &$orderby=eventDateTime desc&$top=20
#   3. $count with an equality filter
#   4. POST of an event body (one SQLite commit each)
#   5. a JSON $batch of one atomicity group of 10 event POSTs (one transaction for all ten)
#   6. the yardstick of design §8: a bare actix-web + sqlx program (autopilot-model's
#      bare_key_read example) reading the same row from the same file (SQLite only)
# Usage: [BACKEND=sqlite|postgres] bash tests/load/run.sh [seconds-per-run (default 10)]
#        [connections (default 32)]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
conns=${2:-32}
if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk not found: installing it"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
cargo build --release -q -p autopilot-model --bin autopilot-server --example bare_key_read
dir=$(mktemp -d)
port=18931
backend=${BACKEND:-sqlite}
case "$backend" in
    sqlite) database_url="sqlite://$dir/load.db?mode=rwc" ;;
    postgres)
        # shellcheck source=tests/pg-cluster.sh
        source tests/pg-cluster.sh
        pg_cluster_start
        database_url="$ODATA_TEST_POSTGRES_URL" ;;
    *) echo "BACKEND must be sqlite or postgres" >&2; exit 2 ;;
esac
echo "== backend: $backend"
RUST_LOG=warn ./target/release/autopilot-server --auth none --listen "127.0.0.1:$port" \
    --database-url "$database_url" &
server=$!
bare=""
# Replaces pg-cluster.sh's EXIT trap, so the cluster is stopped here, after the server.
trap 'kill $server $bare 2>/dev/null; wait $server $bare 2>/dev/null; rm -rf "$dir"
      if [ "$backend" = postgres ]; then pg_cluster_stop; fi' EXIT
base="http://127.0.0.1:$port/beta/deviceManagement/autopilotEvents"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

cat > "$dir/post.lua" <<'LUA'
local states = {"success", "failure", "inProgress", "unknown"}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local body = string.format(
    '{"deviceSerialNumber":"SN-%d-%d","deploymentState":"%s","eventDateTime":"2024-%02d-%02dT%02d:%02d:00+02:00","deploymentDuration":"PT%dM","userPrincipalName":"user%d@contoso.com"}',
    math.random(1, 1000000), n, states[(n % 4) + 1], (n % 12) + 1, (n % 28) + 1, n % 24, n % 60, n % 90, n % 500)
  return wrk.format(nil, nil, nil, body)
end
LUA

cat > "$dir/batch.lua" <<'LUA'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local parts = {}
  for i = 1, 10 do
    n = n + 1
    parts[i] = string.format(
      '{"id":"%d","method":"POST","url":"/deviceManagement/autopilotEvents","atomicityGroup":"g","body":{"deviceSerialNumber":"SNB-%d-%d","deploymentState":"success","eventDateTime":"2024-%02d-%02dT10:00:00Z"}}',
      i, math.random(1, 1000000), n, (n % 12) + 1, (n % 28) + 1)
  end
  return wrk.format(nil, nil, nil, '{"requests":[' .. table.concat(parts, ",") .. ']}')
end
LUA

echo "== filling the table through POST for $secs s ($conns connections)"
wrk -t2 -c"$conns" -d"${secs}s" -s "$dir/post.lua" "$base"
rows=$(curl -s "$base/\$count")
echo "rows: $rows"
curl -s -o /dev/null -X POST "$base" -H 'Content-Type: application/json' \
    -d '{"id":"bench-key","deviceSerialNumber":"KEY","deploymentState":"failure"}'

echo "== GET by key"
wrk -t2 -c"$conns" -d"${secs}s" "$base/bench-key"
echo "== filtered, ordered page (index)"
wrk -t2 -c"$conns" -d"${secs}s" \
    "$base?\$filter=deploymentState%20eq%20'failure'&\$orderby=eventDateTime%20desc&\$top=20"
echo "== \$count with an equality filter"
wrk -t2 -c"$conns" -d"${secs}s" "$base/\$count?\$filter=deploymentState%20eq%20'failure'"
echo "== POST (one transaction each)"
wrk -t2 -c"$conns" -d"${secs}s" -s "$dir/post.lua" "$base"
echo "== \$batch: an atomicity group of 10 POSTs per request (one transaction; events/s = 10 x req/s)"
batch_before=$(curl -s "$base/\$count")
wrk -t2 -c"$conns" -d"${secs}s" -s "$dir/batch.lua" "http://127.0.0.1:$port/beta/\$batch"
echo "events written by the batches: $(( $(curl -s "$base/\$count") - batch_before ))"
if [ "$backend" = sqlite ]; then
    echo "== yardstick: bare actix-web + sqlx GET by key on the same file"
    ./target/release/examples/bare_key_read "sqlite://$dir/load.db" "127.0.0.1:$((port + 1))" &
    bare=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$((port + 1))/e/bench-key" >/dev/null && break; sleep 0.1; done
    wrk -t2 -c"$conns" -d"${secs}s" "http://127.0.0.1:$((port + 1))/e/bench-key"
fi
echo "== peak resident memory of the server: $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
