#!/usr/bin/env bash
# Installs (if needed) and starts Debian's PostgreSQL, then creates a
# throwaway database and role for the store tests.
#
# Idempotent: safe to run again; the test database is dropped and created
# anew each time so every run starts from an empty database.
#
# Use either way:
#     source .ci/postgres.sh              # exports REHABBOT_TEST_DATABASE_URL
#     eval "$(bash .ci/postgres.sh)"      # the same, from a separate process
# Standard output is exactly one line, `export REHABBOT_TEST_DATABASE_URL=…`;
# progress goes to standard error. The work runs in a subshell, so sourcing
# the script changes nothing in the caller's shell but that one variable.

_rehabbot_postgres_setup() (
    set -euo pipefail

    log() { printf 'postgres.sh: %s\n' "$*" >&2; }

    DB_NAME="${REHABBOT_TEST_DB_NAME:-rehabbot_test}"
    DB_USER="${REHABBOT_TEST_DB_USER:-rehabbot_test}"
    DB_PASSWORD="${REHABBOT_TEST_DB_PASSWORD:-rehabbot_test}"

    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            log "must run as root (or with sudo) to install and start PostgreSQL"
            exit 1
        fi
    fi

    if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        log "installing Debian's postgresql package"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi

    # The newest installed server version.
    VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

    if ! pg_lsclusters --no-header 2>/dev/null | awk '{print $1, $2}' | grep -qx "$VERSION main"; then
        log "creating cluster $VERSION/main"
        $SUDO pg_createcluster "$VERSION" main >&2
    fi

    STATUS="$(pg_lsclusters --no-header | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $4}')"
    if [ "$STATUS" != "online" ]; then
        log "starting cluster $VERSION/main"
        $SUDO pg_ctlcluster "$VERSION" main start >&2
    fi
    PORT="$(pg_lsclusters --no-header | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')"

    psql_admin() {
        $SUDO runuser -u postgres -- psql --no-psqlrc -v ON_ERROR_STOP=1 -q -p "$PORT" "$@"
    }

    # Wait until the server accepts connections (a fresh start can take a moment).
    for _ in $(seq 1 30); do
        if psql_admin -c 'SELECT 1' >/dev/null 2>&1; then
            break
        fi
        sleep 1
    done

    log "creating role $DB_USER and database $DB_NAME on port $PORT"
    psql_admin >&2 <<SQL
SET client_min_messages = warning;
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE "$DB_USER" LOGIN PASSWORD '$DB_PASSWORD';
    ELSE
        ALTER ROLE "$DB_USER" LOGIN PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
DROP DATABASE IF EXISTS "$DB_NAME" WITH (FORCE);
CREATE DATABASE "$DB_NAME" OWNER "$DB_USER";
SQL

    echo "postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
)

if _rehabbot_postgres_url="$(_rehabbot_postgres_setup)"; then
    export REHABBOT_TEST_DATABASE_URL="$_rehabbot_postgres_url"
    echo "export REHABBOT_TEST_DATABASE_URL=$_rehabbot_postgres_url"
    unset -f _rehabbot_postgres_setup
    unset _rehabbot_postgres_url
else
    echo "postgres.sh: could not set up PostgreSQL" >&2
    unset -f _rehabbot_postgres_setup
    # `return` when sourced, `exit` when run as a script.
    return 1 2>/dev/null || exit 1
fi
