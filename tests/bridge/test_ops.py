#!/usr/bin/env python3
"""End-to-end test of the bridge's operational side (docs/bridge.md):
multipart/form-data bodies, /metrics, the cache of accepted API keys
(revocation within --key-cache-s), slow clients and the connection limit
(--timeout-s, --max-connections), /openapi.json and /docs.

    test_ops.py BRIDGE SERVER BILLCTL STACK_SH
"""
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import bridgelib as B
from bridgelib import KEY, call, err, expect, expect_eq, missing

TIMEOUT_S = 2
MAX_CONN = 8
KEY_CACHE_S = 2
H = {"X-Api-Key": KEY, "X-Billing-Now": "2015-01-05 09:00:00"}


def multipart(fields, boundary="xYzBoUnDaRy"):
    """A multipart/form-data body: fields are (name, value) or
    (name, value, filename)."""
    out = b""
    for f in fields:
        name, value = f[0], f[1]
        disp = f'form-data; name="{name}"'
        if len(f) > 2:
            disp += f'; filename="{f[2]}"'
        out += (f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n"
                .encode() + (value if isinstance(value, bytes)
                             else value.encode()) + b"\r\n")
    return out + f"--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def mp_call(method, path, fields, query=None, headers=H):
    body, ctype = multipart(fields)
    return call(method, path, query=query, body=body, ctype=ctype,
                headers=headers)


def test_multipart():
    st, r = mp_call("POST", "/api/plans.php", [
        ("action", "create"), ("code", "mp"), ("name", "Multi Part"),
        ("price", "12.50"), ("currency", "EUR"), ("interval", "month"),
        ("ignored", "file body", "a.txt")])
    expect_eq("multipart create: status", (st, r["success"]), (200, True))
    expect_eq("multipart create: values",
              (r["data"]["code"], r["data"]["name"], r["data"]["price"]),
              ("mp", "Multi Part", "12.50"))
    plan_id = r["data"]["id"]

    # Body wins over the query per name; a file part is no parameter.
    st, r = mp_call("POST", "/api/plans.php", [("action", "get"),
                                               ("id", "file", "id.txt")],
                    query={"action": "list", "id": plan_id})
    expect_eq("multipart: body action wins, file part ignored",
              (st, r["data"]["id"]), (200, plan_id))

    # meta[k]=v and meta[]=v build one array, as a form does.
    st, r = mp_call("POST", "/api/users.php", [
        ("action", "create"), ("email", "mp@example.com"),
        ("name", "MP"), ("meta[plan]", "gold"), ("meta[]", "x"),
        ("na.me", "dot")])
    expect_eq("multipart users.create", (st, r.get("success")), (200, True))
    expect_eq("multipart meta", r["data"]["meta"], {"plan": "gold",
                                                    "0": "x"})

    # PHP takes up to max_input_vars (1000) variables, array members
    # included: a meta of 150 keys is a meta like any other.
    many = {f"k{i}": str(i) for i in range(150)}
    st, r = mp_call("POST", "/api/users.php",
                    [("action", "create"), ("email", "many@example.com")] +
                    [(f"meta[{k}]", v) for k, v in many.items()])
    expect_eq("meta with 150 keys", (st, r["success"], r["data"]["meta"]),
              (200, True, many))

    # An empty field is not given; the contract's checks still apply.
    expect("multipart empty code", mp_call("POST", "/api/plans.php", [
        ("action", "create"), ("code", ""), ("name", "x")]),
        200, missing("code"))

    # Multipart is read for POST only: a PUT's multipart body is ignored.
    expect("multipart PUT body ignored", mp_call("PUT", "/api/plans.php", [
        ("action", "list")]), 400, err("Unknown action: ", "unknown_action"))

    # Malformed bodies: no closing boundary, no boundary at all, garbage.
    for i, (body, ctype) in enumerate([
            (b'--b\r\nContent-Disposition: form-data; name="action"\r\n'
             b'\r\nlist', "multipart/form-data; boundary=b"),
            (b"action=list", "multipart/form-data"),
            (bytes(range(256)) * 64, "multipart/form-data; boundary=b")]):
        st, r = call("POST", "/api/plans.php", body=body, ctype=ctype,
                     headers=H)
        expect_eq(f"malformed multipart {i}: an envelope",
                  (st in (200, 400), isinstance(r, dict)), (True, True))

    # Too many fields: the same 400 as a form body.
    st, r = mp_call("POST", "/api/plans.php",
                    [("action", "list")] + [(f"f{i}", "1")
                                            for i in range(1001)])
    expect_eq("multipart 1001 fields", st, 400)
    return plan_id


def metrics():
    with urllib.request.urlopen(B.BASE + "/metrics", timeout=10) as r:
        expect_eq("metrics content type", r.headers["Content-Type"],
                  "text/plain; version=0.0.4; charset=utf-8")
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def test_metrics():
    lst = ('billing_bridge_requests_total{endpoint="plans.php",'
           'action="list",status="200"}')
    unk = ('billing_bridge_requests_total{endpoint="plans.php",'
           'action="",status="400"}')
    nf = ('billing_bridge_requests_total{endpoint="other",action="",'
          'status="404"}')
    cnt = ('billing_bridge_request_duration_seconds_count'
           '{endpoint="plans.php"}')
    before = metrics()
    for _ in range(5):
        call("GET", "/api/plans.php", {"action": "list"}, headers=H)
    for _ in range(2):
        call("GET", "/api/plans.php", {"action": "nope"}, headers=H)
    call("GET", "/api/nothing.php", headers=H)
    after = metrics()
    expect_eq("metrics: 5 lists", after[lst] - before.get(lst, 0), 5)
    expect_eq("metrics: 2 unknown actions", after[unk] - before.get(unk, 0),
              2)
    expect_eq("metrics: 1 not found", after[nf] - before.get(nf, 0), 1)
    expect_eq("metrics: histogram count", after[cnt] - before[cnt], 7)
    inf = ('billing_bridge_request_duration_seconds_bucket'
           '{endpoint="plans.php",le="+Inf"}')
    expect_eq("metrics: +Inf bucket = count", after[inf], after[cnt])
    expect_eq("metrics: in flight is this request",
              after["billing_bridge_requests_in_flight"], 1)
    # Buckets are cumulative.
    bk = sorted(((float(m.group(1)), v) for k, v in after.items()
                 if (m := re.search(r'endpoint="plans.php",le="([0-9.]+)"',
                                    k))))
    expect_eq("metrics: cumulative buckets",
              all(bk[i][1] <= bk[i + 1][1] for i in range(len(bk) - 1)),
              True)
    # A hostile action name is not a label.
    call("GET", "/api/plans.php", {"action": "x\"}\n"}, headers=H)
    expect_eq("metrics: no label from input",
              any('x\\"' in k or "x\"" in k for k in metrics()), False)


def test_key_cache(stack):
    """A revoked key stops working within --key-cache-s seconds."""
    out = subprocess.run([stack.billctl, "--server", stack.server_url,
                          "api-keys", "create", "--name", "tmp", "--key",
                          "temp-key-1"], check=True, capture_output=True,
                         text=True).stdout
    key_id = re.search(r"^id\s+(\d+)", out, re.M).group(1)
    h = {"X-Api-Key": "temp-key-1"}
    hit = 'billing_bridge_api_key_lookups_total{result="hit"}'
    before = metrics()[hit]
    expect_eq("new key works", call("GET", "/api/plans.php",
                                    {"action": "list"}, headers=h)[0], 200)
    expect_eq("cached key works", call("GET", "/api/plans.php",
                                       {"action": "list"}, headers=h)[0],
              200)
    expect_eq("cache hit counted", metrics()[hit] - before >= 1, True)
    subprocess.run([stack.billctl, "--server", stack.server_url, "api-keys",
                    "revoke", key_id], check=True, capture_output=True)
    time.sleep(KEY_CACHE_S + 0.5)
    expect("revoked key refused after the cache time",
           call("GET", "/api/plans.php", {"action": "list"}, headers=h),
           401, err("Invalid API key", "unauthorized"))
    # A wrong key is never cached: still refused on every try.
    for i in range(2):
        expect(f"wrong key {i}", call("GET", "/api/plans.php",
                                      {"action": "list"},
                                      headers={"X-Api-Key": "nope"}),
               401, err("Invalid API key", "unauthorized"))


def port():
    return int(B.BASE.rsplit(":", 1)[1])


def closed_within(sock, seconds):
    """True when the bridge closes sock within seconds."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True


def test_slow_clients(stack):
    count = lambda: int(stack.psql("SELECT count(*) FROM plans"))
    plans = count()
    # Headers that never end, and a body that never arrives.
    slow_head = socket.create_connection(("127.0.0.1", port()))
    slow_head.sendall(b"GET /api/plans.php?action=list HTTP/1.1\r\nHost: x")
    slow_body = socket.create_connection(("127.0.0.1", port()))
    slow_body.sendall(
        b"POST /api/plans.php HTTP/1.1\r\nHost: x\r\nX-Api-Key: " +
        KEY.encode() + b"\r\nContent-Type: application/x-www-form-urlencoded"
        b"\r\nContent-Length: 200\r\n\r\naction=create&code=slow&name=S")
    # Others are served meanwhile.
    st, r = call("GET", "/api/plans.php", {"action": "list"}, headers=H)
    expect_eq("served beside slow clients", st, 200)
    expect_eq("slow headers closed after --timeout-s",
              closed_within(slow_head, TIMEOUT_S + 3), True)
    expect_eq("slow body closed after --timeout-s",
              closed_within(slow_body, TIMEOUT_S + 3), True)
    expect_eq("a half-sent body wrote nothing", count(), plans)
    slow_head.close()
    slow_body.close()


def test_connection_limit():
    """A connection beyond --max-connections is closed at once, unserved;
    the bridge serves again as soon as one ends."""
    idle = [socket.create_connection(("127.0.0.1", port()))
            for _ in range(MAX_CONN)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", port()))
    try:
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        pass
    expect_eq("beyond --max-connections: closed at once, unserved",
              closed_within(extra, 1), True)
    extra.close()
    idle.pop().close()
    expect_eq("served again once a connection ends", served_soon(), True)
    for s in idle:
        s.close()
    expect_eq("served again once all end", served_soon(), True)


def served_soon(seconds=10):
    """True once a request is served again: a slot is free only after
    the bridge's thread has seen its connection close."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if call("GET", "/api/plans.php", {"action": "list"},
                    headers=H)[0] == 200:
                return True
        except OSError:
            time.sleep(0.1)
    return False


def test_docs():
    with urllib.request.urlopen(B.BASE + "/openapi.json", timeout=10) as r:
        expect_eq("openapi content type",
                  r.headers["Content-Type"].split(";")[0],
                  "application/json")
        doc = json.loads(r.read())
    expect_eq("openapi version", doc.get("openapi", "")[:2], "3.")
    expect_eq("openapi has every endpoint",
              all(any(e in p for p in doc["paths"]) for e in
                  ("users.php", "plans.php", "subscriptions.php",
                   "invoices.php", "payments.php", "cron.php")), True)
    with urllib.request.urlopen(B.BASE + "/docs", timeout=10) as r:
        expect_eq("docs content type",
                  r.headers["Content-Type"].split(";")[0], "text/html")
        html = r.read().decode()
    expect_eq("docs: a page about the API",
              "<html" in html.lower() and "plans.php" in html, True)
    expect_eq("docs: no external resources",
              re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html), None)


def main():
    stack = B.Stack(*sys.argv[1:5],
                    bridge_args=["--timeout-s", str(TIMEOUT_S),
                                 "--max-connections", str(MAX_CONN),
                                 "--key-cache-s", str(KEY_CACHE_S)])
    try:
        stack.start()
        test_multipart()
        test_metrics()
        test_key_cache(stack)
        test_slow_clients(stack)
        test_connection_limit()
        test_docs()
    finally:
        stack.close()
    B.finish("bridge_ops")


if __name__ == "__main__":
    main()
