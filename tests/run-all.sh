#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, ABNF conformance, framework and
# acceptance tests. The $metadata tests validate against the OASIS XSD with xmllint, so
# libxml2-utils is installed first when it is missing. Extra arguments go to cargo's test
# runner, e.g. `bash tests/run-all.sh -p odata-core`.
#
# The HTTP acceptance suites (the acceptance-tests crate and odata-server's `api` tests) run
# the service on the database ODATA_TEST_BACKEND names: `sqlite` (the default, a file per
# test) or `postgres` (a fresh database per test on the server below). Without extra
# arguments the whole workspace runs on SQLite first, then those two suites run again with
# ODATA_TEST_BACKEND=postgres, each run going on past a failing test binary; with extra
# arguments there is one run, on the backend of the environment. The script fails when any
# run fails.
#
# The PostgreSQL tests get a private cluster started here for the run (tests/pg-cluster.sh:
# Debian's postgresql package installed when missing, initdb into a temporary directory as
# the postgres user, loopback, a free port, trust auth) and stopped at the end. A developer
# may point the tests at a server of their own with ODATA_TEST_POSTGRES_URL instead; either
# way ODATA_REQUIRE_POSTGRES=1 makes those tests fail, never skip, when it is unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v xmllint >/dev/null 2>&1; then
    echo "xmllint not found: installing libxml2-utils"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libxml2-utils
fi

if [ -n "${ODATA_TEST_POSTGRES_URL:-}" ]; then
    echo "PostgreSQL: using ODATA_TEST_POSTGRES_URL from the environment, no cluster started"
else
    # shellcheck source=tests/pg-cluster.sh
    source tests/pg-cluster.sh
    if ! pg_cluster_start; then
        echo "PostgreSQL could not be started for the tests (see above): failing the run" >&2
        exit 1
    fi
fi
export ODATA_TEST_POSTGRES_URL
export ODATA_REQUIRE_POSTGRES=1

both_backends=""
if [ "$#" -eq 0 ]; then
    set -- --workspace --no-fail-fast
    both_backends=1
    export ODATA_TEST_BACKEND=sqlite
fi
# Not `exec`: the EXIT trap of pg-cluster.sh stops the cluster afterwards. Every run runs
# even when an earlier one failed; the script exits non-zero when any of them did.
status=0
cargo test "$@" || status=$?
if [ -n "$both_backends" ]; then
    echo "HTTP acceptance suites again, on PostgreSQL (ODATA_TEST_BACKEND=postgres)"
    export ODATA_TEST_BACKEND=postgres
    # The suites' test targets named under --workspace, so the run reuses the first run's
    # build (`-p` would resolve features anew and build everything a second time).
    targets=(--test api)
    for f in tests/tests/*.rs tests/tests/*/main.rs; do
        name=${f#tests/tests/}
        name=${name%/main.rs}
        targets+=(--test "${name%.rs}")
    done
    cargo test --workspace --no-fail-fast "${targets[@]}" || status=$?
fi
exit "$status"
