#!/usr/bin/env bash
# Figures for the threat model (loopback only, bounded in time), on the release binary with
# a temporary SQLite database and --auth none:
#   1. peak RSS of the server before and after the k=24 parameter-alias request
#      (2^24 nodes if aliases were substituted without counting)
#   2. how long a runaway statement (three nested any() over 1 000 tags) runs before the
#      statement budget cuts it off
#   3. GET-by-key latency while six runaway queries of the same caller run
# Usage: bash tests/load/hostile.sh [statement-budget-ms (default 5000)]
set -euo pipefail
cd "$(dirname "$0")/../.."
budget=${1:-5000}
cargo build --release -q -p autopilot-model --bin autopilot-server
dir=$(mktemp -d)
port=18932
RUST_LOG=warn ./target/release/autopilot-server --auth none --listen "127.0.0.1:$port" \
    --database-url "sqlite://$dir/hostile.db?mode=rwc" --statement-budget-ms "$budget" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
root="http://127.0.0.1:$port/beta/deviceManagement"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
hwm() { awk '/VmHWM/ {print $2 " kB"}' "/proc/$server/status"; }

echo "peak RSS after start-up: $(hwm)"
q='$filter=targetedAppCount%20eq%20@a0'
for i in $(seq 0 23); do q="$q&@a$i=@a$((i + 1))%20add%20@a$((i + 1))"; done
q="$q&@a24=targetedAppCount"
status=$(curl -s -o "$dir/alias.json" -w '%{http_code}' "$root/autopilotEvents?$q")
echo "k=24 alias request (${#q} bytes of query): HTTP $status, peak RSS now $(hwm)"

tags=$(seq -f '"tag-%g"' 1 1000 | paste -sd, -)
id=$(curl -s "$root/windowsAutopilotDeploymentProfiles" -H 'Content-Type: application/json' \
    -d "{\"@odata.type\":\"#microsoft.graph.azureADWindowsAutopilotDeploymentProfile\",\"displayName\":\"wide\",\"roleScopeTagIds\":[$tags]}" \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
runaway="$root/windowsAutopilotDeploymentProfiles/\$count?\$filter=roleScopeTagIds/any(a:roleScopeTagIds/any(b:roleScopeTagIds/any(c:c%20eq%20concat(a,b))))"
curl -s -o /dev/null -w "runaway \$count: HTTP %{http_code} after %{time_total} s (budget ${budget} ms)\n" "$runaway"

for _ in $(seq 6); do curl -s -o /dev/null "$runaway" & done
sleep 0.5
echo "GET by key while six runaway queries run (10 requests):"
for _ in $(seq 10); do
    curl -s -o /dev/null -w "  HTTP %{http_code} in %{time_total} s\n" "$root/windowsAutopilotDeploymentProfiles/$id"
done
curl -s -o /dev/null -w "/readyz: HTTP %{http_code} in %{time_total} s\n" "http://127.0.0.1:$port/readyz"
wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
echo "peak RSS at the end: $(hwm)"
