#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, ABNF conformance, framework and
# acceptance tests. The $metadata tests validate against the OASIS XSD with xmllint, so
# libxml2-utils is installed first when it is missing. Extra arguments go to cargo's test
# runner, e.g. `bash tests/run-all.sh -p odata-core`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v xmllint >/dev/null 2>&1; then
    echo "xmllint not found: installing libxml2-utils"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libxml2-utils
fi

if [ "$#" -eq 0 ]; then
    set -- --workspace
fi
exec cargo test "$@"
