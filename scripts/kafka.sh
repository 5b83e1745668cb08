#!/usr/bin/env bash
# A one-node Apache Kafka 4 broker in KRaft combined mode, from the Maven Central jars.
# usage: scripts/kafka.sh start|stop|status DATA_DIR PORT
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?start|stop|status}; dir=${2:?data dir}; port=${3:?port}
libs="$here/.cache/kafka/libs"
pidfile="$dir/kafka.pid"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

jars() {
  command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
  if [ ! -f "$libs/.complete" ]; then
    command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven >/dev/null; }
    echo "kafka: resolving broker jars with Maven" >&2
    mvn -B -q -f "$here/broker/pom.xml" dependency:copy-dependencies
    touch "$libs/.complete"
  fi
}

configure() {
  mkdir -p "$dir/data" "$dir/logs"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$((port + 1))
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -cp "$libs/*" kafka.tools.StorageTool format --standalone \
      -t "$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >"$dir/logs/format.log"
  fi
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
  start)
    running && { echo "kafka: already running on $port"; exit 0; }
    for p in "$port" "$((port + 1))"; do
      port_taken "$p" || continue
      held=$("$here/scripts/port-holder.sh" "$p")
      echo "kafka: port $p is taken by ${held:-another process; stop it}, or choose another port" >&2; exit 1
    done
    jars; configure
    rm -f "$dir/logs/server.log"  # readiness is read from this run's log, not a previous one's
    KAFKA_HEAP=${KAFKA_HEAP:--Xmx768m -Xms256m}
    # shellcheck disable=SC2086
    nohup java $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$here/broker/log4j2.xml" -Dkafka.logs.dir="$dir/logs" \
      -cp "$libs/*" kafka.Kafka "$dir/server.properties" >"$dir/logs/stdout.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 120); do
      running || { echo "kafka: exited; see $dir/logs" >&2; tail -20 "$dir/logs/stdout.log" >&2; exit 1; }
      grep -q "Kafka Server started" "$dir/logs/server.log" 2>/dev/null && { echo "kafka: ready on 127.0.0.1:$port"; exit 0; }
      sleep 0.5
    done
    echo "kafka: not ready after 60 s; see $dir/logs" >&2; exit 1 ;;
  stop)
    running || { rm -f "$pidfile"; exit 0; }
    pid=$(cat "$pidfile"); kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"; echo "kafka: stopped" ;;
  status) running ;;
  *) echo "usage: $0 start|stop|status DATA_DIR PORT" >&2; exit 2 ;;
esac
