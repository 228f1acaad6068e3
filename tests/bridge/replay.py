#!/usr/bin/env python3
"""Replays the recorded legacy session (fixtures/transcript.jsonl) against
billing-bridge, step by step, comparing each response's HTTP status and
parsed JSON with the recording (fixtures/README.md says how requests are
sent and compared).

    replay.py BRIDGE SERVER BILLCTL STACK_SH [--keep-going]

A private PostgreSQL and billing-server (test clock on) start from an
empty database holding the recording's one API key, test-key-123.
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

HERE = os.path.dirname(os.path.abspath(__file__))


def send(base, req):
    url = base + urllib.parse.quote(req["path"], safe="/%")
    if req["query"]:
        url += "?" + urllib.parse.urlencode(list(req["query"].items()))
    headers = dict(req["headers"] or {})
    data = None
    body, ctype = req["body"], req["content_type"]
    if body is not None:
        if isinstance(body, str):
            data = body.encode()
        elif ctype == "application/json":
            data = json.dumps(body).encode()
        else:
            data = urllib.parse.urlencode(list(body.items())).encode()
    if ctype:
        headers["Content-Type"] = ctype
    r = urllib.request.Request(url, data=data, method=req["method"],
                               headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def main():
    bridge_bin, server_bin, billctl, stack = sys.argv[1:5]
    keep_going = "--keep-going" in sys.argv
    steps = [json.loads(line) for line in
             open(os.path.join(HERE, "fixtures", "transcript.jsonl"))]
    tmp = tempfile.mkdtemp()
    os.chmod(tmp, 0o755)
    bridge = None
    bad = 0
    try:
        with open(tmp + "/urls", "w") as urls:
            subprocess.run([stack, "start", tmp + "/stack", server_bin,
                            "--test-clock", "--job-workers", "0"],
                           check=True, stdout=urls)
        with open(tmp + "/urls") as urls:
            server = urls.read().split()[1]
        subprocess.run([billctl, "--server", server, "api-keys", "create",
                        "--name", "legacy", "--key", "test-key-123"],
                       check=True, capture_output=True)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        bridge = subprocess.Popen([bridge_bin, "--listen",
                                   f"127.0.0.1:{port}", "--server", server,
                                   "--log-level", "warn"])
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        for st in steps:
            try:
                got = send(base, st["request"])
            except (OSError, ValueError) as e:
                got = ("no response", repr(e), "bridge exit status",
                       bridge.poll())
            want = (st["response"]["status"], st["response"]["json"])
            if got != want:
                bad += 1
                print(f"step {st['step']}: {st['request']['method']} "
                      f"{st['request']['path']} {st['request']['query']} "
                      f"{st['request']['body']}\n  got  {got}\n  want {want}")
                if not keep_going:
                    break
    finally:
        if bridge is not None:
            bridge.terminate()
            bridge.wait(10)
        subprocess.run([stack, "stop", tmp + "/stack"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    if bad:
        print(f"replay: {bad} of {len(steps)} steps differ")
        sys.exit(1)
    print(f"replay: all {len(steps)} steps match")


if __name__ == "__main__":
    main()
