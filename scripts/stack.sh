#!/usr/bin/env bash
# `make up` / `make down`: the whole stack on this machine, with a demo, in the background.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.cache/stack
eye=.venv/bin/eye
kafka_port=${EYE_STACK_KAFKA_PORT:-9092}
pg_port=${EYE_STACK_PG_PORT:-5432}
export EYE_KAFKA_BOOTSTRAP=${EYE_KAFKA_BOOTSTRAP:-127.0.0.1:$kafka_port}
export EYE_DATABASE_URL=${EYE_DATABASE_URL:-postgresql://eye:eye@127.0.0.1:$pg_port/eye}
export EYE_STATE_DIR=${EYE_STATE_DIR:-$state/worker-state}
api_port=${EYE_API_PORT:-8000}
worker_port=${EYE_WORKER_PORT:-6066}

# The worker and the API run under eye.supervise (eye/supervise.py): a process that exits is
# restarted after 1 s, doubling to 30 s (back to 1 s once it ran a minute), and each exit is
# written with its reason and last log lines to $journal. The pid file holds the supervisor's.
journal=$state/supervisor.log

start_bg() {  # name, command...
  local name=$1; shift
  if [ -f "$state/$name.pid" ] && kill -0 "$(cat "$state/$name.pid")" 2>/dev/null; then return; fi
  : >"$state/$name.log"
  nohup .venv/bin/python -m eye.supervise --name "$name" --log "$state/$name.log" \
    --journal "$journal" -- "$@" >>"$journal" 2>&1 &
  echo $! >"$state/$name.pid"
}

wait_http() {  # name, url, seconds
  for _ in $(seq 1 $(($3 * 2))); do
    curl -fsS --max-time 5 "$2" >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$state/$1.pid")" 2>/dev/null || { echo "$1 exited; last lines of $state/$1.log:" >&2; tail -20 "$state/$1.log" >&2; return 1; }
    sleep 0.5
  done
  echo "$1 not healthy after $3 s; last lines of $state/$1.log, then of $journal:" >&2
  tail -20 "$state/$1.log" >&2; tail -20 "$journal" >&2; return 1
}

stop_bg() {  # name: SIGTERM to the supervisor, which stops its child's process group first
  local f="$state/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then  # a stuck supervisor: its children's groups, then itself
      for child in $(pgrep -P "$pid" || true); do kill -9 -- "-$child" 2>/dev/null || true; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    echo "$1: stopped"
  fi
  rm -f "$f"
}

# The demo session answers through GraphQL with every event the demo sent for it.
answered() {  # answer, session id, event count
  .venv/bin/python - "$@" <<'PY'
import json, sys
answer, session_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    session = json.loads(answer)["data"]["session"]
except (ValueError, KeyError, TypeError):
    sys.exit(1)
sys.exit(not (session and session["sessionId"] == session_id
              and session["eventCount"] == count == len(session["events"])))
PY
}

case "${1:-}" in
  up)
    mkdir -p "$state"
    scripts/postgres.sh start "$PWD/$state/postgres" "$pg_port"
    scripts/kafka.sh start "$PWD/$state/kafka" "$kafka_port"
    $eye topics
    $eye migrate
    start_bg worker $eye worker
    start_bg api $eye api
    wait_http api "http://127.0.0.1:$api_port/healthz" 60
    wait_http worker "http://127.0.0.1:$worker_port/healthz" 90
    # Names carry the time: a second `make up` on the same data makes new ones.
    stamp=$(date +%Y%m%d-%H%M%S)
    app_key=$($eye apps add "demo-site-$stamp" | tail -1)
    token=$($eye tokens add "demo-admin-$stamp" --admin | tail -1)
    demo=$($eye demo --app-key "$app_key")
    echo "$demo"
    session=$(echo "$demo" | sed -n 's/^example session: //p')
    count=$(echo "$demo" | sed -n 's/^example session events: //p')
    # The worker stores in batches; wait until the example session answers.
    query="{ session(id: \\\"$session\\\") { sessionId eventCount events { category name data timestamp } } }"
    auth=(-H "Authorization: Bearer $token")
    ok= deadline=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ]; do
      answer=$(curl -fsS --max-time 5 "${auth[@]}" -H 'Content-Type: application/json' \
        -d "{\"query\": \"$query\"}" "http://127.0.0.1:$api_port/graphql" || true)
      if answered "$answer" "$session" "$count"; then ok=1; break; fi
      sleep 0.5
    done
    if [ -z "$ok" ]; then
      cat >&2 <<FAILED

make up failed: the demo session $session ($count events) was not answered through GraphQL
within 60 s. The last answer:
  ${answer:-(none)}
Last lines of $state/worker.log:
$(tail -30 "$state/worker.log" | sed 's/^/  /')
Restarts and exit reasons: $journal. The stack is left running to look at; make down stops it.
FAILED
      exit 1
    fi
    cat <<INFO

The Eye is running.
  GraphQL   http://127.0.0.1:$api_port/graphql   (GraphiQL in a browser)
  Explorer  http://127.0.0.1:$api_port/ui        (sign in with the API token)
  Metrics   http://127.0.0.1:$api_port/metrics and http://127.0.0.1:$worker_port/metrics
  Collector POST http://127.0.0.1:$api_port/v1/events   (Authorization: Bearer <app key>)
  Kafka     127.0.0.1:$kafka_port   topic ${EYE_TOPIC:-eye-events}
  Postgres  $EYE_DATABASE_URL
  App key   $app_key   (send it in the Kafka header eye-app-key)
  API token $token   (Authorization: Bearer …)
  Logs      $state/*.log   (restarts and exit reasons: $journal)
  Stop      make down

Example query:
  curl -s -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' \\
    -d '{"query": "$query"}' http://127.0.0.1:$api_port/graphql
Answer:
  $answer
INFO
    ;;
  down)
    stop_bg api
    stop_bg worker
    scripts/kafka.sh stop "$PWD/$state/kafka" "$kafka_port"
    scripts/postgres.sh stop "$PWD/$state/postgres" "$pg_port"
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
