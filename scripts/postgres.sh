#!/usr/bin/env bash
# A private PostgreSQL server for the tests: `postgres.sh start PORT` installs the Debian
# package when missing, starts a throw-away cluster on 127.0.0.1:PORT and prints
# `export DATABASE_URL=...`; `postgres.sh stop PORT` stops it.
set -euo pipefail
ACTION="$1"; PORT="${2:-54329}"
DATA="/tmp/coact-pg-$PORT"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sudo -u postgres sh -c "$*"; fi; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ "$ACTION" = stop ]; then
  BIN="$(bindir)"; [ -n "$BIN" ] && as_pg "$BIN/pg_ctl -D $DATA -m fast stop" >/dev/null 2>&1 || true
  exit 0
fi

if [ -z "$(bindir)" ]; then
  echo "installing postgresql with apt" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"
if ! as_pg "$BIN/pg_ctl -D $DATA status" >/dev/null 2>&1; then
  as_root rm -rf "$DATA"; as_root mkdir -p "$DATA"; as_root chown postgres "$DATA"
  as_pg "$BIN/initdb -D $DATA -U postgres -A trust -E UTF8 --locale=C.UTF-8" >/dev/null
  as_pg "$BIN/pg_ctl -D $DATA -l $DATA/log -w -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200' start" >/dev/null
fi
as_pg "$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -tAc \"SELECT 1 FROM pg_roles WHERE rolname='coact'\"" | grep -q 1 \
  || as_pg "$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -c \"CREATE ROLE coact LOGIN CREATEDB PASSWORD 'coact'\"" >/dev/null
as_pg "$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='coact'\"" | grep -q 1 \
  || as_pg "$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -c \"CREATE DATABASE coact OWNER coact\"" >/dev/null
echo "export DATABASE_URL=postgres://coact:coact@127.0.0.1:$PORT/coact"
