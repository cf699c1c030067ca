#!/usr/bin/env bash
# The production shape of docker-compose.yml on one machine, without Docker: PostgreSQL, a
# Redis, two instances in production mode and nginx with deploy/nginx.conf in front, on
# loopback. The same environment (deploy/paygraph.env) and the same nginx file as compose.
#
#   deploy/local.sh up [DIR]      start it; DIR/shape.env says where everything listens
#   deploy/local.sh down [DIR]    stop what `up` started in DIR
#   deploy/local.sh bench [DIR]   `{ __typename }` through nginx and straight to one instance
#
# DIR defaults to target/shape. Read from the environment when set:
#   PAYGRAPH_BIN     the binary (default target/release/paygraph, built when missing)
#   DATABASE_URL     a PostgreSQL database (default: paygraph_local on 127.0.0.1:5432, made if missing)
#   REDIS_URL        a Redis (default: a private redis-server on a free port)
#   PAYGRAPH_FINGERPRINT_KEY, PAYGRAPH_SECRETS_KEY   (default: made once, kept in DIR/keys.env)
# Any other PAYGRAPH_* variable set by the caller reaches both instances (tests use it for
# shorter intervals, PAYGRAPH_WEBHOOK_ALLOW_LOOPBACK for a receiver on this host).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command=${1:-}
dir=$(mkdir -p "${2:-$root/target/shape}" && cd "${2:-$root/target/shape}" && pwd)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

random_key() { # bytes
  head -c "$1" /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='
}

wait_for() { # url
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answered at $1" >&2
  return 1
}

stop_pid_file() { # file
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

need_nginx() {
  command -v nginx >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >/dev/null \
      || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >/dev/null; }
  fi
  command -v nginx >/dev/null || { echo "nginx is missing (apt-get install nginx)" >&2; exit 1; }
}

database() {
  local url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/paygraph_local}
  if [ -z "${DATABASE_URL:-}" ]; then
    local name=${url##*/}
    psql "${url%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
      || psql "${url%/*}/postgres" -qc "CREATE DATABASE \"$name\""
  fi
  echo "$url"
}

redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    echo "$REDIS_URL"
    return
  fi
  local port
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  echo "redis://127.0.0.1:$port"
}

keys() {
  if [ -n "${PAYGRAPH_FINGERPRINT_KEY:-}" ] && [ -n "${PAYGRAPH_SECRETS_KEY:-}" ]; then
    return
  fi
  if [ ! -f "$dir/keys.env" ]; then
    umask 077
    printf 'PAYGRAPH_FINGERPRINT_KEY=%s\nPAYGRAPH_SECRETS_KEY=%s\n' "$(random_key 64)" "$(random_key 32)" >"$dir/keys.env"
  fi
  set -a
  # shellcheck disable=SC1091
  . "$dir/keys.env"
  set +a
}

# nginx with deploy/nginx.conf as its one server, the upstreams and listen address put in.
balancer() { # port instance1 instance2
  mkdir -p "$dir/nginx/tmp"
  # Workers run as an unprivileged user when nginx starts as root: they need to reach DIR.
  chmod 755 "$dir" "$dir/nginx"
  chmod 1777 "$dir/nginx/tmp"
  sed -e "s/^\( *\)listen 8080;/\1listen 127.0.0.1:$1;/" \
    -e "s/server paygraph-1:8080;/server $2;/" \
    -e "s/server paygraph-2:8080;/server $3;/" \
    "$root/deploy/nginx.conf" >"$dir/nginx/paygraph.conf"
  cat >"$dir/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    include $dir/nginx/paygraph.conf;
}
EOF
  nginx -e "$dir/nginx/error.log" -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
}

up() {
  need_nginx
  local bin=${PAYGRAPH_BIN:-$root/target/release/paygraph}
  if [ ! -x "$bin" ]; then
    (cd "$root" && cargo build --release --locked --bin paygraph)
  fi
  keys
  set -a
  # shellcheck disable=SC1091
  . "$root/deploy/paygraph.env"
  set +a
  export DATABASE_URL REDIS_URL
  DATABASE_URL=$(database)
  REDIS_URL=$(redis)
  local lb
  lb=$(free_port)
  export PAYGRAPH_PUBLIC_URL="http://127.0.0.1:$lb"
  "$bin" migrate >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
  local instances=() metrics=()
  for i in 1 2; do
    local port metrics_port
    port=$(free_port)
    metrics_port=$(free_port)
    PAYGRAPH_LISTEN="127.0.0.1:$port" PAYGRAPH_METRICS_LISTEN="127.0.0.1:$metrics_port" \
      nohup "$bin" serve >"$dir/paygraph-$i.log" 2>&1 &
    echo $! >"$dir/paygraph-$i.pid"
    instances+=("127.0.0.1:$port")
    metrics+=("127.0.0.1:$metrics_port")
  done
  for address in "${instances[@]}"; do
    wait_for "http://$address/readyz"
  done
  balancer "$lb" "${instances[0]}" "${instances[1]}"
  wait_for "http://127.0.0.1:$lb/healthz"
  cat >"$dir/shape.env" <<EOF
SHAPE_URL=http://127.0.0.1:$lb
SHAPE_INSTANCE_1=http://${instances[0]}
SHAPE_INSTANCE_2=http://${instances[1]}
SHAPE_METRICS_1=http://${metrics[0]}
SHAPE_METRICS_2=http://${metrics[1]}
DATABASE_URL=$DATABASE_URL
REDIS_URL=$REDIS_URL
EOF
  echo "the production shape is up: nginx at http://127.0.0.1:$lb (more in $dir/shape.env)"
}

down() {
  if [ -f "$dir/nginx/nginx.pid" ]; then
    nginx -e "$dir/nginx/error.log" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s stop 2>/dev/null || true
    for _ in $(seq 1 50); do
      [ -f "$dir/nginx/nginx.pid" ] || break
      sleep 0.1
    done
  fi
  stop_pid_file "$dir/paygraph-1.pid"
  stop_pid_file "$dir/paygraph-2.pid"
  stop_pid_file "$dir/redis.pid"
}

case "$command" in
  up) up ;;
  down) down ;;
  bench) exec "$root/deploy/bench.sh" "$dir" ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
