#!/usr/bin/env bash
# bench/run.sh — the peer (SAP CAP over SQLite), autopilot-server (on SQLite and on PostgreSQL) and
# the ceiling (bare actix-web + sqlx, no OData) side by side, on this machine, loopback only, one
# server at a time.
#
#   EVENTS=100000 DURATION=10s CONC=32 bash bench/run.sh
#
# 1. Installs / checks what it needs and says so: oha (`cargo install oha --locked` when missing),
#    node + npm (error if missing), `npm ci` in a copy of the CAP peer (about 2 min the first time;
#    node_modules is then cached), python3 (seed.py, bench.sh), curl.
# 2. Builds autopilot-server (release) and the ceiling (its own target dir in the cache).
# 3. Copies ../shared/peers/{cap,ceiling} into a mktemp -d scratch dir (their scripts write beside
#    themselves), and gives every server the same EVENTS events from the CAP peer's seed.py: CAP via
#    its seed.sh, ours through its HTTP API (POST, LOAD_PARALLEL connections), the ceiling seeds
#    its own table of EVENTS rows (id-0 … id-N-1, one fixed 1.3 KB Graph-shaped body).
# 4. Runs the five scenarios of the CAP peer's bench.sh (a key read, b enrollmentState eq + $top=50,
#    c contains + $orderby desc + $top=50, d 3-month eventDateTime range + $count=true + $top=1,
#    e POST) with the same oha settings against CAP and ours (the copied bench.sh itself), and (a)
#    against the ceiling's /row/{id} (it has nothing else; its /static is reported in a note). Each
#    server is (re)started right before its run and stopped right after, so nothing else of ours
#    competes for the cores and its peak RSS (VmHWM) covers the benchmark only.
# 5. Prints one markdown table (req/s, p50/p99, peak RSS, ratios) and a second one (server CPU
#    ms/req, non-2xx) and writes them with the raw oha JSON and server logs to RESULTS_DIR.
# 6. Stops everything it started and removes the scratch dir on exit (results are kept).
#
# Environment (all optional):
#   EVENTS=100000       events per server          DURATION=10s  CONC=32  WARMUP=2s  OHA_THREADS=1
#   PEERS_DIR           default <repo>/../shared/peers
#   RESULTS_DIR         default <repo>/target/odata-bench/<UTC timestamp>
#   BENCH_CACHE         default ~/.cache/odata-bench (ceiling target dir, CAP node_modules)
#   LOAD_PARALLEL=8     connections loading our server
#   OURS_FLAGS          extra autopilot-server flags, e.g. "--max-queries-per-caller 4"
#   PG=1                also run autopilot-server on PostgreSQL: a private cluster of
#                       tests/pg-cluster.sh (installs Debian's postgresql when missing); PG=0 skips
# Not part of the test command (tests/run-all.sh); figures are noisy on a shared 2-core machine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
EVENTS="${EVENTS:-100000}"
DURATION="${DURATION:-10s}"
CONC="${CONC:-32}"
WARMUP="${WARMUP:-2s}"
OHA_THREADS="${OHA_THREADS:-1}"
LOAD_PARALLEL="${LOAD_PARALLEL:-8}"
OURS_FLAGS="${OURS_FLAGS:-}"
PG="${PG:-1}"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
BENCH_CACHE="${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/odata-bench}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/target/odata-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
export DURATION CONC WARMUP OHA_THREADS

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

[[ "$EVENTS" =~ ^[1-9][0-9]*$ ]] || die "EVENTS must be a positive integer (got '$EVENTS')"
[[ -d "$PEERS_DIR/cap" && -d "$PEERS_DIR/ceiling" ]] \
  || die "peers not found in $PEERS_DIR (expected cap/ and ceiling/; set PEERS_DIR)"
PEERS_DIR="$(cd "$PEERS_DIR" && pwd)"

# ---------------------------------------------------------------- cleanup
SCRATCH=""
OURS_PID=""
CEIL_PID=""
CAP_DIR=""
stop_pid() { # pid: SIGTERM, wait up to 10 s, then SIGKILL
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_cap() {
  if [[ -n "$CAP_DIR" && -f "$CAP_DIR/run/cap.pid" ]]; then
    "$CAP_DIR/stop.sh" >/dev/null 2>&1 || true
    cat "$CAP_DIR/run/server.log" >>"$RESULTS_DIR/cap-server.log" 2>/dev/null || true
  fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_cap
  stop_pid "$OURS_PID"
  stop_pid "$CEIL_PID"
  if declare -F pg_cluster_stop >/dev/null; then pg_cluster_stop; fi
  if [[ -n "$SCRATCH" && -d "$SCRATCH" ]]; then rm -rf "$SCRATCH"; fi
  if [[ $rc -ne 0 ]]; then say "failed (exit $rc); partial results and logs in $RESULTS_DIR"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. tools
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required (the CAP peer's seed.py and bench.sh)"
command -v cargo >/dev/null || die "cargo is required"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  die "Node.js and npm are required for the CAP peer (Node >= 20)"
fi
OHA="$(command -v oha || true)"
if [[ -z "$OHA" ]]; then
  OHA="$HOME/.cargo/bin/oha"
  if [[ ! -x "$OHA" ]]; then
    say "oha (load generator) is missing: installing it with 'cargo install oha --locked' into ~/.cargo/bin (a few minutes, once)"
    cargo install oha --locked
  fi
fi
[[ -x "$OHA" ]] || die "oha not found after install"
export OHA
say "tools: oha $("$OHA" --version | awk '{print $2}'), node $(node --version), npm $(npm --version), $(python3 --version)"

mkdir -p "$RESULTS_DIR" "$BENCH_CACHE"
RESULTS_DIR="$(cd "$RESULTS_DIR" && pwd)"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/odata-bench.XXXXXX")"
say "scratch dir $SCRATCH (removed on exit); results in $RESULTS_DIR"

# copies, not the shared originals: their scripts write beside themselves (run/, db/, node_modules/)
cp -r "$PEERS_DIR/cap" "$SCRATCH/cap"
cp -r "$PEERS_DIR/ceiling" "$SCRATCH/ceiling"
chmod -R u+w "$SCRATCH/cap" "$SCRATCH/ceiling"
rm -rf "$SCRATCH/cap/node_modules" "$SCRATCH/cap/run" "$SCRATCH/cap/bench-results" \
       "$SCRATCH/cap/db/"*.sqlite "$SCRATCH/cap/db/"*.sqlite-* "$SCRATCH/ceiling/target"
CAP_DIR="$SCRATCH/cap"

# CAP's dependencies: npm ci, cached per package-lock + Node version (better-sqlite3 is native)
key="$( (cat "$CAP_DIR/package-lock.json"; node --version) | sha256sum | cut -c1-16)"
NM_CACHE="$BENCH_CACHE/cap-node_modules-$key"
if [[ -d "$NM_CACHE/node_modules/@sap/cds" ]]; then
  say "CAP peer: node_modules from the cache ($NM_CACHE)"
  cp -a "$NM_CACHE/node_modules" "$CAP_DIR/node_modules"
else
  say "CAP peer: running 'npm ci' in the copy (about 2 min: compiles better-sqlite3; cached afterwards in $NM_CACHE)"
  (cd "$CAP_DIR" && npm ci --no-audit --no-fund) >"$RESULTS_DIR/npm-ci.log" 2>&1 \
    || { tail -30 "$RESULTS_DIR/npm-ci.log" >&2; die "npm ci failed (log: $RESULTS_DIR/npm-ci.log)"; }
  rm -rf "$NM_CACHE.tmp" && mkdir -p "$NM_CACHE.tmp"
  cp -a "$CAP_DIR/node_modules" "$NM_CACHE.tmp/node_modules"
  rm -rf "$NM_CACHE" && mv "$NM_CACHE.tmp" "$NM_CACHE"
fi

# ---------------------------------------------------------------- 2. builds
say "building autopilot-server (cargo build --release)"
(cd "$ROOT" && cargo build --release -q -p autopilot-model --bin autopilot-server)
# A copy of its own: a build in the same target directory during the run cannot swap it.
OURS_BIN="$SCRATCH/autopilot-server"
cp "$ROOT/target/release/autopilot-server" "$OURS_BIN"
say "building the ceiling (cargo build --release, target dir $BENCH_CACHE/ceiling-target)"
CARGO_TARGET_DIR="$BENCH_CACHE/ceiling-target" \
  cargo build --release -q --locked --manifest-path "$SCRATCH/ceiling/Cargo.toml"
CEIL_BIN="$BENCH_CACHE/ceiling-target/release/ceiling"

# ---------------------------------------------------------------- helpers
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() { # url seconds pid
  local url="$1" secs="$2" pid="$3"
  for _ in $(seq $((secs * 10))); do
    curl -sf -o /dev/null "$url" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
vmhwm_kib() { awk '/VmHWM/{print $2}' "/proc/$1/status" 2>/dev/null || echo ""; }
cputicks() { awk '{sub(/^.*\) /,""); print $12+$13}' "/proc/$1/stat" 2>/dev/null || echo ""; }

CAP_PORT="$(free_port)"
OURS_PORT="$(free_port)"
CEIL_PORT="$(free_port)"
OURS_BASE="http://127.0.0.1:$OURS_PORT/beta/deviceManagement"
CEIL_BASE="http://127.0.0.1:$CEIL_PORT"

start_ours() { # [database URL] (default: the SQLite file)
  local url="${1:-sqlite://$SCRATCH/ours.db?mode=rwc}"
  # shellcheck disable=SC2086  # OURS_FLAGS is a list of flags
  RUST_LOG=warn "$OURS_BIN" --auth none --listen "127.0.0.1:$OURS_PORT" \
    --database-url "$url" $OURS_FLAGS >>"$RESULTS_DIR/ours-server.log" 2>&1 &
  OURS_PID=$!
  wait_http "http://127.0.0.1:$OURS_PORT/healthz" 30 "$OURS_PID" \
    || { tail -20 "$RESULTS_DIR/ours-server.log" >&2; die "autopilot-server did not start"; }
}
start_ceiling() {
  LISTEN="127.0.0.1:$CEIL_PORT" DB="$SCRATCH/ceiling.db" ROWS="$EVENTS" \
    "$CEIL_BIN" >>"$RESULTS_DIR/ceiling-server.log" 2>&1 &
  CEIL_PID=$!
  # it fills its table before it binds the port
  wait_http "$CEIL_BASE/static" 300 "$CEIL_PID" \
    || { tail -20 "$RESULTS_DIR/ceiling-server.log" >&2; die "the ceiling did not start"; }
}
start_cap() {
  (cd "$CAP_DIR" && PORT="$CAP_PORT" ./start.sh) >>"$RESULTS_DIR/cap-start.log" 2>&1 \
    || { tail -30 "$RESULTS_DIR/cap-start.log" >&2; die "the CAP peer did not start"; }
}

# ---------------------------------------------------------------- 3. data
say "data: $EVENTS events from the CAP peer's seed.py"
python3 "$CAP_DIR/seed.py" jsonl "$EVENTS" >"$SCRATCH/events.jsonl"
(cd "$CAP_DIR" && ./deploy.sh && ./seed.sh "$EVENTS") >"$RESULTS_DIR/cap-seed.log" 2>&1 \
  || { tail -30 "$RESULTS_DIR/cap-seed.log" >&2; die "seeding the CAP peer failed"; }
say "CAP peer: $(tail -1 "$RESULTS_DIR/cap-seed.log")"

load_ours() { # the events, POSTed to the running autopilot-server
python3 - "$SCRATCH/events.jsonl" "127.0.0.1" "$OURS_PORT" "/beta/deviceManagement/autopilotEvents" \
  "$LOAD_PARALLEL" <<'PY'
import http.client, sys, threading, time
path, host, port, url, par = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
lines = open(path, "rb").read().splitlines()
lock, pos, errors = threading.Lock(), [0], []
def worker():
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while not errors:
        with lock:
            i = pos[0]; pos[0] += 1
        if i >= len(lines):
            break
        conn.request("POST", url, body=lines[i], headers={"Content-Type": "application/json"})
        r = conn.getresponse(); body = r.read()
        if r.status != 201:
            errors.append(f"event #{i}: HTTP {r.status}: {body[:400]!r}")
    conn.close()
def progress():
    while not done.wait(15):
        n = min(pos[0], len(lines))
        print(f"bench:   {n} / {len(lines)} events ({n / (time.time() - t0):.0f}/s)", file=sys.stderr)
done = threading.Event()
t0 = time.time()
threading.Thread(target=progress, daemon=True).start()
ts = [threading.Thread(target=worker) for _ in range(par)]
for t in ts: t.start()
for t in ts: t.join()
done.set()
if errors:
    sys.exit("loading failed: " + errors[0])
dt = time.time() - t0
print(f"bench: loaded {len(lines)} events in {dt:.1f}s ({len(lines) / dt:.0f}/s)", file=sys.stderr)
PY
  local n
  n="$(curl -s "$OURS_BASE/autopilotEvents/\$count")"
  [[ "$n" == "$EVENTS" ]] || die "autopilot-server holds $n events, expected $EVENTS"
}

say "autopilot-server: loading the same $EVENTS events through POST ($LOAD_PARALLEL connections; ~1-2 min per 100 000)"
start_ours
load_ours
stop_pid "$OURS_PID"; OURS_PID=""

PG_URL=""
if [[ "$PG" == 1 ]]; then
  say "PostgreSQL: a private cluster (tests/pg-cluster.sh)"
  # shellcheck source=../tests/pg-cluster.sh
  source "$ROOT/tests/pg-cluster.sh"
  pg_cluster_start >&2 || die "PostgreSQL did not start"
  trap cleanup EXIT # pg_cluster_start armed its own; cleanup stops the cluster too
  PG_URL="$ODATA_TEST_POSTGRES_URL"
  say "autopilot-server on PostgreSQL: loading the same $EVENTS events through POST"
  start_ours "$PG_URL"
  load_ours
  stop_pid "$OURS_PID"; OURS_PID=""
fi

say "ceiling: seeding its own table of $EVENTS rows"
start_ceiling
stop_pid "$CEIL_PID"; CEIL_PID=""

# ---------------------------------------------------------------- 4. scenarios, one server at a time
run_bench_sh() { # label dir base_url key_style pid
  mkdir -p "$RESULTS_DIR/$2"
  BASE_URL="$3" LABEL="$1" KEY_STYLE="$4" SERVER_PID="$5" OUT_DIR="$RESULTS_DIR/$2" \
    "$CAP_DIR/bench.sh" >"$RESULTS_DIR/$2/bench.md" 2>"$RESULTS_DIR/$2/bench.log" \
    || { cat "$RESULTS_DIR/$2/bench.log" >&2; die "bench.sh against $1 failed"; }
  cat "$RESULTS_DIR/$2/bench.md" >&2
}
oha_one() { # dir name url pid — the same oha settings bench.sh uses
  local dir="$RESULTS_DIR/$1" t0 t1 code
  mkdir -p "$dir"
  code=$(curl -s -o "$dir/$2.sample" -w '%{http_code}' "$3")
  echo "# ($2) sanity HTTP $code, $(wc -c <"$dir/$2.sample") bytes: $3" >>"$dir/bench.log"
  [[ "$code" == 200 ]] || die "the ceiling answered $code to $3"
  if [[ "$WARMUP" != 0 ]]; then
    "$OHA" --no-tui --worker-threads "$OHA_THREADS" -z "$WARMUP" -c "$CONC" --output-format quiet "$3" >/dev/null 2>&1 || true
  fi
  t0=$(cputicks "$4")
  "$OHA" --no-tui --worker-threads "$OHA_THREADS" -z "$DURATION" -c "$CONC" --output-format json "$3" >"$dir/$2.json"
  t1=$(cputicks "$4")
  echo "$t0 $t1 $(getconf CLK_TCK)" >"$dir/$2.cpu"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
say "CAP peer: 5 scenarios, $CONC connections, $DURATION each (+$WARMUP warm-up)"
start_cap
CAP_PID="$(cat "$CAP_DIR/run/cap.pid")"
run_bench_sh "CAP" cap "http://127.0.0.1:$CAP_PORT/beta/deviceManagement" paren-quoted "$CAP_PID"
vmhwm_kib "$CAP_PID" >"$RESULTS_DIR/cap/vmhwm_kib"
stop_cap

say "autopilot-server: 5 scenarios"
start_ours
run_bench_sh "ours" ours "$OURS_BASE" segment "$OURS_PID"
vmhwm_kib "$OURS_PID" >"$RESULTS_DIR/ours/vmhwm_kib"
stop_pid "$OURS_PID"; OURS_PID=""

if [[ -n "$PG_URL" ]]; then
  say "autopilot-server on PostgreSQL: 5 scenarios"
  start_ours "$PG_URL"
  run_bench_sh "ours (PostgreSQL)" ours-pg "$OURS_BASE" segment "$OURS_PID"
  vmhwm_kib "$OURS_PID" >"$RESULTS_DIR/ours-pg/vmhwm_kib"
  stop_pid "$OURS_PID"; OURS_PID=""
fi

say "ceiling: (a) /row/{id} and /static"
start_ceiling
oha_one ceiling a "$CEIL_BASE/row/id-0" "$CEIL_PID"
oha_one ceiling static "$CEIL_BASE/static" "$CEIL_PID"
vmhwm_kib "$CEIL_PID" >"$RESULTS_DIR/ceiling/vmhwm_kib"
stop_pid "$CEIL_PID"; CEIL_PID=""
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- 5. the table
CAP_VERSION="$(node -p 'require(process.argv[1]).version' "$CAP_DIR/node_modules/@sap/cds/package.json" 2>/dev/null || echo '?')"
python3 - "$RESULTS_DIR" "$EVENTS" "$CONC" "$DURATION" "$WARMUP" "$OHA_THREADS" \
  "$("$OHA" --version | awk '{print $2}')" "$LOAD_BEFORE" "$LOAD_AFTER" "$CAP_VERSION" "$(node --version)" \
  "$(nproc)" >"$RESULTS_DIR/table.md" <<'PY'
import json, os, sys
res, events, conc, dur, warm, thr, ohav, lb, la, capv, nodev, ncpu = sys.argv[1:13]
SC = [("a", "(a) GET by key"), ("b", "(b) enrollmentState eq, $top=50"),
      ("c", "(c) contains(serial,'12'), $orderby desc, $top=50"),
      ("d", "(d) 3-month eventDateTime range, $count, $top=1"), ("e", "(e) POST event")]
SERVERS = ["cap", "ours", "ours-pg", "ceiling"]

def cpu_from_bench_md(srv):
    out = {}
    p = os.path.join(res, srv, "bench.md")
    if os.path.exists(p):
        for line in open(p):
            parts = [x.strip() for x in line.split("|")]
            if len(parts) > 9 and parts[2][:3] in {f"({s})" for s, _ in SC}:
                out[parts[2][1]] = parts[8]
    return out

def load(srv, s):
    p = os.path.join(res, srv, f"{s}.json")
    if not os.path.exists(p):
        return None
    d = json.load(open(p))
    codes = d.get("statusCodeDistribution") or {}
    ok = sum(v for k, v in codes.items() if k.startswith("2"))
    bad = sum(v for k, v in codes.items() if not k.startswith("2"))
    errs = sum(v for k, v in (d.get("errorDistribution") or {}).items() if "deadline" not in k)
    lat = d.get("latencyPercentiles") or {}
    r = {"rps": ok / d["summary"]["total"], "p50": lat.get("p50"), "p99": lat.get("p99"),
         "bad": bad, "errs": errs, "cpu": None}
    cp = os.path.join(res, srv, f"{s}.cpu")
    if os.path.exists(cp):
        t0, t1, hz = (open(cp).read().split() + ["", "", ""])[:3]
        if t0 and t1 and ok + bad:
            r["cpu"] = f"{(int(t1) - int(t0)) * 1000 / int(hz) / (ok + bad):.2f}"
    else:
        r["cpu"] = CPU[srv].get(s)
    return r

CPU = {srv: cpu_from_bench_md(srv) for srv in SERVERS}
R = {srv: {s: load(srv, s) for s, _ in SC + [("static", "")]} for srv in SERVERS}
DASH = "—"
def rps(r): return f"{r['rps']:,.0f}".replace(",", " ") if r else DASH
def ms(v): return DASH if v is None else (f"{v * 1000:.1f}" if v * 1000 >= 10 else f"{v * 1000:.2f}")
def lat(r): return f"{ms(r['p50'])} / {ms(r['p99'])}" if r else DASH
def ratio(x, y): return f"{x / y:.2f}×" if x and y else DASH
def hwm(srv):
    try:
        return int(open(os.path.join(res, srv, "vmhwm_kib")).read().strip()) / 1024
    except (OSError, ValueError):
        return None

nev = f"{int(events):,}".replace(",", " ")
print(f"## autopilot-server vs the CAP peer vs the ceiling: {nev} events, {conc} connections, "
      f"{dur} per scenario")
print()
print(f"oha {ohav} (`-c {conc} -z {dur}`, {warm} warm-up, {thr} worker thread(s)), one server at a time, "
      f"{ncpu} cores; load average {lb} before, {la} after. CAP {capv} on Node {nodev}; ours on SQLite "
      "and on PostgreSQL (`--auth none`; PostgreSQL's server on the same cores); the ceiling is "
      "bare actix-web + sqlx (no OData; (a) only).")
print()
print("| scenario | CAP req/s | CAP p50 / p99 ms | ours req/s | ours p50 / p99 ms "
      "| ours PG req/s | ours PG p50 / p99 ms | ceiling req/s | ceiling p50 / p99 ms "
      "| ours/CAP | ours PG/CAP | ours/ceiling |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s, name in SC:
    c, o, g, k = (R[srv][s] for srv in SERVERS)
    print(f"| {name} | {rps(c)} | {lat(c)} | {rps(o)} | {lat(o)} | {rps(g)} | {lat(g)} "
          f"| {rps(k)} | {lat(k)} | {ratio(o and o['rps'], c and c['rps'])} "
          f"| {ratio(g and g['rps'], c and c['rps'])} | {ratio(o and o['rps'], k and k['rps'])} |")
h = {srv: hwm(srv) for srv in SERVERS}
f = lambda v: f"{v:.0f} MiB" if v else DASH
print(f"| peak RSS (VmHWM) | {f(h['cap'])} | | {f(h['ours'])} | | {f(h['ours-pg'])} | "
      f"| {f(h['ceiling'])} | | {ratio(h['ours'], h['cap'])} | {ratio(h['ours-pg'], h['cap'])} "
      f"| {ratio(h['ours'], h['ceiling'])} |")
print()
st = R["ceiling"]["static"]
if st:
    print(f"Ceiling `/static` (fixed body, no database): {rps(st)} req/s, p50 / p99 {lat(st)} ms.")
print("Ratios are req/s (higher is better for ours) and peak RSS (lower is better); ours PG's CPU and RSS "
      "are autopilot-server's own, PostgreSQL's processes not counted. "
      "The ceiling's (a) reads one row of its own table by key and re-serialises a fixed body.")
print()
print("| scenario | CAP CPU ms/req | ours CPU ms/req | ours PG CPU ms/req | ceiling CPU ms/req "
      "| non-2xx CAP / ours / ours PG / ceiling |")
print("|---|---:|---:|---:|---:|---:|")
for s, name in SC:
    rr = [R[srv][s] for srv in SERVERS]
    cpu = [(r["cpu"] or DASH) if r else DASH for r in rr]
    bad = " / ".join(DASH if r is None else str(r["bad"] + r["errs"]) for r in rr)
    print(f"| {name} | {cpu[0]} | {cpu[1]} | {cpu[2]} | {cpu[3]} | {bad} |")
PY
echo
cat "$RESULTS_DIR/table.md"
echo
say "raw oha JSON, bench.sh output and server logs: $RESULTS_DIR (table: $RESULTS_DIR/table.md)"
