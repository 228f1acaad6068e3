#!/bin/sh
# run_bench_bridge.sh: the bridge against the RPCs it makes (issue 5).
#
#   bench/run_bench_bridge.sh [BUILD_DIR]
#
# BUILD_DIR (default ./build) must hold billing-server, billing-bridge,
# billctl and bench/bench_bridge; this script builds nothing. In a mktemp
# folder it starts a PostgreSQL cluster with tests/harness/pg.sh (unix
# socket only), creates and migrates the database "billing", starts
# billing-server on ipc:// (tcp://127.0.0.1 with BENCH_VIA=tcp) and
# billing-bridge on 127.0.0.1, registers an API key with billctl and seeds 20 plans and
# 1,000 users with a subscription each through the bridge's HTTP API
# (curl, 8 requests at a time). Then, one operation after the other, the
# direct RPC calls and the bridge side by side:
#
#   plans list:       bench_bridge --ops plans_list (32 callers), then
#                     wrk -c 32 -t 2 --latency on /api/plans.php?action=list
#   subscription get: bench_bridge --ops subs_get, then wrk on
#                     /api/subscriptions.php?action=get&id=N, N drawn from
#                     the seeded subscriptions (bench/wrk_bridge.lua)
#
# each for BENCH_DURATION seconds after a warm-up, and prints a table:
# requests/s, p50 and p99 of both (as wrk reports them: bench_bridge
# applies wrk's correction for coordinated omission to its own), the
# bridge's overhead (its cost per request over the RPC's: rps_rpc /
# rps_bridge - 1, and the ratio of the p99s), the CPU time per request of
# every process, the share of the CPUs other processes took (the machine
# is shared), and the targets with PASS or MISS. It is a report: a missed target does not fail it; it exits
# non-zero only when something broke. Everything is torn down, whatever
# happens.
#
# The targets (issue 5): the legacy app under nginx + php-fpm on this
# machine served about 2,500 plans lists and 3,000 subscription gets a
# second with a p99 of 15-20 ms; the bridge should serve at least 4 times
# as many, 10,000 and 12,000 a second, with a p99 of at most a quarter:
# 3.75 ms for the plans list and 5 ms for the subscription get; and add
# less than 30 % to the RPC's cost per request.
#
# Environment: BENCH_DURATION (seconds measured per side and operation,
# default 10), BENCH_WARMUP (seconds, default 2), BENCH_CONNECTIONS (wrk
# -c and bench_bridge --callers, default 32), BENCH_THREADS (wrk -t,
# default 2), BENCH_WORKERS (server --workers, default 16), BENCH_VIA (ipc
# or tcp: how the bridge and bench_bridge reach the server, default ipc),
# BENCH_KEY_CACHE_S (the bridge's --key-cache-s, default 10; 0 makes
# bench_bridge authenticate before every call as well),
# BENCH_LOG_LEVEL (server and bridge, default warn), BENCH_USERS (default
# 1000), BENCH_PLANS (default 20), BENCH_AUTOGROUP=0 (the scheduler's
# autogroups off for the run, as root: bench/autogroup.sh), BENCH_KEEP=1
# keeps the folder and its logs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
pg="$root/tests/harness/pg.sh"
lua="$here/wrk_bridge.lua"

echo "# command: $0 $*"
echo "# host: $(uname -srm), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)"

build=${1:-./build}
server_bin="$build/billing-server"
bridge_bin="$build/billing-bridge"
billctl_bin="$build/billctl"
[ -x "$billctl_bin" ] || billctl_bin="$build/client/billctl/billctl"
bench_bin="$build/bench/bench_bridge"
for f in "$server_bin" "$bridge_bin" "$billctl_bin" "$bench_bin"; do
	if [ ! -x "$f" ]; then
		echo "run_bench_bridge.sh: $f missing; build first:" >&2
		echo "  cmake -S $root -B $build && cmake --build $build" >&2
		exit 2
	fi
done
for t in wrk curl psql; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "run_bench_bridge.sh: $t missing" \
		    "(scripts/install-deps.sh installs it)" >&2
		exit 2
	fi
done
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-2}
conns=${BENCH_CONNECTIONS:-32}
wrk_threads=${BENCH_THREADS:-2}
workers=${BENCH_WORKERS:-16}
via=${BENCH_VIA:-ipc}
key_cache=${BENCH_KEY_CACHE_S:-10}
level=${BENCH_LOG_LEVEL:-warn}
n_users=${BENCH_USERS:-1000}
n_plans=${BENCH_PLANS:-20}
key=bench-key-$$
case "$via" in
ipc | tcp) ;;
*)
	echo "run_bench_bridge.sh: BENCH_VIA is ipc or tcp" >&2
	exit 2
	;;
esac

# BENCH_AUTOGROUP=0: see autogroup.sh.
. "$here/autogroup.sh"

tmp=$(mktemp -d /tmp/bench_bridge.XXXXXX)
# As root, pg.sh runs PostgreSQL as postgres, which must reach $tmp/pg.
chmod 755 "$tmp"
server_pid=
bridge_pid=
# shellcheck disable=SC2317 # reached through the traps
cleanup() {
	rc=$?
	trap - EXIT
	trap '' HUP INT PIPE TERM
	for p in $bridge_pid $server_pid; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	"$pg" stop "$tmp/pg" >/dev/null 2>&1 || true
	autogroup_restore
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
autogroup_setup
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

fail() {
	echo "run_bench_bridge.sh: $*" >&2
	exit 1
}

# A TCP port nobody listens on (from /proc/net/tcp, no extra tools).
listening() {
	awk -v p="$(printf '%04X' "$1")" \
	    'NR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) f = 1 }
	     END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
	p=$(( ($$ + $1) % 20000 + 30000 ))
	while listening "$p"; do
		p=$((p + 1))
	done
	echo "$p"
}

# CPU time (user + system, microseconds) of a process, or of the children
# of a process (PostgreSQL's backends and helpers: children of the
# postmaster), from /proc.
tck=$(getconf CLK_TCK)
cpu_us() {
	awk -v t="$tck" '{ sub(/^.*\) /, ""); s += $12 + $13 }
	    END { printf "%.0f\n", s * 1e6 / t }' "/proc/$1/stat" 2>/dev/null ||
	    echo -1
}
children_cpu_us() {
	cat /proc/[0-9]*/stat 2>/dev/null |
	    awk -v pp="$1" -v t="$tck" '{ sub(/^.*\) /, "") }
	        $2 == pp { s += $12 + $13 }
	        END { printf "%.0f\n", s * 1e6 / t }'
}
# The CPU time of this shell's finished children, from the times builtin;
# snap must run in this shell (not in $(...) or a pipeline, whose times
# would be a subshell's).
waited_cpu_us() {
	awk 'NR == 2 {
	    for (i = 1; i <= 2; i++) {
	        split($i, a, "m"); sub(/s$/, "", a[2]); s += a[1] * 60 + a[2]
	    }
	    printf "%.0f\n", s * 1e6 }' "$1"
}
# All CPUs' time from /proc/stat: "tasks irq steal", tasks the time of
# processes (user, nice, system), irq the kernel's interrupt handlers and
# softirqs (loopback TCP is processed there, and charged to no process),
# steal the time the hypervisor gave to other guests.
system_cpu_us() {
	awk -v t="$tck" '$1 == "cpu" { printf "%.0f %.0f %.0f\n",
	    ($2 + $3 + $4) * 1e6 / t, ($7 + $8) * 1e6 / t, $9 * 1e6 / t }' \
	    /proc/stat
}
# snap FILE: "children bridge server pg tasks irq steal", microseconds.
snap() {
	times >"$tmp/times"
	echo "$(waited_cpu_us "$tmp/times") $(cpu_us "$bridge_pid")" \
	    "$(cpu_us "$server_pid") $(children_cpu_us "$pg_pid")" \
	    "$(system_cpu_us)" >"$1"
}
# The CPU time between two snaps, as key=value pairs.
snap_delta() {
	cat "$1" "$2" | awk 'NR == 1 { for (i = 1; i <= 7; i++) a[i] = $i }
	    NR == 2 { printf "client_us=%d bridge_us=%d server_us=%d " \
	        "pg_us=%d tasks_us=%d irq_us=%d steal_us=%d\n", $1 - a[1],
	        $2 - a[2], $3 - a[3], $4 - a[4], $5 - a[5], $6 - a[6],
	        $7 - a[7] }'
}
load1() {
	cut -d' ' -f1 /proc/loadavg
}

# ---- PostgreSQL, billing-server, billing-bridge -----------------------

"$pg" start "$tmp/pg" >/dev/null
db=$("$pg" createdb "$tmp/pg" billing)
pg_pid=$(head -n 1 "$tmp/pg/data/postmaster.pid")
"$server_bin" migrate --database-url "$db" 2>"$tmp/migrate.log" ||
    { cat "$tmp/migrate.log" >&2; exit 1; }

# A port found free may be taken before the server binds it (other
# tests run here): each start is tried on up to 5 ports.
sock="$tmp/billing.sock"
srv_port=
start_server() {
	rm -f "$sock"
	set -- --listen "ipc://$sock"
	[ "$via" = ipc ] || set -- "$@" --listen "tcp://127.0.0.1:$srv_port"
	"$server_bin" --database-url "$db" --workers "$workers" \
	    --job-workers 0 --log-level "$level" "$@" 2>"$tmp/server.log" &
	server_pid=$!
	i=0
	while [ ! -S "$sock" ] ||
	    { [ "$via" = tcp ] && ! listening "$srv_port"; }; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$server_pid" 2>/dev/null; then
			wait "$server_pid" 2>/dev/null || true
			server_pid=
			return 1
		fi
		sleep 0.05
	done
}
n=0
until srv_port=$(free_port $((1 + n * 7))) && start_server; do
	n=$((n + 1))
	if [ $n -ge 5 ]; then
		cat "$tmp/server.log" >&2
		fail "billing-server did not start"
	fi
done
if [ "$via" = ipc ]; then
	server_url="ipc://$sock"
else
	server_url="tcp://127.0.0.1:$srv_port"
fi

start_bridge() {
	base="http://127.0.0.1:$http_port"
	"$bridge_bin" --listen "127.0.0.1:$http_port" \
	    --server "$server_url" --max-connections 1024 \
	    --key-cache-s "$key_cache" --log-level "$level" \
	    2>"$tmp/bridge.log" &
	bridge_pid=$!
	i=0
	# (Alive after the answer: then it was this bridge that answered.)
	until curl -fsS -o /dev/null "$base/healthz" 2>/dev/null &&
	    kill -0 "$bridge_pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$bridge_pid" 2>/dev/null; then
			kill -TERM "$bridge_pid" 2>/dev/null || true
			wait "$bridge_pid" 2>/dev/null || true
			bridge_pid=
			return 1
		fi
		sleep 0.05
	done
}
n=0
until http_port=$(free_port $((2 + n * 7))) && start_bridge; do
	n=$((n + 1))
	if [ $n -ge 5 ]; then
		cat "$tmp/bridge.log" >&2
		fail "billing-bridge did not start"
	fi
done

"$billctl_bin" --server "$server_url" api-keys create --name bench \
    --key "$key" >"$tmp/api-key.txt" 2>&1 ||
    { cat "$tmp/api-key.txt" >&2; fail "billctl api-keys create failed"; }

echo "# PostgreSQL $(psql -X -tA "$db" -c 'SHOW server_version'):" \
    "$db (postmaster $pg_pid)"
echo "# billing-server pid $server_pid: --workers $workers" \
    "--job-workers 0 --log-level $level; bridge and bench_bridge use" \
    "$server_url"
echo "# billing-bridge pid $bridge_pid: $base --max-connections 1024" \
    "--key-cache-s $key_cache --log-level $level"

# ---- seeding, through the bridge's HTTP API ---------------------------

# One curl run: a config file of POSTs (one a line of "ENDPOINT BODY"
# from stdin), 8 at a time; every answer must be a success.
post_all() {
	# (--next resets --silent: each transfer has its own.)
	awk -v base="$base" -v key="$key" '{
	    if (NR > 1)
	        printf "next\n"
	    printf "url = \"%s/api/%s\"\n", base, $1
	    printf "header = \"X-Api-Key: %s\"\n", key
	    printf "data = \"%s\"\nsilent\nshow-error\n", $2 }' \
	    >"$tmp/curl.conf"
	curl -Z --parallel-max 8 -K "$tmp/curl.conf" >"$tmp/$1.out" \
	    2>"$tmp/curl.err" ||
	    { cat "$tmp/curl.err" >&2; fail "seeding $1: curl failed"; }
	ok=$(grep -o '{"success":true' "$tmp/$1.out" | wc -l)
	[ "$ok" -eq "$2" ] || {
		head -c 600 "$tmp/$1.out" >&2
		echo >&2
		fail "seeding $1: $ok of $2 succeeded"
	}
}

t0=$(date +%s.%N)
awk -v n="$n_plans" 'BEGIN { for (i = 1; i <= n; i++)
    printf "plans.php?action=create code=bench-plan-%02d&name=Bench+plan+%d" \
        "&price=%d.99&currency=EUR&billing_cycle=%s&trial_days=%d\n",
        i, i, 4 + i, i % 3 == 0 ? "yearly" : "monthly", i % 2 ? 14 : 0 }' |
    post_all plans "$n_plans"
awk -v n="$n_users" 'BEGIN { for (i = 1; i <= n; i++)
    printf "users.php?action=create email=bench-%d%%40example.com" \
        "&name=Bench+user+%d&country=DE\n", i, i }' |
    post_all users "$n_users"
# Every user one subscription: odd ones a trial on a plan with a trial,
# even ones active (with a first invoice) on a plan without.
psql -X -q -tA -v ON_ERROR_STOP=1 "$db" \
    -c "SELECT id FROM customers ORDER BY id" |
    awk -v np="$n_plans" '{ k = NR; p = (k - 1) % np + 1
        printf "subscriptions.php?action=create user_id=%d" \
            "&plan_code=bench-plan-%02d&trial=%d\n", $1, p, p % 2 }' |
    post_all subscriptions "$n_users"
t1=$(date +%s.%N)
ids=$(psql -X -q -tA -F ' ' -v ON_ERROR_STOP=1 "$db" \
    -c "SELECT min(id), max(id), count(*) FROM subscriptions")
sub_first=${ids%% *}
sub_last=${ids#* }
n_subs=${sub_last#* }
sub_last=${sub_last%% *}
if [ "$n_subs" -ne "$n_users" ] ||
    [ $((sub_last - sub_first + 1)) -ne "$n_subs" ]; then
	fail "subscriptions: ids $sub_first-$sub_last, $n_subs rows"
fi
echo "# seeded through the bridge in $(echo "$t0 $t1" |
    awk '{ printf "%.1f", $2 - $1 }') s: $n_plans plans, $n_users users," \
    "subscriptions $sub_first-$sub_last"

plans_url="$base/api/plans.php?action=list"
subs_url="$base/api/subscriptions.php?action=get"
# The answers wrk will get: checked once here (wrk counts HTTP statuses,
# and the contract's errors are 200).
probe() {
	curl -sS -H "X-Api-Key: $key" "$1" >"$tmp/probe.json" ||
	    fail "probe $1 failed"
	grep -q '^{"success":true' "$tmp/probe.json" ||
	    fail "probe $1: $(head -c 300 "$tmp/probe.json")"
	echo "#   $1: $(wc -c <"$tmp/probe.json") bytes${2:+, $2}"
}
echo "# answers:"
probe "$plans_url" \
    "$(grep -o '"total":[0-9]*' "$tmp/probe.json" 2>/dev/null || true)"
grep -q "\"total\":$n_plans" "$tmp/probe.json" ||
    fail "plans list: not $n_plans plans: $(head -c 300 "$tmp/probe.json")"
probe "$subs_url&id=$sub_first"
probe "$subs_url&id=$sub_last"

# ---- the runs ---------------------------------------------------------

echo
echo "# each side $duration s after a ${warmup} s warm-up; $conns" \
    "connections (wrk -t $wrk_threads) / caller threads"
broke=0
results="$tmp/results"
: >"$results"

# run_rpc OP: bench_bridge for one operation; its result line goes to
# $results as "rpc op=OP key=value...", with the CPU time of every
# process around it (warm-up included) for the share of the others.
run_rpc() {
	set -- "$bench_bin" --server "$server_url" --ops "$1" \
	    --callers "$conns" --duration "$duration" --warmup "$warmup" \
	    --sub-ids "$sub_first-$sub_last" --key-cache-s "$key_cache" \
	    --key "$key" --server-pid "$server_pid" --pg-pid "$pg_pid"
	echo
	echo "# running: $* (load $(load1))"
	rc=0
	snap "$tmp/snap0"
	t0=$(date +%s.%N)
	"$@" >"$tmp/rpc.out" || rc=$?
	t1=$(date +%s.%N)
	snap "$tmp/snap1"
	sed 's/^/  /' "$tmp/rpc.out"
	[ "$rc" -eq 0 ] || broke=1
	line=$(sed -n 's/^result //p' "$tmp/rpc.out")
	[ -n "$line" ] || return 0
	echo "rpc $line wall_us=$(echo "$t0 $t1" |
	    awk '{ printf "%.0f", ($2 - $1) * 1e6 }')" \
	    "$(snap_delta "$tmp/snap0" "$tmp/snap1")" >>"$results"
}

# run_wrk OP URL [FIRST LAST]: a warm-up, then the measured wrk run with
# the CPU time of wrk, the bridge, the server and PostgreSQL around it.
run_wrk() {
	op=$1
	url=$2
	shift 2
	wrk -c "$conns" -t "$wrk_threads" -d "${warmup}s" -s "$lua" \
	    "$url" -- "$key" "$@" >/dev/null 2>&1 || true
	echo
	echo "# running: wrk -c $conns -t $wrk_threads -d ${duration}s" \
	    "--latency -s $lua $url -- KEY $* (load $(load1))"
	rc=0
	snap "$tmp/snap0"
	t0=$(date +%s.%N)
	wrk -c "$conns" -t "$wrk_threads" -d "${duration}s" --latency \
	    -s "$lua" "$url" -- "$key" "$@" >"$tmp/wrk.out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	snap "$tmp/snap1"
	sed 's/^/  /' "$tmp/wrk.out"
	line=$(sed -n 's/^wrk-result //p' "$tmp/wrk.out")
	if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
		echo "run_bench_bridge.sh: wrk failed (exit $rc)" >&2
		broke=1
		return 0
	fi
	echo "bridge op=$op $line wall_us=$(echo "$t0 $t1" |
	    awk '{ printf "%.0f", ($2 - $1) * 1e6 }')" \
	    "$(snap_delta "$tmp/snap0" "$tmp/snap1")" >>"$results"
	case "$line" in
	*errors_connect=0\ errors_read=0\ errors_write=0\ errors_status=0*) ;;
	*)
		echo "run_bench_bridge.sh: wrk saw errors: $line" >&2
		broke=1
		;;
	esac
}

run_rpc plans_list
run_wrk plans_list "$plans_url"
run_rpc subs_get
run_wrk subs_get "$subs_url" "$sub_first" "$sub_last"

# ---- the report -------------------------------------------------------

echo
awk -v conns="$conns" -v dur="$duration" -v ncpu="$(nproc)" '
function val(k,    i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == k)
			return kv[2] + 0
	}
	return -1
}
function cpu(v) { return v < 0 ? "-" : sprintf("%.1f", v) }
function pct(v) { return v < 0 ? "-" : sprintf("%.0f%%", v) }
function pf(ok) { return ok ? "PASS" : "MISS" }
function per(k, n) { return n > 0 && val(k) >= 0 ? val(k) / n : -1 }
# Shares of all CPUs over the run (wall time, warm-up included): other
# processes, the kernel'"'"'s interrupts and softirqs, the hypervisor'"'"'s
# steal; and the interrupts per request.
function shares(op, via,    w, o) {
	w = val("wall_us") * ncpu
	if (w <= 0 || val("tasks_us") < 0)
		return
	o = val("tasks_us") - val("client_us") - val("bridge_us") - \
	    val("server_us") - val("pg_us")
	other[op, via] = o > 0 ? 100 * o / w : 0 # < 0: the ticks of the sums
	irq[op, via] = 100 * val("irq_us") / w
	steal[op, via] = 100 * val("steal_us") / w
	irqreq[op, via] = val("rps") > 0 ? \
	    val("irq_us") / (val("rps") * val("wall_us") / 1e6) : -1
}
function row(op, via, c, b, s, p,    q, t, ok) {
	q = irqreq[op, via]
	ok = c >= 0 && s >= 0 && p >= 0 && q >= 0 && (via == "RPC" || b >= 0)
	t = c + (b > 0 ? b : 0) + s + p + q
	printf "%-17s %-7s %7s %7s %7s %7s %7s %7s %10s\n", names[op], via,
	    cpu(c), b < 0 ? "-" : cpu(b), cpu(s), cpu(p), cpu(q),
	    ok ? cpu(t) : "-",
	    (ok && t > 0) ? sprintf("%.0f/s", ncpu * 1e6 / t) : "-"
}
{
	for (i = 2; i <= NF; i++)
		if ($i ~ /^op=/)
			op = substr($i, 4)
	if ($1 == "rpc") {
		rr[op] = val("rps"); rp50[op] = val("p50_us") / 1000
		rp99[op] = val("p99_us") / 1000
		rraw[op] = val("p99_raw_us") / 1000
		rc[op, 1] = val("cpu_bench_us"); rc[op, 2] = -1
		rc[op, 3] = val("cpu_server_us"); rc[op, 4] = val("cpu_pg_us")
		shares(op, "RPC")
	} else {
		n = val("requests")
		br[op] = val("rps"); bp50[op] = val("p50_us") / 1000
		bp99[op] = val("p99_us") / 1000
		bto[op] = val("errors_timeout")
		bc[op, 1] = per("client_us", n); bc[op, 2] = per("bridge_us", n)
		bc[op, 3] = per("server_us", n); bc[op, 4] = per("pg_us", n)
		shares(op, "bridge")
	}
}
END {
	names["plans_list"] = "plans list"
	names["subs_get"] = "subscription get"
	min_rps["plans_list"] = 10000; max_p99["plans_list"] = 3.75
	min_rps["subs_get"] = 12000; max_p99["subs_get"] = 5
	ops[1] = "plans_list"; ops[2] = "subs_get"

	printf "bridge (wrk) against the direct RPC calls (bench_bridge), " \
	    "%d connections / callers, %d s each\n\n", conns, dur
	printf "%-17s %9s %8s %8s %9s %8s %8s %9s %7s\n", "", "RPC", "RPC",
	    "RPC", "bridge", "bridge", "bridge", "overhead", "p99"
	printf "%-17s %9s %8s %8s %9s %8s %8s %9s %7s\n", "operation",
	    "req/s", "p50 ms", "p99 ms", "req/s", "p50 ms", "p99 ms",
	    "(cost)", "ratio"
	for (i = 1; i <= 2; i++) {
		op = ops[i]
		if (!(op in rr) || !(op in br) || br[op] <= 0 || rr[op] <= 0 ||
		    rp99[op] <= 0) {
			printf "%-17s not measured\n", names[op]
			continue
		}
		ov[op] = rr[op] / br[op] - 1
		printf "%-17s %9.0f %8.2f %8.2f %9.0f %8.2f %8.2f %+8.0f%% " \
		    "%6.2fx\n", names[op], rr[op], rp50[op], rp99[op],
		    br[op], bp50[op], bp99[op], 100 * ov[op],
		    bp99[op] / rp99[op]
	}
	printf "(overhead: rps_rpc / rps_bridge - 1, the cost per request " \
	    "the bridge adds;\n p99 ratio: bridge p99 / RPC p99; latencies " \
	    "of both as wrk reports them,\n corrected for coordinated " \
	    "omission, which turns one stall into many samples;\n RPC p99 " \
	    "as measured:"
	for (i = 1; i <= 2; i++)
		printf " %s %s ms%s", names[ops[i]],
		    (ops[i] in rraw) ? sprintf("%.2f", rraw[ops[i]]) : "-",
		    i < 2 ? "," : ")\n"

	printf "\nCPU time per request, us (user + system; client: " \
	    "bench_bridge or wrk; irq:\nthe kernel'"'"'s interrupts and " \
	    "softirqs, all CPUs)\n"
	printf "%-17s %-7s %7s %7s %7s %7s %7s %7s %10s\n", "operation",
	    "via", "client", "bridge", "server", "pg", "irq", "total",
	    "cpu bound"
	for (i = 1; i <= 2; i++) {
		op = ops[i]
		if (op in rr)
			row(op, "RPC", rc[op, 1], rc[op, 2], rc[op, 3], rc[op, 4])
		if (op in br)
			row(op, "bridge", bc[op, 1], bc[op, 2], bc[op, 3],
			    bc[op, 4])
	}
	printf "(cpu bound: what %d CPUs serve at that cost per request)\n",
	    ncpu
	printf "\nnoise: shares of the %d CPUs during each run taken by " \
	    "other processes, by\ninterrupts and softirqs (ours included), " \
	    "and stolen by the hypervisor:\n", ncpu
	for (i = 1; i <= 2; i++)
		for (j = 1; j <= 2; j++) {
			v = j == 1 ? "RPC" : "bridge"
			if ((ops[i], v) in other)
				printf "  %-17s %-7s other %4s  irq %4s  " \
				    "steal %4s\n", names[ops[i]], v,
				    pct(other[ops[i], v]),
				    pct(irq[ops[i], v]),
				    pct(steal[ops[i], v])
		}

	printf "\ntargets (4x the legacy app under nginx + php-fpm, a " \
	    "quarter of its p99;\nthe bridge adding less than 30%% to the " \
	    "RPC cost):\n"
	for (i = 1; i <= 2; i++) {
		op = ops[i]
		if (!(op in ov)) {
			printf "  %s: not measured\n", names[op]
			continue
		}
		printf "  %-17s %6.0f req/s >= %5d: %s (%.1fx legacy)\n",
		    names[op] ":", br[op], min_rps[op],
		    pf(br[op] >= min_rps[op]), br[op] / (min_rps[op] / 4)
		printf "  %-17s p99 %.2f ms <= %.2f ms: %s\n", names[op] ":",
		    bp99[op], max_p99[op], pf(bp99[op] <= max_p99[op])
		printf "  %-17s overhead %+.0f%% < 30%%: %s\n", names[op] ":",
		    100 * ov[op], pf(ov[op] < 0.30)
		if (bto[op] > 0)
			printf "  %-17s (wrk: %d requests timed out after 2 s)\n",
			    names[op] ":", bto[op]
	}
}' "$results"

for p in server bridge; do
	lines=$(wc -l <"$tmp/$p.log")
	echo "# billing-$p log: $lines lines at level $level and above"
	[ "$lines" -eq 0 ] || tail -n 5 "$tmp/$p.log" | sed 's/^/#   /'
done
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$broke" -ne 0 ]; then
	echo "run_bench_bridge.sh: something broke (see above)" >&2
	exit 1
fi
exit 0
