#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the web tests: initdb in a temporary folder, started on a unix socket and
# a loopback port, owned by an unprivileged user when run as root. Source it to get DATABASE_URL:
#   source .ci/postgres.sh && .venv/bin/python -m pytest tests/portal
# `pg_stop` (defined here) stops the cluster and removes the folder; an EXIT trap does the same.
set -euo pipefail
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  return 1 2>/dev/null || exit 1
fi
PG_PORT="${PG_PORT:-55432}"
PG_DIR="$(mktemp -d /tmp/parindex-pg.XXXXXX)"
chmod 755 "$PG_DIR"
RUN=()
if [ "$(id -u)" = "0" ]; then
  id -u parindex-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin parindex-pg
  chown parindex-pg "$PG_DIR"
  RUN=(runuser -u parindex-pg --)
fi
"${RUN[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U parindex --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-k $PG_DIR -p $PG_PORT -h 127.0.0.1 -F -c fsync=off -c max_connections=200" start >/dev/null
export DATABASE_URL="postgres://parindex@127.0.0.1:$PG_PORT/parindex"
"${RUN[@]}" "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U parindex parindex
pg_stop() {
  "${RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap pg_stop EXIT
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)" >&2
