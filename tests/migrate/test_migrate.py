#!/usr/bin/env python3
"""billing-migrate end to end, on a private MariaDB loaded with the
committed legacy fixture and private PostgreSQL databases.

    test_migrate.py e2e|safety MIGRATE SERVER BRIDGE STACK_SH PG_SH \
        MARIADB_SH FIXTURE_DIR LEGACY_SCHEMA

e2e:    check, run, verify; counts, quarantine reasons, flags and money
        against the generator's summary; rows read through the bridge
        (with a migrated sha1 key) equal what the legacy app showed for
        them, derived here from the legacy rows and the contract's
        rendering rules; the billing run carries on where the legacy cron
        stopped (numbers, anchor day 0); verify finds tampering.
safety: a target with no schema: run, a second run changes nothing,
        rollback gives back the exact dump of before; kill -9 at points
        through run, then run again or rollback; a target holding other
        data is refused.
"""
import datetime as dt
import gzip
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

(MODE, MIGRATE, SERVER, BRIDGE, STACK_SH, PG_SH, MARIADB_SH, FIXTURES,
 LEGACY_SCHEMA) = sys.argv[1:10]
DUMP = os.path.join(FIXTURES, "legacy_2000_seed1.sql.gz")
SUMMARY = json.load(open(os.path.join(FIXTURES,
                                      "legacy_2000_seed1.summary.json")))
BERLIN = ZoneInfo("Europe/Berlin")
ZERO = "0000-00-00 00:00:00"
FAILS = []
CHECKS = [0]


def check(what, got, want):
    CHECKS[0] += 1
    if got != want:
        FAILS.append(what)
        g, w = repr(got), repr(want)
        if isinstance(got, list) and isinstance(want, list):
            # Long lists: the first differing element.
            for i, (a, b) in enumerate(zip(got, want)):
                if a != b:
                    g, w = f"[{i}] {a!r}", f"[{i}] {b!r}"
                    break
            else:
                g, w = f"{len(got)} items", f"{len(want)} items"
        print(f"FAIL {what}\n  got  {g[:1500]}\n  want {w[:1500]}")
    return got == want


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def psql(url, sql):
    return subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", url,
                           "-c", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def pg_dump(url):
    out = subprocess.run(["pg_dump", "--no-owner", url], check=True,
                         capture_output=True, text=True).stdout
    # The dump's random restrict token (PostgreSQL 15.14+) differs each time.
    return re.sub(r"\\(un)?restrict \S+", "", out)


def migrate(cmd, src, tgt, *extra, check_rc=None):
    r = run(MIGRATE, cmd, "--source", src, "--target", tgt, *extra)
    if check_rc is not None and r.returncode != check_rc:
        print(r.stdout, r.stderr)
        check(f"billing-migrate {cmd} exit status", r.returncode, check_rc)
    return r


class Legacy:
    """The private MariaDB with the fixture, read through latin1."""

    def __init__(self, tmp):
        self.dir = tmp + "/mariadb"
        self.url = subprocess.run([MARIADB_SH, "start", self.dir],
                                  check=True, capture_output=True,
                                  text=True).stdout.strip()
        subprocess.run([MARIADB_SH, "load", self.dir, LEGACY_SCHEMA, DUMP],
                       check=True)

    def stop(self):
        run(MARIADB_SH, "stop", self.dir)

    def rows(self, table, cols, where="1"):
        """Rows as dicts of raw bytes (None for NULL): HEX of each value
        converted to latin1, the bytes the legacy app read."""
        sel = ", ".join(f"IF(`{c}` IS NULL, 'N', CONCAT('x',"
                        f" HEX(CONVERT(`{c}` USING latin1))))"
                        for c in cols)
        out = subprocess.run(
            [MARIADB_SH, "sql", self.dir, "--batch", "--raw",
             "--skip-column-names", "-e",
             f"SELECT {sel} FROM {table} WHERE {where} ORDER BY `{cols[0]}`"],
            check=True, capture_output=True).stdout.decode()
        res = []
        for line in out.splitlines():
            vals = [None if v == "N" else bytes.fromhex(v[1:])
                    for v in line.split("\t")]
            res.append(dict(zip(cols, vals)))
        return res

    def scalar(self, sql):
        return subprocess.run([MARIADB_SH, "sql", self.dir, "--batch",
                               "--skip-column-names", "-e", sql],
                              check=True, capture_output=True,
                              text=True).stdout.strip()


# ------------------------------------------- the legacy app's rendering

def text(b):
    # json_encode(..., JSON_INVALID_UTF8_SUBSTITUTE)
    return None if b is None else b.decode("utf-8", errors="replace")


def wall(b):
    """A DATETIME as the bridge shows a migrated one: the legacy string,
    except a spring-gap time, moved forward (no instant has it)."""
    s = text(b)
    if s is None or s == ZERO:
        return ZERO if s is not None else None
    t = dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BERLIN)
    back = t.astimezone(dt.timezone.utc).astimezone(BERLIN)
    return back.strftime("%Y-%m-%d %H:%M:%S")


def php_unserialize(b):
    """Enough of PHP's unserialize() for the legacy meta; None if PHP
    would refuse it."""
    pos = [0]

    def until(ch):
        i = b.index(ch, pos[0])
        v = b[pos[0]:i]
        pos[0] = i + 1
        return v

    def value():
        t = b[pos[0]:pos[0] + 2]
        pos[0] += 2
        if t == b"N;":
            return None
        if t == b"s:":
            n = int(until(b":"))
            if b[pos[0]:pos[0] + 1] != b'"' or \
                    b[pos[0] + 1 + n:pos[0] + 3 + n] != b'";':
                raise ValueError
            v = b[pos[0] + 1:pos[0] + 1 + n]
            pos[0] += n + 3
            return v
        if t == b"i:":
            return int(until(b";"))
        if t == b"b:":
            return until(b";") == b"1"
        if t == b"a:":
            n = int(until(b":"))
            if b[pos[0]:pos[0] + 1] != b"{":
                raise ValueError
            pos[0] += 1
            d = {}
            for _ in range(n):
                k = value()
                d[k.decode() if isinstance(k, bytes) else str(k)] = value()
            if b[pos[0]:pos[0] + 1] != b"}":
                raise ValueError
            pos[0] += 1
            return d
        raise ValueError

    try:
        return value()
    except (ValueError, IndexError):
        return None


def php_str(v):
    if v is None or v is False:
        return ""
    if v is True:
        return "1"
    return text(v) if isinstance(v, bytes) else str(v)


def meta(b):
    v = php_unserialize(b) if b else None
    if not isinstance(v, dict) or not v:
        return []
    return {k: php_str(x) for k, x in v.items()}


def trim(b):
    return b.strip(b" \t\n\r\0\x0b")


USER_COLS = ["id", "email", "name", "company", "country", "vat_number",
             "currency", "balance", "status", "meta", "created_at"]


def legacy_user(r):
    """users.get of the legacy app, with the migration's documented
    normalisations: email trimmed, country upper case ('' null), an
    unknown currency ('') unset."""
    country = trim(r["country"]).upper() if r["country"] is not None \
        else None
    cur = text(r["currency"])
    return {"id": text(r["id"]), "email": text(trim(r["email"])),
            "name": text(r["name"]), "company": text(r["company"]),
            "country": text(country) if country else None,
            "vat_number": text(r["vat_number"]),
            "currency": cur if cur in ("EUR", "USD", "GBP") else None,
            "balance": text(r["balance"]), "status": text(r["status"]),
            "meta": meta(r["meta"]), "created_at": wall(r["created_at"])}


SUB_COLS = ["id", "user_id", "plan_id", "status", "quantity", "started_at",
            "trial_ends_at", "current_period_start", "current_period_end",
            "cancel_at_period_end", "cancelled_at", "created_at"]


def legacy_sub(r):
    o = {k: text(r[k]) for k in ("id", "user_id", "plan_id", "status",
                                 "quantity", "cancel_at_period_end")}
    for k in ("started_at", "trial_ends_at", "current_period_start",
              "current_period_end", "cancelled_at", "created_at"):
        o[k] = wall(r[k])
    return o


INV_COLS = ["id", "number", "user_id", "subscription_id", "currency",
            "subtotal", "tax_rate", "tax", "total", "status", "period_start",
            "period_end", "due_date", "paid_at", "created_at"]


def legacy_invoice(r):
    o = {k: text(r[k]) for k in INV_COLS}
    o["paid_at"] = wall(r["paid_at"])
    o["created_at"] = wall(r["created_at"])
    return o


ITEM_COLS = ["id", "invoice_id", "description", "quantity", "unit_price",
             "amount"]
PAY_COLS = ["id", "invoice_id", "user_id", "amount", "currency", "method",
            "transaction_id", "status", "created_at"]


def legacy_payment(r):
    o = {k: text(r[k]) for k in PAY_COLS}
    o["created_at"] = wall(r["created_at"])
    return o


PLAN_COLS = ["id", "code", "name", "price", "currency", "billing_cycle",
             "trial_days", "is_active", "created_at"]


def legacy_plan(r):
    o = {k: text(r[k]) for k in PLAN_COLS}
    o["created_at"] = wall(r["created_at"])
    return o


# --------------------------------------------------------- the stack

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Bridge:
    def __init__(self, tmp, server_url):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([BRIDGE, "--listen",
                                      f"127.0.0.1:{port}", "--server",
                                      server_url, "--log-level", "warn"])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                return
            except OSError:
                time.sleep(0.05)

    def get(self, path, key, now=None, **q):
        url = f"{self.base}/api/{path}?" + urllib.parse.urlencode(q)
        hdrs = {"X-Api-Key": key}
        if now:
            hdrs["X-Billing-Now"] = now
        req = urllib.request.Request(url, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def report_counts(out):
    """{(table, code, column): n} from a check/run report."""
    res = {}
    for m in re.finditer(r"^  (\w+)\s+(\w+)\s+(\w+)\s+(\d+)  e\.g\.",
                         out, re.M):
        res[(m.group(1), m.group(2), m.group(3))] = int(m.group(4))
    return res


def cents(s):
    neg = s.startswith("-")
    a, b = s.lstrip("-").split(".")
    v = int(a) * 100 + int(b)
    return -v if neg else v


# ------------------------------------------------------------- e2e

def e2e(tmp, legacy):
    with open(tmp + "/urls", "w") as urls:
        subprocess.run([STACK_SH, "start", tmp + "/stack", SERVER,
                        "--test-clock", "--job-workers", "0"], check=True,
                       stdout=urls)
    db, server_url = open(tmp + "/urls").read().split()[:2]
    src = legacy.url
    rows = SUMMARY["rows"]
    q = SUMMARY["quirks"]

    r = migrate("check", src, db, check_rc=0)
    check("check: the target is ready", "the schema, empty; ready" in
          r.stdout, True)
    check_counts = report_counts(r.stdout)
    check_out = r.stdout
    r = migrate("run", src, db, check_rc=0)
    counts = report_counts(r.stdout)
    check("check and run report the same findings", check_counts, counts)
    check("check reports the double posts",
          f"double_post (both kept)    {q['double_posted_payments']:8d}"
          in check_out, True)
    for line, n in (("email_dup_case (kept)", q["email_dup_case"]),
                    ("number_gaps (kept unused)",
                     len(q["invoice_number_gaps"])),
                    ("live_of_deleted_users",
                     q["active_subscriptions_of_deleted_users"])):
        check(f"check reports {line}", bool(re.search(
            re.escape(line) + r"\s+" + str(n) + r"\n", check_out)), True)
    for key, n in ((("users", "email_upper", "email"), q["email_upper"]),
                   (("users", "empty_string", "company"),
                    q["company_empty"]),
                   (("users", "empty_string", "vat_number"),
                    q["vat_empty"]),
                   (("users", "vat_spaces", "vat_number"), q["vat_spaces"]),
                   (("users", "meta_empty", "meta"), q["meta_null"] +
                    q["meta_empty_string"] + q["meta_empty_array"]),
                   (("users", "zero_date", "created_at"),
                    q["zero_created_at"]["users"])):
        check(f"check reports {key}", check_counts.get(key), n)
    r = migrate("verify", src, db, check_rc=0)
    check("verify: no differences",
          "verify: 0 row differences, 0 other differences" in r.stdout,
          True)

    # Counts per table: migrated + quarantined = the summary's rows.
    target = {"api_keys": "api_keys", "plans": "plans", "users": "customers",
              "subscriptions": "subscriptions", "invoices": "invoices",
              "invoice_items": "invoice_items", "payments": "payments",
              "invoice_sequences": "invoice_sequences"}
    quar = dict(((t, why), int(n)) for t, why, n in (
        l.split("|") for l in psql(db, "SELECT tbl, reason, count(*) FROM"
                                   " billing_migrate.quarantine GROUP BY"
                                   " 1, 2").splitlines()))
    for t, pt in target.items():
        n = int(psql(db, f"SELECT count(*) FROM {pt}"))
        nq = sum(v for (tt, _), v in quar.items() if tt == t)
        check(f"rows of {t}: migrated + quarantined", n + nq, rows[t])
    check("quarantine reasons", quar, {
        ("subscriptions", "user_missing"): q["orphan_subscriptions"],
        ("invoices", "user_missing"): q["orphan_invoices_user_missing"],
        ("payments", "user_missing"): q["orphan_payments_user_missing"],
        ("payments", "invoice_missing"): q["payments_invoice_missing"],
        ("invoice_items", "invoice_missing"): q["orphan_items"],
        ("invoice_items", "invoice_quarantined"): int(legacy.scalar(
            "SELECT COUNT(*) FROM invoice_items i JOIN invoices v ON"
            " v.id = i.invoice_id LEFT JOIN users u ON u.id = v.user_id"
            " WHERE u.id IS NULL"))})
    check("every quarantined row keeps its raw values", psql(
        db, "SELECT count(*) FROM billing_migrate.quarantine WHERE"
        " raw->>'id' IS NULL OR raw->>'id' <> legacy_id::text"), "0")

    # Quirks: flags (raw kept) and rule counts, against the summary.
    flags = dict(((f, c), int(n)) for f, c, n in (
        l.split("|") for l in psql(db, "SELECT flag, col, count(*) FROM"
                                   " billing_migrate.flags GROUP BY 1, 2"
                                   ).splitlines()))
    qz = int(psql(db, "SELECT count(*) FROM billing_migrate.quarantine"
                  " WHERE tbl = 'invoices' AND (raw->>'total')::numeric <>"
                  " (raw->>'subtotal')::numeric + (raw->>'tax')::numeric"))
    check("flags", flags, {
        ("email_trimmed", "email"): q["email_spaces"],
        ("country_normalised", "country"): q["country_lower"] +
        q["country_empty"],
        ("meta_corrupt", "meta"): q["meta_corrupt"],
        ("total_mismatch", "total"): q["total_off_by_cent"] - qz})
    check("a corrupt meta is kept raw", psql(
        db, "SELECT count(*) FROM billing_migrate.flags f JOIN customers c"
        " ON c.id = f.legacy_id WHERE f.flag = 'meta_corrupt' AND"
        " c.meta = '{}' AND f.raw ? 'hex' IS NOT TRUE"
        " AND jsonb_typeof(f.raw) = 'string'"), str(q["meta_corrupt"]))

    def quarantined_where(table, cond):
        return int(psql(db, "SELECT count(*) FROM billing_migrate.quarantine"
                        f" WHERE tbl = '{table}' AND {cond}"))
    zero = "raw->>'created_at' = '0000-00-00 00:00:00'"
    for t, pt in (("users", "customers"), ("subscriptions", "subscriptions"),
                  ("invoices", "invoices"), ("payments", "payments"),
                  ("api_keys", "api_keys"), ("plans", "plans")):
        check(f"zero created_at of {t}: NULL",
              int(psql(db, f"SELECT count(*) FROM {pt} WHERE created_at"
                       " IS NULL")) + quarantined_where(t, zero),
              q["zero_created_at"][t])
    check("trial_ends_at zero: NULL and flagged", int(psql(
        db, "SELECT count(*) FROM subscriptions WHERE trial_ends_at IS NULL"
        " AND trial_ends_at_legacy_zero")) + quarantined_where(
        "subscriptions", "raw->>'trial_ends_at' = '0000-00-00 00:00:00'"),
        q["trial_ends_at_zero"])
    check("trial_ends_at NULL stays apart", int(psql(
        db, "SELECT count(*) FROM subscriptions WHERE trial_ends_at IS NULL"
        " AND NOT trial_ends_at_legacy_zero")) + quarantined_where(
        "subscriptions", "raw->'trial_ends_at' = 'null'"),
        q["trial_ends_at_null"])
    check("anchor day 0: the day of started_at",
          counts.get(("subscriptions", "anchor_zero", "billing_anchor_day"),
                     0) + quarantined_where(
              "subscriptions", "raw->>'billing_anchor_day' = '0'"),
          q["anchor_zero"])
    anchors = dict(l.split("|") for l in psql(
        db, "SELECT id, billing_anchor_day FROM subscriptions").splitlines())
    zero_anchor = [r for r in legacy.rows(
        "subscriptions", ["id", "started_at"], "billing_anchor_day = 0")
        if text(r["id"]) in anchors]
    check("anchor day 0 rows: the day of the legacy started_at",
          [anchors[text(r["id"])] for r in zero_anchor],
          [str(int(text(r["started_at"])[8:10])) for r in zero_anchor])
    check("zero paid_at: NULL", int(psql(
        db, "SELECT count(*) FROM invoices WHERE paid_at IS NULL")) +
        quarantined_where("invoices",
                          "raw->>'paid_at' = '0000-00-00 00:00:00'"),
        q["zero_paid_at"])
    check("latin1 names repaired",
          counts.get(("users", "utf8_repaired", "name"), 0),
          q["nonascii_names"])
    check("latin1 companies repaired",
          counts.get(("users", "utf8_repaired", "company"), 0),
          q["nonascii_companies"])
    dup_sql = ("SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n"
               " FROM payments WHERE transaction_id IS NOT NULL{} GROUP BY"
               " transaction_id, method HAVING count(*) > 1) d")
    check("double posts: the summary's", int(legacy.scalar(
        dup_sql.format(""))), q["double_posted_payments"])
    check("double posts are both kept (those of users not hard-deleted)",
          int(psql(db, dup_sql.format(""))), int(legacy.scalar(
              dup_sql.format(" AND user_id IN (SELECT id FROM users)"))))
    check("payments without invoice kept", int(psql(
        db, "SELECT count(*) FROM payments WHERE invoice_id IS NULL")),
        q["payments_invoice_null"])
    check("invoice sequences copied", dict(
        l.split("|") for l in psql(db, "SELECT year, last_no FROM"
                                   " invoice_sequences").splitlines()),
        {k: str(v) for k, v in SUMMARY["invoice_sequences"].items()})
    for t, pt in target.items():
        if t == "invoice_sequences":
            continue
        check(f"the identity of {pt} is past the legacy ids", int(psql(
            db, f"SELECT nextval(pg_get_serial_sequence('{pt}', 'id'))")),
            int(legacy.scalar(f"SELECT MAX(id) FROM {t}")) + 1)

    # Money per currency: target + quarantined = the summary.
    for cur, m in SUMMARY["money"].items():
        for what, tsql, qsql, want in (
            ("invoice totals",
             f"SELECT coalesce(sum(total_minor), 0) FROM invoices WHERE"
             f" currency = '{cur}'",
             f"SELECT coalesce(sum((raw->>'total')::numeric * 100), 0)::bigint"
             f" FROM billing_migrate.quarantine WHERE tbl = 'invoices' AND"
             f" raw->>'currency' = '{cur}'", m["sum_invoice_total"]),
            ("successful payments",
             f"SELECT coalesce(sum(amount_minor), 0) FROM payments WHERE"
             f" currency = '{cur}' AND status = 'success'",
             f"SELECT coalesce(sum((raw->>'amount')::numeric * 100), 0)"
             f"::bigint FROM billing_migrate.quarantine WHERE tbl ="
             f" 'payments' AND raw->>'currency' = '{cur}' AND"
             f" raw->>'status' = 'success'", m["sum_payments_success"]),
            ("balances",
             f"SELECT coalesce(sum(balance_minor), 0) FROM customers WHERE"
             f" currency = '{cur}'", "SELECT 0", m["sum_user_balance"])):
            got = int(psql(db, tsql)) + int(psql(db, qsql))
            check(f"money {cur} {what}", got, cents(want))

    # verify finds tampering, and says where.
    first = psql(db, "SELECT min(id) FROM invoices")
    psql(db, f"UPDATE invoices SET total_minor = total_minor + 1 WHERE"
         f" id = {first}")
    psql(db, "DELETE FROM billing_migrate.quarantine WHERE legacy_id ="
         " (SELECT max(legacy_id) FROM billing_migrate.quarantine WHERE"
         " tbl = 'payments') AND tbl = 'payments'")
    pay = psql(db, "SELECT max(id) FROM payments")
    saved = psql(db, f"SELECT row_to_json(p) FROM payments p WHERE id = {pay}")
    psql(db, f"DELETE FROM payments WHERE id = {pay}")
    psql(db, "INSERT INTO customers (id, email, email_key) VALUES"
         " (999999, 'x@y', 'x@y')")
    meta_user = psql(db, "SELECT min(id) FROM customers WHERE meta <> '{}'")
    psql(db, f"UPDATE customers SET meta = meta || '{{\"k\": \"v\"}}'"
         f" WHERE id = {meta_user}")
    r = migrate("verify", src, db, check_rc=1)
    check("verify: a changed total is a difference",
          f"DIFF invoices {first}: values differ" in r.stdout, True)
    check("verify: a changed meta is a difference",
          f"DIFF users {meta_user}: values differ" in r.stdout, True)
    check("verify: a missing row is a difference",
          f"DIFF payments {pay}: missing in the target" in r.stdout, True)
    check("verify: an extra row is a difference",
          "DIFF users 999999: in the target, not in the source" in r.stdout,
          True)
    psql(db, "DELETE FROM customers WHERE id = 999999")
    psql(db, f"UPDATE customers SET meta = meta - 'k' WHERE id = {meta_user}")
    psql(db, "INSERT INTO payments SELECT * FROM json_populate_record("
         f"NULL::payments, '{saved}')")
    check("verify: a lost quarantine row is a difference",
          "not in the quarantine" in r.stdout, True)
    check("verify: ... and the money differs",
          "DIFFERENT" in r.stdout, True)
    psql(db, f"UPDATE invoices SET total_minor = total_minor - 1 WHERE"
         f" id = {first}")

    legacy_read_through_bridge(db, server_url, legacy, tmp)
    subprocess.run([STACK_SH, "stop", tmp + "/stack"], capture_output=True)


def legacy_read_through_bridge(db, server_url, legacy, tmp):
    keys = SUMMARY["api_keys"]
    active = [k["key"] for k in keys if k["is_active"]][0]
    inactive = [k["key"] for k in keys if not k["is_active"]][0]
    quarantined = set(tuple(l.split("|")) for l in psql(
        db, "SELECT tbl, legacy_id FROM billing_migrate.quarantine"
    ).splitlines())
    br = Bridge(tmp, server_url)
    try:
        st, body = br.get("plans.php", inactive, action="list")
        check("an inactive legacy key is refused", st, 401)
        st, body = br.get("plans.php", active, action="list", all="1")
        check("a legacy sha1 key authenticates", st, 200)
        check("plans.list?all=1 as the legacy app showed it",
              body.get("data"),
              [legacy_plan(r) for r in legacy.rows("plans", PLAN_COLS)])

        # Users chosen for their quirks, and some at random.
        special = [5, 7, 10, 21, 50, 136, 193, 401, 455, 1317]
        rnd = random.Random(6)
        uids = sorted(set(special + rnd.sample(range(1, 1975), 40)))
        where = "id IN (%s)" % ",".join(map(str, uids))
        users = {int(text(r["id"])): r for r in
                 legacy.rows("users", USER_COLS + ["updated_at"], where)}
        for uid in uids:
            st, body = br.get("users.php", active, action="get", id=uid)
            if uid not in users or users[uid]["status"] == b"deleted":
                check(f"users.get {uid}: not found (deleted or gone)",
                      body.get("error_code"), "not_found")
                continue
            check(f"users.get {uid}", body.get("data"),
                  legacy_user(users[uid]))
        in_users = "user_id IN (%s)" % ",".join(map(str, uids))
        subs = legacy.rows("subscriptions", SUB_COLS, in_users)
        invs = legacy.rows("invoices", INV_COLS, in_users)
        pays = legacy.rows("payments", PAY_COLS, in_users)
        for uid in uids:
            st, body = br.get("subscriptions.php", active, action="list",
                              user_id=uid, per_page=500)
            check(f"subscriptions.list user {uid}", body.get("data"),
                  [legacy_sub(r) for r in subs
                   if int(text(r["user_id"])) == uid and
                   ("subscriptions", text(r["id"])) not in quarantined])
            st, body = br.get("invoices.php", active, action="list",
                              user_id=uid, per_page=500)
            check(f"invoices.list user {uid}", body.get("data"),
                  [legacy_invoice(r) for r in reversed(invs)
                   if int(text(r["user_id"])) == uid and
                   ("invoices", text(r["id"])) not in quarantined])
            st, body = br.get("payments.php", active, action="list",
                              user_id=uid, per_page=500)
            check(f"payments.list user {uid}", body.get("data"),
                  [legacy_payment(r) for r in pays
                   if int(text(r["user_id"])) == uid and
                   ("payments", text(r["id"])) not in quarantined])

        # Invoices with items: a total that is not subtotal + tax, the
        # plan name with a non-ASCII letter, a zero paid_at.
        ids = [psql(db, "SELECT legacy_id FROM billing_migrate.flags WHERE"
                    " flag = 'total_mismatch' ORDER BY 1 LIMIT 1"),
               legacy.scalar("SELECT MIN(invoice_id) FROM invoice_items"
                             " WHERE description LIKE 'B%ro Flatrate%'"),
               psql(db, "SELECT min(id) FROM invoices WHERE paid_at IS"
                    " NULL"),
               psql(db, "SELECT min(id) FROM invoices WHERE created_at IS"
                    " NULL")]
        for iid in ids:
            inv = legacy.rows("invoices", INV_COLS, f"id = {iid}")[0]
            want = legacy_invoice(inv)
            want["items"] = [
                {k: text(r[k]) for k in ITEM_COLS if k != "invoice_id"}
                for r in legacy.rows("invoice_items", ITEM_COLS,
                                     f"invoice_id = {iid}")]
            st, body = br.get("invoices.php", active, action="get", id=iid)
            check(f"invoices.get {iid} with items", body.get("data"), want)
            st, body = br.get("invoices.php", active, action="get",
                              number=want["number"])
            check(f"invoices.get by number {want['number']}",
                  body.get("data"), want)

        # A double-posted payment: both rows, as listed by the legacy app.
        dup = legacy.scalar(
            "SELECT MIN(user_id) FROM payments p WHERE EXISTS (SELECT 1"
            " FROM payments d WHERE d.transaction_id = p.transaction_id"
            " AND d.method = p.method AND d.id <> p.id)")
        st, body = br.get("payments.php", active, action="list",
                          user_id=dup, per_page=500)
        txns = [p["transaction_id"] for p in body.get("data", [])
                if p["transaction_id"]]
        check("a double post is listed twice", len(txns) - len(set(txns)) >=
              1, True)
        check("... as the legacy rows", body.get("data"), [
            legacy_payment(r) for r in legacy.rows("payments", PAY_COLS,
                                                   f"user_id = {dup}")
            if ("payments", text(r["id"])) not in quarantined])

        billing_carries_on(db, br, active)
    finally:
        br.close()


def next_wall(t, months, anchor):
    """API.md 4: next(t) on the anchor day clamped to the month's end,
    t's time of day kept (as wall clock)."""
    y, m = divmod(t.month - 1 + months, 12)
    y, m = t.year + y, m + 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(1)).day
    return t.replace(year=y, month=m, day=min(anchor, last))


def billing_carries_on(db, br, key):
    """The billing run after the legacy cron's last run (2019-06-30
    12:00): renewals are numbered after the legacy sequence, and a legacy
    anchor-0 subscription renews on the day of its started_at."""
    # One hour after the legacy cron's last run: exactly what it would
    # have done then (the trials and periods ending in that hour), and
    # no dunning (today's was done at 12:00).
    legacy_now = dt.datetime.fromisoformat(SUMMARY["arguments"]["now"])
    nxt = (legacy_now + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    win = (f"> '{SUMMARY['arguments']['now']}'::timestamp AT TIME ZONE"
           f" 'Europe/Berlin' AND {{}} <= '{nxt}'::timestamp AT TIME ZONE"
           f" 'Europe/Berlin'")
    trials = psql(db, "SELECT count(*) FILTER (WHERE NOT"
                  " cancel_at_period_end), count(*) FILTER (WHERE"
                  " cancel_at_period_end), count(*) FILTER (WHERE"
                  " trial_ends_at <= '" + nxt + "'::timestamp AT TIME ZONE"
                  " 'Europe/Berlin' AND NOT trial_ends_at "
                  + win.format("trial_ends_at") + ") FROM subscriptions"
                  " WHERE status = 'trial' AND trial_ends_at <= '" + nxt +
                  "'::timestamp AT TIME ZONE 'Europe/Berlin'").split("|")
    check("no legacy trial was left due before the legacy cron's last run",
          trials[2], "0")
    renew = psql(db, "SELECT count(*) FILTER (WHERE NOT"
                 " cancel_at_period_end), count(*) FILTER (WHERE"
                 " cancel_at_period_end) FROM subscriptions WHERE status IN"
                 " ('active', 'past_due') AND current_period_end <= '" +
                 nxt + "'::timestamp AT TIME ZONE 'Europe/Berlin'"
                 ).split("|")
    st, body = br.get("cron.php", key, now=nxt, action="run")
    want = {"trials_converted": int(trials[0]), "renewed": int(renew[0]),
            "cancelled": int(trials[1]) + int(renew[1]), "past_due": 0,
            "expired": 0, "invoices_created": int(trials[0]) +
            int(renew[0])}
    check(f"the run at {nxt} does what the legacy cron would have",
          body.get("data"), want)
    check("... and something was due in that hour",
          sum(want.values()) > 0, True)

    sid, ps, pe, started, months = psql(db, """
        SELECT s.id, s.current_period_start AT TIME ZONE 'Europe/Berlin',
               s.current_period_end AT TIME ZONE 'Europe/Berlin',
               s.started_at AT TIME ZONE 'Europe/Berlin',
               CASE p.billing_cycle WHEN 'monthly' THEN 1
                    WHEN 'quarterly' THEN 3 ELSE 12 END
          FROM subscriptions s JOIN plans p ON p.id = s.plan_id
         WHERE s.status = 'active' AND s.created_at < '2016-01-01'
           AND NOT s.cancel_at_period_end
           AND extract(day FROM s.started_at AT TIME ZONE
                       'Europe/Berlin') > 28
         ORDER BY s.current_period_end LIMIT 1""").split("|")
    pe_t = dt.datetime.fromisoformat(pe)
    day = dt.datetime.fromisoformat(started).day
    last_no = int(SUMMARY["invoice_sequences"][str(pe_t.year)])
    st, body = br.get("cron.php", key, now=pe, action="run")
    check("cron.php run after the migration", st, 200)
    runs = body.get("data") or {}
    check("the run billed something", runs.get("invoices_created", 0) > 0,
          True)
    st, body = br.get("subscriptions.php", key, action="get", id=sid)
    s = body.get("data") or {}
    check(f"anchor-0 subscription {sid} renewed from its period end",
          s.get("current_period_start"), pe)
    check(f"anchor-0 subscription {sid}: next period on day {day}",
          s.get("current_period_end"),
          next_wall(pe_t, int(months), day).strftime("%Y-%m-%d %H:%M:%S"))
    nums = psql(db, "SELECT number FROM invoices WHERE created_at >="
                " '2019-06-30' ORDER BY number").split()
    new = [n for n in nums if int(n.split("-")[2]) > last_no]
    check("new invoice numbers continue the legacy sequence, gapless",
          new, [f"INV-{pe_t.year}-{n:06d}" for n in
                range(last_no + 1, last_no + 1 + len(new))])
    check("both runs' invoices are all numbered after the legacy ones",
          len(new), runs.get("invoices_created") +
          want["invoices_created"])


# ----------------------------------------------------------- safety

def safety(tmp, legacy):
    pg = tmp + "/pg"
    subprocess.run([PG_SH, "start", pg], check=True, capture_output=True)
    src = legacy.url
    try:
        fresh = subprocess.run([PG_SH, "createdb", pg, "fresh"], check=True,
                               capture_output=True, text=True).stdout.strip()
        empty = pg_dump(fresh)
        migrate("run", src, fresh, check_rc=0)
        migrate("verify", src, fresh, check_rc=0)
        after = pg_dump(fresh)
        r = migrate("run", src, fresh, check_rc=0)
        check("a second run changes nothing",
              "nothing to do" in r.stdout and pg_dump(fresh) == after, True)
        r = run(MIGRATE, "rollback", "--target", fresh)
        check("rollback exit status", r.returncode, 0)
        check("rollback gives back the empty database exactly",
              pg_dump(fresh) == empty, True)

        # scripts/run_migration.sh: check, run, verify, the report.
        script = os.path.join(os.path.dirname(LEGACY_SCHEMA), "..",
                              "scripts", "run_migration.sh")
        one = subprocess.run([PG_SH, "createdb", pg, "one"], check=True,
                             capture_output=True, text=True).stdout.strip()
        r = subprocess.run([script, "--source", src, "--target", one,
                            "--log", tmp + "/run_migration.log"],
                           capture_output=True, text=True,
                           env=dict(os.environ, BILLING_MIGRATE=MIGRATE))
        check("run_migration.sh: exit status", r.returncode, 0)
        check("run_migration.sh: the final report", all(
            s in r.stdout for s in ("== final report", "verify: 0 row"
                                    " differences, 0 other differences",
                                    "=== check: exit 0", "=== run: exit 0",
                                    "=== verify: exit 0")), True)
        r = subprocess.run([script, "--source", src], capture_output=True,
                           text=True, env={"PATH": os.environ["PATH"]})
        check("run_migration.sh without --target", r.returncode, 2)

        # A target with the schema (billing-server migrate), empty.
        schema = subprocess.run([PG_SH, "createdb", pg, "schema"],
                                check=True, capture_output=True,
                                text=True).stdout.strip()
        subprocess.run([SERVER, "migrate", "--database-url", schema],
                       check=True, capture_output=True)
        # Sequences that moved before (ids used and rolled back).
        psql(schema, "SELECT setval(pg_get_serial_sequence('customers',"
             " 'id'), 41)")
        before = pg_dump(schema)
        kills = 0
        for delay in (0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1.2, 2.0):
            p = subprocess.Popen([MIGRATE, "run", "--source", src,
                                  "--target", schema],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            # The killed session's backend ends when it notices.
            for _ in range(100):
                if psql(schema, "SELECT count(*) FROM pg_stat_activity WHERE"
                        " datname = 'schema' AND pid <> pg_backend_pid()"
                        ) == "0":
                    break
                time.sleep(0.05)
            state = pg_dump(schema)
            done = psql(schema, "SELECT to_regclass("
                        "'billing_migrate.migration') IS NOT NULL") == "t"
            print(f"kill -9 after {delay}s:"
                  f" {'committed' if done else 'nothing left'}")
            if done:
                migrate("verify", src, schema, check_rc=0)
                r = run(MIGRATE, "rollback", "--target", schema)
                check(f"rollback after a kill at {delay}s", r.returncode, 0)
            else:
                check(f"kill -9 at {delay}s leaves the target as before",
                      state == before, True)
        check("run was killed", kills, 8)
        # Killed in the middle of a COPY, for sure (the failpoint).
        for table in ("users", "invoice_items"):
            env = dict(os.environ, BILLING_MIGRATE_TEST_STALL=table)
            p = subprocess.Popen([MIGRATE, "run", "--source", src,
                                  "--target", schema], env=env,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            line = p.stderr.readline()
            check(f"run stalled in {table}", line.strip(),
                  f"billing-migrate: stalled in {table}")
            p.send_signal(signal.SIGKILL)
            p.wait()
            p.stderr.close()
            for _ in range(100):
                if psql(schema, "SELECT count(*) FROM pg_stat_activity WHERE"
                        " datname = 'schema' AND pid <> pg_backend_pid()"
                        ) == "0":
                    break
                time.sleep(0.05)
            check(f"kill -9 in the COPY of {table} leaves nothing",
                  pg_dump(schema) == before, True)
        check("after the kills and rollbacks, the target is as before",
              pg_dump(schema) == before, True)
        migrate("run", src, schema, check_rc=0)
        migrate("verify", src, schema, check_rc=0)
        # kill -9 in the middle of rollback: rollback again finishes it.
        p = subprocess.Popen([MIGRATE, "rollback", "--target", schema],
                             stdout=subprocess.DEVNULL)
        time.sleep(0.02)
        p.send_signal(signal.SIGKILL)
        p.wait()
        time.sleep(0.5)
        r = run(MIGRATE, "rollback", "--target", schema)
        check("rollback after a killed rollback", r.returncode, 0)
        check("... restores the exact state, sequences included",
              pg_dump(schema) == before, True)

        hostile(tmp, legacy, pg)

        # A target holding data of its own is refused, unchanged.
        psql(schema, "INSERT INTO plans (code, name, price_minor, currency,"
             " billing_cycle) VALUES ('own', 'Own', 100, 'EUR', 'monthly')")
        own = pg_dump(schema)
        r = migrate("run", src, schema, check_rc=1)
        check("run refuses a target with other data",
              "not migrated" in r.stderr and pg_dump(schema) == own, True)
        r = migrate("check", src, schema, check_rc=1)
        check("check says run would refuse", "would refuse" in r.stdout,
              True)
        r = run(MIGRATE, "run", "--target", schema)
        check("run without --source is a usage error", r.returncode, 2)
        r = run(MIGRATE, "run", "--source", "postgres://x", "--target",
                schema)
        check("a bad source URL is refused", (r.returncode,
              "mysql://" in r.stderr), (1, True))
    finally:
        subprocess.run([PG_SH, "stop", pg], capture_output=True)


# Hostile legacy rows (bytes as hex literals: MySQL has no \\x escape).
HOSTILE_SQL = r"""
SET NAMES latin1; SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00';
INSERT INTO api_keys VALUES
 (1, 'ok', 'F59EEC427892931F3A441E926444171EA6BB3382', 1, '2015-01-01 00:00:00'),
 (2, 'bad', 'not-a-sha1', 1, '2015-01-01 00:00:00');
INSERT INTO plans VALUES
 (1, 'basic', 'Basic', '9.99', 'EUR', 'monthly', 14, 1, '2015-00-10 00:00:00'),
 (2, 'Bad Code', 'X', '1.00', 'EUR', 'monthly', 0, 1, '2015-01-01 00:00:00'),
 (3, 'long-trial', 'L', '1.00', 'EUR', 'monthly', 400, 1, '2015-01-01 00:00:00'),
 (4, 'wide', CONCAT('Wide ', CONVERT(X'E4B8AD' USING utf8)), '1.00', 'EUR',
  'monthly', 0, 1, '2015-01-01 00:00:00');
INSERT INTO users VALUES
 (1, X'204E756C006C40782E646520', X'4DFC6C6C6572', X'436166C3A9004261720A',
  'd1', '', 'XXX', '1.50', 'active', 'O:8:"stdClass":0:{}',
  '2015-01-01 10:00:00', '2015-01-01 09:00:00'),
 (2, 'b@x.de', 'B', NULL, NULL, NULL, NULL, '0.00', '',
  X'613A313A7B733A313A2278223B733A313A22FC223B7D', '2015-01-01 10:00:00',
  '0000-00-00 00:00:00'),
 (3, 'c@x.de', 'C', NULL, 'at', NULL, 'GBP', '-0.50', 'suspended',
  X'613A313A7B733A313A2278223B733A313A22FC223B7D', '2015-03-29 02:30:00',
  '0000-00-00 00:00:00');
INSERT INTO subscriptions VALUES
 (1, 1, 1, 'active', 0, 5, '2015-01-05 10:00:00', NULL, '2015-01-05 10:00:00',
  '2015-02-05 10:00:00', 0, '0000-00-00 00:00:00', '2015-01-05 10:00:00'),
 (2, 1, 1, 'active', 1, 0, '0000-00-00 00:00:00', NULL, '0000-00-00 00:00:00',
  '0000-00-00 00:00:00', 0, '0000-00-00 00:00:00', '2015-01-05 10:00:00'),
 (3, 1, 2, 'active', 1, 5, '2015-01-05 10:00:00', NULL, '2015-01-05 10:00:00',
  '2015-02-05 10:00:00', 0, '0000-00-00 00:00:00', '2015-01-05 10:00:00'),
 (4, 1, 1, 'active', 1, 40, '2015-01-05 10:00:00', NULL, '2015-01-05 10:00:00',
  '2015-02-05 10:00:00', 0, '0000-00-00 00:00:00', '2015-01-05 10:00:00'),
 (5, 1, 1, 'active', 1, 5, '2015-01-05 10:00:00', NULL, '2015-01-05 10:00:00',
  '2015-02-05 10:00:00', 0, '0000-00-00 00:00:00', '2015-01-05 10:00:00'),
 (6, 7, 1, 'active', 1, 5, '2015-01-05 10:00:00', NULL, '2015-01-05 10:00:00',
  '2015-02-05 10:00:00', 0, '0000-00-00 00:00:00', '2015-01-05 10:00:00');
INSERT INTO invoices VALUES
 (1, 'INV-2015-000001', 1, 5, 'EUR', '10.00', '19.00', '1.90', '11.91', 'unpaid',
  '2015-01-05', '2015-02-05', '0000-00-00', '0000-00-00 00:00:00',
  '2015-01-05 10:00:00'),
 (2, 'BAD-1', 1, 5, 'EUR', '10.00', '19.00', '1.90', '11.90', 'unpaid',
  '2015-01-05', '2015-02-05', '2015-01-19', '0000-00-00 00:00:00',
  '2015-01-05 10:00:00'),
 (3, 'INV-2015-000003', 1, 1, 'EUR', '10.00', '19.00', '1.90', '11.90',
  'unpaid', '2015-01-05', '2015-02-05', '2015-01-19', '0000-00-00 00:00:00',
  '2015-01-05 10:00:00'),
 (4, 'INV-2015-000004', 2, 5, 'EUR', '10.00', '19.00', '1.90', '11.90',
  'unpaid', '2015-01-05', '2015-02-05', '2015-01-19', '0000-00-00 00:00:00',
  '2015-01-05 10:00:00'),
 (5, 'INV-2015-000005', 3, 5, 'GBP', '10.00', '20.00', '2.00', '12.00', 'void',
  '2015-01-05', '2015-02-05', '2015-01-19', '0000-00-00 00:00:00',
  '2015-01-05 10:00:00');
INSERT INTO invoice_items VALUES
 (1, 1, 'Basic (2015-01-05 - 2015-02-05)', 1, '10.00', '10.00'),
 (2, 1, 'Odd', 3, '1.00', '2.00'), (3, 2, 'Gone', 1, '1.00', '1.00'),
 (4, 99, 'Ghost', 1, '1.00', '1.00');
INSERT INTO payments VALUES
 (1, 1, 1, '5.00', 'EUR', 'card', 'ch_1', 'success', '2015-01-05 10:00:00'),
 (2, 1, 1, '5.00', 'EUR', 'card', 'ch_1', '', '2015-01-05 10:00:00'),
 (3, 4, 2, '5.00', 'EUR', 'card', NULL, 'success', '2015-01-05 10:00:00'),
 (4, NULL, 1, '1.00', 'EUR', 'bank_transfer', NULL, 'success',
  '2015-01-05 10:00:00'),
 (5, 1, 3, '1.00', 'EUR', 'card', NULL, 'success', '2015-01-05 10:00:00');
INSERT INTO invoice_sequences VALUES (2015, 5), (99, 1);
"""


def hostile(tmp, legacy, pg):
    """Rows the schema cannot hold go to the quarantine with their raw
    bytes; values the rules change keep theirs in the flags; verify
    agrees; nothing crashes."""
    client = ["mariadb", "--no-defaults", "--protocol=socket",
              f"--socket={legacy.dir}/mysql.sock", "-uroot",
              "--default-character-set=latin1"]
    subprocess.run(client + ["-e", "CREATE DATABASE hostile"], check=True)
    with open(LEGACY_SCHEMA, "rb") as f:
        subprocess.run(client + ["hostile"], stdin=f, check=True)
    subprocess.run(client + ["hostile"], input=HOSTILE_SQL.encode(),
                   check=True)
    src = legacy.url.replace("/billing?", "/hostile?")
    db = subprocess.run([PG_SH, "createdb", pg, "hostile"], check=True,
                        capture_output=True, text=True).stdout.strip()
    migrate("check", src, db, check_rc=0)
    migrate("run", src, db, check_rc=0)
    r = migrate("verify", src, db, check_rc=0)
    check("hostile: verify agrees", "verify: 0 row differences, 0 other"
          " differences" in r.stdout, True)
    check("hostile: the quarantine", psql(
        db, "SELECT string_agg(format('%s %s %s %s', tbl, legacy_id, reason,"
        " detail), ', ' ORDER BY tbl, legacy_id) FROM"
        " billing_migrate.quarantine"),
        "api_keys 2 invalid_value key_sha1, "
        "invoice_items 3 invoice_quarantined invoice_id, "
        "invoice_items 4 invoice_missing invoice_id, "
        "invoice_sequences 99 invalid_value year, "
        "invoices 2 invalid_value number, "
        "invoices 3 subscription_quarantined subscription_id, "
        "invoices 4 user_quarantined user_id, "
        "invoices 5 subscription_of_other_user subscription_id, "
        "payments 2 invalid_value status, "
        "payments 3 user_quarantined user_id, "
        "payments 5 invoice_of_other_user invoice_id, "
        "plans 2 invalid_value code, plans 3 invalid_value trial_days, "
        "subscriptions 1 invalid_value quantity, "
        "subscriptions 2 no_anchor billing_anchor_day, "
        "subscriptions 3 plan_missing plan_id, "
        "subscriptions 4 invalid_value billing_anchor_day, "
        "subscriptions 6 user_missing user_id, "
        "users 2 invalid_value status")
    check("hostile: raw bytes kept as hex", psql(
        db, "SELECT raw FROM billing_migrate.flags WHERE tbl ="
        " 'users' AND legacy_id = 1 AND flag = 'email_trimmed'"),
        '{"hex": "204e756c006c40782e646520"}')
    check("hostile: the flags", psql(
        db, "SELECT string_agg(format('%s %s %s %s', tbl, legacy_id, flag,"
        " col), ', ' ORDER BY tbl, legacy_id, flag, col) FROM"
        " billing_migrate.flags"),
        "api_keys 1 key_hash_case key_sha1, "
        "invoice_items 2 amount_mismatch amount, "
        "invoices 1 total_mismatch total, "
        "plans 1 datetime_invalid created_at, "
        "users 1 country_invalid country, users 1 currency_invalid currency, "
        "users 1 email_trimmed email, users 1 invalid_utf8 name, "
        "users 1 meta_corrupt meta, users 1 nul_removed company, "
        "users 1 nul_removed email, "
        "users 3 country_normalised country, users 3 invalid_utf8 meta")
    check("hostile: the customers", psql(
        db, "SELECT string_agg(concat_ws('|', id, email, email_key, name,"
        " company, coalesce(country, '-'), coalesce(currency, '-'),"
        " balance_minor, meta, created_at, updated_at), E'\n' ORDER BY id)"
        " FROM customers"),
        "1|Null@x.de|null@x.de|M\ufffdller|Caf\u00e9Bar\n|-|-|150|{}|"
        "2015-01-01 09:00:00+00|2015-01-01 09:00:00+00\n"
        "3|c@x.de|c@x.de|C|AT|GBP|-50|{\"x\": \"\ufffd\"}|"
        "2015-03-29 01:30:00+00|2015-03-29 01:30:00+00")
    check("hostile: a character not written through latin1 is kept",
          psql(db, "SELECT name FROM plans WHERE id = 4"), "Wide \u4e2d")
    check("hostile: the key works in lower case", psql(
        db, "SELECT key_hash FROM api_keys"),
        "f59eec427892931f3a441e926444171ea6bb3382")


def main():
    tmp = tempfile.mkdtemp()
    os.chmod(tmp, 0o755)
    legacy = None
    try:
        legacy = Legacy(tmp)
        (e2e if MODE == "e2e" else safety)(tmp, legacy)
    finally:
        if legacy:
            legacy.stop()
        run(STACK_SH, "stop", tmp + "/stack")
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print(f"migrate_{MODE}: {len(FAILS)} of {CHECKS[0]} checks failed")
        sys.exit(1)
    print(f"migrate_{MODE}: all {CHECKS[0]} checks passed")


if __name__ == "__main__":
    main()
