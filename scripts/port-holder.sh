#!/usr/bin/env bash
# Who listens on a local port, said so an operator can act: for a broker or database started by
# scripts/kafka.sh or scripts/postgres.sh (of any clone), the command that stops it.
# usage: scripts/port-holder.sh PORT   (prints who, or nothing when it cannot tell)
set -uo pipefail
port=${1:?port}
command -v ss >/dev/null || exit 0
pid=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$pid" ] || exit 0
args=()
while IFS= read -r -d '' a; do args+=("$a"); done <"/proc/$pid/cmdline" 2>/dev/null
here=$(cd "$(dirname "$0")" && pwd)
for i in "${!args[@]}"; do
  # The postmaster runs as `postgres -D DIR/data ...`.
  if [ "${args[$i]}" = "-D" ] && [[ "$(basename "${args[0]}")" == postgres ]]; then
    dir=$(dirname "${args[$((i + 1))]}")
    # A folder in the postgres user's home stands for the DIR named in its origin file.
    [ -f "$dir/origin" ] && dir=$(cat "$dir/origin")
    echo "a PostgreSQL server of The Eye (pid $pid, data in $dir): stop it with \`$here/postgres.sh stop $dir $port\`"
    exit 0
  fi
  # The broker runs as `java ... kafka.Kafka DIR/server.properties`.
  if [ "${args[$i]}" = "kafka.Kafka" ]; then
    dir=$(dirname "${args[$((i + 1))]}")
    # Its client port, which the stop command names (the controller's is the next one).
    own=$(grep -o 'PLAINTEXT://127.0.0.1:[0-9]*' "${args[$((i + 1))]}" 2>/dev/null | head -1 | cut -d: -f3)
    echo "a Kafka broker of The Eye (pid $pid, data in $dir): stop it with \`$here/kafka.sh stop $dir ${own:-$port}\`"
    exit 0
  fi
done
echo "$(basename "${args[0]:-unknown}") (pid $pid)"
