#!/usr/bin/env bash
# A PostgreSQL server of the project's own, in a data folder the scripts own, from Debian's packages.
# usage: scripts/postgres.sh start|stop|discard|status DATA_DIR PORT
# start also makes the role and database eye/eye, so the default DSN works. discard is stop,
# then the removal of the server's files when they live outside DATA_DIR (see below).
set -euo pipefail
cmd=${1:?start|stop|status}; dir=${2:?data dir}; port=${3:?port}

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$d" ]; then
    echo "postgres: installing Debian's postgresql package" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$d"
}

# initdb and postgres refuse to run as root: run them as the package's postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin=$(bindir)
# The server runs as the postgres user when we are root; if that user cannot reach $dir (a
# clone in a private folder, say), its files live in a folder of that user's, named after $dir.
# The parent is made first: were it missing, start would choose that other folder and every
# later call, once something else made the parent, would look for the server in $dir.
# Such a folder holds an `origin` file naming $dir: a later start removes it once the clone it
# belongs to is gone, and `discard` removes it when its server stops.
mkdir -p "$(dirname "$dir")"
home=""
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
  home="/var/lib/postgresql/eye-$(echo "$dir" | sha1sum | cut -c1-12)"
  origin=$dir
  dir=$home
fi
data="$dir/data"
sock="$dir/run"

# Folders of the postgres user's whose clone no longer exists, and whose server is not running.
sweep() {
  local d origin
  for d in /var/lib/postgresql/eye-*; do
    [ -f "$d/origin" ] && [ "$d" != "$home" ] || continue
    origin=$(cat "$d/origin")
    [ -d "$(dirname "$origin")" ] && continue
    as_owner "$bin/pg_ctl" -D "$d/data" status >/dev/null 2>&1 && continue
    rm -rf "$d" && echo "postgres: removed $d, left by $origin, which is gone" >&2
  done
  return 0
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
  start)
    [ "$(id -u)" = 0 ] && sweep
    # Checked before anything is made, so a start that cannot run leaves nothing behind.
    if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1 && port_taken "$port"; then
      held=$("$(dirname "$0")/port-holder.sh" "$port")
      echo "postgres: port $port is taken by ${held:-another process; stop it}, or choose another port" >&2; exit 1
    fi
    mkdir -p "$dir" "$sock"
    [ -n "$home" ] && echo "$origin" >"$home/origin"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir" "$sock"
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    fi
    if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "postgres: already running"
    else
      as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=${EYE_PG_FSYNC:-on} -c max_connections=200" >/dev/null
    fi
    psql() { as_owner "$bin/psql" -h "$sock" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
    [ "$(psql -c "select 1 from pg_roles where rolname='eye'")" = 1 ] ||
      psql -c "create role eye login createdb password 'eye'"
    [ "$(psql -c "select 1 from pg_database where datname='eye'")" = 1 ] ||
      psql -c "create database eye owner eye"
    echo "postgres: ready on 127.0.0.1:$port" ;;
  stop|discard)
    if [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null && echo "postgres: stopped"
    fi
    if [ "$cmd" = discard ] && [ -n "$home" ]; then
      rm -rf "$home" && echo "postgres: removed $home"
    fi ;;
  status) as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1 ;;
  *) echo "usage: $0 start|stop|discard|status DATA_DIR PORT" >&2; exit 2 ;;
esac
