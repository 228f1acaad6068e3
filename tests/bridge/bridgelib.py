"""Shared harness of the bridge's end-to-end tests (test_bridge.py,
test_actions.py): a private PostgreSQL and billing-server started by
tests/harness/stack.sh with the test clock on, the legacy key
test-key-123 registered through billctl, billing-bridge on a free port;
then HTTP requests compared, as parsed JSON with their status, with what
docs/legacy-api.md prescribes.

    stack = Stack(BRIDGE, SERVER, BILLCTL, STACK_SH)
    try:
        stack.start()
        ... call(...), expect(...) ...
    finally:
        stack.close()
    finish("bridge")
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

KEY = "test-key-123"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# The bridge's base URL, set by Stack.start.
BASE = None
FAILS = []
CHECKS = [0]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Stack:
    """PostgreSQL + billing-server (test clock on) + billing-bridge."""

    def __init__(self, bridge, server, billctl, stack_sh, bridge_args=()):
        self.bridge_bin, self.server_bin = bridge, server
        self.bridge_args = list(bridge_args)
        self.billctl, self.stack_sh = billctl, stack_sh
        self.tmp = tempfile.mkdtemp()
        os.chmod(self.tmp, 0o755)
        self.bridge = None
        self.db_url = self.server_url = self.base = None

    def start(self):
        global BASE
        # The server started in the background keeps stdout open: the
        # URLs go through a file, not a pipe.
        with open(self.tmp + "/urls", "w") as urls:
            subprocess.run([self.stack_sh, "start", self.tmp + "/stack",
                            self.server_bin, "--test-clock",
                            "--job-workers", "0"], check=True, stdout=urls)
        with open(self.tmp + "/urls") as urls:
            self.db_url, self.server_url = urls.read().split()[:2]
        subprocess.run([self.billctl, "--server", self.server_url,
                        "api-keys", "create", "--name", "legacy", "--key",
                        KEY], check=True, capture_output=True)
        port = free_port()
        self.base = BASE = f"http://127.0.0.1:{port}"
        self.bridge = subprocess.Popen([self.bridge_bin, "--listen",
                                        f"127.0.0.1:{port}", "--server",
                                        self.server_url, "--log-level",
                                        "warn"] + self.bridge_args)
        wait_listening(port, self.bridge, "billing-bridge")

    def stop_stack(self):
        """Stops billing-server and PostgreSQL (the bridge stays up)."""
        subprocess.run([self.stack_sh, "stop", self.tmp + "/stack"],
                       capture_output=True)

    def close(self):
        if self.bridge is not None:
            self.bridge.terminate()
            self.bridge.wait(10)
            self.bridge = None
        self.stop_stack()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def psql(self, sql):
        return psql(self.db_url, sql)


def psql(db_url, sql):
    return subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", db_url,
                           "-c", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def call(method, path, query=None, body=None, ctype=None, headers=None):
    """(status, parsed JSON) of one request.

    query: a dict, a list of pairs or a raw string; body: bytes (sent as
    they are), a dict or list of pairs (form-encoded, or JSON when ctype
    is application/json)."""
    url = BASE + path
    if query:
        url += "?" + (query if isinstance(query, str)
                      else urllib.parse.urlencode(query))
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        if isinstance(body, bytes):
            data = body
        elif ctype == JSON:
            data = json.dumps(body).encode()
        else:
            data = urllib.parse.urlencode(body).encode()
            ctype = ctype or FORM
    if ctype:
        hdrs["Content-Type"] = ctype
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, None  # libmicrohttpd's own page


def fail(what, got, want):
    FAILS.append(what)
    print(f"FAIL {what}\n  got  {got}\n  want {want}")


def expect_eq(what, got, want):
    CHECKS[0] += 1
    if got != want:
        fail(what, got, want)
    return got == want


def expect(what, got, status, want):
    return expect_eq(what, got, (status, want))


def err(message, code):
    return {"success": False, "error": message, "error_code": code}


def ok(data):
    return {"success": True, "data": data}


def missing(name):
    return err("Missing parameter: " + name, "missing_parameter")


def invalid(name):
    return err("Invalid parameter: " + name, "invalid_parameter")


def finish(name):
    if FAILS:
        print(f"{name}: {len(FAILS)} of {CHECKS[0]} checks failed")
        sys.exit(1)
    print(f"{name}: all {CHECKS[0]} checks passed")


def expect_true(what, ok, detail=""):
    """A condition, with what to print when it does not hold."""
    CHECKS[0] += 1
    if ok:
        print(f"ok   {what}", flush=True)
    else:
        fail(what, detail, "(the condition to hold)")
    return ok


def wait_listening(port, proc, what):
    """Waits until 127.0.0.1:port accepts connections (10 s at most, or
    until proc exits)."""
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    raise SystemExit(f"{what} did not start")
