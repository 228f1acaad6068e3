#!/usr/bin/env python3
"""The rollout's proxy passes the legacy app's answers on exactly as
received (docs/rollout.md, "The bridge"): status, the headers that
matter (Content-Type, Content-Disposition, Cache-Control) and the body
bytes, whatever they are; and it sends the request on as the client made
it: method, raw path and query, body bytes, Content-Type, X-Api-Key,
X-Billing-Now, nothing else of the client's.

The legacy app here is a small HTTP server of this test that records
what it receives and answers with bytes the test chooses, so that
answers no instance of this system would give (not JSON, not UTF-8,
418, empty, 2 MiB) can be checked byte for byte. The bridge runs in
legacy mode with an RPC server URL nothing listens on: legacy mode does
not call it.

    test_proxy.py BRIDGE
"""
import http.client
import http.server
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridgelib import (expect_eq, expect_true, finish, free_port,  # noqa: E402
                       wait_listening)

# What the legacy app answers, by the path's action: (status, headers,
# body bytes). An unknown action gets a JSON 200.
ANSWERS = {
    "json": (200, [("Content-Type", "application/json")],
             b'{"success":true,"data":{"b":1, "a":[1,2]}}  \n'),
    "latin1": (418, [("Content-Type", "text/plain; charset=ISO-8859-1")],
               b"\xff\xfe caf\xe9 \x00 not json"),
    "pdf": (200, [("Content-Type", "application/pdf"),
                  ("Content-Disposition", 'attachment; filename="INV-7.pdf"'),
                  ("Cache-Control", "private, max-age=0"),
                  ("X-Powered-By", "PHP/5.6.40"),
                  ("Set-Cookie", "PHPSESSID=abc")],
            bytes(range(256)) * 8),
    "empty": (200, [("Content-Type", "application/json")], b""),
    "big": (200, [("Content-Type", "application/json")],
            b'{"data":"' + b"x" * (2 << 20) + b'"}'),
    "error": (500, [("Content-Type", "text/html")],
              b"<b>Fatal error</b>: Allowed memory size exhausted"),
}


class Legacy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        Legacy.seen.append((self.command, self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body))
        action = ""
        if "action=" in self.path:
            action = self.path.split("action=", 1)[1].split("&", 1)[0]
        status, headers, data = ANSWERS.get(action, ANSWERS["json"])
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = answer

    def log_message(self, *args):
        pass


def request(port, method, target, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, target, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    c.close()
    return out


def last_seen():
    return Legacy.seen[-1]


def main():
    bridge_bin = sys.argv[1]
    legacy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Legacy)
    threading.Thread(target=legacy.serve_forever, daemon=True).start()
    lport = legacy.server_address[1]
    tmp = tempfile.mkdtemp()
    port = free_port()
    bridge = subprocess.Popen(
        [bridge_bin, "--listen", f"127.0.0.1:{port}",
         "--server", f"ipc://{tmp}/nothing.sock", "--log-level", "warn",
         "--rollout", "legacy", "--legacy-url", f"http://127.0.0.1:{lport}"])
    try:
        wait_listening(port, bridge, "billing-bridge")

        # 1. Every answer as received: status, the three headers, bytes.
        for action, (status, headers, data) in ANSWERS.items():
            st, got_headers, got = request(
                port, "GET", f"/api/invoices.php?action={action}&id=7",
                headers={"X-Api-Key": "k"})
            expect_eq(f"{action}: the status", st, status)
            expect_true(f"{action}: the {len(data)} body bytes",
                        got == data, f"{len(got)} bytes")
            for name in ("content-type", "content-disposition",
                         "cache-control"):
                want = dict((k.lower(), v) for k, v in headers).get(name)
                expect_eq(f"{action}: {name}", got_headers.get(name), want)
            expect_eq(f"{action}: the app's other headers stay behind",
                      [h for h in ("x-powered-by", "set-cookie")
                       if h in got_headers], [])

        # 2. The request as the client made it.
        target = "/api/plans.php?action=list&q=%41%zz+x&b%5B%5D=1&&api_key=s"
        request(port, "GET", target, headers={
            "X-Api-Key": "key-1", "X-Billing-Now": "2015-03-29 02:30:00",
            "Cookie": "c=1", "X-Forwarded-For": "10.0.0.1"})
        method, path, headers, body = last_seen()
        expect_eq("GET: method, raw path and query", (method, path),
                  ("GET", target))
        expect_eq("GET: X-Api-Key and X-Billing-Now passed on",
                  (headers.get("x-api-key"), headers.get("x-billing-now")),
                  ("key-1", "2015-03-29 02:30:00"))
        expect_eq("GET: the client's other headers stay behind",
                  [h for h in ("cookie", "x-forwarded-for") if h in headers],
                  [])
        raw = b"--b\r\nContent-Disposition: form-data; name=\"action\"" \
              b"\r\n\r\ncreate\r\n--b--\r\n\x00\xff" + b"y" * 5000
        request(port, "POST", "/api/users.php", body=raw, headers={
            "Content-Type": "multipart/form-data; boundary=b",
            "X-Api-Key": "key-2"})
        method, path, headers, body = last_seen()
        expect_eq("POST: method and path", (method, path),
                  ("POST", "/api/users.php"))
        expect_true("POST: the body bytes", body == raw,
                    f"{len(body)} bytes")
        expect_eq("POST: Content-Type, no Expect", (
            headers.get("content-type"), headers.get("expect")),
            ("multipart/form-data; boundary=b", None))
        request(port, "PUT", "/api/users.php?action=update",
                body=b"id=1&name=x",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
        method, _, _, body = last_seen()
        expect_eq("PUT: method and body", (method, body),
                  ("PUT", b"id=1&name=x"))

        # 3. The legacy app gone: the contract's 500 envelope.
        legacy.shutdown()
        legacy.server_close()
        st, headers, data = request(port, "GET",
                                    "/api/plans.php?action=list")
        expect_eq("legacy app down: 500 server_error", (st, data),
                  (500, b'{"success":false,"error":"Internal server error",'
                        b'"error_code":"server_error"}'))
    finally:
        bridge.terminate()
        bridge.wait(10)
    finish("proxy")


if __name__ == "__main__":
    main()
