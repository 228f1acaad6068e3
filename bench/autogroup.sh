# autogroup.sh: sourced by the bench scripts.
#
# The scheduler's autogroups share the CPU between sessions, not tasks:
# a PostgreSQL cluster (a session of its own) against everything else.
# On the project's 2-core machine that starved a backend for up to 1.4 s
# (perf sched) and made single p99s jump tenfold. BENCH_AUTOGROUP=0 turns
# them off for the run (root); autogroup_restore, called at exit, puts
# the setting back.

autogroup_file=/proc/sys/kernel/sched_autogroup_enabled
autogroup_old=$(cat "$autogroup_file" 2>/dev/null || echo -)

autogroup_setup() {
	if [ "${BENCH_AUTOGROUP:-}" = 0 ] && [ "$autogroup_old" = 1 ]; then
		echo 0 >"$autogroup_file" || {
			echo "$0: cannot write $autogroup_file" >&2
			exit 2
		}
	fi
	echo "# scheduler autogroups: $(cat "$autogroup_file" 2>/dev/null ||
	    echo none)"
}

autogroup_restore() {
	if [ "$autogroup_old" = 1 ]; then
		echo 1 >"$autogroup_file" 2>/dev/null || true
	fi
}
