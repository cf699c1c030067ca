#!/usr/bin/env bash
# What the balancer costs: `{ __typename }` with a secret key through nginx and straight to
# one instance, in alternating rounds of one run, and the sockets to the instances left in
# TIME_WAIT by each. Started by `deploy/local.sh bench [DIR]`, on the release binary.
# Rate limits and the cost budget are checked as in production, with ceilings no run reaches
# (BENCH_LIMITS=off turns them off: the cheapest request, where nginx weighs the most).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/target/shape}
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}

if ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >/dev/null
fi
if [ "${BENCH_LIMITS:-production}" = off ]; then
  export PAYGRAPH_RATE_GRAPHQL=0 PAYGRAPH_RATE_GRAPHQL_IP=0 PAYGRAPH_COST_BUCKET=0
else
  # Checked on every request, as in production (through Redis), with ceilings no run reaches.
  export PAYGRAPH_RATE_GRAPHQL=1000000000 PAYGRAPH_RATE_GRAPHQL_IP=1000000000
fi
"$root/deploy/local.sh" down "$dir"
"$root/deploy/local.sh" up "$dir"
trap '"$root/deploy/local.sh" down "$dir"' EXIT
# shellcheck disable=SC1091
. "$dir/shape.env"

bin=${PAYGRAPH_BIN:-$root/target/release/paygraph}
key=$(DATABASE_URL=$DATABASE_URL RUST_LOG=warn "$bin" merchant create --name Bench | tail -n 1)
cat >"$dir/typename.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"query":"{ __typename }"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
EOF

one=${SHAPE_INSTANCE_1##*:} two=${SHAPE_INSTANCE_2##*:}
# Either end may close first, and the one that does keeps the TIME_WAIT socket.
ports="( dport = :$one or dport = :$two or sport = :$one or sport = :$two )"
time_wait() { ss -Htan state time-wait "$ports" | wc -l; }

run() { # url -> requests per second
  wrk -t1 -c"$connections" -d"${seconds}s" -s "$dir/typename.lua" "$1/graphql" \
    | awk '/Requests\/sec/ { printf "%d", $2 } /Non-2xx/ { print "non-2xx answers" > "/dev/stderr"; exit 1 }'
}

# A warm-up of each, not counted.
seconds=2 run "$SHAPE_URL" >/dev/null
seconds=2 run "$SHAPE_INSTANCE_1" >/dev/null

printf '%-6s %16s %16s %7s %18s\n' round "nginx req/s" "straight req/s" ratio "TIME_WAIT growth"
for round in $(seq 1 "$rounds"); do
  before=$(time_wait)
  through=$(run "$SHAPE_URL")
  after=$(time_wait)
  straight=$(run "$SHAPE_INSTANCE_1")
  ratio=$(awk -v a="$through" -v b="$straight" 'BEGIN { printf "%.2f", a / b }')
  printf '%-6s %16s %16s %7s %18s\n' "$round" "$through" "$straight" "$ratio" "$((after - before))"
done
