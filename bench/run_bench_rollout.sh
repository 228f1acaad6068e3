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
# Both hold the same data (L is seeded, its rows copied into N): an API
# key and BENCH_PLANS plans. Then wrk -c 32 --latency on
# /api/plans.php?action=list through the bridge under test, legacy and
# shadow mode alternating (billctl rollout set + SIGHUP), each run
# BENCH_DURATION seconds after a warm-up, and a table: requests/s, p50,
# p99 and the CPU per request of the bridge, the new side and the legacy
# side per run; shadow's p50 and p99 (median of its runs) over legacy's
# (target: p99 under +10 %); what the shadow queue did (compared,
# differences, dropped). It is a report: a missed target does not fail
# it.
#
# Environment: BENCH_DURATION (default 10), BENCH_WARMUP (default 2),
# BENCH_CONNECTIONS (default 32), BENCH_THREADS (default 2), BENCH_PLANS
# (default 20), BENCH_QUEUE (the bridge's --rollout-queue, default 1000),
# BENCH_ROUNDS (default 3: three legacy runs and two shadow runs),
# BENCH_SAME_DATA, BENCH_NEW_NICE, BENCH_PIN (below), BENCH_AUTOGROUP=0
# (the scheduler's autogroups off for the run, as root:
# bench/autogroup.sh),
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
new_nice=${BENCH_NEW_NICE:-0}
# BENCH_PIN=1: the new side's server and PostgreSQL on CPU 1, everything
# else (legacy side, bridge under test, wrk) on CPU 0.
on_new=
on_rest=
if [ "${BENCH_PIN:-0}" = 1 ]; then
	on_new="taskset -c 1"
	on_rest="taskset -c 0"
fi
key=bench-key-$$

echo "# command: $0 $*"
echo "# host: $(uname -srm), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# BENCH_AUTOGROUP=0: see autogroup.sh.
. "$here/autogroup.sh"

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
	autogroup_restore
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
autogroup_setup
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

# seed URL: the bench key and BENCH_PLANS plans.
seed() {
	"$billctl_bin" --server "$1" api-keys create --name bench \
	    --key "$key" >/dev/null
	i=1
	while [ $i -le "$n_plans" ]; do
		"$billctl_bin" --server "$1" plans create --code "p$i" \
		    --name "Plan $i" --price "$i.99" >/dev/null
		i=$((i + 1))
	done
}

# Two instances holding the same data, as after the migration of one
# legacy database: L is seeded and its rows copied into N (the schema
# and the rollout's own tables are N's). With BENCH_SAME_DATA=0 each
# side is seeded on its own, so every plan's created_at differs by a
# second or so: each comparison parses both answers and applies an
# accepted-difference rule (the slow path).
pgbin=$(pg_config --bindir 2>/dev/null ||
    ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
for side in l n; do
	pre=$on_rest
	[ "$side" = n ] && pre="$on_new nice -n $new_nice"
	$pre "$stack" start "$tmp/$side" "$server_bin" --workers 8 \
	    --job-workers 0 >"$tmp/$side.urls"
done
seed "$(sed -n 2p "$tmp/l.urls")"
if [ "${BENCH_SAME_DATA:-1}" = 1 ]; then
	"$pgbin/pg_dump" --data-only --exclude-table-data=schema_migrations \
	    --exclude-table-data='rollout_*' "$(sed -n 1p "$tmp/l.urls")" |
	    "$pgbin/psql" -q -v ON_ERROR_STOP=1 "$(sed -n 1p "$tmp/n.urls")" \
	    >/dev/null
else
	seed "$(sed -n 2p "$tmp/n.urls")"
fi
l_port=$(free_port)
$on_rest "$bridge_bin" --listen "127.0.0.1:$l_port" --log-level warn \
    --server "$(sed -n 2p "$tmp/l.urls")" 2>"$tmp/l-bridge.log" &
l_bridge=$!
wait_port "$l_port"
cat >"$tmp/accept.json" <<'EOF'
{"accept": [{"endpoint": "plans.php", "path": "$.data[*].created_at",
             "kind": "datetime_within_seconds", "seconds": 600}]}
EOF
n_port=$(free_port)
$on_rest "$bridge_bin" --listen "127.0.0.1:$n_port" --log-level warn \
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
	$on_rest wrk -c "$conns" -t "$threads" -d "${warmup}s" -s "$lua" "$target" \
	    -- "$key" >/dev/null
	c0=$(cpu_groups)
	$on_rest wrk -c "$conns" -t "$threads" -d "${duration}s" --latency -s "$lua" \
	    "$target" -- "$key" >"$tmp/$1.wrk"
	c1=$(cpu_groups)
	grep '^wrk-result' "$tmp/$1.wrk" >"$tmp/$1.res"
	echo "$c0 $c1" >"$tmp/$1.cpu"
}

# ticks PID...: the CPU time (clock ticks) of the processes and of their
# children, live and reaped (PostgreSQL's backends are the postmaster's).
hz=$(getconf CLK_TCK)
ticks() {
	for p in "$@"; do
		for q in "$p" $(pgrep -P "$p"); do
			# After "pid (comm) ": utime, stime, cutime, cstime are
			# fields 12-15.
			sed 's/.*) //' "/proc/$q/stat" 2>/dev/null || true
		done
	done | awk '{t += $12 + $13 + $14 + $15} END {print t + 0}'
}

# The CPU ticks of the bridge under test, of the new side (its server
# and PostgreSQL) and of the legacy side (bridge, server, PostgreSQL).
pm() { head -n 1 "$tmp/$1/pg/data/postmaster.pid"; }
cpu_groups() {
	echo "$(ticks "$n_bridge") $(ticks "$(cat "$tmp/n/server.pid")" \
	    "$(pm n)") $(ticks "$l_bridge" "$(cat "$tmp/l/server.pid")" "$(pm l)")"
}

# cpu_us RUN GROUP: microseconds of CPU per client request of GROUP (1
# the bridge, 2 the new side, 3 the legacy side) over RUN.
cpu_us() {
	awk -v g="$2" -v hz="$hz" -v n="$(field "$1" requests)" \
	    '{printf "%.0f", ($(g + 3) - $g) * 1e6 / hz / n}' "$tmp/$1.cpu"
}

field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$tmp/$1.res"; }

# Alternating runs, BENCH_ROUNDS of each mode (legacy first and last),
# so that a drift or a pause of the shared machine falls on both modes.
rounds=${BENCH_ROUNDS:-3}
runs=
round=1
while [ $round -le "$rounds" ]; do
	mode legacy
	run legacy$round
	runs="$runs legacy$round"
	if [ $round -lt "$rounds" ] || [ "$rounds" = 1 ]; then
		mode shadow
		run shadow$round
		runs="$runs shadow$round"
		curl -s "http://127.0.0.1:$n_port/metrics" \
		    >"$tmp/shadow$round.metrics"
	fi
	round=$((round + 1))
done

# sum RUN RESULT: the queue's count of RESULT at the end of shadow run RUN.
sum() {
	grep "^billing_bridge_rollout_compared_total{.*result=\"$2\"}" \
	    "$tmp/$1.metrics" | awk '{s += $NF} END {print s + 0}'
}

printf '\n%-10s %8s %8s %8s %6s   %s\n' run "req/s" "p50 ms" \
    "p99 ms" errors "CPU us/request: bridge, new side, legacy side"
for r in $runs; do
	errs=$(($(field $r errors_connect) + $(field $r errors_read) +
	    $(field $r errors_write) + $(field $r errors_status) +
	    $(field $r errors_timeout)))
	printf '%-10s %8.0f %8.3f %8.3f %6d   %6s %6s %6s\n' $r \
	    "$(field $r rps)" "$(echo "$(field $r p50_us) / 1000" | bc -l)" \
	    "$(echo "$(field $r p99_us) / 1000" | bc -l)" "$errs" \
	    "$(cpu_us $r 1)" "$(cpu_us $r 2)" "$(cpu_us $r 3)"
done

# median MODE FIELD: the median of FIELD over the runs of MODE.
median() {
	for r in $runs; do
		case $r in "$1"*) field "$r" "$2" ;; esac
	done | sort -n | awk '{v[NR] = $1}
	    END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
l50=$(median legacy p50_us)
l99=$(median legacy p99_us)
s50=$(median shadow p50_us)
s99=$(median shadow p99_us)
p50_added=$(echo "($s50 / $l50 - 1) * 100" | bc -l)
p99_added=$(echo "($s99 / $l99 - 1) * 100" | bc -l)
printf '\nmedians: legacy p50 %.3f ms p99 %.3f ms; shadow p50 %.3f ms p99 %.3f ms\n' \
    "$(echo "$l50 / 1000" | bc -l)" "$(echo "$l99 / 1000" | bc -l)" \
    "$(echo "$s50 / 1000" | bc -l)" "$(echo "$s99 / 1000" | bc -l)"
printf 'shadow adds %.1f %% to p50 and %.1f %% to p99 (target: p99 under +10 %%): %s\n' \
    "$p50_added" "$p99_added" \
    "$(if [ "$(echo "$p99_added < 10" | bc -l)" = 1 ]; then echo PASS; else echo MISS; fi)"
last=$(echo "$runs" | tr ' ' '\n' | grep shadow | tail -n 1)
printf 'shadow queue over the shadow runs: %s compared, %s differences, %s shadow errors, %s dropped (queue bound %s)\n' \
    "$(($(sum "$last" match) + $(sum "$last" diff)))" "$(sum "$last" diff)" \
    "$(sum "$last" shadow_error)" "$(sum "$last" dropped)" "$queue"
