"""Scale-out: two billing-servers and two workers (processes) on one
PostgreSQL, billing-bridge dialing both servers.

1. A steady stream of requests through the bridge (reads and writes from
   several threads); server A is killed (-9) and restarted. No request
   fails but those in flight at the kill, and only writes may (a read
   is retried by the client library on the other server; a write's
   outcome is unknown, so it fails 503 and is never sent twice). A
   serves again after its restart.
2. A few thousand subscriptions, each with periods due, billed by the
   scheduled runs of both workers at once (SKIP LOCKED): every period is
   billed exactly once, the invoice numbers are gapless, both workers
   took part.

    test_scale_out.py BRIDGE SERVER BILLCTL PG_SH
"""
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bridge"))
from bridgelib import (FAILS, expect_true, finish,  # noqa: E402
                       free_port, psql, wait_listening)

BRIDGE, SERVER, BILLCTL, PG_SH = sys.argv[1:5]
KEY = "scale-out-key"
SUBSCRIPTIONS = int(os.environ.get("SCALE_OUT_SUBSCRIPTIONS", "3000"))
STREAMS = 4










def berlin_ago(days):
    t = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Berlin"))
    return (t - datetime.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


class Http:
    """One keep-alive connection to the bridge."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def call(self, method, path, params, now=None):
        body = urllib.parse.urlencode(params) if method == "POST" else None
        if method == "GET":
            path += "&" + urllib.parse.urlencode(params)
        hdrs = {"X-Api-Key": KEY}
        if body is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if now is not None:
            hdrs["X-Billing-Now"] = now
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1",
                                                       self.port, timeout=30)
            try:
                self.conn.request(method, path, body, hdrs)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, json.loads(data) if data else None
            except (http.client.HTTPException, OSError):
                # The bridge closed an idle keep-alive connection: a new
                # one, once (nothing reached the RPC server).
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        return None


class System:
    def __init__(self):
        self.tmp = tempfile.mkdtemp()
        os.chmod(self.tmp, 0o755)
        self.procs = {}
        self.db = None
        self.ports = {"A": free_port(), "B": free_port()}
        self.http_port = free_port()

    def url(self, name):
        return f"tcp://127.0.0.1:{self.ports[name]}"

    def start_pg(self):
        subprocess.run([PG_SH, "start", self.tmp + "/pg"], check=True,
                       capture_output=True)
        self.db = subprocess.run([PG_SH, "createdb", self.tmp + "/pg",
                                  "billing"], check=True, capture_output=True,
                                 text=True).stdout.strip()
        subprocess.run([SERVER, "migrate", "--database-url", self.db],
                       check=True, capture_output=True)

    def start_server(self, name):
        log = open(f"{self.tmp}/server-{name}.log", "a")
        p = subprocess.Popen([SERVER, "--database-url", self.db, "--listen",
                              self.url(name), "--workers", "4",
                              "--test-clock", "--job-workers", "0"],
                             stderr=log)
        self.procs[name] = p
        wait_listening(self.ports[name], p, "billing-server " + name)

    def start_worker(self, name):
        log = open(f"{self.tmp}/{name}.log", "a")
        self.procs[name] = subprocess.Popen(
            [SERVER, "worker", "--database-url", self.db, "--schedule", "off",
             "--run-batch", "50", "--log-level", "warn"], stderr=log)

    def start_bridge(self):
        log = open(f"{self.tmp}/bridge.log", "a")
        p = subprocess.Popen([BRIDGE, "--listen",
                              f"127.0.0.1:{self.http_port}", "--server",
                              self.url("A") + "," + self.url("B"),
                              "--log-level", "warn"], stderr=log)
        self.procs["bridge"] = p
        wait_listening(self.http_port, p, "billing-bridge")

    def kill9(self, name):
        p = self.procs.pop(name)
        p.send_signal(signal.SIGKILL)
        p.wait()

    def stop(self, name):
        p = self.procs.pop(name)
        p.terminate()
        return p.wait(30)

    def close(self):
        for name in list(self.procs):
            try:
                self.stop(name)
            except Exception:
                self.procs[name].kill()
        subprocess.run([PG_SH, "stop", self.tmp + "/pg"], capture_output=True)
        if FAILS:
            for f in sorted(os.listdir(self.tmp)):
                if f.endswith(".log"):
                    print(f"--- {f} (tail)")
                    with open(f"{self.tmp}/{f}", errors="replace") as fh:
                        print("".join(fh.readlines()[-15:]))
        shutil.rmtree(self.tmp, ignore_errors=True)


def served_ok(sys_, name):
    with open(f"{sys_.tmp}/server-{name}.log", errors="replace") as f:
        return sum(1 for line in f if "status=OK" in line)


def stream(port, idx, stop, results):
    """Reads and writes in turn until stop; records each request as
    (start, end, kind, status, success)."""
    h = Http(port)
    i = 0
    while not stop.is_set():
        i += 1
        kind = ("read", "write")[i % 2]
        t0 = time.monotonic()
        try:
            if kind == "read":
                st, body = h.call("GET", "/api/plans.php?action=list", {})
            else:
                st, body = h.call("POST", "/api/users.php?action=create",
                                  {"email": f"s{idx}-{i}@scale.example",
                                   "name": "x"})
            ok = st == 200 and body is not None and body.get("success")
        except Exception as e:  # noqa: BLE001 (recorded as a failure)
            st, ok = repr(e), False
        results.append((t0, time.monotonic(), kind, st, bool(ok)))


def test_kill_under_load(s):
    stop = threading.Event()
    results = []
    threads = [threading.Thread(target=stream,
                                args=(s.http_port, i, stop, results))
               for i in range(STREAMS)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    before = served_ok(s, "A")
    t_kill = time.monotonic()
    s.kill9("A")
    t_killed = time.monotonic()
    time.sleep(1.5)
    s.start_server("A")
    restarted = served_ok(s, "A")
    time.sleep(2.5)  # the bridge's client redials within 1 s
    stop.set()
    for t in threads:
        t.join()

    failed = [r for r in results if not r[4]]
    print(f"     {len(results)} requests, {len(failed)} failed at the kill",
          flush=True)
    # In flight at the kill: sent before the bridge could know of it (the
    # kernel closes the dead server's sockets at once; nng sees it when
    # it next reads or writes, well within 50 ms).
    in_flight = [r for r in failed
                 if r[0] <= t_killed + 0.05 and r[1] >= t_kill]
    expect_true("requests made", len(results) > 200, len(results))
    expect_true("A served before the kill", before > 0, before)
    expect_true("only requests in flight at the kill failed",
          len(failed) == len(in_flight), failed)
    expect_true("at most one failure per stream", len(failed) <= STREAMS, failed)
    expect_true("only writes failed, with 503",
          all(r[2] == "write" and r[3] == 503 for r in failed), failed)
    after = [r for r in results if r[0] > t_killed + 0.1]
    expect_true("requests after the kill all succeeded",
          len(after) > 100 and all(r[4] for r in after), len(after))
    expect_true("A serves again after its restart",
          served_ok(s, "A") > restarted, (restarted, served_ok(s, "A")))
    # Every write that succeeded is there once; a failed one at most once.
    ok_writes = sum(1 for r in results if r[2] == "write" and r[4])
    rows = int(psql(s.db, "SELECT count(*) FROM customers WHERE email LIKE"
                          " '%@scale.example'"))
    expect_true("every successful write applied once",
          ok_writes <= rows <= ok_writes + len(failed),
          f"{rows} rows, {ok_writes} successful writes")


def make_subscriptions(s, n):
    """n customers (with credit: their invoices are paid at once, so no
    dunning interferes) and an active monthly subscription each, started
    100 days ago: every one has three or four periods due."""
    h = Http(s.http_port)
    st, body = h.call("POST", "/api/plans.php?action=create",
                      {"code": "scale", "name": "Scale", "price": "10.00"})
    assert st == 200 and body["success"], body
    plan_id = body["data"]["id"]
    errors = []

    def work(lo, hi):
        h = Http(s.http_port)
        for i in range(lo, hi):
            try:
                st, b = h.call("POST", "/api/users.php?action=create",
                               {"email": f"bill{i}@scale.example"})
                assert st == 200 and b["success"], b
                uid = b["data"]["id"]
                st, b = h.call("POST",
                               "/api/subscriptions.php?action=create",
                               {"user_id": uid, "plan_id": plan_id,
                                "trial": "0"}, now=berlin_ago(100))
                assert st == 200 and b["success"], b
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
                return

    threads = [threading.Thread(target=work, args=(k * n // 4,
                                                   (k + 1) * n // 4))
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expect_true("subscriptions created", not errors, errors[:3])


def test_shared_billing_run(s):
    # The first invoices, from the creates, are paid here; the renewals
    # by the customers' balance.
    make_subscriptions(s, SUBSCRIPTIONS)
    psql(s.db, "UPDATE customers SET balance_minor = 1000000 WHERE email"
               " LIKE 'bill%@scale.example'")
    psql(s.db, "UPDATE invoices SET status = 'paid', paid_at = now()")
    due = int(psql(s.db, "SELECT count(*) FROM subscriptions WHERE"
                         " current_period_end <= now()"))
    expect_true("all subscriptions due", due == SUBSCRIPTIONS, due)
    # Two billing-run jobs due at once (as two schedule slots would be),
    # then both workers: each claims one as it starts, and the two runs
    # share the subscriptions.
    psql(s.db, "INSERT INTO jobs (kind, dedupe_key, run_at) VALUES"
               " ('billing_run', 'scale-1', now()),"
               " ('billing_run', 'scale-2', now())")
    s.start_worker("worker1")
    s.start_worker("worker2")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        left = int(psql(s.db, "SELECT count(*) FROM subscriptions WHERE"
                              " current_period_end <= now()"))
        running = int(psql(s.db, "SELECT count(*) FROM billing_runs WHERE"
                                 " finished_at IS NULL"))
        if left == 0 and running == 0:
            break
        time.sleep(0.5)
    expect_true("every subscription renewed up to now", left == 0, left)
    expect_true("both workers stop cleanly",
          s.stop("worker1") == 0 and s.stop("worker2") == 0)

    # Every period exactly once: per subscription, the invoices' periods
    # follow each other from the start to the current period's end.
    bad = psql(s.db, """
        WITH p AS (
          SELECT i.subscription_id, i.period_start, i.period_end,
                 lag(i.period_end) OVER w AS prev_end,
                 row_number() OVER w AS n
            FROM invoices i
            JOIN subscriptions s ON s.id = i.subscription_id
            JOIN plans pl ON pl.id = s.plan_id AND pl.code = 'scale'
          WINDOW w AS (PARTITION BY i.subscription_id
                       ORDER BY i.period_start))
        SELECT count(*) FROM p WHERE n > 1 AND period_start <> prev_end""")
    expect_true("periods follow each other (no gap, no overlap)", bad == "0", bad)
    bad = psql(s.db, """
        SELECT count(*) FROM subscriptions s
          JOIN plans pl ON pl.id = s.plan_id AND pl.code = 'scale'
          JOIN LATERAL (SELECT min(period_start) AS first,
                               max(period_end) AS last, count(*) AS n,
                               count(DISTINCT period_start) AS nd
                          FROM invoices WHERE subscription_id = s.id) i
            ON true
         WHERE i.n <> i.nd OR i.n < 4
            OR i.first <> (s.started_at AT TIME ZONE 'Europe/Berlin')::date
            OR i.last <> (s.current_period_end
                          AT TIME ZONE 'Europe/Berlin')::date
            OR s.status <> 'active'""")
    expect_true("each subscription billed from its start to now, once", bad == "0",
          bad)
    renewed = int(psql(s.db, "SELECT coalesce(sum(renewed), 0) FROM"
                             " billing_runs"))
    invoices = int(psql(s.db, "SELECT count(*) FROM invoices"))
    expect_true("the runs' counts add up",
          renewed == invoices - SUBSCRIPTIONS, (renewed, invoices))
    # Gapless numbers, per year, ending at the sequence's last number.
    bad = psql(s.db, """
        SELECT count(*) FROM (
          SELECT substr(number, 5, 4)::int AS y, count(*) AS n,
                 max(substr(number, 10)::int) AS hi,
                 min(substr(number, 10)::int) AS lo
            FROM invoices GROUP BY 1) g
          LEFT JOIN invoice_sequences q ON q.year = g.y
         WHERE g.n <> g.hi OR g.lo <> 1 OR q.last_no IS DISTINCT FROM g.hi""")
    expect_true("invoice numbers gapless", bad == "0", bad)
    # Shared: both worker processes renewed subscriptions.
    workers = psql(s.db, """
        SELECT count(DISTINCT split_part(j.worker, ':', 2))
          FROM billing_runs r JOIN jobs j ON j.id = r.job_id
         WHERE r.renewed > 0""")
    print(psql(s.db, "SELECT '     run ' || r.id || ' by ' || j.worker ||"
                     " ': ' || r.renewed || ' renewed in ' ||"
                     " (r.finished_at - r.started_at) FROM billing_runs r"
                     " JOIN jobs j ON j.id = r.job_id ORDER BY r.id"),
          flush=True)
    expect_true("both workers billed", workers == "2", workers)
    failed = psql(s.db, "SELECT count(*) FROM billing_runs WHERE status <>"
                        " 'succeeded'")
    expect_true("no run failed", failed == "0", failed)


def main():
    s = System()
    try:
        s.start_pg()
        s.start_server("A")
        s.start_server("B")
        subprocess.run([BILLCTL, "--server", s.url("A"), "api-keys",
                        "create", "--name", "scale", "--key", KEY],
                       check=True, capture_output=True)
        s.start_bridge()
        # Let the bridge connect to both servers.
        time.sleep(0.5)
        test_kill_under_load(s)
        test_shared_billing_run(s)
    finally:
        s.close()
    finish("test_scale_out")


if __name__ == "__main__":
    main()
