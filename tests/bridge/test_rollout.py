#!/usr/bin/env python3
"""The rollout end to end (docs/rollout.md), with two complete instances:
the "legacy" side L is a second instance of this system (PostgreSQL,
billing-server and billing-bridge in new mode), the new side N has its
own PostgreSQL and billing-server and a bridge in front of both, started
with --rollout shadow --legacy-url L.

Proves: in shadow mode the client gets L's answers, and over the recorded
session (fixtures/transcript.jsonl) and 3000 random requests (a third
of them writes) 0 differences are recorded while both agree, and the
two databases end with the same rows; the queue's replays are not
counted as the bridge's client requests; a difference planted by changing one
row on one side is recorded with its JSON path, the api_key removed
from the recorded request;
canary routes exactly the chosen key, and the chosen percentage of users
(by the stable bucket); `billctl rollout set` switches every bridge;
switching modes under a steady stream loses no request; a dead shadow
side changes no answer.

    test_rollout.py BRIDGE SERVER BILLCTL STACK_SH
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridgelib  # noqa: E402
from bridgelib import Stack, expect_eq, expect_true, finish  # noqa: E402
from replay import send  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = bridgelib.KEY
CANARY_KEY = "canary-key-456"
RANDOM_REQUESTS = 3000
# The rows both sides must hold alike (customers.updated_at is the
# database's clock, not the request's).
TABLES = ("customers", "plans", "subscriptions", "invoices", "invoice_items",
          "payments", "invoice_sequences")


def get(base, query, key=KEY):
    headers = {"X-Billing-Now": "2015-06-01 10:00:00"}
    if key is not None:
        headers["X-Api-Key"] = key
    return send(base, {"method": "GET", "path": query[0], "query": query[1],
                       "headers": headers, "body": None,
                       "content_type": None})


def metrics(base):
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        return r.read().decode()


def sample(text, prefix, has=""):
    """The sum of the samples whose line starts with prefix (and holds
    has)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(prefix) and has in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def drained(base, timeout=30):
    """Waits until the shadow queue is empty and reported (a flush runs
    every second)."""
    end = time.time() + timeout
    while time.time() < end:
        if sample(metrics(base),
                  "billing_bridge_rollout_queue_length") == 0:
            time.sleep(1.5)
            return True
        time.sleep(0.1)
    return False


def billctl(stack, *args):
    r = subprocess.run([stack.billctl, "--server", stack.server_url,
                        "--json"] + list(args), capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"billctl {args}: {r.stderr}")
    return json.loads(r.stdout) if r.stdout.strip() else None


def set_mode(n, bridge_proc, *args):
    """billctl rollout set, then SIGHUP: the bridge reads it at once.
    True once the bridge has applied that config (its version)."""
    billctl(n, "rollout", "set", *args)
    version = int(billctl(n, "rollout", "config")["version"])
    bridge_proc.send_signal(signal.SIGHUP)
    mode = f'billing_bridge_rollout_mode{{mode="{args[0]}"}} 1'
    for _ in range(50):
        m = metrics(n.base)
        if mode in m and sample(
                m, "billing_bridge_rollout_config_version") >= version:
            return True
        time.sleep(0.1)
    return False


def client_requests(base):
    """The bridge's count of requests to the legacy endpoints."""
    return sum(sample(metrics(base), "billing_bridge_requests_total{",
                      f'endpoint="{e}"')
               for e in ("users.php", "plans.php", "subscriptions.php",
                         "invoices.php", "payments.php", "cron.php"))


def authenticate_calls(stack):
    """ApiKeys.Authenticate calls in the stack's server log so far."""
    with open(stack.tmp + "/stack/server.log") as f:
        return sum("ApiKeys/Authenticate" in line for line in f)


def same_rows(stack):
    """The count and a digest of the rows of each of TABLES (ordered by
    their text, so that the digest does not depend on physical order)."""
    return [stack.psql(f"SELECT count(*) || ' ' || md5(coalesce(string_agg("
                       f"(to_jsonb(t) - 'updated_at')::text, '|'"
                       f" ORDER BY (to_jsonb(t) - 'updated_at')::text),"
                       f" '')) FROM {t} t") for t in TABLES]


ID_PARAMS = ("id", "user_id", "plan_id", "subscription_id", "invoice_id",
             "payment_id")
MONEY_PARAMS = ("amount", "price")


def random_requests(base, steps, n):
    """Sends n requests made from the session's: its reads and writes
    with other ids, amounts, emails and a clock moving forward; a third
    are writes. Returns how many were answered with the envelope, and
    how many writes succeeded."""
    rng = random.Random(8)
    reads = [st["request"] for st in steps
             if st["request"]["method"] == "GET"
             and st["response"]["status"] == 200]
    writes = [st["request"] for st in steps
              if st["request"]["method"] == "POST"
              and st["response"]["json"].get("success") is True]
    clock = time.mktime((2015, 6, 1, 10, 0, 0, 0, 0, -1))
    emails = ["alice@example.com"]
    answered = wrote = 0
    for i in range(n):
        req = json.loads(json.dumps(rng.choice(
            writes if rng.random() < 1 / 3 else reads)))
        clock += rng.randint(0, 6 * 3600)
        req["headers"]["X-Billing-Now"] = time.strftime(
            "%Y-%m-%d %H:%M:%S", time.localtime(clock))
        for params in (req["query"], req["body"]):
            if not isinstance(params, dict):
                continue
            for k in list(params):
                if k in ID_PARAMS or k == "page":
                    params[k] = str(rng.randint(1, 30))
                elif k in MONEY_PARAMS:
                    cents = rng.randint(0, 50000)
                    params[k] = rng.choice(
                        [f"{cents // 100}.{cents % 100:02d}",
                         str(rng.randint(1, 900)), "-5", "1.999", "x"])
                elif k == "email":
                    if rng.random() < 0.2:
                        params[k] = rng.choice(emails)
                    else:
                        params[k] = f"r{i}@example.com"
                        emails.append(params[k])
        st, body = send(base, req)
        # Every answer is the contract's envelope; a computed amount out
        # of range is its 500 (docs/legacy-api.md), the same on both.
        answered += isinstance(body, dict) and "success" in body
        wrote += (req["method"] == "POST" and isinstance(body, dict)
                  and body.get("success") is True)
    return answered, wrote


def fnv_bucket(s):
    h = 2166136261
    for b in s.encode():
        h ^= b
        h = (h * 16777619) & 0xffffffff
    return h % 100


def main():
    bridge, server, billctl_bin, stack_sh = sys.argv[1:5]
    legacy = Stack(bridge, server, billctl_bin, stack_sh)
    new = None
    try:
        legacy.start()
        new = Stack(bridge, server, billctl_bin, stack_sh,
                    bridge_args=["--rollout", "shadow", "--legacy-url",
                                 legacy.base,
                                 # Nothing may be dropped: a dropped write
                                 # would be a divergence.
                                 "--rollout-queue", "10000"])
        new.start()
        bridgelib.BASE = new.base
        # A second key on both sides, the canary's (the same id).
        for s in (legacy, new):
            billctl(s, "api-keys", "create", "--name", "canary", "--key",
                    CANARY_KEY)

        # 1. Shadow mode over the recorded session: L's answers, 0 diffs.
        steps = [json.loads(line) for line in
                 open(os.path.join(HERE, "fixtures", "transcript.jsonl"))]
        bad = 0
        for st in steps:
            got = send(new.base, st["request"])
            want = (st["response"]["status"], st["response"]["json"])
            if got != want:
                bad += 1
                if bad < 5:
                    print(f"step {st['step']}: got {got}\n  want {want}")
        expect_eq("shadow mode: every answer is the legacy side's", bad, 0)
        expect_true("the shadow queue drains", drained(new.base))
        m = metrics(new.base)
        matches = sample(m, "billing_bridge_rollout_compared_total{",
                         'result="match"')
        diffs = sample(m, "billing_bridge_rollout_compared_total{",
                       'result="diff"')
        expect_eq("no differences over the session (metrics)", diffs, 0)
        expect_true("the session was compared", matches > 250,
                    f"{matches} comparisons")
        expect_eq("no differences over the session (PostgreSQL)",
                  new.psql("SELECT count(*) FROM rollout_diffs"), "0")
        expect_eq("counts reported to PostgreSQL",
                  new.psql("SELECT sum(diffs) || '/' || sum(shadow_errors)"
                           " || '/' || sum(dropped) FROM rollout_counts"),
                  "0/0/0")
        expect_eq("matches reported to PostgreSQL",
                  float(new.psql("SELECT sum(matches) FROM rollout_counts")),
                  matches)

        # 1b. A few thousand random requests, a third of them writes:
        # still 0 differences, nothing dropped, and at the end the two
        # databases hold the same rows.
        before = client_requests(new.base)
        sent, wrote = random_requests(new.base, steps, RANDOM_REQUESTS)
        expect_eq("random requests answered", sent, RANDOM_REQUESTS)
        expect_true(f"{wrote} of the random writes succeeded", wrote > 300)
        expect_true("the shadow queue drains after the random requests",
                    drained(new.base, 180))
        expect_eq("no differences over the random requests",
                  new.psql("SELECT count(*) || '/' || (SELECT sum(diffs)"
                           " || '/' || sum(shadow_errors) || '/' ||"
                           " sum(dropped) FROM rollout_counts)"
                           " FROM rollout_diffs"),
                  "0/0/0/0")
        rows = same_rows(legacy)
        expect_eq("the shadow side holds the same rows", same_rows(new),
                  rows)
        expect_true("rows: " + ", ".join(
            f"{t} {r.split()[0]}" for t, r in zip(TABLES, rows)),
            all(int(r.split()[0]) > 0 for r in rows))
        # The replays are the queue's, not clients': apart in /metrics.
        expect_eq("replays are not counted as client requests",
                  client_requests(new.base) - before, RANDOM_REQUESTS)

        # 2. A difference planted in one side's database.
        legacy.psql("UPDATE plans SET name = 'Basic (legacy)' WHERE id = 1")
        st, body = get(new.base, ("/api/plans.php",
                                  {"action": "get", "id": "1",
                                   "api_key": KEY}), key=None)
        expect_eq("the client gets the legacy side's answer",
                  (st, body["data"]["name"]), (200, "Basic (legacy)"))
        drained(new.base)
        row = new.psql("SELECT endpoint || ' ' || action || ' ' ||"
                       " array_to_string(paths, ',') || ' ' ||"
                       " primary_side || ' ' || mutating"
                       " FROM rollout_diffs ORDER BY id DESC LIMIT 1")
        expect_eq("the difference is recorded with its path", row,
                  "plans.php get $.data.name legacy false")
        req = new.psql("SELECT request FROM rollout_diffs ORDER BY id DESC"
                       " LIMIT 1")
        expect_eq("the recorded request has no api_key", req,
                  "GET /api/plans.php?action=get&id=1")
        status = billctl(new, "rollout", "status")
        c = [x for x in status.get("counts", [])
             if x["endpoint"] == "plans.php" and x["action"] == "get"]
        expect_true("rollout status counts the difference",
                    c and int(c[0].get("diffs", 0)) == 1, str(c))
        expect_true("and the metrics too",
                    'billing_bridge_rollout_compared_total{endpoint='
                    '"plans.php",action="get",result="diff"} 1'
                    in metrics(new.base))

        # 3. Canary by key: the canary key's requests are answered by N.
        key_id = int(billctl(new, "api-keys", "list")["api_keys"][-1]["id"])
        expect_true("billctl rollout set canary switches the bridge",
                    set_mode(new, new.bridge, "canary", "--canary-key",
                             str(key_id)))
        q = ("/api/plans.php", {"action": "get", "id": "1"})
        expect_eq("canary key: answered by the new side",
                  get(new.base, q, CANARY_KEY)[1]["data"]["name"], "Basic")
        expect_eq("other key: answered by the legacy side",
                  get(new.base, q, KEY)[1]["data"]["name"],
                  "Basic (legacy)")
        # The canary's key lookups hit the bridge's key cache, as the
        # authentication does: not one Authenticate call per request.
        calls = authenticate_calls(new)
        for k in (CANARY_KEY, KEY) * 10:
            get(new.base, q, k)
        expect_true("canary key lookups are cached",
                    authenticate_calls(new) - calls <= 2,
                    f"{authenticate_calls(new) - calls} Authenticate calls"
                    " for 20 requests")
        drained(new.base)
        row = new.psql("SELECT primary_side FROM rollout_diffs"
                       " ORDER BY id DESC LIMIT 2")
        expect_eq("both directions compared", sorted(row.split()),
                  ["legacy", "new"])

        # 4. Canary by percentage of users: exactly the buckets below it.
        users = new.psql("SELECT id FROM customers WHERE status <> 'deleted'"
                         " ORDER BY id").split()
        legacy.psql("UPDATE customers SET name = 'L' || id")
        expect_true("canary 50%",
                    set_mode(new, new.bridge, "canary", "--canary-percent",
                             "50"))
        wrong = []
        for u in users:
            st, body = get(new.base, ("/api/users.php",
                                      {"action": "get", "id": u}))
            by_new = body["data"]["name"] != "L" + u
            if by_new != (fnv_bucket(u) < 50):
                wrong.append(u)
        expect_eq(f"canary 50%: exactly the users of the low buckets "
                  f"({len(users)} users)", wrong, [])

        # 4b. Switching modes under load loses no request.
        results = []
        stop = threading.Event()

        def stream(n):
            i = 0
            while not stop.is_set():
                i += 1
                if i % 5 == 0:
                    r = send(new.base, {
                        "method": "POST", "path": "/api/users.php",
                        "query": {"action": "create"},
                        "headers": {"X-Api-Key": KEY,
                                    "X-Billing-Now": "2015-06-01 10:00:00"},
                        "body": {"email": f"load{n}-{i}@example.com",
                                 "name": "Load"},
                        "content_type": "application/x-www-form-urlencoded"})
                else:
                    r = get(new.base, ("/api/plans.php", {"action": "list"}))
                results.append(r[0] == 200 and r[1].get("success") is True)

        threads = [threading.Thread(target=stream, args=(n,))
                   for n in range(4)]
        for t in threads:
            t.start()
        switched = []
        for mode in (["canary", "--canary-percent", "50"], ["shadow"],
                     ["legacy"], ["new"], ["shadow"]):
            time.sleep(0.5)
            switched.append(set_mode(new, new.bridge, *mode))
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        expect_eq("every switch was followed", switched, [True] * 5)
        expect_true(f"switching under load: all {len(results)} requests "
                    "answered with success",
                    len(results) > 100 and all(results),
                    f"{results.count(False)} failed")

        # 5. Back to shadow, then the shadow side dies: no answer changes.
        expect_true("back to shadow",
                    set_mode(new, new.bridge, "shadow"))
        drained(new.base)
        want = [get(legacy.base, q), get(legacy.base,
                                         ("/api/plans.php",
                                          {"action": "list"}))]
        new.stop_stack()
        got = [get(new.base, q), get(new.base, ("/api/plans.php",
                                                {"action": "list"}))]
        expect_eq("a dead shadow side changes no answer", got, want)
        drained(new.base)
        expect_eq("the failures are counted as shadow errors",
                  sample(metrics(new.base),
                         "billing_bridge_rollout_compared_total{endpoint="
                         '"plans.php"', 'result="shadow_error"'), 2)
    finally:
        for s in (new, legacy):
            if s is not None:
                s.close()
    finish("rollout")


if __name__ == "__main__":
    main()
