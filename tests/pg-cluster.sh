# A private PostgreSQL cluster for one test run, sourced by tests/run-all.sh:
#
#     source tests/pg-cluster.sh
#     pg_cluster_start      # sets and exports ODATA_TEST_POSTGRES_URL, arms an EXIT trap
#     ...                   # run the tests
#
# pg_cluster_start installs Debian's `postgresql` package when no initdb is found, runs
# `initdb` into a new temporary directory as the `postgres` user (trust auth), starts the
# server on 127.0.0.1 at a free port with its socket in that directory, creates the database
# `odata_test` and exports ODATA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/odata_test.
# The server also accepts TLS, with a certificate for 127.0.0.1 from a throwaway CA made by
# openssl; ODATA_TEST_POSTGRES_CA is exported as the CA file to verify the server with.
# The EXIT trap stops the server (`pg_ctl stop -m immediate`) and removes the directory. When
# the server cannot start, the log is printed and the function returns non-zero.
#
# As root the script switches to `postgres` with runuser (or su); as any other user but
# `postgres` it uses sudo, as the xmllint install of run-all.sh does.

PG_CLUSTER_DIR=""
PG_CLUSTER_BIN=""
PG_CLUSTER_SUDO=""

# Runs a command as the `postgres` user, in the cluster directory (the caller's directory
# may not be readable by `postgres`).
pg_as_postgres() {
    if [ "$(id -un)" = "postgres" ]; then
        (cd "$PG_CLUSTER_DIR" && "$@")
    elif [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null 2>&1; then
        (cd "$PG_CLUSTER_DIR" && runuser -u postgres -- "$@")
    elif [ "$(id -u)" -eq 0 ]; then
        (cd "$PG_CLUSTER_DIR" && su postgres -s /bin/bash -c "$(printf '%q ' "$@")")
    else
        (cd "$PG_CLUSTER_DIR" && sudo -u postgres -- "$@")
    fi
}

# The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or of the initdb on
# PATH; empty when there is none.
pg_find_bin() {
    local initdb
    initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$initdb" ]; then
        initdb=$(command -v initdb 2>/dev/null || true)
    fi
    if [ -n "$initdb" ]; then
        dirname "$initdb"
    fi
}

# A TCP port nobody listens on at the moment (the start is retried if it is taken meanwhile).
pg_free_port() {
    local port used
    if command -v python3 >/dev/null 2>&1 &&
        port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null) && [ -n "$port" ]; then
        echo "$port"
        return 0
    fi
    used=$(ss -Hltn 2>/dev/null | awk '{print $4}' | sed 's/.*://' || true)
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 40000))
        if ! grep -qx "$port" <<<"$used"; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

pg_cluster_stop() {
    if [ -n "$PG_CLUSTER_DIR" ] && [ -d "$PG_CLUSTER_DIR" ]; then
        pg_as_postgres "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m immediate -w \
            stop >/dev/null 2>&1 || true
        $PG_CLUSTER_SUDO rm -rf "$PG_CLUSTER_DIR" || true
    fi
    PG_CLUSTER_DIR=""
}

pg_cluster_start() {
    if [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != "postgres" ]; then
        PG_CLUSTER_SUDO="sudo"
    fi

    PG_CLUSTER_BIN=$(pg_find_bin)
    if [ -z "$PG_CLUSTER_BIN" ]; then
        echo "PostgreSQL (initdb) not found: installing postgresql"
        if ! command -v apt-get >/dev/null 2>&1; then
            echo "pg-cluster: no initdb and no apt-get to install PostgreSQL with" >&2
            return 1
        fi
        $PG_CLUSTER_SUDO apt-get update -qq || return 1
        $PG_CLUSTER_SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql ||
            return 1
        PG_CLUSTER_BIN=$(pg_find_bin)
        if [ -z "$PG_CLUSTER_BIN" ]; then
            echo "pg-cluster: postgresql installed but no initdb under /usr/lib/postgresql/*/bin" >&2
            return 1
        fi
    fi
    if ! id postgres >/dev/null 2>&1; then
        echo "pg-cluster: there is no 'postgres' user to run the server as" >&2
        return 1
    fi

    PG_CLUSTER_DIR=$(mktemp -d /tmp/odata-pg.XXXXXX) || return 1
    trap pg_cluster_stop EXIT
    # Owned by `postgres`, which writes the data, the socket and the log there; readable by
    # the caller, which changes into it before switching user.
    $PG_CLUSTER_SUDO chown postgres: "$PG_CLUSTER_DIR" || return 1
    $PG_CLUSTER_SUDO chmod 0755 "$PG_CLUSTER_DIR" || return 1

    local out
    if ! out=$(pg_as_postgres "$PG_CLUSTER_BIN/initdb" -D "$PG_CLUSTER_DIR/data" -U postgres \
        --auth=trust --locale=C --encoding=UTF8 2>&1); then
        echo "$out" >&2
        echo "pg-cluster: initdb failed" >&2
        return 1
    fi

    # TLS: a throwaway CA and a server certificate for 127.0.0.1 signed by it, so the tests
    # can connect with sslmode=verify-full (ODATA_TEST_POSTGRES_CA) as well as without TLS.
    local tls="$PG_CLUSTER_DIR/tls"
    if ! out=$(pg_as_postgres bash -c '
        set -e
        mkdir "$1" && cd "$1"
        openssl req -new -x509 -days 2 -nodes -subj "/CN=odata test CA" \
            -keyout ca.key -out ca.crt
        openssl req -new -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
        printf "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" > server.ext
        openssl x509 -req -days 2 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -extfile server.ext -out server.crt
        chmod 0600 server.key ca.key
        chmod 0644 ca.crt
        chmod 0755 .' _ "$tls" 2>&1); then
        echo "$out" >&2
        echo "pg-cluster: openssl could not make the TLS certificates" >&2
        return 1
    fi

    local port="" attempt started="" log=""
    for attempt in 1 2 3 4 5; do
        port=$(pg_free_port) || {
            echo "pg-cluster: no free TCP port found" >&2
            return 1
        }
        log="$PG_CLUSTER_DIR/log.$attempt"
        # A small WAL: every CREATE DATABASE logs the whole template (~8 MB), and the default
        # max_wal_size kept a gigabyte of it on disk.
        if pg_as_postgres "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" \
            -o "-k $PG_CLUSTER_DIR -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=128MB -c min_wal_size=32MB -c max_connections=200 -c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key" \
            -l "$log" -w -t 60 start >/dev/null 2>&1; then
            started=1
            break
        fi
        # Another process took the port between the choice and the start: try another.
        if ! $PG_CLUSTER_SUDO grep -qE 'could not bind|Address already in use' "$log" 2>/dev/null; then
            break
        fi
        echo "pg-cluster: port $port taken (attempt $attempt)"
    done
    if [ -z "$started" ]; then
        echo "pg-cluster: PostgreSQL did not start; its log ($log):" >&2
        $PG_CLUSTER_SUDO cat "$log" >&2 || true
        return 1
    fi

    if ! out=$("$PG_CLUSTER_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres odata_test 2>&1); then
        echo "$out" >&2
        echo "pg-cluster: could not create database odata_test; the server log:" >&2
        $PG_CLUSTER_SUDO cat "$log" >&2 || true
        return 1
    fi

    export ODATA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/odata_test"
    export ODATA_TEST_POSTGRES_CA="$PG_CLUSTER_DIR/tls/ca.crt"
    echo "pg-cluster: PostgreSQL $("$PG_CLUSTER_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$port ($PG_CLUSTER_DIR)"
}
