#!/usr/bin/env bash
# bench/scale.sh — how autopilot-server's latency moves with the number of events: scenarios
# (a) GET by key, (b) enrollmentState eq + $top=50 and (d) a 3-month eventDateTime range with
# $count=true + $top=1 (those of bench/run.sh), and (f) a five-character fragment of a stored
# serial number (`contains`, most recent first, $top=50: the serial's trigram index) at
# several table sizes, on SQLite, loopback only.
#
#   SIZES="10000 100000 1000000" bash bench/scale.sh
#
# For each size: BASE events (the CAP peer's seed.py) are POSTed through the API into a fresh
# database; larger sizes copy those rows inside the database file (new ids, the same values;
# the store's triggers keep the per-day counts as for any insert) until the size is reached,
# then ANALYZE as the server's own `PRAGMA optimize` would. The server is started on the file
# and each scenario runs with oha (CONC connections, DURATION, after WARMUP). Prints one
# markdown table: req/s, p50 / p99 per scenario and size, and the database size.
#
# Environment: SIZES ("10000 100000 1000000"), BASE (10000), DURATION (5s), CONC (32),
# WARMUP (1s), PEERS_DIR, RESULTS_DIR (target/odata-bench/scale-<UTC time>), COPY_CACHE_MIB (4096:
# SQLite's page cache while copying rows; 10 000 000 events take ~10 min). Needs oha (see
# bench/run.sh), python3, curl. Not part of the test command; each size's file is removed
# after its run (10 000 000 events take about 10 GB).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZES="${SIZES:-10000 100000 1000000}"
BASE="${BASE:-10000}"
DURATION="${DURATION:-5s}"
CONC="${CONC:-32}"
WARMUP="${WARMUP:-1s}"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/target/odata-bench/scale-$(date -u +%Y%m%dT%H%M%SZ)}"
OHA="$(command -v oha || echo "$HOME/.cargo/bin/oha")"

say() { echo "scale: $*" >&2; }
die() { echo "scale: error: $*" >&2; exit 1; }
[[ -x "$OHA" ]] || die "oha not found (bash bench/run.sh installs it, or: cargo install oha --locked)"
for n in $SIZES; do
  [[ "$n" =~ ^[1-9][0-9]*$ && "$n" -ge "$BASE" ]] || die "each size must be a number >= BASE ($BASE): '$n'"
done

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/odata-scale.XXXXXX")"
PID=""
cleanup() {
  [[ -n "$PID" ]] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
mkdir -p "$RESULTS_DIR"

say "building autopilot-server (cargo build --release)"
(cd "$ROOT" && cargo build --release -q -p autopilot-model --bin autopilot-server)
# A copy of its own: a build in the same target directory during the hour a 10 000 000-event
# run takes cannot swap it between sizes.
BIN="$SCRATCH/autopilot-server"
cp "$ROOT/target/release/autopilot-server" "$BIN"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT/beta/deviceManagement/autopilotEvents"

start() { # database file
  RUST_LOG=warn "$BIN" --auth none --listen "127.0.0.1:$PORT" \
    --database-url "sqlite://$1?mode=rwc" >>"$RESULTS_DIR/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$RESULTS_DIR/server.log" >&2
  die "autopilot-server did not start"
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }

say "base: $BASE events POSTed through the API"
python3 "$PEERS_DIR/cap/seed.py" jsonl "$BASE" >"$SCRATCH/events.jsonl"
start "$SCRATCH/base.db"
python3 - "$SCRATCH/events.jsonl" "$PORT" <<'PY'
import http.client, sys, threading
lines = open(sys.argv[1], "rb").read().splitlines()
lock, pos, errors = threading.Lock(), [0], []
def worker():
    conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]), timeout=60)
    while not errors:
        with lock:
            i = pos[0]; pos[0] += 1
        if i >= len(lines):
            return
        conn.request("POST", "/beta/deviceManagement/autopilotEvents", body=lines[i],
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse(); body = r.read()
        if r.status != 201:
            errors.append(f"event #{i}: HTTP {r.status}: {body[:300]!r}")
ts = [threading.Thread(target=worker) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
if errors:
    sys.exit("loading failed: " + errors[0])
PY
KEY="$(curl -s "$URL?\$top=1&\$select=id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["value"][0]["id"])')"
SERIAL="$(curl -s "$URL/$KEY?\$select=deviceSerialNumber" | python3 -c 'import json, sys; print(json.load(sys.stdin)["deviceSerialNumber"])')"
FRAGMENT="${SERIAL:4:5}"
stop

declare -A SCENARIO=(
  [a]="$URL/$KEY"
  [b]="$URL?\$filter=enrollmentState%20eq%20'enrolled'&\$top=50"
  [d]="$URL?\$filter=eventDateTime%20ge%202025-03-01T00:00:00Z%20and%20eventDateTime%20lt%202025-06-01T00:00:00Z&\$count=true&\$top=1"
  [f]="$URL?\$filter=contains(deviceSerialNumber,'$FRAGMENT')&\$orderby=eventDateTime%20desc&\$top=50"
)
for n in $SIZES; do
  db="$SCRATCH/events-$n.db"
  cp "$SCRATCH/base.db" "$db"
  if [[ "$n" -gt "$BASE" ]]; then
    say "$n events: copying the $BASE rows inside the file"
    python3 - "$db" "$BASE" "$n" <<'PY'
import os, sqlite3, sys
db, base, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
# Speed only: a page cache that holds the indexes (COPY_CACHE_MIB), no journal and no fsync
# while copying into this scratch file, one transaction, WAL again afterwards. The same
# statements in the same order build the same b-trees: the file (hence ANALYZE) is the one
# that committing every round in WAL gives, byte for byte but for the header's change counter.
c.isolation_level = None
c.execute(f"PRAGMA cache_size = -{int(os.environ.get('COPY_CACHE_MIB', '4096')) * 1024}")
c.execute("PRAGMA synchronous = OFF")
c.execute("PRAGMA journal_mode = OFF")
c.execute("BEGIN")
cols = [r[1] for r in c.execute('PRAGMA table_info("autopilot_events")')]
others = ", ".join(f'"{x}"' for x in cols if x != "id")
copied = base
round = 1
while copied < n:
    take = min(base, n - copied)
    c.execute(f'INSERT INTO "autopilot_events" ("id", {others}) '
              f'SELECT "id" || \'-{round}\', {others} FROM "autopilot_events" '
              f'WHERE "id" NOT LIKE \'%-%-%-%-%-%\' LIMIT {take}')
    copied += take
    round += 1
c.execute("COMMIT")
c.execute("PRAGMA journal_mode = WAL")
c.isolation_level = ""
c.execute("PRAGMA analysis_limit = 1000")
c.execute("ANALYZE")
c.commit()
got = c.execute('SELECT COUNT(*) FROM "autopilot_events"').fetchone()[0]
if got != n:
    sys.exit(f"{got} rows, expected {n}")
PY
  fi
  start "$db"
  [[ "$(curl -s "$URL/\$count")" == "$n" ]] || die "the server does not hold $n events"
  for s in a b d f; do
    "$OHA" --no-tui -z "$WARMUP" -c "$CONC" --output-format quiet "${SCENARIO[$s]}" >/dev/null 2>&1 || true
    "$OHA" --no-tui -z "$DURATION" -c "$CONC" --output-format json "${SCENARIO[$s]}" \
      >"$RESULTS_DIR/$s-$n.json"
  done
  stop
  du -b "$db" | cut -f1 >"$RESULTS_DIR/bytes-$n"
  rm -f "$db" "$db-wal" "$db-shm"
done

python3 - "$RESULTS_DIR" "$SIZES" "$CONC" "$DURATION" >"$RESULTS_DIR/table.md" <<'PY'
import json, os, sys
res, sizes, conc, dur = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
names = {"a": "(a) key", "b": "(b) eq, $top=50", "d": "(d) range $count, $top=1",
         "f": "(f) serial fragment"}
print(f"## autopilot-server (SQLite) by table size: {conc} connections, {dur} per scenario")
print()
print("| events | db size | " + " | ".join(f"{names[s]} req/s | {names[s]} p50 / p99 ms" for s in "abdf") + " |")
print("|---:|---:|" + "---:|---:|" * 4)
for n in sizes:
    cells = []
    for s in "abdf":
        d = json.load(open(os.path.join(res, f"{s}-{n}.json")))
        codes = d.get("statusCodeDistribution") or {}
        ok = sum(v for k, v in codes.items() if k.startswith("2"))
        lat = d["latencyPercentiles"]
        cells += [f"{ok / d['summary']['total']:,.0f}".replace(",", " "),
                  f"{lat['p50'] * 1000:.2f} / {lat['p99'] * 1000:.2f}"]
    size = int(open(os.path.join(res, f"bytes-{n}")).read()) / 2**20
    print(f"| {int(n):,} | {size:,.0f} MiB | ".replace(",", " ") + " | ".join(cells) + " |")
PY
cat "$RESULTS_DIR/table.md"
say "results: $RESULTS_DIR"
