# A PostgreSQL cluster of the benchmark's own, under "$WORK/pg", listening only on a Unix
# socket there; durable like the SQLite engine (fsync on, synchronous_commit on), so the two
# engines are compared on equal terms. Sourced by scripts/bench; gone with "$WORK".

PG_BIN="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)"
PG_PID=""

# Runs a PostgreSQL program as the unprivileged user the cluster belongs to.
pg_run() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$PG_BIN/$1" "${@:2}"
  else
    "$PG_BIN/$1" "${@:2}"
  fi
}

pg_start() {
  [ -n "$PG_BIN" ] || { echo "bench: PostgreSQL is not installed (scripts/install-test-deps.sh)" >&2; exit 1; }
  mkdir -p "$WORK/pg"
  chmod 755 "$WORK"
  [ "$(id -u)" -ne 0 ] || chown postgres "$WORK/pg"
  pg_run initdb -D "$WORK/pg/data" -A trust -U frontdesk -E UTF8 --no-instructions >/dev/null
  pg_run postgres -D "$WORK/pg/data" -c listen_addresses= -c "unix_socket_directories=$WORK/pg" \
    -c max_connections=300 -c shared_buffers=256MB -c log_min_messages=warning \
    >>"$WORK/pg/server.log" 2>&1 &
  PG_PID=$!
  for _ in $(seq 100); do
    pg_run psql -h "$WORK/pg" -U frontdesk -d postgres -qAtc "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: PostgreSQL did not start; its log:" >&2
  cat "$WORK/pg/server.log" >&2
  exit 1
}

pg_stop() {
  if [ -n "$PG_PID" ]; then
    kill -INT "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" 2>/dev/null || true
    PG_PID=""
  fi
}

# A new empty database; prints its URL.
pg_new_database() {
  pg_run psql -h "$WORK/pg" -U frontdesk -d postgres -qAtc "CREATE DATABASE $1" >/dev/null
  printf 'postgres://frontdesk@%s/%s' "$(printf '%s' "$WORK/pg" | sed 's|/|%2F|g')" "$1"
}

# CPU seconds (user + system) used so far by the cluster: the postmaster and its children
# (a backend per connection, the writers), including children that have exited.
pg_cpu_seconds() {
  local postmaster ticks=0 pid
  postmaster="$(head -1 "$WORK/pg/data/postmaster.pid")"
  for pid in "$postmaster" $(pgrep -P "$postmaster"); do
    ticks=$((ticks + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "scale=2; $ticks / $(getconf CLK_TCK)" | bc
}

# Transactions committed and rolled back in database $1 so far (a rollback is a refusal, or a
# lost serialization race that the server then ran again).
pg_transactions() {
  pg_run psql -h "$WORK/pg" -U frontdesk -d postgres -qAtc \
    "SELECT 'PostgreSQL        ' || xact_commit || ' transactions committed, ' || xact_rollback || ' rolled back'
     FROM pg_stat_database WHERE datname = '$1'"
}
