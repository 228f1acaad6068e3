#!/bin/sh
# run_bench_rollout.sh: the bridge's added latency in shadow mode against
# legacy mode (issue 8), in one run.
#
#   bench/run_bench_rollout.sh [BUILD_DIR]
#
# BUILD_DIR (default ./build) must hold billing-server, billing-bridge and
# billctl; this script builds nothing. Two complete instances, each with
# its PostgreSQL and billing-server (tests/harness/stack.sh): the
# "legacy" side L behind a bridge in new mode, and the new side N behind
# the bridge under test, started with --rollout legacy --legacy-url L.
# Both get the same API key and BENCH_PLANS plans. Then wrk -c 32 --latency
# on /api/plans.php?action=list through the bridge under test, in legacy
# mode, in shadow mode (billctl rollout set shadow + SIGHUP), and in
# legacy mode again, each for BENCH_DURATION seconds after a warm-up, and
# a table: requests/s, p50 and p99 per run, shadow's p50 and p99 over
# the better of the two legacy runs' (target: p99 under +10 %), and
# what the shadow queue
# did (compared, differences, dropped). It is a report: a missed target
# does not fail it.
#
# Environment: BENCH_DURATION (default 10), BENCH_WARMUP (default 2),
# BENCH_CONNECTIONS (default 32), BENCH_THREADS (default 2), BENCH_PLANS
# (default 20), BENCH_QUEUE (the bridge's --rollout-queue, default 1000),
# BENCH_KEEP=1 keeps the folder and its logs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
stack="$root/tests/harness/stack.sh"
lua="$here/wrk_bridge.lua"
build=${1:-./build}
server_bin="$build/billing-server"
bridge_bin="$build/billing-bridge"
billctl_bin="$build/billctl"
for f in "$server_bin" "$bridge_bin" "$billctl_bin"; do
	[ -x "$f" ] || {
		echo "run_bench_rollout.sh: $f missing; build first" >&2
		exit 2
	}
done
command -v wrk >/dev/null 2>&1 || {
	echo "run_bench_rollout.sh: wrk missing (scripts/install-deps.sh)" >&2
	exit 2
}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-2}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
n_plans=${BENCH_PLANS:-20}
queue=${BENCH_QUEUE:-1000}
key=bench-key-$$

echo "# command: $0 $*"
echo "# host: $(uname -srm), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)"

tmp=$(mktemp -d /tmp/bench_rollout.XXXXXX)
chmod 755 "$tmp"
l_bridge=
n_bridge=
# shellcheck disable=SC2317 # reached through the traps
cleanup() {
	rc=$?
	trap - EXIT
	trap '' HUP INT PIPE TERM
	for p in $n_bridge $l_bridge; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	"$stack" stop "$tmp/n" >/dev/null 2>&1 || true
	"$stack" stop "$tmp/l" >/dev/null 2>&1 || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_port() {
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$1/healthz"; do
		i=$((i + 1))
		[ $i -lt 100 ] || {
			echo "bridge on $1 did not start" >&2
			exit 1
		}
		sleep 0.05
	done
}

# Two instances holding the same data.
for side in l n; do
	"$stack" start "$tmp/$side" "$server_bin" --workers 8 \
	    --job-workers 0 >"$tmp/$side.urls"
	url=$(sed -n 2p "$tmp/$side.urls")
	"$billctl_bin" --server "$url" api-keys create --name bench \
	    --key "$key" >/dev/null
	i=1
	while [ $i -le "$n_plans" ]; do
		"$billctl_bin" --server "$url" plans create --code "p$i" \
		    --name "Plan $i" --price "$i.99" >/dev/null
		i=$((i + 1))
	done
done
l_port=$(free_port)
"$bridge_bin" --listen "127.0.0.1:$l_port" --log-level warn \
    --server "$(sed -n 2p "$tmp/l.urls")" 2>"$tmp/l-bridge.log" &
l_bridge=$!
wait_port "$l_port"
# The plans were created a few seconds apart on the two sides: an
# accepted difference (docs/rollout.md), as a real run would declare it.
cat >"$tmp/accept.json" <<'EOF'
{"accept": [{"endpoint": "plans.php", "path": "$.data[*].created_at",
             "kind": "datetime_within_seconds", "seconds": 600}]}
EOF
n_port=$(free_port)
"$bridge_bin" --listen "127.0.0.1:$n_port" --log-level warn \
    --server "$(sed -n 2p "$tmp/n.urls")" --rollout legacy \
    --legacy-url "http://127.0.0.1:$l_port" --rollout-queue "$queue" \
    --rollout-accept "$tmp/accept.json" 2>"$tmp/n-bridge.log" &
n_bridge=$!
wait_port "$n_port"
n_server=$(sed -n 2p "$tmp/n.urls")
target="http://127.0.0.1:$n_port/api/plans.php?action=list"

mode() {
	"$billctl_bin" --server "$n_server" rollout set "$1" >/dev/null
	kill -HUP "$n_bridge"
	i=0
	until curl -s "http://127.0.0.1:$n_port/metrics" |
	    grep -q "^billing_bridge_rollout_mode{mode=\"$1\"} 1"; do
		i=$((i + 1))
		[ $i -lt 50 ] || {
			echo "the bridge did not switch to $1" >&2
			exit 1
		}
		sleep 0.1
	done
}

# run NAME: warm-up, then the measured run; keeps wrk's result line.
run() {
	wrk -c "$conns" -t "$threads" -d "${warmup}s" -s "$lua" "$target" \
	    -- "$key" >/dev/null
	wrk -c "$conns" -t "$threads" -d "${duration}s" --latency -s "$lua" \
	    "$target" -- "$key" >"$tmp/$1.wrk"
	grep '^wrk-result' "$tmp/$1.wrk" >"$tmp/$1.res"
}

field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$tmp/$1.res"; }

mode legacy
run legacy1
mode shadow
run shadow
metrics=$(curl -s "http://127.0.0.1:$n_port/metrics")
mode legacy
run legacy2

sum() {
	echo "$metrics" | grep "^billing_bridge_rollout_compared_total{.*result=\"$1\"}" |
	    awk '{s += $NF} END {print s + 0}'
}

printf '\n%-10s %10s %10s %10s %8s\n' run "req/s" "p50 ms" "p99 ms" errors
for r in legacy1 shadow legacy2; do
	errs=$(($(field $r errors_connect) + $(field $r errors_read) +
	    $(field $r errors_write) + $(field $r errors_status) +
	    $(field $r errors_timeout)))
	printf '%-10s %10.0f %10.3f %10.3f %8d\n' $r "$(field $r rps)" \
	    "$(echo "$(field $r p50_us) / 1000" | bc -l)" \
	    "$(echo "$(field $r p99_us) / 1000" | bc -l)" "$errs"
done
# Against the better legacy run: a pause in the other one (the machine
# is shared) must not make shadow look cheap.
min() { if [ "$(echo "$1 < $2" | bc -l)" = 1 ]; then echo "$1"; else echo "$2"; fi; }
l99=$(min "$(field legacy1 p99_us)" "$(field legacy2 p99_us)")
l50=$(min "$(field legacy1 p50_us)" "$(field legacy2 p50_us)")
s99=$(field shadow p99_us)
s50=$(field shadow p50_us)
p99_added=$(echo "($s99 / $l99 - 1) * 100" | bc -l)
p50_added=$(echo "($s50 / $l50 - 1) * 100" | bc -l)
printf '\nshadow adds %.1f %% to p50 and %.1f %% to p99 against the better legacy run (target: p99 under +10 %%): %s\n' \
    "$p50_added" "$p99_added" \
    "$(if [ "$(echo "$p99_added < 10" | bc -l)" = 1 ]; then echo PASS; else echo MISS; fi)"
printf 'shadow queue during the shadow run: %s compared, %s differences, %s shadow errors, %s dropped (queue bound %s)\n' \
    "$(($(sum match) + $(sum diff)))" "$(sum diff)" "$(sum shadow_error)" \
    "$(sum dropped)" "$queue"
