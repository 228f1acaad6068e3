"""billing-server --metrics-listen: /metrics (calls by method and code, a
latency histogram per method, the jobs waiting and the billing runs read
from PostgreSQL) and /healthz, on the server and on a worker process.

    test_server_metrics.py SERVER BILLCTL PG_SH
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bridge"))
from bridgelib import (FAILS, expect_true, finish,  # noqa: E402
                       free_port, psql, wait_listening)

SERVER, BILLCTL, PG_SH = sys.argv[1:4]






def get(port, path, method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()




SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def scrape(port):
    """{(name, labels): value} of one /metrics answer; checks that every
    sample has its # TYPE."""
    st, text = get(port, "/metrics")
    assert st == 200, (st, text)
    out, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, line
        name = m.group(1)
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        assert name in typed or base in typed, line
        out[(name, m.group(2) or "")] = float(m.group(3))
    return out




def billctl(url, *args):
    return subprocess.run([BILLCTL, "--server", url] + list(args),
                          capture_output=True, text=True).returncode


def main():
    tmp = tempfile.mkdtemp()
    os.chmod(tmp, 0o755)
    procs = []
    try:
        subprocess.run([PG_SH, "start", tmp + "/pg"], check=True,
                       capture_output=True)
        db = subprocess.run([PG_SH, "createdb", tmp + "/pg", "billing"],
                            check=True, capture_output=True,
                            text=True).stdout.strip()
        subprocess.run([SERVER, "migrate", "--database-url", db], check=True,
                       capture_output=True)

        bad = subprocess.run([SERVER, "--database-url", db,
                              "--metrics-listen", "nowhere"],
                             capture_output=True, text=True)
        expect_true("a bad --metrics-listen is a usage error",
              bad.returncode == 2 and "HOST:PORT" in bad.stderr, bad.stderr)
        helptext = subprocess.run([SERVER, "--help"], capture_output=True,
                                  text=True).stderr
        expect_true("--help names the option and its variable",
              "--metrics-listen" in helptext and
              "BILLING_METRICS_LISTEN" in helptext)

        port = free_port()
        url = f"ipc://{tmp}/server.sock"
        log = open(tmp + "/server.log", "w")
        p = subprocess.Popen([SERVER, "--database-url", db, "--listen", url,
                              "--metrics-listen", f"127.0.0.1:{port}",
                              "--test-clock", "--job-workers", "0"],
                             stderr=log)
        procs.append(p)
        wait_listening(port, p, "billing-server")

        m = scrape(port)
        expect_true("no calls yet: no call series",
              not any(k[0].startswith("billing_server_call") for k in m))
        expect_true("the gauges are there before any call",
              m.get(("billing_jobs_waiting", "")) == 0 and
              m.get(("billing_database_up", "")) == 1, m)

        billctl(url, "plans", "create", "--code", "m", "--name", "M",
                "--price", "1")
        billctl(url, "plans", "create", "--code", "m", "--name", "M",
                "--price", "1")
        billctl(url, "plans", "create", "--code", "m", "--name", "M",
                "--price", "1")
        billctl(url, "customers", "get", "999")
        billctl(url, "plans", "list")
        m = scrape(port)
        create = '/billing.v1.Plans/Create'

        def calls(method, code):
            return m.get(("billing_server_calls_total",
                          f'{{method="{method}",code="{code}"}}'))
        expect_true("calls counted by method and code",
              calls(create, "OK") == 1 and
              calls(create, "ALREADY_EXISTS") == 2 and
              calls("/billing.v1.Customers/Get", "NOT_FOUND") == 1 and
              calls("/billing.v1.Plans/List", "OK") == 1, m)
        lbl = f'{{method="{create}"}}'
        buckets = sorted(
            (float(re.search(r'le="([^"]+)"', k[1]).group(1)), v)
            for k, v in m.items()
            if k[0] == "billing_server_call_duration_seconds_bucket" and
            k[1].startswith(f'{{method="{create}",'))
        counts = [v for _, v in buckets]
        expect_true("the histogram: cumulative buckets up to +Inf = count",
              len(buckets) == 17 and counts == sorted(counts) and
              buckets[-1] == (float("inf"), 3) and
              m.get(("billing_server_call_duration_seconds_count", lbl))
              == 3 and
              m.get(("billing_server_call_duration_seconds_sum", lbl)) > 0,
              buckets)

        psql(db, "INSERT INTO jobs (kind, dedupe_key, run_at) VALUES"
                 " ('billing_run', 'm1', now() - interval '2 minutes'),"
                 " ('billing_run', 'm2', now() - interval '1 minute'),"
                 " ('billing_run', 'm3', now() + interval '1 hour')")
        expect_true("billctl billing run", billctl(url, "billing", "run") == 0)
        m = scrape(port)
        expect_true("jobs waiting, queued and the oldest's wait",
              m[("billing_jobs_waiting", "")] == 2 and
              m[("billing_jobs_queued", "")] == 3 and
              m[("billing_jobs_oldest_waiting_seconds", "")] >= 120, m)
        expect_true("the billing run counted",
              m[("billing_runs_succeeded_total", "")] == 1 and
              m[("billing_runs_failed_total", "")] == 0 and
              m[("billing_run_last_succeeded", "")] == 1 and
              abs(m[("billing_run_last_finished_timestamp_seconds", "")] -
                  time.time()) < 60, m)

        expect_true("/healthz 200", get(port, "/healthz")[0] == 200)
        expect_true("other paths 404", get(port, "/nope")[0] == 404)
        expect_true("POST 405", get(port, "/metrics", "POST")[0] == 405)

        # A worker process, configured through the environment, serves
        # the same gauges and takes the two due jobs.
        wport = free_port()
        env = dict(os.environ, BILLING_DATABASE_URL=db,
                   BILLING_METRICS_LISTEN=f"127.0.0.1:{wport}",
                   BILLING_SCHEDULE="off", BILLING_LOG_LEVEL="warn")
        w = subprocess.Popen([SERVER, "worker"], env=env,
                             stderr=open(tmp + "/worker.log", "w"))
        procs.append(w)
        wait_listening(wport, w, "billing-server worker")
        for _ in range(100):
            wm = scrape(wport)
            if wm[("billing_jobs_waiting", "")] == 0 and \
                    wm[("billing_runs_succeeded_total", "")] == 3:
                break
            time.sleep(0.1)
        expect_true("the worker serves the gauges and ran the due jobs",
              wm[("billing_jobs_waiting", "")] == 0 and
              wm[("billing_jobs_queued", "")] == 1 and
              wm[("billing_runs_succeeded_total", "")] == 3, wm)
        expect_true("the worker has no call series",
              not any(k[0].startswith("billing_server_call") for k in wm))

        subprocess.run([PG_SH, "stop", tmp + "/pg"], capture_output=True)
        st, _ = get(port, "/healthz")
        m = scrape(port)
        expect_true("PostgreSQL down: /healthz 503, database_up 0",
              st == 503 and m[("billing_database_up", "")] == 0 and
              ("billing_jobs_waiting", "") not in m, (st, m))
        subprocess.run([PG_SH, "start", tmp + "/pg"], check=True,
                       capture_output=True)
        for _ in range(50):
            st, _ = get(port, "/healthz")
            if st == 200:
                break
            time.sleep(0.1)
        expect_true("PostgreSQL back: /healthz 200", st == 200)

        for pr in procs:
            pr.terminate()
            expect_true("stops cleanly", pr.wait(30) == 0)
        procs = []
    finally:
        for pr in procs:
            pr.kill()
            pr.wait()
        subprocess.run([PG_SH, "stop", tmp + "/pg"], capture_output=True)
        if FAILS:
            for f in ("server.log", "worker.log"):
                if os.path.exists(f"{tmp}/{f}"):
                    print(f"--- {f}")
                    print(open(f"{tmp}/{f}", errors="replace").read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    finish("test_server_metrics")


if __name__ == "__main__":
    main()
