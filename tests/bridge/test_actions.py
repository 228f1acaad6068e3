#!/usr/bin/env python3
"""Every action of every endpoint of the legacy API, on its error paths
and its success rendering, end to end through billing-bridge.

Each expectation is derived from docs/legacy-api.md (the contract), not
from what the bridge answers; "sN" in a comment names the contract's
section (s6 = "Details where the sections above are brief"). The stack
is bridgelib's: a private PostgreSQL, billing-server with its test clock
(X-Billing-Now sets every request's now), billing-bridge.

Time windows keep the billing runs apart: the billing runs, dunning
and the states they lead to (past_due, expired) live in 2012; everything
else happens in 2015 (and the first seconds of 2016) without a run, so a
run at a 2012 now never touches it. Legacy rows the API cannot make are
written with psql.

    test_actions.py BRIDGE SERVER BILLCTL STACK_SH
"""
import datetime as dt
import os
import re
import sys
from fractions import Fraction
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridgelib import (FORM, JSON, KEY, Stack, call, err,  # noqa: E402
                       expect, expect_eq, fail, finish, invalid, missing,
                       ok)

BRIDGE, SERVER, BILLCTL, STACK_SH = sys.argv[1:5]
NOW = "2015-01-05 09:00:00"
ZERO = "0000-00-00 00:00:00"
BERLIN = ZoneInfo("Europe/Berlin")
STACK = None


# ---------------------------------------------------------------- requests

def pairs(params, ctype):
    """params (dict or list of pairs) as form pairs: None is left out (the
    parameter absent), a list is PHP's name[]=v syntax, a dict name[k]=v."""
    items = params.items() if isinstance(params, dict) else params
    out = []
    for k, v in items:
        if v is None:
            continue
        if isinstance(v, list):
            out += [(k + "[]", x) for x in v]
        elif isinstance(v, dict):
            out += [(f"{k}[{a}]", b) for a, b in v.items()]
        else:
            out.append((k, v))
    return out


def hdrs(now):
    h = {"X-Api-Key": KEY}
    if now is not None:
        h["X-Billing-Now"] = now
    return h


def G(ep, action, params=(), now=NOW, method="GET"):
    """A GET (or other method) with everything in the query string."""
    q = [("action", action)] + pairs(params, FORM)
    return call(method, f"/api/{ep}.php", q, None, None, hdrs(now))


def P(ep, action, params=(), now=NOW, ctype=FORM, method="POST"):
    """A POST with everything in the body (form or JSON)."""
    if ctype == JSON:
        body = {"action": action}
        body.update({k: v for k, v in (params.items() if
                                       isinstance(params, dict)
                                       else params)})
        return call(method, f"/api/{ep}.php", None, body, JSON, hdrs(now))
    body = [("action", action)] + pairs(params, FORM)
    return call(method, f"/api/{ep}.php", None, body, FORM, hdrs(now))


def PJ(ep, action, members, now=NOW):
    """A POST of a raw JSON object: members is its text without braces
    (JSON literals such as 1e2 or 10.10 as they are written)."""
    body = '{"action": "%s", %s}' % (action, members)
    return call("POST", f"/api/{ep}.php", None, body.encode(), JSON,
                hdrs(now))


def data(resp, what="request"):
    """The data of a successful response (fails the check otherwise)."""
    if resp[0] != 200 or not isinstance(resp[1], dict) or \
            resp[1].get("success") is not True:
        fail(what + " succeeds", resp, "success")
        return {}
    return resp[1]["data"]


def E(what, resp, envelope, status=200):
    return expect(what, resp, status, envelope)


NF = {name: err(f"{name} not found", "not_found")
      for name in ("User", "Plan", "Subscription", "Invoice", "Payment")}


def state(msg):
    return err(msg, "invalid_state")


def conflict(msg):
    return err(msg, "conflict")


# ------------------------------------------------------- contract helpers

def money(cents):
    """s2: money as a string with exactly 2 decimals."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def rhaz(fr):
    """s6 Billing: rounding half away from zero, to whole cents."""
    fr = Fraction(fr)
    sign = -1 if fr < 0 else 1
    a = abs(fr)
    return sign * int(a + Fraction(1, 2))


def instant(wall):
    """s4/s6: a Berlin wall time as an instant: a spring-gap time moves
    forward by the gap, an ambiguous autumn time is standard time. Both
    are the +01:00 reading (PEP 495: fold picks either side)."""
    t = dt.datetime.strptime(wall, "%Y-%m-%d %H:%M:%S")
    a = t.replace(tzinfo=BERLIN, fold=0)
    b = t.replace(tzinfo=BERLIN, fold=1)
    pick = a if a.utcoffset() <= b.utcoffset() else b
    return pick.astimezone(dt.timezone.utc)


def wall(inst):
    return inst.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M:%S")


def norm(w):
    """The wall time as the app stores it (a gap time moved forward)."""
    return wall(instant(w))


def seconds(a, b):
    """Real elapsed seconds from wall time a to wall time b."""
    return int((instant(b) - instant(a)).total_seconds())


def add_days(w, n):
    """s6: date of w + n days, at the wall time of w."""
    t = dt.datetime.strptime(norm(w), "%Y-%m-%d %H:%M:%S")
    return norm((t + dt.timedelta(days=n)).strftime("%Y-%m-%d %H:%M:%S"))


def last_day(y, m):
    return (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day


def next_period(w, anchor, months):
    """s4: next(t) adds months on the anchor day clamped to the month's
    last day, keeping t's time of day."""
    t = dt.datetime.strptime(norm(w), "%Y-%m-%d %H:%M:%S")
    m0 = t.year * 12 + (t.month - 1) + months
    y, m = m0 // 12, m0 % 12 + 1
    d = min(anchor, last_day(y, m))
    return norm(f"{y:04d}-{m:02d}-{d:02d} {t:%H:%M:%S}")


CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def tax_rate_bp(country, vat):
    """s4: tax rate by country; reverse charge outside DE with a VAT
    number (s6: both trimmed)."""
    c = (country or "").strip().upper()
    rate = {"DE": 1900, "AT": 2000, "FR": 2000, "NL": 2100,
            "GB": 2000}.get(c, 0)
    if (vat or "").strip() != "" and c != "DE":
        rate = 0
    return rate


def totals(subtotal, country, vat):
    rate = tax_rate_bp(country, vat)
    tax = rhaz(Fraction(subtotal * rate, 10000))
    return {"subtotal": money(subtotal), "tax_rate": money(rate),
            "tax": money(tax), "total": money(subtotal + tax)}, \
        subtotal + tax


def date_of(w):
    return w[:10]


def plus_days(date, n):
    return (dt.date.fromisoformat(date) + dt.timedelta(days=n)).isoformat()


def invoice_obj(iid, number, uid, sid, currency, subtotal, country, vat,
                ps, pe, now, status=None, paid_at=None):
    """s4: an issued invoice as rendered (s2), without items."""
    t, total = totals(subtotal, country, vat)
    if status is None:
        status = "paid" if total <= 0 else "unpaid"
    if paid_at is None:
        paid_at = now if status == "paid" else ZERO
    o = {"id": iid, "number": number, "user_id": uid,
         "subscription_id": sid, "currency": currency, "status": status,
         "period_start": ps, "period_end": pe,
         "due_date": plus_days(date_of(now), 14), "paid_at": paid_at,
         "created_at": now}
    o.update(t)
    return o


def period_item(name, price, qty, ps, pe):
    """s4: the item of a period [ps, pe] (without its id)."""
    return {"description": f"{name} ({date_of(ps)} - {date_of(pe)})",
            "quantity": str(qty), "unit_price": money(price),
            "amount": money(qty * price)}


def user_obj(uid, email, name="", company=None, country=None, vat=None,
             currency=None, balance="0.00", status="active", meta=None,
             created=NOW):
    return {"id": uid, "email": email, "name": name, "company": company,
            "country": country, "vat_number": vat, "currency": currency,
            "balance": balance, "status": status,
            "meta": [] if meta is None else meta, "created_at": created}


def plan_obj(pid, code, name, price, currency="EUR", cycle="monthly",
             trial="0", active="1", created=NOW):
    return {"id": pid, "code": code, "name": name, "price": price,
            "currency": currency, "billing_cycle": cycle,
            "trial_days": trial, "is_active": active, "created_at": created}


def sub_obj(sid, uid, pid, status, ps, pe, qty="1", trial_ends=None,
            started=None, cape="0", cancelled=ZERO, created=None):
    return {"id": sid, "user_id": uid, "plan_id": pid, "status": status,
            "quantity": qty, "started_at": started or ps,
            "trial_ends_at": trial_ends, "current_period_start": ps,
            "current_period_end": pe, "cancel_at_period_end": cape,
            "cancelled_at": cancelled, "created_at": created or ps}


def is_id(v):
    return isinstance(v, str) and re.fullmatch(r"[1-9][0-9]*", v) is not None


def new_user(email, now=NOW, **kw):
    p = {"email": email}
    p.update(kw)
    return data(P("users", "create", p, now), "create user " + email)


def new_plan(code, name, price, now=NOW, **kw):
    p = {"code": code, "name": name, "price": price}
    p.update(kw)
    return data(P("plans", "create", p, now), "create plan " + code)


# -------------------------------------------------- table-driven params

# s1/s6: ^[0-9]{1,10}$, ids >= 1.
ID_INVALID = ["abc", "1.0", "1.5", "-1", "+1", " 1", "1 ", "0x1", "1e3",
              "1,5", "0", "00", "0000000000", "00000000001", "10000000000",
              "99999999999", "\u0661"]
# s6: ids above 4294967295 are valid but not found.
ID_UNKNOWN = ["4294967295", "4294967296", "9999999999", "0999999999"]


def id_cases(what, send, name, notfound, required=True):
    """The rules of an id parameter: send(v) sends the action with
    parameter name = v (None: absent, a list: name[]=..)."""
    if required:
        E(f"{what}: {name} absent", send(None), missing(name))
        E(f"{what}: {name} empty", send(""), missing(name))
    E(f"{what}: {name}[]", send(["1"]), invalid(name))
    for v in ID_INVALID:
        E(f"{what}: {name}={v!r}", send(v), invalid(name))
    if notfound is not None:
        for v in ID_UNKNOWN:
            E(f"{what}: {name}={v} (valid, unknown)", send(v), notfound)


def cascade(what, send, order):
    """s2/s6 order of checks: with parameters i.. all bad (and those
    before good), parameter i is reported. order: [(name, good, bad,
    envelope of bad)]."""
    for i in range(len(order)):
        params = {}
        for j, (name, good, bad, _) in enumerate(order):
            params[name] = good if j < i else bad
        E(f"{what}: order, {order[i][0]} first", send(params),
          order[i][3])


# ------------------------------------------------------------- sections

ENDPOINTS = {
    "users": (["list", "get", "find"], ["create", "update", "delete"]),
    "plans": (["list", "get"], ["create", "archive"]),
    "subscriptions": (["list", "get"],
                      ["create", "cancel", "reactivate", "change_plan"]),
    "invoices": (["list", "get"], ["void"]),
    "payments": (["list"], ["create", "refund"]),
    "cron": (["run"], []),
}


def generic():
    """s6 order of checks 3-4, for every endpoint and action."""
    for ep, (gets, posts) in ENDPOINTS.items():
        E(f"{ep}: unknown action", G(ep, "nope"),
          err("Unknown action: nope", "unknown_action"), 400)
        up = (gets + posts)[0].upper()
        E(f"{ep}: action names are case-sensitive", G(ep, up),
          err("Unknown action: " + up, "unknown_action"), 400)
        E(f"{ep}: action[]", call("GET", f"/api/{ep}.php",
                                  [("action[]", gets[0])], None, None,
                                  hdrs(NOW)),
          err("Unknown action: ", "unknown_action"), 400)
        E(f"{ep}: action in the body wins over the query",
          call("POST", f"/api/{ep}.php", [("action", gets[0])],
               [("action", "zzz")], FORM, hdrs(NOW)),
          err("Unknown action: zzz", "unknown_action"), 400)
        for a in posts:
            for m in ("GET", "PUT", "DELETE", "PATCH"):
                # s6 4: the method before any parameter is looked at.
                E(f"{ep}.{a}: {m} is 405", G(ep, a, {}, NOW, m),
                  err("Method not allowed", "method_not_allowed"), 405)
    # The action is echoed whole; invalid UTF-8 as U+FFFD (s6 Rendering:
    # the legacy app's JSON substitutes it).
    for raw, echo in (("%FF", "\ufffd"), ("%E2%82", "\ufffd"),
                      ("a%C3%A9", "a\u00e9"), ("x" * 400, "x" * 400),
                      ("%20list", " list"), ("list%20", "list ")):
        E(f"unknown action {raw[:12]!r} echoed",
          call("GET", "/api/users.php", "action=" + raw, None, None,
               hdrs(NOW)),
          err("Unknown action: " + echo, "unknown_action"), 400)
    E("unknown action with a NUL byte echoed whole",
      call("GET", "/api/users.php", "action=li%00st", None, None,
           hdrs(NOW)),
      err("Unknown action: li\x00st", "unknown_action"), 400)
    E("an empty X-Api-Key header: the api_key parameter counts",
      call("GET", "/api/plans.php", {"action": "list", "api_key": KEY},
           None, None, {"X-Api-Key": "", "X-Billing-Now": NOW}),
      {"success": True, "data": [],
       "meta": {"total": 0, "page": 1, "per_page": 50}})
    # s6 4: GET actions accept every method; s6: bodies by Content-Type
    # for every method.
    want = ok({"trials_converted": 0, "renewed": 0, "cancelled": 0,
               "past_due": 0, "expired": 0, "invoices_created": 0})
    for m in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        E(f"cron.run by {m}", G("cron", "run", {}, "2011-01-01 00:00:00",
                                m), want)
    E("cron.run by PUT with a form body",
      P("cron", "run", {}, "2011-01-01 00:00:00", FORM, "PUT"), want)
    E("users.list by DELETE with a JSON body",
      P("users", "list", {}, NOW, JSON, "DELETE"),
      {"success": True, "data": [],
       "meta": {"total": 0, "page": 1, "per_page": 50}})


def paging_cases(what, send, total):
    """s2/s6: page and per_page of a list whose filter matches total
    rows (total >= 3)."""
    def meta(r):
        return (r[0], (r[1].get("meta") if r[1] else None,
                       len(r[1].get("data", [])) if r[1] else None))
    for name in ("page", "per_page"):
        E(f"{what}: {name}[]", send({name: ["1"]}), invalid(name))
        for v in ("0", "00", "-1", "x", "1.0", "1e1", "00000000001",
                  "10000000000"):
            E(f"{what}: {name}={v!r}", send({name: v}), invalid(name))
    expect(f"{what}: defaults", meta(send({})), 200,
           ({"total": total, "page": 1, "per_page": 50}, min(total, 50)))
    expect(f"{what}: page= and per_page= are the defaults",
           meta(send({"page": "", "per_page": ""})), 200,
           ({"total": total, "page": 1, "per_page": 50}, min(total, 50)))
    expect(f"{what}: per_page 1", meta(send({"per_page": "1"})), 200,
           ({"total": total, "page": 1, "per_page": 1}, 1))
    expect(f"{what}: page 2 of 2 per page",
           meta(send({"page": "2", "per_page": "2"})), 200,
           ({"total": total, "page": 2, "per_page": 2},
            min(2, total - 2)))
    expect(f"{what}: leading zeros", meta(send({"page": "0001",
                                                "per_page": "0002"})),
           200, ({"total": total, "page": 1, "per_page": 2}, 2))
    expect(f"{what}: per_page 500", meta(send({"per_page": "500"})), 200,
           ({"total": total, "page": 1, "per_page": 500}, total))
    expect(f"{what}: per_page 501 is taken as 500",
           meta(send({"per_page": "501"})), 200,
           ({"total": total, "page": 1, "per_page": 500}, total))
    expect(f"{what}: per_page 9999999999 is taken as 500",
           meta(send({"per_page": "9999999999"})), 200,
           ({"total": total, "page": 1, "per_page": 500}, total))
    expect(f"{what}: a page past the end",
           meta(send({"page": "1000"})), 200,
           ({"total": total, "page": 1000, "per_page": 50}, 0))
    expect(f"{what}: page 9999999999 (10 digits, >= 1)",
           meta(send({"page": "9999999999"})), 200,
           ({"total": total, "page": 9999999999, "per_page": 50}, 0))
    E(f"{what}: page before per_page",
      send({"page": "0", "per_page": "0"}), invalid("page"))
    ids = [x["id"] for x in data(send({"per_page": "500"}))]
    pages = [x["id"] for p in range(1, total + 1)
             for x in data(send({"page": str(p), "per_page": "1"}))]
    expect_eq(f"{what}: pages of 1 follow the order", pages, ids)
    return ids


# ------------------------------------------------------------------ users

def users():
    ep = "users"
    # create: email (required; trimmed; one @; no white space; <= 190
    # bytes), name, company, country, vat_number, meta (s3, s6).
    E("users.create: email absent", P(ep, "create", {"name": "N"}),
      missing("email"))
    E("users.create: email empty", P(ep, "create", {"email": ""}),
      missing("email"))
    E("users.create: email null in JSON",
      P(ep, "create", {"email": None}, ctype=JSON), missing("email"))
    E("users.create: email[]", P(ep, "create", {"email": ["a@b"]}),
      invalid("email"))
    E("users.create: JSON email as an object",
      P(ep, "create", {"email": {"a": "b"}}, ctype=JSON), invalid("email"))
    for bad in ("plain", "a@@example.com", "a@b@c", "a b@example.com",
                "a\tb@x", "a\rb@x", "a\nb@x", "a\x0bb@x", "a\x0cb@x",
                "\x0ca@x", "a@x\x0c", "a\x00b@x",
                "x" * 179 + "@example.com", " \t\n", "\x00"):
        E(f"users.create: invalid email {bad[:24]!r}",
          P(ep, "create", {"email": bad}), invalid("email"))
    E("users.create: invalid UTF-8 in email",
      call("POST", "/api/users.php", None, b"action=create&email=%FF@x",
           FORM, hdrs(NOW)), invalid("email"))
    cascade("users.create", lambda p: P(ep, "create", p), [
        ("email", "order@example.com", "bad", invalid("email")),
        ("name", "N", "n" * 256, invalid("name")),
        ("company", "C", "c" * 256, invalid("company")),
        ("country", "DE", "DEU", invalid("country")),
        ("vat_number", "V", "v" * 33, invalid("vat_number")),
        ("meta", {"a": "1"}, "plain", invalid("meta")),
    ])
    E("users.create: missing email before a bad name",
      P(ep, "create", {"name": "n" * 256}), missing("email"))
    E("users.create: country[]",
      P(ep, "create", {"email": "c@example.com", "country": ["DE"]}),
      invalid("country"))
    for c in ("D", "DEU", "D1", "1D", "\u00c4D", "D ", " D", "de "):
        E(f"users.create: country {c!r}",
          P(ep, "create", {"email": "c@example.com", "country": c}),
          invalid("country"))
    for f, n in (("name", 255), ("company", 255), ("vat_number", 32)):
        E(f"users.create: {f} of {n + 1} bytes (multi-byte)",
          P(ep, "create", {"email": "l@example.com",
                           f: "\u00e9" * (n // 2) + "ab"[:n % 2 + 1]}),
          invalid(f))
        E(f"users.create: {f}[]",
          P(ep, "create", {"email": "l@example.com", f: ["x"]}), invalid(f))
        E(f"users.create: {f} with a NUL byte",
          P(ep, "create", {"email": "l@example.com", f: "a\x00b"}),
          invalid(f))
        E(f"users.create: {f} invalid UTF-8",
          call("POST", "/api/users.php", None,
               f"action=create&email=l@example.com&{f}=%C3%28".encode(),
               FORM, hdrs(NOW)), invalid(f))
    E("users.create: meta=plain",
      P(ep, "create", {"email": "m@example.com", "meta": "plain"}),
      invalid("meta"))
    E("users.create: meta[a][b]=1 (nested)",
      call("POST", "/api/users.php", None,
           b"action=create&email=m@example.com&meta[a][b]=1", FORM,
           hdrs(NOW)), invalid("meta"))
    E("users.create: JSON meta with a nested value",
      P(ep, "create", {"email": "m@example.com", "meta": {"a": {"b": 1}}},
        ctype=JSON), invalid("meta"))
    E("users.create: JSON meta with an array value",
      P(ep, "create", {"email": "m@example.com", "meta": {"a": [1]}},
        ctype=JSON), invalid("meta"))
    E("users.create: JSON meta as a string",
      P(ep, "create", {"email": "m@example.com", "meta": "x"}, ctype=JSON),
      invalid("meta"))

    # Success rendering (s2): ids as strings, NULLs as null, balance
    # "0.00", meta [] when empty.
    r = P(ep, "create", {"email": " \t\x0bAnna@Example.com\r\n\x00",
                         "name": "Anna M\u00fcller", "country": "de",
                         "meta": {"phone": "+49 30 1234", "n": "1"}})
    anna = data(r, "users.create anna")
    uid_anna = anna.get("id")
    expect_eq("users.create: id is a string", is_id(uid_anna), True)
    expect("users.create: trimmed email, upper-case country, meta", r, 200,
           ok(user_obj(uid_anna, "Anna@Example.com", "Anna M\u00fcller",
                       country="DE",
                       meta={"phone": "+49 30 1234", "n": "1"})))
    r = P(ep, "create", {"email": "bare@example.com", "name": "",
                         "company": "", "country": "", "vat_number": "",
                         "meta": ""})
    bare = data(r)
    expect("users.create: empty optional fields are absent (defaults)", r,
           200, ok(user_obj(bare.get("id"), "bare@example.com")))
    e190 = "x" * 178 + "@example.com"
    r = P(ep, "create", {"email": "  " + e190 + " \n",
                         "name": "\u00e9" * 127 + "a",
                         "company": "c" * 255, "vat_number": "v" * 32,
                         "country": "aT"})
    full = data(r)
    expect("users.create: every field at its byte limit", r, 200,
           ok(user_obj(full.get("id"), e190, "\u00e9" * 127 + "a",
                       "c" * 255, "AT", "v" * 32)))
    r = P(ep, "create", {"email": "@"})
    expect("users.create: '@' alone passes (s6)", r, 200,
           ok(user_obj(data(r).get("id"), "@")))
    r = P(ep, "create", {"email": "j\u00fcrgen@example.com",
                         "name": "  spaced  "})
    expect("users.create: non-ASCII email; text is not trimmed", r, 200,
           ok(user_obj(data(r).get("id"), "j\u00fcrgen@example.com",
                       "  spaced  ")))
    r = P(ep, "create", {"email": "json@example.com", "name": 12.5,
                         "company": True, "vat_number": 10.10,
                         "meta": {"i": 1, "f": 1.5, "t": True, "n": None,
                                  "s": "x"}}, ctype=JSON)
    expect("users.create: JSON scalars as PHP strings (s6)", r, 200,
           ok(user_obj(data(r).get("id"), "json@example.com", "12.5",
                       "true", vat="10.1",
                       meta={"i": "1", "f": "1.5", "t": "true", "n": "",
                             "s": "x"})))
    r = call("POST", "/api/users.php", None,
             b"action=create&email=list@example.com&meta[]=a&meta[]=b",
             FORM, hdrs(NOW))
    expect("users.create: meta[]=a&meta[]=b has keys 0 and 1", r, 200,
           ok(user_obj(data(r).get("id"), "list@example.com",
                       meta={"0": "a", "1": "b"})))
    r = P(ep, "create", {"email": "emptymeta@example.com", "meta": {}},
          ctype=JSON)
    expect("users.create: JSON meta {} renders as []", r, 200,
           ok(user_obj(data(r).get("id"), "emptymeta@example.com")))

    # Duplicates (s6): both sides trimmed, ASCII letters case-insensitive.
    for dup in ("anna@example.com", "ANNA@EXAMPLE.COM",
                " anna@example.com\t"):
        E(f"users.create: duplicate {dup!r}",
          P(ep, "create", {"email": dup}),
          conflict("Email already registered"))
    E("users.create: a bad country is reported before the duplicate",
      P(ep, "create", {"email": "anna@example.com", "country": "X"}),
      invalid("country"))
    data(P(ep, "create", {"email": "\u00c4rger@example.com"}))
    r = P(ep, "create", {"email": "\u00e4rger@example.com"})
    expect_eq("users.create: non-ASCII letters compare exactly (s6)",
              (r[0], data(r).get("email")), (200, "\u00e4rger@example.com"))

    # get
    id_cases("users.get", lambda v: G(ep, "get", {"id": v}), "id",
             NF["User"])
    E("users.get", G(ep, "get", {"id": uid_anna}),
      ok(user_obj(uid_anna, "Anna@Example.com", "Anna M\u00fcller",
                  country="DE", meta={"phone": "+49 30 1234", "n": "1"})))
    E("users.get: leading zeros", G(ep, "get",
                                    {"id": uid_anna.rjust(10, "0")}),
      G(ep, "get", {"id": uid_anna})[1])
    E("users.get: JSON integer id",
      P(ep, "get", {"id": int(uid_anna)}, ctype=JSON),
      G(ep, "get", {"id": uid_anna})[1])
    E("users.get: JSON float id 1.0 is the string '1' (s6)",
      P(ep, "get", {"id": float(uid_anna)}, ctype=JSON),
      G(ep, "get", {"id": uid_anna})[1])
    E("users.get: JSON true id", P(ep, "get", {"id": True}, ctype=JSON),
      invalid("id"))
    E("users.get: JSON null id", P(ep, "get", {"id": None}, ctype=JSON),
      missing("id"))
    E("users.get: JSON [] id (an array is given)",
      P(ep, "get", {"id": []}, ctype=JSON), invalid("id"))
    E("users.get: JSON {} id", P(ep, "get", {"id": {}}, ctype=JSON),
      invalid("id"))
    E("users.get: id[]= (an array of one empty value)",
      call("GET", "/api/users.php", "action=get&id[]=", None, None,
           hdrs(NOW)), invalid("id"))
    E("users.get: JSON -1", P(ep, "get", {"id": -1}, ctype=JSON),
      invalid("id"))
    E("users.get: JSON 12345678901",
      P(ep, "get", {"id": 12345678901}, ctype=JSON), invalid("id"))

    # find: trimmed, no format check, ASCII case-insensitive, non-deleted,
    # lowest id.
    E("users.find: email absent", G(ep, "find"), missing("email"))
    E("users.find: email empty", G(ep, "find", {"email": ""}),
      missing("email"))
    E("users.find: email[]", G(ep, "find", {"email": ["x"]}),
      invalid("email"))
    E("users.find: trimmed, any ASCII case",
      G(ep, "find", {"email": "\t ANNA@example.COM \n"}),
      G(ep, "get", {"id": uid_anna})[1])
    E("users.find: no format check, not found",
      G(ep, "find", {"email": "no at sign"}), NF["User"])
    E("users.find: white space only is given, trimmed: not found",
      G(ep, "find", {"email": "   "}), NF["User"])
    E("users.find: longer than any stored email: not found",
      G(ep, "find", {"email": "x" * 300 + "@example.com"}), NF["User"])
    E("users.find: non-ASCII letters compare exactly",
      G(ep, "find", {"email": "\u00e4RGER@EXAMPLE.COM"}),
      G(ep, "get", {"id": data(r).get("id")})[1])
    E("users.find: '@' alone", G(ep, "find", {"email": " @ "}),
      G(ep, "find", {"email": "@"})[1])
    expect_eq("users.find: '@' found",
              data(G(ep, "find", {"email": "@"})).get("email"), "@")
    E("users.find: invalid UTF-8 is not found",
      call("GET", "/api/users.php", "action=find&email=%FF%FE@x", None,
           None, hdrs(NOW)), NF["User"])
    E("users.find: a NUL byte inside is not found",
      call("GET", "/api/users.php", "action=find&email=an%00na@example.com",
           None, None, hdrs(NOW)), NF["User"])

    # update: id, then any of the fields and status.
    id_cases("users.update", lambda v: P(ep, "update", {"id": v}), "id",
             NF["User"])
    cascade("users.update", lambda p: P(ep, "update", p), [
        ("id", "999999", "x", invalid("id")),
        ("email", "ok@example.com", "bad", invalid("email")),
        ("name", "N", "n" * 256, invalid("name")),
        ("company", "C", "c" * 256, invalid("company")),
        ("country", "DE", "1", invalid("country")),
        ("vat_number", "V", "v" * 33, invalid("vat_number")),
        ("meta", {"a": "1"}, "plain", invalid("meta")),
        ("status", "active", "deleted", invalid("status")),
    ])
    E("users.update: unknown id, all valid", P(ep, "update", {
        "id": "999999", "email": "ok@example.com", "status": "suspended"}),
      NF["User"])
    E("users.update: missing id before a bad email",
      P(ep, "update", {"email": "bad"}), missing("id"))
    for st in ("deleted", "Active", "ACTIVE", "suspend", ["active"]):
        E(f"users.update: status {st!r}",
          P(ep, "update", {"id": uid_anna, "status": st}),
          invalid("status"))
    base = G(ep, "get", {"id": uid_anna})[1]
    E("users.update: no field returns the user unchanged",
      P(ep, "update", {"id": uid_anna}), base)
    E("users.update: empty fields are unchanged (s6 'given')",
      P(ep, "update", {"id": uid_anna, "email": "", "name": "",
                       "company": "", "country": "", "vat_number": "",
                       "meta": "", "status": ""}), base)
    E("users.update: own email in another case is no duplicate",
      P(ep, "update", {"id": uid_anna, "email": " anna@EXAMPLE.com "}),
      ok(dict(base["data"], email="anna@EXAMPLE.com")))
    E("users.update: another user's email",
      P(ep, "update", {"id": uid_anna, "email": "BARE@example.com"}),
      conflict("Email already registered"))
    E("users.update: unknown id is reported before the duplicate",
      P(ep, "update", {"id": "999999", "email": "bare@example.com"}),
      NF["User"])
    r = P(ep, "update", {"id": uid_anna, "name": "Anna", "company": "ACME",
                         "country": "nl", "vat_number": "NL1",
                         "meta": {"x": "y"}, "status": "suspended"})
    expect("users.update: every field; meta replaced whole", r, 200,
           ok(user_obj(uid_anna, "anna@EXAMPLE.com", "Anna", "ACME", "NL",
                       "NL1", status="suspended", meta={"x": "y"})))
    r = P(ep, "update", {"id": uid_anna, "meta": {}, "status": "active"},
          ctype=JSON)
    expect("users.update: meta {} empties it, status active", r, 200,
           ok(user_obj(uid_anna, "anna@EXAMPLE.com", "Anna", "ACME", "NL",
                       "NL1")))

    # delete
    id_cases("users.delete", lambda v: P(ep, "delete", {"id": v}), "id",
             NF["User"])
    gone = new_user("gone@example.com")
    E("users.delete", P(ep, "delete", {"id": gone["id"]}),
      ok({"deleted": True}))
    E("users.delete: twice", P(ep, "delete", {"id": gone["id"]}),
      NF["User"])
    E("users.get: a deleted user", G(ep, "get", {"id": gone["id"]}),
      NF["User"])
    E("users.update: a deleted user (s6)",
      P(ep, "update", {"id": gone["id"], "name": "X"}), NF["User"])
    E("users.find: a deleted user", G(ep, "find",
                                      {"email": "gone@example.com"}),
      NF["User"])
    again = new_user("GONE@example.com")
    E("users.create: takes a deleted user's email (s6)",
      G(ep, "find", {"email": "gone@example.com"}),
      ok(user_obj(again.get("id"), "GONE@example.com")))

    # list: status (optional), page, per_page; by id ascending.
    E("users.list: status[]", G(ep, "list", {"status": ["active"]}),
      invalid("status"))
    for st in ("gone", "Active", "ACTIVE", "all"):
        E(f"users.list: status {st!r}", G(ep, "list", {"status": st}),
          invalid("status"))
    cascade("users.list", lambda p: G(ep, "list", p), [
        ("status", "active", "x", invalid("status")),
        ("page", "1", "0", invalid("page")),
        ("per_page", "1", "0", invalid("per_page")),
    ])
    everyone = data(G(ep, "list", {"per_page": "500"}))
    live = [u["id"] for u in everyone]
    expect_eq("users.list: without status, no deleted user, by id",
              (gone["id"] in live, live == sorted(live, key=int)),
              (False, True))
    total = len(live)
    paging_cases("users.list", lambda p: G(ep, "list", p), total)
    r = G(ep, "list", {"status": "deleted"})
    expect_eq("users.list: status deleted lists only deleted users",
              [(u["id"], u["status"]) for u in data(r)],
              [(gone["id"], "deleted")])
    expect_eq("users.list: status deleted renders the whole user",
              data(r)[0] if data(r) else None,
              user_obj(gone["id"], "gone@example.com", status="deleted"))
    expect_eq("users.list: status active",
              [u["id"] for u in data(G(ep, "list", {"status": "active",
                                                    "per_page": "500"}))],
              live)
    P(ep, "update", {"id": bare["id"], "status": "suspended"})
    r = G(ep, "list", {"status": "suspended"})
    expect("users.list: status suspended",
           (r[0], ([u["id"] for u in data(r)], r[1].get("meta"))),
           200, ([bare["id"]], {"total": 1, "page": 1, "per_page": 50}))
    P(ep, "update", {"id": bare["id"], "status": "active"})
    return uid_anna


# ------------------------------------------------------------------ plans

def plans():
    ep = "plans"
    cascade("plans.create", lambda p: P(ep, "create", p), [
        ("code", "order", "Order", invalid("code")),
        ("name", "Order", "n" * 256, invalid("name")),
        ("price", "1", "1.001", invalid("price")),
        ("currency", "EUR", "eur", invalid("currency")),
        ("billing_cycle", "monthly", "Monthly", invalid("billing_cycle")),
        ("trial_days", "0", "366", invalid("trial_days")),
    ])
    E("plans.create: code absent", P(ep, "create", {"name": "x",
                                                    "price": "1"}),
      missing("code"))
    E("plans.create: code empty before a bad price",
      P(ep, "create", {"code": "", "name": "x", "price": "x"}),
      missing("code"))
    E("plans.create: name absent", P(ep, "create", {"code": "c",
                                                    "price": "1"}),
      missing("name"))
    E("plans.create: name empty", P(ep, "create", {"code": "c", "name": "",
                                                   "price": "1"}),
      missing("name"))
    E("plans.create: price absent", P(ep, "create", {"code": "c",
                                                     "name": "C"}),
      missing("price"))
    E("plans.create: price empty", P(ep, "create", {"code": "c",
                                                    "name": "C",
                                                    "price": ""}),
      missing("price"))
    for f in ("code", "name", "price", "currency", "billing_cycle",
              "trial_days"):
        p = {"code": "c", "name": "C", "price": "1"}
        p[f] = ["x"]
        E(f"plans.create: {f}[]", P(ep, "create", p), invalid(f))
    for code in ("A", "a_b", "a b", "a.b", "\u00e4", "-" * 65, "a" * 65,
                 "a\x00"):
        E(f"plans.create: code {code[:10]!r}",
          P(ep, "create", {"code": code, "name": "C", "price": "1"}),
          invalid("code"))
    # s6 money: ^[0-9]+(\.[0-9]{1,2})?$, at most 99999999.99, price >= 0.
    for price in ("abc", "-1", "-0", "+1", "1.", ".5", "1.001", "1,5",
                  "1e2", " 1", "1 ", "0x10", "100000000", "100000000.00",
                  "999999999.99", "0100000000.00", "1.2.3", "\u0661"):
        E(f"plans.create: price {price!r}",
          P(ep, "create", {"code": "c", "name": "C", "price": price}),
          invalid("price"))
    for cur in ("eur", "JPY", "Eur", "EURO"):
        E(f"plans.create: currency {cur}",
          P(ep, "create", {"code": "c", "name": "C", "price": "1",
                           "currency": cur}), invalid("currency"))
    for cyc in ("weekly", "Monthly", "MONTHLY", "annual"):
        E(f"plans.create: billing_cycle {cyc}",
          P(ep, "create", {"code": "c", "name": "C", "price": "1",
                           "billing_cycle": cyc}), invalid("billing_cycle"))
    for td in ("366", "-1", "1.5", "x", "00000000366", "9999999999"):
        E(f"plans.create: trial_days {td}",
          P(ep, "create", {"code": "c", "name": "C", "price": "1",
                           "trial_days": td}), invalid("trial_days"))
    E("plans.create: name of 256 bytes (multi-byte)",
      P(ep, "create", {"code": "c", "name": "\u00e9" * 128, "price": "1"}),
      invalid("name"))

    created = []

    def mk(what, params, want, ctype=FORM):
        r = PJ(ep, "create", params) if ctype == JSON else \
            P(ep, "create", params)
        pid = data(r, what).get("id")
        expect_eq(what + ": id is a string", is_id(pid), True)
        expect(what, r, 200, ok(dict(want, id=pid)))
        created.append(pid)
        return pid

    p_basic = mk("plans.create: defaults",
                 {"code": "basic", "name": "Basic", "price": "10"},
                 plan_obj(None, "basic", "Basic", "10.00"))
    mk("plans.create: every field, boundaries",
       {"code": "a" * 64, "name": "\u00e9" * 127 + "a",
        "price": "99999999.99", "currency": "GBP",
        "billing_cycle": "quarterly", "trial_days": "365"},
       plan_obj(None, "a" * 64, "\u00e9" * 127 + "a", "99999999.99", "GBP",
                "quarterly", "365"))
    mk("plans.create: price 0, leading zeros, 1 decimal",
       {"code": "free-0", "name": "  Free  ", "price": "000.5",
        "currency": "USD", "billing_cycle": "yearly",
        "trial_days": "0000000007"},
       plan_obj(None, "free-0", "  Free  ", "0.50", "USD", "yearly", "7"))
    mk("plans.create: price 0", {"code": "zero", "name": "Z", "price": "0"},
       plan_obj(None, "zero", "Z", "0.00"))
    mk("plans.create: price 0099999999.99 (leading zero, at the max)",
       {"code": "max-lead", "name": "M", "price": "0099999999.99"},
       plan_obj(None, "max-lead", "M", "99999999.99"))
    mk("plans.create: JSON numbers as PHP strings (1e2, 10.10, 14)",
       '"code": "json-1", "name": "J", "price": 1e2, "trial_days": 14',
       plan_obj(None, "json-1", "J", "100.00", trial="14"), JSON)
    mk("plans.create: JSON 10.10 is '10.1'",
       '"code": "json-2", "name": 7, "price": 10.10',
       plan_obj(None, "json-2", "7", "10.10"), JSON)
    E("plans.create: JSON 19.999 is invalid",
      PJ(ep, "create", '"code": "json-3", "name": "J", "price": 19.999'),
      invalid("price"))
    E("plans.create: JSON true as price",
      P(ep, "create", {"code": "json-3", "name": "J", "price": True},
        ctype=JSON), invalid("price"))
    E("plans.create: JSON -5 as price",
      P(ep, "create", {"code": "json-3", "name": "J", "price": -5},
        ctype=JSON), invalid("price"))
    E("plans.create: duplicate code", P(ep, "create", {
        "code": "basic", "name": "Again", "price": "1"}),
      conflict("Plan code already exists"))
    E("plans.create: a bad trial_days is reported before the duplicate",
      P(ep, "create", {"code": "basic", "name": "Again", "price": "1",
                       "trial_days": "366"}), invalid("trial_days"))

    # get: id or code; the id wins and is validated; code byte for byte.
    id_cases("plans.get", lambda v: G(ep, "get", {"id": v}), "id", NF["Plan"])
    want = G(ep, "get", {"id": p_basic})
    expect("plans.get by id", want, 200,
           ok(plan_obj(p_basic, "basic", "Basic", "10.00")))
    E("plans.get by code", G(ep, "get", {"code": "basic"}), want[1])
    E("plans.get: id wins over code",
      G(ep, "get", {"id": p_basic, "code": "zero"}), want[1])
    E("plans.get: empty id, code used",
      G(ep, "get", {"id": "", "code": "basic"}), want[1])
    for bad in ID_INVALID[:6] + [["1"]]:
        E(f"plans.get: bad id {bad!r} with a good code",
          G(ep, "get", {"id": bad, "code": "basic"}), invalid("id"))
    E("plans.get: neither", G(ep, "get", {"id": "", "code": ""}),
      missing("id"))
    E("plans.get: code[]", G(ep, "get", {"code": ["basic"]}),
      invalid("code"))
    for code in ("BASIC", "basic ", " basic", "nope", "b" * 300):
        E(f"plans.get: code {code[:12]!r} byte for byte",
          G(ep, "get", {"code": code}), NF["Plan"])
    E("plans.get: code with invalid UTF-8 is not found",
      call("GET", "/api/plans.php", "action=get&code=%FFbasic", None, None,
           hdrs(NOW)), NF["Plan"])
    E("plans.get: code with a NUL byte is not found",
      call("GET", "/api/plans.php", "action=get&code=basic%00x", None,
           None, hdrs(NOW)), NF["Plan"])

    # archive
    id_cases("plans.archive", lambda v: P(ep, "archive", {"id": v}), "id",
             NF["Plan"])
    arch = mk("plans.create: to archive",
              {"code": "old", "name": "Old", "price": "5"},
              plan_obj(None, "old", "Old", "5.00"))
    E("plans.archive: returns the plan", P(ep, "archive", {"id": arch}),
      ok(plan_obj(arch, "old", "Old", "5.00", active="0")))
    E("plans.archive: twice returns it again (s6)",
      P(ep, "archive", {"id": arch}, now="2015-02-01 00:00:00"),
      ok(plan_obj(arch, "old", "Old", "5.00", active="0")))
    E("plans.get: finds an archived plan (s6)", G(ep, "get",
                                                  {"code": "old"}),
      ok(plan_obj(arch, "old", "Old", "5.00", active="0")))

    # list: all (optional boolean), page, per_page, by id.
    for b in ("yes", "2", "TRUE", "True", "on", "-1", " 1", ["1"]):
        E(f"plans.list: all={b!r}", G(ep, "list", {"all": b}),
          invalid("all"))
    cascade("plans.list", lambda p: G(ep, "list", p), [
        ("all", "1", "x", invalid("all")),
        ("page", "1", "0", invalid("page")),
        ("per_page", "1", "0", invalid("per_page")),
    ])
    active = [p for p in created if p != arch]
    for b, want_ids in ((None, active), ("", active), ("0", active),
                        ("false", active), ("1", created),
                        ("true", created)):
        r = G(ep, "list", {"all": b})
        expect(f"plans.list: all={b!r}",
               (r[0], ([p["id"] for p in data(r)], r[1].get("meta"))), 200,
               (want_ids, {"total": len(want_ids), "page": 1,
                           "per_page": 50}))
    ids = paging_cases("plans.list all", lambda p: G(
        ep, "list", dict(p, all="1")), len(created))
    expect_eq("plans.list: by id", ids, sorted(ids, key=int))
    return p_basic, arch



# ---------------------------------------------------------- subscriptions

SEQ = {}


def next_number(now):
    """s4/s6: INV-YYYY-NNNNNN, gapless per Berlin year of now; the first
    of a year is 000001. Every invoice this test issues goes through
    here, in order."""
    year = int(norm(now)[:4])
    SEQ[year] = SEQ.get(year, 0) + 1
    return f"INV-{year}-{SEQ[year]:06d}"


class Plan:
    def __init__(self, code, name, price, currency="EUR", cycle="monthly",
                 trial=0, now=NOW):
        self.code, self.name, self.price = code, name, price
        self.currency, self.cycle, self.trial = currency, cycle, trial
        self.id = new_plan(code, name, money(price), now, currency=currency,
                           billing_cycle=cycle,
                           trial_days=str(trial)).get("id")

    def archive(self):
        data(P("plans", "archive", {"id": self.id}))


class User:
    def __init__(self, email, country=None, vat=None, now=NOW):
        self.country, self.vat = country, vat
        self.id = new_user(email, now, country=country,
                           vat_number=vat).get("id")

    def get(self):
        return data(G("users", "get", {"id": self.id}), "get user")


def created(what, r, user, plan, now=NOW, qty=1, paid_at=None, status=None,
            credit=0):
    """s3 subscriptions.create without trial: active, period [now,
    next(now)] on the anchor day of now, the period's invoice (s4)
    without items. credit: a balance payment expected on it."""
    d = data(r, what)
    sub, inv = d.get("subscription") or {}, d.get("invoice") or {}
    n = norm(now)
    pe = next_period(n, int(n[8:10]), CYCLE_MONTHS[plan.cycle])
    want_inv = invoice_obj(inv.get("id"), next_number(now), user.id,
                           sub.get("id"), plan.currency, qty * plan.price,
                           user.country, user.vat, date_of(n), date_of(pe),
                           n, status, paid_at)
    expect_eq(what + ": ids are strings",
              (is_id(sub.get("id")), is_id(inv.get("id"))), (True, True))
    expect(what, r, 200, ok({
        "subscription": sub_obj(sub.get("id"), user.id, plan.id, "active",
                                n, pe, str(qty)),
        "invoice": want_inv}))
    return sub.get("id"), inv.get("id"), pe


def trialled(what, r, user, plan, now=NOW, qty=1):
    """s3: status trial, trial_ends_at = now + trial_days days at the
    wall time of now (s6), period [now, trial_ends_at], no invoice."""
    d = data(r, what)
    sid = (d.get("subscription") or {}).get("id")
    n = norm(now)
    te = add_days(n, plan.trial)
    expect(what, r, 200, ok({
        "subscription": sub_obj(sid, user.id, plan.id, "trial", n, te,
                                str(qty), trial_ends=te),
        "invoice": None}))
    return sid, te


def subscriptions():
    ep = "subscriptions"
    pl = {
        "trial": Plan("s-trial", "Trial Plan", 1000, trial=14),
        "pro": Plan("s-pro", "Pro", 2500),
        "plus": Plan("s-plus", "Pro Plus", 4000),
        "year": Plan("s-year", "Pro Yearly", 24000, cycle="yearly"),
        "quarter": Plan("s-quarter", "Quarter", 3000, cycle="quarterly"),
        "usd": Plan("s-usd", "Basic USD", 1250, "USD"),
        "usd-trial": Plan("s-usd-trial", "USD Trial", 500, "USD", trial=7),
        "half": Plan("s-half", "Half", 50),
        "free": Plan("s-free", "Free", 0),
        "huge": Plan("s-huge", "Huge", 9999999999),
        "old": Plan("s-old", "Old", 500),
        "old-usd": Plan("s-old-usd", "Old USD", 500, "USD"),
        "long": Plan("s-long", "Long Trial", 100, cycle="yearly",
                     trial=365),
        "dst": Plan("s-dst", "DST", 744000),
        "dst0": Plan("s-dst0", "DST zero", 0),
    }
    pl["old"].archive()
    pl["old-usd"].archive()
    de = User("sub-de@example.com", "DE")
    susp = User("sub-susp@example.com", "DE")
    P("users", "update", {"id": susp.id, "status": "suspended"})
    dele = User("sub-del@example.com", "DE")
    P("users", "delete", {"id": dele.id})

    def create(params, now=NOW):
        return P(ep, "create", params, now)

    # Parameters: user_id, plan_id or plan_code, quantity, trial.
    id_cases("subscriptions.create", lambda v: create(
        {"user_id": v, "plan_id": pl["pro"].id}), "user_id", NF["User"])
    id_cases("subscriptions.create", lambda v: create(
        {"user_id": de.id, "plan_id": v}), "plan_id", NF["Plan"])
    cascade("subscriptions.create", create, [
        ("user_id", "999999", "x", invalid("user_id")),
        ("plan_id", "999999", "0", invalid("plan_id")),
        ("quantity", "1", "0", invalid("quantity")),
        ("trial", "1", "2", invalid("trial")),
    ])
    for q in ("0", "1001", "-1", "1.0", "x", "00000001000", ["1"]):
        E(f"subscriptions.create: quantity {q!r}", create(
            {"user_id": de.id, "plan_id": pl["pro"].id, "quantity": q}),
          invalid("quantity"))
    for t in ("2", "yes", "TRUE", "True", "on", "-1", " 1", ["1"]):
        E(f"subscriptions.create: trial {t!r}", create(
            {"user_id": de.id, "plan_id": pl["pro"].id, "trial": t}),
          invalid("trial"))
    E("subscriptions.create: neither plan_id nor plan_code",
      create({"user_id": de.id, "plan_id": "", "plan_code": ""}),
      missing("plan_id"))
    E("subscriptions.create: plan_code[]",
      create({"user_id": de.id, "plan_code": ["s-pro"]}),
      invalid("plan_code"))
    E("subscriptions.create: a bad plan_id with a good plan_code",
      create({"user_id": de.id, "plan_id": "x", "plan_code": "s-pro"}),
      invalid("plan_id"))
    E("subscriptions.create: plan_id[] with a good plan_code",
      create({"user_id": de.id, "plan_id": ["1"], "plan_code": "s-pro"}),
      invalid("plan_id"))
    for code in ("S-PRO", "s-pro ", "nope"):
        E(f"subscriptions.create: plan_code {code!r} byte for byte",
          create({"user_id": de.id, "plan_code": code}), NF["Plan"])
    E("subscriptions.create: a plan_code with invalid UTF-8",
      call("POST", "/api/subscriptions.php", None,
           f"action=create&user_id={de.id}&plan_code=%FF".encode(), FORM,
           hdrs(NOW)), NF["Plan"])
    E("subscriptions.create: missing user before an unmatchable code",
      call("POST", "/api/subscriptions.php", None,
           b"action=create&user_id=999999&plan_code=a%00b", FORM,
           hdrs(NOW)), NF["User"])
    E("subscriptions.create: unknown user, quantity 0 (syntax first)",
      create({"user_id": "999999", "plan_id": "999999", "quantity": "0"}),
      invalid("quantity"))
    # Lookups in order: user (missing/deleted), suspended, plan
    # (missing/archived), currency.
    for what, uid, pid, want in (
            ("unknown user, unknown plan", "999999", "999999", NF["User"]),
            ("deleted user, unknown plan", dele.id, "999999", NF["User"]),
            ("deleted user", dele.id, pl["pro"].id, NF["User"]),
            ("suspended user, unknown plan", susp.id, "999999",
             state("User is suspended")),
            ("suspended user, archived plan", susp.id, pl["old"].id,
             state("User is suspended")),
            ("archived plan", de.id, pl["old"].id, NF["Plan"])):
        E("subscriptions.create: " + what,
          create({"user_id": uid, "plan_id": pid}), want)
    E("subscriptions.create: archived plan by code",
      create({"user_id": de.id, "plan_code": "s-old"}), NF["Plan"])

    # A trial (s3): the plan has trial_days, trial defaults to 1, the user
    # never had the plan; the user's currency is set.
    sid_t, te = trialled("subscriptions.create: trial",
                         create({"user_id": de.id, "plan_code": "s-trial"}),
                         de, pl["trial"])
    expect_eq("subscriptions.create: a trial sets the user's currency",
              de.get().get("currency"), "EUR")
    E("subscriptions.create: EUR user, USD plan",
      create({"user_id": de.id, "plan_id": pl["usd"].id}),
      state("Currency mismatch"))
    E("subscriptions.create: EUR user, archived USD plan",
      create({"user_id": de.id, "plan_id": pl["old-usd"].id}), NF["Plan"])
    E("subscriptions.create: suspended user, USD plan",
      create({"user_id": susp.id, "plan_id": pl["usd"].id}),
      state("User is suspended"))
    # The second subscription to the plan: no trial (s6: any status).
    created("subscriptions.create: the plan again, no trial",
            create({"user_id": de.id, "plan_id": pl["trial"].id,
                    "trial": "1"}), de, pl["trial"])
    created("subscriptions.create: quantity 3 (leading zero)",
            create({"user_id": de.id, "plan_id": pl["pro"].id,
                    "quantity": "03"}), de, pl["pro"], qty=3)
    created("subscriptions.create: quantity 1000",
            create({"user_id": de.id, "plan_id": pl["half"].id,
                    "quantity": "1000"}), de, pl["half"], qty=1000)
    e2 = User("sub-e2@example.com")
    created("subscriptions.create: trial 0 on a trial plan",
            create({"user_id": e2.id, "plan_id": pl["trial"].id,
                    "trial": "false"}), e2, pl["trial"])
    expect_eq("subscriptions.create: sets a NULL currency",
              e2.get().get("currency"), "EUR")
    E("subscriptions.create: trial 0 counts as having had the plan",
      create({"user_id": e2.id, "plan_id": pl["usd"].id}),
      state("Currency mismatch"))
    u3 = User("sub-usd@example.com", "US")
    trialled("subscriptions.create: USD trial (trial=true)",
             create({"user_id": u3.id, "plan_id": pl["usd-trial"].id,
                     "trial": "true"}), u3, pl["usd-trial"])
    expect_eq("subscriptions.create: USD currency set",
              u3.get().get("currency"), "USD")
    created("subscriptions.create: trial 1, plan without trial days",
            create({"user_id": u3.id, "plan_id": pl["usd"].id,
                    "trial": "1"}), u3, pl["usd"])
    u4 = User("sub-long@example.com", "DE")
    trialled("subscriptions.create: trial_days 365",
             create({"user_id": u4.id, "plan_id": pl["long"].id}), u4,
             pl["long"])

    # Tax (s4): by country, reverse charge, rounding half away from zero.
    for email, country, vat in (
            ("tax-at-vat@example.com", "AT", "ATU1"),
            ("tax-at@example.com", "AT", None),
            ("tax-at-space@example.com", "AT", " "),
            ("tax-de-vat@example.com", "DE", "DE1"),
            ("tax-nl@example.com", "NL", None),
            ("tax-nl-vat@example.com", "NL", "NL1"),
            ("tax-fr@example.com", "fr", None),
            ("tax-gb@example.com", "GB", None),
            ("tax-us@example.com", "US", None),
            ("tax-none@example.com", None, None)):
        u = User(email, country, vat)
        u.country = country.upper() if country else None
        created(f"subscriptions.create: tax {country}/{vat!r}",
                create({"user_id": u.id, "plan_id": pl["half"].id}), u,
                pl["half"])
        created(f"subscriptions.create: tax {country}/{vat!r} x 7",
                create({"user_id": u.id, "plan_id": pl["pro"].id,
                        "quantity": "7"}), u, pl["pro"], qty=7)
    # A total of 0 is paid at once (s4).
    fz = User("sub-free@example.com", "DE")
    created("subscriptions.create: a free plan is paid at once",
            create({"user_id": fz.id, "plan_id": pl["free"].id}), fz,
            pl["free"])

    # A computed amount out of range: 500, nothing written (s6 7).
    hu = User("sub-huge@example.com", "DE")
    last = data(G("invoices", "list", {"per_page": "1"}))
    last_inv = int(last[0]["id"]) if last else 0
    last_sub = int(data(G(ep, "list", {"per_page": "500"}))[-1]["id"])
    for what, q in (("quantity 2", "2"), ("tax over the range", "1")):
        E(f"subscriptions.create: {what} of 99999999.99: 500",
          create({"user_id": hu.id, "plan_id": pl["huge"].id,
                  "quantity": q}),
          err("Internal server error", "server_error"), 500)
    expect_eq("subscriptions.create: a 500 leaves the currency unset",
              hu.get().get("currency"), None)
    hn = User("sub-huge-notax@example.com")
    sid, iid, _ = created("subscriptions.create: 99999999.99 without tax",
                          create({"user_id": hn.id,
                                  "plan_id": pl["huge"].id}), hn,
                          pl["huge"])
    expect_eq("subscriptions.create: no id was used up by the 500s",
              (int(sid or 0) - last_sub, int(iid or 0) - last_inv), (1, 1))

    # Anchor days and time (s4, s6).
    a31 = User("sub-31@example.com", "DE")
    created("subscriptions.create: Jan 31 -> Feb 28",
            create({"user_id": a31.id, "plan_id": pl["pro"].id},
                   "2015-01-31 10:00:00"), a31, pl["pro"],
            "2015-01-31 10:00:00")
    created("subscriptions.create: quarterly Nov 30 -> Feb 29 2016",
            create({"user_id": a31.id, "plan_id": pl["quarter"].id},
                   "2015-11-30 23:59:59"), a31, pl["quarter"],
            "2015-11-30 23:59:59")
    created("subscriptions.create: in the spring gap: 03:30, kept",
            create({"user_id": a31.id, "plan_id": pl["year"].id},
                   "2015-03-29 02:30:00"), a31, pl["year"],
            "2015-03-29 02:30:00")
    created("subscriptions.create: summer time renders as wall clock",
            create({"user_id": a31.id, "plan_id": pl["plus"].id},
                   "2015-07-15 23:30:00"), a31, pl["plus"],
            "2015-07-15 23:30:00")
    for i, (now, what) in enumerate((
            ("2015-03-20 02:30:00", "a trial across the DST change"),
            ("2015-03-15 02:30:00", "a trial ending in the spring gap"),
            ("2015-10-11 02:30:00", "a trial ending in the autumn overlap"),
            ("2015-12-25 12:00:00", "a trial into the next year"))):
        u = User(f"sub-dst{i}@example.com", "DE", now=now)
        trialled("subscriptions.create: " + what,
                 create({"user_id": u.id, "plan_id": pl["trial"].id}, now),
                 u, pl["trial"], now)
    # The Berlin year picks the sequence: 00:30 on Jan 1 is 2016 in
    # Berlin (23:30 UTC of 2015).
    yb = User("sub-year@example.com", "DE")
    created("subscriptions.create: the last second of 2015",
            create({"user_id": yb.id, "plan_id": pl["pro"].id},
                   "2015-12-31 23:59:59"), yb, pl["pro"],
            "2015-12-31 23:59:59")
    created("subscriptions.create: the first invoice of 2016 is 000001",
            create({"user_id": yb.id, "plan_id": pl["pro"].id},
                   "2016-01-01 00:30:00"), yb, pl["pro"],
            "2016-01-01 00:30:00")
    created("subscriptions.create: then 000002",
            create({"user_id": yb.id, "plan_id": pl["pro"].id},
                   "2016-01-01 00:30:01"), yb, pl["pro"],
            "2016-01-01 00:30:01")

    # get
    id_cases("subscriptions.get", lambda v: G(ep, "get", {"id": v}), "id",
             NF["Subscription"])
    E("subscriptions.get: a trial", G(ep, "get", {"id": sid_t}),
      ok(sub_obj(sid_t, de.id, pl["trial"].id, "trial", NOW, te,
                 trial_ends=te)))

    # list: user_id, status, page, per_page; by id ascending.
    cascade("subscriptions.list", lambda p: G(ep, "list", p), [
        ("user_id", "999999", "0", invalid("user_id")),
        ("status", "active", "paused", invalid("status")),
        ("page", "1", "0", invalid("page")),
        ("per_page", "1", "0", invalid("per_page")),
    ])
    id_cases("subscriptions.list", lambda v: G(ep, "list", {"user_id": v}),
             "user_id", None, required=False)
    for st in ("Active", "ACTIVE", "paused", "deleted", ["trial"]):
        E(f"subscriptions.list: status {st!r}",
          G(ep, "list", {"status": st}), invalid("status"))
    E("subscriptions.list: an unknown user has none",
      G(ep, "list", {"user_id": "4294967296"}),
      {"success": True, "data": [],
       "meta": {"total": 0, "page": 1, "per_page": 50}})
    mine = data(G(ep, "list", {"user_id": de.id}))
    expect_eq("subscriptions.list: by user, by id",
              [(x["user_id"], x["status"]) for x in mine],
              [(de.id, "trial")] + [(de.id, "active")] * 3)
    expect_eq("subscriptions.list: the items render as get does",
              mine[0] if mine else None,
              data(G(ep, "get", {"id": sid_t})))
    paging_cases("subscriptions.list by user",
                 lambda p: G(ep, "list", dict(p, user_id=de.id)), 4)
    r = G(ep, "list", {"user_id": de.id, "status": "trial"})
    expect_eq("subscriptions.list: user and status",
              [x["id"] for x in data(r)], [sid_t])
    allt = data(G(ep, "list", {"status": "trial", "per_page": "500"}))
    expect_eq("subscriptions.list: status alone, by id",
              ([x["status"] for x in allt] == ["trial"] * len(allt),
               [x["id"] for x in allt] == sorted(
                   [x["id"] for x in allt], key=int), len(allt) >= 7),
              (True, True, True))

    cancel_reactivate(pl, de)
    change_plan(pl)
    return pl


def cancel_reactivate(pl, de):
    ep = "subscriptions"
    u = User("cancel@example.com", "DE")

    def sub(plan="pro", **kw):
        d = data(P(ep, "create", dict({"user_id": u.id,
                                        "plan_id": pl[plan].id}, **kw)))
        if d.get("invoice"):
            next_number(NOW)
        return d.get("subscription") or {}

    s = sub()
    id_cases("subscriptions.cancel", lambda v: P(ep, "cancel", {"id": v}),
             "id", NF["Subscription"])
    cascade("subscriptions.cancel", lambda p: P(ep, "cancel", p), [
        ("id", "999999", "x", invalid("id")),
        ("at_period_end", "1", "2", invalid("at_period_end")),
    ])
    for b in ("2", "yes", "TRUE", "later", "-1", ["1"]):
        E(f"subscriptions.cancel: at_period_end {b!r}",
          P(ep, "cancel", {"id": s.get("id"), "at_period_end": b}),
          invalid("at_period_end"))
    later = "2015-01-06 10:00:00"
    flagged = dict(s, cancel_at_period_end="1")
    E("subscriptions.cancel: at period end by default",
      P(ep, "cancel", {"id": s.get("id")}, later), ok(flagged))
    E("subscriptions.cancel: flagged again: success, no change (s6)",
      P(ep, "cancel", {"id": s.get("id"), "at_period_end": "true"},
        "2015-01-07 10:00:00"), ok(flagged))
    E("subscriptions.reactivate", P(ep, "reactivate", {"id": s.get("id")}),
      ok(s))
    E("subscriptions.reactivate: not flagged",
      P(ep, "reactivate", {"id": s.get("id")}),
      state("Subscription cannot be reactivated"))
    E("subscriptions.cancel: at_period_end empty is the default 1",
      P(ep, "cancel", {"id": s.get("id"), "at_period_end": ""}, later),
      ok(flagged))
    now = "2015-01-08 11:12:13"
    E("subscriptions.cancel: now (flag cleared, cancelled_at now)",
      P(ep, "cancel", {"id": s.get("id"), "at_period_end": "0"}, now),
      ok(dict(s, status="cancelled", cancelled_at=now)))
    for b in ("1", "0", "false"):
        E(f"subscriptions.cancel: cancelled, at_period_end {b}",
          P(ep, "cancel", {"id": s.get("id"), "at_period_end": b}),
          state("Subscription is already cancelled"))
    E("subscriptions.reactivate: cancelled",
      P(ep, "reactivate", {"id": s.get("id")}),
      state("Subscription cannot be reactivated"))
    id_cases("subscriptions.reactivate",
             lambda v: P(ep, "reactivate", {"id": v}), "id",
             NF["Subscription"])
    t = sub("trial")
    E("subscriptions.cancel: a trial at period end",
      P(ep, "cancel", {"id": t.get("id"), "at_period_end": "1"}),
      ok(dict(t, cancel_at_period_end="1")))
    E("subscriptions.reactivate: a flagged trial",
      P(ep, "reactivate", {"id": t.get("id")}), ok(t))
    E("subscriptions.cancel: a trial now",
      P(ep, "cancel", {"id": t.get("id"), "at_period_end": "false"}),
      ok(dict(t, status="cancelled", cancelled_at=NOW)))
    f = sub()
    P(ep, "cancel", {"id": f.get("id")})
    E("subscriptions.cancel: now clears the flag (s3)",
      P(ep, "cancel", {"id": f.get("id"), "at_period_end": "0"}),
      ok(dict(f, status="cancelled", cancelled_at=NOW)))


def proration(old, new, qty, ps, pe, now):
    """s3/s6: credit and charge of a change at now in period [ps, pe]."""
    T = seconds(ps, pe)
    r = min(max(seconds(now, pe), 0), max(T, 0))
    if T <= 0:
        return 0, 0
    return (rhaz(Fraction(old.price * qty * r, T)),
            rhaz(Fraction(new.price * qty * r, T)))


def change_plan(pl):
    ep = "subscriptions"
    u = User("change@example.com", "DE")

    def sub(plan, now=NOW, qty=1, **kw):
        d = data(P(ep, "create", dict({"user_id": u.id,
                                        "plan_id": pl[plan].id,
                                        "quantity": str(qty)}, **kw), now))
        if d.get("invoice"):
            next_number(now)
        return d.get("subscription") or {}

    def change(params, now=NOW):
        return P(ep, "change_plan", params, now)

    def items(iid):
        return [{k: v for k, v in it.items() if k != "id"} for it in
                data(G("invoices", "get", {"id": iid})).get("items", [])]

    s = sub("pro", qty=2)
    id_cases("subscriptions.change_plan", lambda v: change(
        {"id": v, "plan_id": pl["plus"].id}), "id", NF["Subscription"])
    id_cases("subscriptions.change_plan", lambda v: change(
        {"id": s.get("id"), "plan_id": v}), "plan_id", NF["Plan"])
    cascade("subscriptions.change_plan", change, [
        ("id", "999999", "x", invalid("id")),
        ("plan_id", "999999", "0", invalid("plan_id")),
        ("prorate", "1", "2", invalid("prorate")),
    ])
    for b in ("2", "yes", "TRUE", "-1", ["0"]):
        E(f"subscriptions.change_plan: prorate {b!r}",
          change({"id": s.get("id"), "plan_id": pl["plus"].id,
                  "prorate": b}), invalid("prorate"))
    E("subscriptions.change_plan: no plan",
      change({"id": s.get("id"), "plan_code": ""}), missing("plan_id"))
    E("subscriptions.change_plan: plan_code[]",
      change({"id": s.get("id"), "plan_code": ["s-plus"]}),
      invalid("plan_code"))
    E("subscriptions.change_plan: a bad plan_id with a plan_code",
      change({"id": s.get("id"), "plan_id": "1.0", "plan_code": "s-plus"}),
      invalid("plan_id"))
    E("subscriptions.change_plan: plan_code byte for byte",
      change({"id": s.get("id"), "plan_code": "S-PLUS"}), NF["Plan"])
    E("subscriptions.change_plan: unknown, bad prorate (syntax first)",
      change({"id": "999999", "plan_id": "999999", "prorate": "x"}),
      invalid("prorate"))
    # Lookups in order: subscription, state, plan, same plan, currency.
    c = sub("pro")
    P(ep, "cancel", {"id": c.get("id"), "at_period_end": "0"})
    for what, sid, params, want in (
            ("unknown subscription, unknown plan", "999999",
             {"plan_id": "999999"}, NF["Subscription"]),
            ("cancelled, unknown plan", c.get("id"), {"plan_id": "999999"},
             state("Subscription is not active")),
            ("cancelled, same plan", c.get("id"),
             {"plan_id": pl["pro"].id}, state("Subscription is not active")),
            ("unknown plan", s.get("id"), {"plan_id": "999999"},
             NF["Plan"]),
            ("unmatchable code", s.get("id"), {"plan_code": "\x00"},
             NF["Plan"]),
            ("archived plan", s.get("id"), {"plan_code": "s-old"},
             NF["Plan"]),
            ("archived USD plan", s.get("id"),
             {"plan_id": pl["old-usd"].id}, NF["Plan"]),
            ("same plan", s.get("id"), {"plan_id": pl["pro"].id},
             state("Already on this plan")),
            ("same plan by code", s.get("id"), {"plan_code": "s-pro"},
             state("Already on this plan")),
            ("other currency", s.get("id"), {"plan_id": pl["usd"].id},
             state("Currency mismatch"))):
        E("subscriptions.change_plan: " + what,
          change(dict(params, id=sid)), want)
    # The current plan archived: changing to it is "Plan not found".
    arch = Plan("s-arch", "Arch", 2500)
    a = sub("pro")
    P(ep, "change_plan", {"id": a.get("id"), "plan_id": arch.id,
                          "prorate": "0"})
    arch.archive()
    E("subscriptions.change_plan: to its own archived plan",
      change({"id": a.get("id"), "plan_id": arch.id}), NF["Plan"])

    # In trial only the plan changes (s6).
    t = sub("trial")
    E("subscriptions.change_plan: trial, other currency",
      change({"id": t.get("id"), "plan_id": pl["usd"].id}),
      state("Currency mismatch"))
    E("subscriptions.change_plan: in trial, no invoice",
      change({"id": t.get("id"), "plan_id": pl["year"].id},
             "2015-01-10 10:00:00"),
      ok({"subscription": dict(t, plan_id=pl["year"].id),
          "invoice": None}))

    # Active, same cycle, prorate 1: two items over [date of now, date of
    # period end]; cancel_at_period_end untouched.
    P(ep, "cancel", {"id": s.get("id")})
    now = "2015-01-20 21:00:00"
    ps, pe = s.get("current_period_start"), s.get("current_period_end")
    credit, charge = proration(pl["pro"], pl["plus"], 2, ps, pe, now)
    r = change({"id": s.get("id"), "plan_code": "s-plus"}, now)
    inv = data(r).get("invoice") or {}
    expect("subscriptions.change_plan: upgrade, same cycle", r, 200,
           ok({"subscription": dict(s, plan_id=pl["plus"].id,
                                    cancel_at_period_end="1"),
               "invoice": invoice_obj(
                   inv.get("id"), next_number(now), u.id, s.get("id"),
                   "EUR", charge - credit, "DE", None, date_of(now),
                   date_of(pe), now)}))
    expect_eq("subscriptions.change_plan: the two items",
              items(inv.get("id")),
              [{"description": "Unused time on Pro", "quantity": "1",
                "unit_price": money(-credit), "amount": money(-credit)},
               {"description": "Remaining time on Pro Plus",
                "quantity": "1", "unit_price": money(charge),
                "amount": money(charge)}])
    E("subscriptions.change_plan: back, prorate 0: no invoice",
      change({"id": s.get("id"), "plan_id": pl["pro"].id, "prorate": "0"},
             now),
      ok({"subscription": dict(s, cancel_at_period_end="1"),
          "invoice": None}))

    # A downgrade: a negative total is paid at once, -total to the
    # balance (s4).
    d = sub("plus")
    bal0 = u.get().get("balance")
    credit, charge = proration(pl["plus"], pl["half"], 1,
                               d.get("current_period_start"),
                               d.get("current_period_end"), now)
    r = change({"id": d.get("id"), "plan_id": pl["half"].id}, now)
    inv = data(r).get("invoice") or {}
    _, total_dg = totals(charge - credit, "DE", None)
    expect("subscriptions.change_plan: downgrade, paid at once", r, 200,
           ok({"subscription": dict(d, plan_id=pl["half"].id),
               "invoice": invoice_obj(
                   inv.get("id"), next_number(now), u.id, d.get("id"),
                   "EUR", charge - credit, "DE", None, date_of(now),
                   date_of(d.get("current_period_end")), now)}))
    expect_eq("subscriptions.change_plan: -total to the balance",
              (bal0, u.get().get("balance")), ("0.00", money(-total_dg)))

    # Other cycle: a new period [now, next(now)] on today's anchor; the
    # credit item (prorate 1 only) and the full new period's item.
    for prorate in ("1", "0"):
        o = sub("pro", qty=3)
        credit, _ = proration(pl["pro"], pl["pro"], 3,
                              o.get("current_period_start"),
                              o.get("current_period_end"), now)
        if prorate == "0":
            credit = 0
        new_end = next_period(now, 20, 12)
        r = change({"id": o.get("id"), "plan_id": pl["year"].id,
                    "prorate": prorate}, now)
        inv = data(r).get("invoice") or {}
        sub_total = 3 * pl["year"].price - credit
        expect(f"subscriptions.change_plan: other cycle, prorate {prorate}",
               (r[0], r[1].get("data", {}).get("subscription")), 200,
               dict(o, plan_id=pl["year"].id, current_period_start=now,
                    current_period_end=new_end))
        want_items = [period_item("Pro Yearly", pl["year"].price, 3, now,
                                  new_end)]
        if prorate == "1":
            want_items.insert(0, {"description": "Unused time on Pro",
                                  "quantity": "1",
                                  "unit_price": money(-credit),
                                  "amount": money(-credit)})
        expect_eq(f"subscriptions.change_plan: other cycle items "
                  f"({prorate})", items(inv.get("id")), want_items)
        expect_eq(f"subscriptions.change_plan: other cycle invoice "
                  f"({prorate})", inv,
                  invoice_obj(inv.get("id"), next_number(now), u.id,
                              o.get("id"), "EUR", sub_total, "DE", None,
                              date_of(now), date_of(new_end), now))
        if prorate == "1":
            # The balance the downgrade left paid what it could of the
            # next invoice, o's first (s4): a credit payment of
            # min(balance, total), transaction_id null, created now.
            expect_eq("subscriptions.change_plan: the balance was used",
                      (u.get().get("balance"),
                       [(x["method"], x["amount"], x["status"],
                         x["transaction_id"], x["created_at"])
                        for x in data(G("payments", "list", {
                            "user_id": u.id})) if x["method"] == "credit"]),
                      ("0.00", [("credit", money(-total_dg), "success",
                                 None, NOW)]))

    # A period already over: r = 0, so 0.00 items and a total of 0,
    # paid at once (s6: "a credit of 0 still makes a 0.00 item").
    z = sub("pro")
    late = "2015-03-01 08:00:00"
    r = change({"id": z.get("id"), "plan_id": pl["plus"].id}, late)
    inv = data(r).get("invoice") or {}
    expect("subscriptions.change_plan: after the period end", r, 200,
           ok({"subscription": dict(z, plan_id=pl["plus"].id),
               "invoice": invoice_obj(
                   inv.get("id"), next_number(late), u.id, z.get("id"),
                   "EUR", 0, "DE", None, date_of(late),
                   date_of(z.get("current_period_end")), late)}))
    expect_eq("subscriptions.change_plan: 0.00 items",
              [(i["description"], i["amount"]) for i in
               items(inv.get("id"))],
              [("Unused time on Pro", "0.00"),
               ("Remaining time on Pro Plus", "0.00")])

    # Real elapsed seconds across DST (s4): spring (a 23-hour day) and
    # an ambiguous autumn start (standard time).
    for start, at in (("2015-03-10 12:00:00", "2015-03-20 12:00:00"),
                      ("2015-10-25 02:30:00", "2015-11-10 02:30:00"),
                      ("2015-10-10 12:00:00", "2015-10-25 02:30:00")):
        w = User(f"prorate-{start[:10]}@example.com", now=start)
        d = data(P(ep, "create", {"user_id": w.id,
                                  "plan_id": pl["dst"].id}, start))
        next_number(start)
        x = d.get("subscription") or {}
        credit, charge = proration(pl["dst"], pl["dst0"], 1,
                                   x.get("current_period_start"),
                                   x.get("current_period_end"), at)
        r = change({"id": x.get("id"), "plan_id": pl["dst0"].id}, at)
        inv = data(r).get("invoice") or {}
        expect_eq(f"subscriptions.change_plan: proration from {start} "
                  f"at {at}",
                  (x.get("current_period_end"),
                   [(i["description"], i["amount"]) for i in
                    items(inv.get("id"))], inv.get("number")),
                  (next_period(start, int(start[8:10]), 1),
                   [("Unused time on DST", money(-credit)),
                    ("Remaining time on DST zero", "0.00")],
                   next_number(at)))


# --------------------------------------------------------------- invoices

def cents(text):
    return int(text.replace(".", ""))


def invoices(pl):
    ep = "invoices"
    u = User("inv@example.com", "NL")
    made = []
    for q in (1, 2, 3):
        r = P("subscriptions", "create", {"user_id": u.id,
                                          "plan_id": pl["pro"].id,
                                          "quantity": str(q)})
        sid, iid, _ = created(f"invoices: fixture {q}", r, u, pl["pro"],
                              qty=q)
        made.append((sid, iid, data(r).get("invoice")))
    P("subscriptions", "create", {"user_id": u.id, "plan_id":
                                  pl["trial"].id})

    # list: user_id, subscription_id, status, page, per_page; newest
    # first; no items.
    cascade("invoices.list", lambda p: G(ep, "list", p), [
        ("user_id", "999999", "0", invalid("user_id")),
        ("subscription_id", "999999", "x", invalid("subscription_id")),
        ("status", "paid", "open", invalid("status")),
        ("page", "1", "0", invalid("page")),
        ("per_page", "1", "0", invalid("per_page")),
    ])
    for f in ("user_id", "subscription_id"):
        id_cases("invoices.list", lambda v: G(ep, "list", {f: v}), f, None,
                 required=False)
    for st in ("Unpaid", "PAID", "open", "cancelled", ["paid"]):
        E(f"invoices.list: status {st!r}", G(ep, "list", {"status": st}),
          invalid("status"))
    mine = data(G(ep, "list", {"user_id": u.id}))
    expect_eq("invoices.list: by user, newest first, without items",
              mine, [m[2] for m in reversed(made)])
    ids = paging_cases("invoices.list by user",
                       lambda p: G(ep, "list", dict(p, user_id=u.id)), 3)
    expect_eq("invoices.list: paged newest first",
              ids, [m[1] for m in reversed(made)])
    expect_eq("invoices.list: by subscription",
              data(G(ep, "list", {"subscription_id": made[1][0]})),
              [made[1][2]])
    expect_eq("invoices.list: user and status",
              data(G(ep, "list", {"user_id": u.id, "status": "paid"})), [])
    expect_eq("invoices.list: an unknown user",
              G(ep, "list", {"user_id": "4294967295"})[1],
              {"success": True, "data": [],
               "meta": {"total": 0, "page": 1, "per_page": 50}})
    every = data(G(ep, "list", {"per_page": "500"}))
    expect_eq("invoices.list: all, newest first",
              [x["id"] for x in every],
              sorted([x["id"] for x in every], key=int, reverse=True))

    # get: id or number (the id wins, validated); items by item id.
    id_cases("invoices.get", lambda v: G(ep, "get", {"id": v}), "id",
             NF["Invoice"])
    sid, iid, inv = made[2]
    r = G(ep, "get", {"id": iid})
    its = data(r).get("items") or [{}]
    expect_eq("invoices.get: item ids are strings",
              [is_id(x.get("id")) for x in its], [True])
    expect("invoices.get: with its items", r, 200,
           ok(dict(inv, items=[dict(period_item(
               "Pro", 2500, 3, NOW, next_period(NOW, 5, 1)),
               id=its[0].get("id"))])))
    E("invoices.get: by number", G(ep, "get", {"number": inv["number"]}),
      r[1])
    E("invoices.get: the id wins",
      G(ep, "get", {"id": iid, "number": made[0][2]["number"]}), r[1])
    E("invoices.get: empty id, the number",
      G(ep, "get", {"id": "", "number": inv["number"]}), r[1])
    for bad in ("x", "0", "-1", "1.0", ["1"]):
        E(f"invoices.get: a bad id {bad!r} with a number",
          G(ep, "get", {"id": bad, "number": inv["number"]}), invalid("id"))
    E("invoices.get: neither", G(ep, "get", {"number": ""}), missing("id"))
    E("invoices.get: number[]", G(ep, "get", {"number": [inv["number"]]}),
      invalid("number"))
    for num in (inv["number"].lower(), " " + inv["number"],
                inv["number"] + " ", "INV-2015-1", "x" * 300):
        E(f"invoices.get: number {num[:20]!r} byte for byte",
          G(ep, "get", {"number": num}), NF["Invoice"])
    E("invoices.get: a number with a NUL byte",
      call("GET", "/api/invoices.php",
           f"action=get&number={inv['number']}%00", None, None, hdrs(NOW)),
      NF["Invoice"])

    # void: only unpaid.
    id_cases("invoices.void", lambda v: P(ep, "void", {"id": v}), "id",
             NF["Invoice"])
    later = "2015-01-09 10:00:00"
    E("invoices.void: an unpaid invoice, returned without items",
      P(ep, "void", {"id": iid}, later), ok(dict(inv, status="void")))
    E("invoices.void: twice", P(ep, "void", {"id": iid}),
      state("Only unpaid invoices can be voided"))
    fz = User("inv-free@example.com")
    free = data(P("subscriptions", "create", {"user_id": fz.id,
                                              "plan_id": pl["free"].id}))
    next_number(NOW)
    E("invoices.void: a paid invoice",
      P(ep, "void", {"id": (free.get("invoice") or {}).get("id")}),
      state("Only unpaid invoices can be voided"))
    return u


# --------------------------------------------------------------- payments

def pay_obj(pid, inv, amount, method, txn, status="success", now=NOW):
    return {"id": pid, "invoice_id": inv["id"], "user_id": inv["user_id"],
            "amount": amount, "currency": inv["currency"],
            "method": method, "transaction_id": txn, "status": status,
            "created_at": now}


def payments(pl):
    ep = "payments"
    u = User("pay@example.com", "DE")

    def invoice(plan="pro", qty=1, now=NOW, user=None):
        user = user or u
        r = P("subscriptions", "create", {"user_id": user.id,
                                          "plan_id": pl[plan].id,
                                          "quantity": str(qty)}, now)
        d = data(r)
        if d.get("invoice"):
            next_number(now)
        return d.get("invoice") or {}

    def create(params, now=NOW):
        return P(ep, "create", params, now)

    i1 = invoice()
    good = {"invoice_id": i1.get("id"), "amount": "1", "method": "card"}
    id_cases("payments.create", lambda v: create(dict(good, invoice_id=v)),
             "invoice_id", NF["Invoice"])
    cascade("payments.create", create, [
        ("invoice_id", "999999", "x", invalid("invoice_id")),
        ("amount", "1", "0", invalid("amount")),
        ("method", "card", "cash", invalid("method")),
        ("transaction_id", "t", "t" * 65, invalid("transaction_id")),
        ("status", "success", "pending", invalid("status")),
    ])
    for f in ("amount", "method"):
        E(f"payments.create: {f} absent", create(dict(good, **{f: None})),
          missing(f))
        E(f"payments.create: {f} empty", create(dict(good, **{f: ""})),
          missing(f))
    E("payments.create: amount missing before a bad method",
      create(dict(good, amount=None, method="cash")), missing("amount"))
    for f in ("amount", "method", "transaction_id", "status"):
        E(f"payments.create: {f}[]", create(dict(good, **{f: ["x"]})),
          invalid(f))
    # s6: money ^[0-9]+(\.[0-9]{1,2})?$, <= 99999999.99, amount > 0.
    for a in ("0", "0.00", "00", "0.0", "-1", "1.001", "1.", ".5", "1e2",
              "abc", " 1", "100000000", "100000000.00", "1,00", "+1"):
        E(f"payments.create: amount {a!r}", create(dict(good, amount=a)),
          invalid("amount"))
    for m in ("credit", "cash", "CARD", "Card", "bank-transfer", "paypal "):
        E(f"payments.create: method {m!r}", create(dict(good, method=m)),
          invalid("method"))
    for st in ("refunded", "pending", "SUCCESS", "Failed", "0"):
        E(f"payments.create: status {st!r}", create(dict(good, status=st)),
          invalid("status"))
    E("payments.create: transaction_id with a NUL byte",
      create(dict(good, transaction_id="a\x00b")), invalid("transaction_id"))
    E("payments.create: transaction_id invalid UTF-8",
      call("POST", "/api/payments.php", None,
           f"action=create&invoice_id={i1.get('id')}&amount=1&method=card"
           f"&transaction_id=%FF".encode(), FORM, hdrs(NOW)),
      invalid("transaction_id"))
    E("payments.create: unknown invoice, bad status (syntax first)",
      create({"invoice_id": "999999", "amount": "1", "method": "card",
              "status": "x"}), invalid("status"))

    # A partial payment (s3): recorded, the invoice stays unpaid.
    t1 = "2015-01-06 10:00:00"
    r = create(dict(good, amount="010.5", transaction_id="tx-1"), t1)
    pay1 = data(r).get("payment") or {}
    expect("payments.create: partial, card", r, 200,
           ok({"payment": pay_obj(pay1.get("id"), i1, "10.50", "card",
                                  "tx-1", now=t1), "invoice": i1}))
    # Duplicates (s6): same transaction_id (exact bytes) and method, any
    # invoice, any status; checked after the invoice lookup.
    i2 = invoice("half")
    E("payments.create: duplicate, other invoice",
      create({"invoice_id": i2.get("id"), "amount": "1", "method": "card",
              "transaction_id": "tx-1"}), conflict("Duplicate transaction"))
    E("payments.create: unknown invoice before the duplicate",
      create({"invoice_id": "999999", "amount": "1", "method": "card",
              "transaction_id": "tx-1"}), NF["Invoice"])
    r = create({"invoice_id": i1.get("id"), "amount": "5",
                "method": "paypal", "transaction_id": "tx-1"})
    expect_eq("payments.create: same transaction, other method",
              (r[0], (data(r).get("payment") or {}).get("method"),
               (data(r).get("invoice") or {}).get("status")),
              (200, "paypal", "unpaid"))
    r = create({"invoice_id": i1.get("id"), "amount": "5",
                "method": "card", "transaction_id": "TX-1"})
    expect_eq("payments.create: transaction_id compared byte for byte",
              r[0], 200)
    r = create({"invoice_id": i1.get("id"), "amount": "99",
                "method": "bank_transfer", "transaction_id": "tx-f",
                "status": "failed"})
    payf = data(r).get("payment") or {}
    expect("payments.create: failed: recorded, nothing else", r, 200,
           ok({"payment": pay_obj(payf.get("id"), i1, "99.00",
                                  "bank_transfer", "tx-f", "failed"),
               "invoice": i1}))
    E("payments.create: a failed payment's transaction is a duplicate",
      create({"invoice_id": i1.get("id"), "amount": "1",
              "method": "bank_transfer", "transaction_id": "tx-f"}),
      conflict("Duplicate transaction"))
    r = create({"invoice_id": i1.get("id"), "amount": "0.01",
                "method": "card", "transaction_id": ""})
    expect_eq("payments.create: empty transaction_id is none",
              (r[0], (data(r).get("payment") or {}).get("transaction_id")),
              (200, None))
    r = create({"invoice_id": i1.get("id"), "amount": "0.01",
                "method": "card"})
    expect_eq("payments.create: twice without a transaction_id", r[0], 200)
    # The payment that reaches the total: paid now, the excess to the
    # balance. Paid so far: 10.50 + 5 + 5 + 0.01 + 0.01 = 20.52.
    t2 = "2015-01-07 08:00:00"
    total = cents(i1.get("total", "0"))
    r = create({"invoice_id": i1.get("id"), "amount": "20",
                "method": "card", "transaction_id": "tx-2"}, t2)
    payp = data(r).get("payment") or {}
    expect("payments.create: reaching the total", r, 200,
           ok({"payment": pay_obj(payp.get("id"), i1, "20.00", "card",
                                  "tx-2", now=t2),
               "invoice": dict(i1, status="paid", paid_at=t2)}))
    excess = 2052 + 2000 - total
    expect_eq("payments.create: the excess went to the balance",
              u.get().get("balance"), money(excess))
    E("payments.create: a paid invoice",
      create(dict(good, method="paypal")), conflict("Invoice already paid"))
    E("payments.create: a paid invoice, duplicate first",
      create(dict(good, transaction_id="tx-2")),
      conflict("Duplicate transaction"))
    E("payments.create: a paid invoice, a failed payment too",
      create(dict(good, status="failed")), conflict("Invoice already paid"))

    # refund: only a successful, non-credit payment.
    id_cases("payments.refund", lambda v: P(ep, "refund", {"id": v}), "id",
             NF["Payment"])
    t3 = "2015-01-08 08:00:00"
    E("payments.refund: a paid invoice becomes refunded",
      P(ep, "refund", {"id": payp.get("id")}, t3),
      ok({"payment": dict(pay_obj(payp.get("id"), i1, "20.00", "card",
                                  "tx-2", now=t2), status="refunded"),
          "invoice": dict(i1, status="refunded", paid_at=t2)}))
    expect_eq("payments.refund: the balance is untouched (s6)",
              u.get().get("balance"), money(excess))
    E("payments.refund: twice", P(ep, "refund", {"id": payp.get("id")}),
      state("Payment cannot be refunded"))
    E("payments.refund: a failed payment",
      P(ep, "refund", {"id": payf.get("id")}),
      state("Payment cannot be refunded"))
    E("payments.create: a refunded invoice",
      create(dict(good, method="paypal")), conflict("Invoice already paid"))
    E("payments.refund: a refunded invoice stays refunded",
      P(ep, "refund", {"id": pay1.get("id")}, t3),
      ok({"payment": dict(pay_obj(pay1.get("id"), i1, "10.50", "card",
                                  "tx-1", now=t1), status="refunded"),
          "invoice": dict(i1, status="refunded", paid_at=t2)}))

    # The balance pays the next invoice through a credit payment (s4).
    i3 = invoice("pro", 2)
    credits = [x for x in data(G(ep, "list", {"user_id": u.id,
                                              "invoice_id": i3.get("id")}))]
    expect_eq("payments: the balance paid part of the next invoice",
              ([(x["method"], x["amount"], x["transaction_id"],
                 x["status"]) for x in credits], i3.get("status"),
               u.get().get("balance")),
              ([("credit", money(excess), None, "success")], "unpaid",
               "0.00"))
    cr = credits[0] if credits else {}
    E("payments.refund: a credit payment",
      P(ep, "refund", {"id": cr.get("id")}),
      state("Payment cannot be refunded"))
    # A partial card payment, refunded: the unpaid invoice stays unpaid.
    r = create({"invoice_id": i3.get("id"), "amount": "1",
                "method": "card"})
    part = data(r).get("payment") or {}
    E("payments.refund: an unpaid invoice stays unpaid",
      P(ep, "refund", {"id": part.get("id")}),
      ok({"payment": dict(part, status="refunded"), "invoice": i3}))
    r = create({"invoice_id": i3.get("id"), "amount": "2",
                "method": "card", "transaction_id": "tx-3"})
    part2 = data(r).get("payment") or {}
    # void: credit payments refunded and returned to the balance; other
    # payments stay (s6).
    E("invoices.void: with a credit and a card payment",
      P("invoices", "void", {"id": i3.get("id")}),
      ok(dict(i3, status="void")))
    expect_eq("invoices.void: credit refunded, card kept, balance back",
              ([(x["method"], x["status"]) for x in data(G(
                  ep, "list", {"user_id": u.id,
                               "invoice_id": i3.get("id")}))],
               u.get().get("balance")),
              ([("credit", "refunded"), ("card", "refunded"),
                ("card", "success")], money(excess)))
    E("payments.create: a void invoice",
      create({"invoice_id": i3.get("id"), "amount": "1",
              "method": "card"}), state("Invoice is void"))
    E("payments.create: a void invoice, duplicate first",
      create({"invoice_id": i3.get("id"), "amount": "1",
              "method": "card", "transaction_id": "tx-3"}),
      conflict("Duplicate transaction"))
    E("payments.refund: a payment on a void invoice: the invoice stays",
      P(ep, "refund", {"id": part2.get("id")}),
      ok({"payment": dict(part2, status="refunded"),
          "invoice": dict(i3, status="void")}))

    # list: user_id (required), invoice_id, page, per_page; by id.
    id_cases("payments.list", lambda v: G(ep, "list", {"user_id": v}),
             "user_id", None)
    id_cases("payments.list", lambda v: G(ep, "list", {
        "user_id": u.id, "invoice_id": v}), "invoice_id", None,
        required=False)
    cascade("payments.list", lambda p: G(ep, "list", p), [
        ("user_id", "999999", "x", invalid("user_id")),
        ("invoice_id", "999999", "1.5", invalid("invoice_id")),
        ("page", "1", "0", invalid("page")),
        ("per_page", "1", "0", invalid("per_page")),
    ])
    E("payments.list: invoice_id without user_id",
      G(ep, "list", {"invoice_id": i1.get("id")}), missing("user_id"))
    E("payments.list: an unknown user",
      G(ep, "list", {"user_id": "4294967296"}),
      {"success": True, "data": [],
       "meta": {"total": 0, "page": 1, "per_page": 50}})
    allp = data(G(ep, "list", {"user_id": u.id, "per_page": "500"}))
    expect_eq("payments.list: by id ascending",
              [x["id"] for x in allp],
              sorted([x["id"] for x in allp], key=int))
    expect_eq("payments.list: renders as create did",
              [x for x in allp if x["id"] == payf.get("id")], [payf])
    paging_cases("payments.list",
                 lambda p: G(ep, "list", dict(p, user_id=u.id)), len(allp))
    expect_eq("payments.list: by invoice",
              [x["id"] for x in data(G(ep, "list", {
                  "user_id": u.id, "invoice_id": i1.get("id")}))],
              [x["id"] for x in allp if x["invoice_id"] == i1.get("id")])
    expect_eq("payments.list: another user's invoice",
              data(G(ep, "list", {"user_id": "1",
                                  "invoice_id": i1.get("id")})), [])

    # A new balance out of range: 500, nothing written (s6 7).
    b = User("pay-big@example.com", "DE")
    j1, j2 = invoice("half", user=b), invoice("half", user=b)
    r = create({"invoice_id": j1.get("id"), "amount": "99999999.99",
                "method": "card"})
    expect_eq("payments.create: 99999999.99, the excess to the balance",
              (r[0], b.get().get("balance")),
              (200, money(9999999999 - cents(j1.get("total", "0")))))
    E("payments.create: a balance beyond 99999999.99: 500",
      create({"invoice_id": j2.get("id"), "amount": "99999999.99",
              "method": "card", "transaction_id": "big"}),
      err("Internal server error", "server_error"), 500)
    expect_eq("payments.create: nothing written by the 500",
              (data(G("invoices", "get", {"id": j2.get("id")})).get(
                  "status"), len(data(G(ep, "list", {"user_id": b.id}))),
               b.get().get("balance")),
              ("unpaid", 1,
               money(9999999999 - cents(j1.get("total", "0")))))
    r = create({"invoice_id": j2.get("id"), "amount": "99999999.99",
                "method": "card", "transaction_id": "big",
                "status": "failed"})
    expect_eq("payments.create: the same, failed: recorded", r[0], 200)
    return u


# ---------------------------------------------------------- billing runs

def run(now, method="GET"):
    return G("cron", "run", {}, now, method)


def counts(tc=0, rn=0, ca=0, pd=0, ex=0, ic=0):
    return ok({"trials_converted": tc, "renewed": rn, "cancelled": ca,
               "past_due": pd, "expired": ex, "invoices_created": ic})


def cron():
    """s5 in a 2012 window: no other section has anything due then."""
    D = "2012-01-01 10:00:00"
    ct = Plan("c-trial", "Cron Trial", 1000, trial=7, now=D)
    cm = Plan("c-m", "Cron M", 2000, now=D)
    cm2 = Plan("c-m2", "Cron M2", 3000, now=D)
    ca = Plan("c-arch", "Cron Arch", 2000, now=D)
    us = {n: User(f"cron{n}@example.com", "DE", now=D)
          for n in range(1, 13)}
    # Legacy rows a run cannot bill are left alone (s6 Billing): a trial
    # with NULL or zero trial_ends_at, an active one with no period end.
    STACK.psql(f"""
        INSERT INTO subscriptions (customer_id, plan_id, status, quantity,
            billing_anchor_day, started_at, trial_ends_at,
            trial_ends_at_legacy_zero, current_period_start,
            current_period_end, created_at)
        VALUES ({us[9].id}, {cm.id}, 'trial', 1, 1,
                '2011-01-01 10:00+01', NULL, false, NULL, NULL, NULL),
               ({us[9].id}, {cm.id}, 'trial', 1, 1,
                '2011-01-01 10:00+01', NULL, true, NULL, NULL, NULL),
               ({us[9].id}, {cm.id}, 'active', 1, 1,
                '2011-01-01 10:00+01', NULL, false,
                '2011-01-01 10:00+01', NULL, NULL)""")
    legacy = [x["id"] for x in data(G("subscriptions", "list",
                                      {"user_id": us[9].id}))]

    def sub(n, plan, now, **kw):
        r = P("subscriptions", "create", dict(
            {"user_id": us[n].id, "plan_id": plan.id}, **kw), now)
        d = data(r, f"cron fixture {n}")
        if d.get("invoice"):
            next_number(now)
        return (d.get("subscription") or {}), (d.get("invoice") or {})

    s4, i4 = sub(4, cm, "2012-01-15 10:00:00")
    P("subscriptions", "cancel", {"id": s4.get("id")},
      "2012-01-16 10:00:00")
    s1, _ = sub(1, ct, "2012-01-31 10:00:00")
    s2, _ = sub(2, ct, "2012-01-31 10:00:00")
    P("subscriptions", "cancel", {"id": s2.get("id")},
      "2012-02-01 10:00:00")
    s3, i3 = sub(3, cm, "2012-01-31 10:00:00")
    s8, i8 = sub(8, ca, "2012-03-20 10:00:00")
    P("payments", "create", {"invoice_id": i8.get("id"),
                             "amount": i8.get("total"), "method": "card"},
      "2012-03-21 10:00:00")
    ca.archive()
    P("users", "update", {"id": us[8].id, "status": "suspended"})
    s12, i12 = sub(12, cm, "2012-03-25 10:00:00")
    P("payments", "create", {"invoice_id": i12.get("id"),
                             "amount": i12.get("total"), "method": "card"},
      "2012-03-25 10:00:00")
    STACK.psql(f"UPDATE customers SET status = 'deleted'"
               f" WHERE id = {us[12].id}")
    s11, a11 = sub(11, cm, "2012-04-03 10:00:00")
    d = data(P("subscriptions", "change_plan",
               {"id": s11.get("id"), "plan_id": cm2.id},
               "2012-04-05 10:00:00"))
    b11 = d.get("invoice") or {}
    next_number("2012-04-05 10:00:00")
    s5, i5 = sub(5, cm, "2012-04-10 10:00:00")
    s7, a7 = sub(7, cm, "2012-04-10 10:00:00")
    s6, i6 = sub(6, cm, "2012-04-16 10:00:00")
    d = data(P("subscriptions", "change_plan",
               {"id": s7.get("id"), "plan_id": cm2.id},
               "2012-04-25 10:00:00"))
    b7 = d.get("invoice") or {}
    next_number("2012-04-25 10:00:00")

    # Run 1 at 2012-04-30 10:00 (s5):
    # trials: s1 converted (+1 invoice), s2 flagged: cancelled;
    # renewals: s1 x2 (03-07, 04-07), s3 x3 (02-29, 03-31, 04-30 <= now),
    #   s4 flagged: cancelled at its period end, s8 (archived plan,
    #   suspended user), s12 (legacy: user deleted) -> 7;
    # dunning: s3 (due 02-14), s5 (04-24), s7 (04-24), s11 (04-17: 13
    #   days) -> past_due; s3 (>= 14 days) -> expired; s6 (due 04-30,
    #   not before today) stays active.
    R1 = "2012-04-30 10:00:00"
    E("cron.run: run 1", run(R1), counts(1, 7, 2, 4, 1, 8))
    E("cron.run: the same now again changes nothing", run(R1, "POST"),
      counts())

    def get(x):
        return data(G("subscriptions", "get", {"id": x.get("id")}))

    te1 = "2012-02-07 10:00:00"
    expect_eq("cron.run: trial converted, then renewed on its anchor",
              get(s1), sub_obj(s1.get("id"), us[1].id, ct.id, "active",
                               "2012-04-07 10:00:00", "2012-05-07 10:00:00",
                               trial_ends=te1,
                               started="2012-01-31 10:00:00",
                               created="2012-01-31 10:00:00"))
    # The invoices of a run: created now, numbered in id order.
    want = []
    for ps, pe in ((te1, "2012-03-07 10:00:00"),
                   ("2012-03-07 10:00:00", "2012-04-07 10:00:00"),
                   ("2012-04-07 10:00:00", "2012-05-07 10:00:00")):
        want.append(invoice_obj(None, next_number(R1), us[1].id,
                                s1.get("id"), "EUR", 1000, "DE", None,
                                date_of(ps), date_of(pe), R1))
    got = list(reversed(data(G("invoices", "list",
                               {"subscription_id": s1.get("id")}))))
    expect_eq("cron.run: the trial's invoices",
              [dict(x, id=None) for x in got], want)
    expect_eq("cron.run: the conversion invoice's item",
              [{k: v for k, v in it.items() if k != "id"} for it in
               data(G("invoices", "get", {"id": got[0]["id"] if got
                                          else "1"})).get("items", [])],
              [period_item("Cron Trial", 1000, 1, te1,
                           "2012-03-07 10:00:00")])
    expect_eq("cron.run: a flagged trial is cancelled at its end",
              get(s2), sub_obj(s2.get("id"), us[2].id, ct.id, "cancelled",
                               "2012-01-31 10:00:00", te1, trial_ends=te1,
                               cape="1", cancelled=te1))
    expect_eq("cron.run: a flagged trial has no invoice",
              data(G("invoices", "list", {"user_id": us[2].id})), [])
    periods3 = (("2012-02-29 10:00:00", "2012-03-31 10:00:00"),
                ("2012-03-31 10:00:00", "2012-04-30 10:00:00"),
                ("2012-04-30 10:00:00", "2012-05-31 10:00:00"))
    expect_eq("cron.run: anchor 31 (Feb 29, Mar 31, Apr 30), then expired",
              get(s3), sub_obj(s3.get("id"), us[3].id, cm.id, "expired",
                               periods3[2][0], periods3[2][1],
                               started="2012-01-31 10:00:00",
                               created="2012-01-31 10:00:00",
                               cancelled=R1))
    inv3 = list(reversed(data(G("invoices", "list",
                                {"subscription_id": s3.get("id")}))))
    expect_eq("cron.run: an expired subscription's invoices stay unpaid",
              [(x["status"], x["period_start"], x["period_end"],
                x["number"]) for x in inv3],
              [("unpaid", "2012-01-31", "2012-02-29", i3.get("number"))] +
              [("unpaid", date_of(a), date_of(b), next_number(R1))
               for a, b in periods3])
    expect_eq("cron.run: a flagged one is cancelled at its period end",
              get(s4), sub_obj(s4.get("id"), us[4].id, cm.id, "cancelled",
                               "2012-01-15 10:00:00", "2012-02-15 10:00:00",
                               cape="1", cancelled="2012-02-15 10:00:00"))
    for x, who in ((s8, "archived plan, suspended user"),
                   (s12, "legacy: the user deleted")):
        ps = next_period(x.get("current_period_start"), int(x.get(
            "current_period_start", "0000-00-00")[8:10]), 1)
        expect_eq(f"cron.run: renews ({who})",
                  (get(x).get("status"), get(x).get("current_period_start"),
                   [(i["number"], i["created_at"], i["period_start"])
                    for i in data(G("invoices", "list", {
                        "subscription_id": x.get("id"), "status":
                        "unpaid"}))]),
                  ("active", ps, [(next_number(R1), R1, date_of(ps))]))
    expect_eq("cron.run: dunning",
              [get(x).get("status") for x in (s5, s6, s7, s11)],
              ["past_due", "active", "past_due", "past_due"])
    expect_eq("cron.run: legacy rows without dates are left alone",
              [(x["id"], x["status"], x["trial_ends_at"],
                x["current_period_end"]) for x in data(G(
                    "subscriptions", "list", {"user_id": us[9].id}))],
              [(legacy[0], "trial", None, ZERO),
               (legacy[1], "trial", ZERO, ZERO),
               (legacy[2], "active", None, ZERO)])

    # Payments and past_due (s3, s6): active again once no unpaid invoice
    # of the subscription is due before today, after any successful
    # payment, partial ones too; a void does not reactivate; refunded
    # invoices do not block.
    T = "2012-05-01 10:00:00"

    def pay(inv, amount, now=T, **kw):
        return P("payments", "create", dict(
            {"invoice_id": inv.get("id"), "amount": amount,
             "method": "card"}, **kw), now)

    pay(b7, "1")
    expect_eq("payments: partial on a not yet due invoice, another overdue",
              get(s7).get("status"), "past_due")
    E("invoices.void: the overdue invoice", P("invoices", "void",
                                              {"id": a7.get("id")}, T),
      ok(dict(a7, status="void")))
    expect_eq("invoices.void: does not reactivate (s6)",
              get(s7).get("status"), "past_due")
    pay(b7, "1")
    expect_eq("payments: then a partial payment reactivates",
              get(s7).get("status"), "active")
    r = pay(a11, a11.get("total"))
    expect_eq("payments: one of two overdue invoices paid",
              (data(r).get("invoice") or {}).get("status"), "paid")
    expect_eq("payments: still past_due", get(s11).get("status"),
              "past_due")
    P("payments", "refund", {"id": (data(r).get("payment") or {}).get(
        "id")}, T)
    pay(b11, b11.get("total"))
    expect_eq("payments: a refunded invoice does not block",
              get(s11).get("status"), "active")
    r = pay(i3, "5")
    expect_eq("payments: on an expired subscription's invoice: allowed, "
              "the subscription stays expired",
              (r[0], get(s3).get("status")), (200, "expired"))

    # Run 2 (05-07): s1 (05-07) and s11 (05-03) renew; s6 (due 04-30)
    # past_due; s5 (due 04-24: 13 days) not expired.
    E("cron.run: run 2", run("2012-05-07 10:00:00"), counts(0, 2, 0, 1, 0, 2))
    next_number("2012-05-07 10:00:00")
    next_number("2012-05-07 10:00:00")
    # Run 3 (05-08): s5 due 14 days before today: expired.
    R3 = "2012-05-08 10:00:00"
    E("cron.run: run 3", run(R3), counts(0, 0, 0, 0, 1, 0))
    expect_eq("cron.run: expired at now", (get(s5).get("status"),
                                           get(s5).get("cancelled_at")),
              ("expired", R3))

    # State checks against expired and past_due subscriptions (s3).
    sp = "subscriptions"
    for x, what in ((s3, "expired"), (s2, "cancelled")):
        for b in ("1", "0"):
            E(f"subscriptions.cancel: {what}, at_period_end {b}",
              P(sp, "cancel", {"id": x.get("id"), "at_period_end": b}),
              state("Subscription is already cancelled"))
        E(f"subscriptions.reactivate: {what}",
          P(sp, "reactivate", {"id": x.get("id")}),
          state("Subscription cannot be reactivated"))
        E(f"subscriptions.change_plan: {what}, unknown plan",
          P(sp, "change_plan", {"id": x.get("id"), "plan_id": "999999"}),
          state("Subscription is not active"))
    for params, what in (({"plan_id": "999999"}, "unknown plan"),
                         ({"plan_id": cm.id}, "same plan"),
                         ({"plan_code": "s-usd"}, "other currency")):
        E(f"subscriptions.change_plan: past_due, {what}",
          P(sp, "change_plan", dict(params, id=s6.get("id"))),
          state("Subscription is past due"))
    E("subscriptions.reactivate: past_due, not flagged",
      P(sp, "reactivate", {"id": s6.get("id")}),
      state("Subscription cannot be reactivated"))
    six = get(s6)
    E("subscriptions.cancel: past_due at period end",
      P(sp, "cancel", {"id": s6.get("id")}),
      ok(dict(six, cancel_at_period_end="1")))
    E("subscriptions.reactivate: past_due, flagged",
      P(sp, "reactivate", {"id": s6.get("id")}), ok(six))
    P(sp, "cancel", {"id": s6.get("id")})
    # Overpaid by 10.00: the excess goes to the balance.
    pay(i6, money(cents(i6.get("total", "0")) + 1000),
        "2012-05-08 11:00:00")
    expect_eq("payments: paying the overdue invoice reactivates",
              (get(s6).get("status"), get(s6).get("cancel_at_period_end")),
              ("active", "1"))

    # users.delete (s6): trial/active/past_due subscriptions cancelled now
    # with the flag cleared; others, balance and currency kept.
    DEL = "2012-05-09 12:00:00"
    before = {k: get(x) for k, x in (("s5", s5), ("s6", s6))}
    bal6 = us[6].get().get("balance")
    expect_eq("users.delete: a balance to keep", bal6, "10.00")
    for n in (5, 6):
        E(f"users.delete: cron{n}", P("users", "delete", {"id": us[n].id},
                                      DEL), ok({"deleted": True}))
    expect_eq("users.delete: the expired subscription is kept",
              get(s5), before["s5"])
    expect_eq("users.delete: the live one cancelled now, flag cleared",
              get(s6), dict(before["s6"], status="cancelled",
                            cancelled_at=DEL, cancel_at_period_end="0"))
    expect_eq("users.delete: balance and currency kept",
              [(x["balance"], x["currency"], x["status"]) for x in data(G(
                  "users", "list", {"status": "deleted",
                                    "per_page": "500"}))
               if x["id"] == us[6].id],
              [(bal6, "EUR", "deleted")])
    t9 = User("cron-del-trial@example.com", now=DEL)
    tr = data(P(sp, "create", {"user_id": t9.id, "plan_id": ct.id}, DEL))
    P("users", "delete", {"id": t9.id}, "2012-05-10 00:00:00")
    expect_eq("users.delete: a trial is cancelled too",
              (get(tr.get("subscription") or {}).get("status"),
               get(tr.get("subscription") or {}).get("cancelled_at")),
              ("cancelled", "2012-05-10 00:00:00"))
    E("users.delete: the deleted user cannot subscribe",
      P(sp, "create", {"user_id": us[6].id, "plan_id": cm.id}), NF["User"])


# ------------------------------------------------------ rendering, extras

def extras(pl):
    # Legacy meta values (s6 Rendering): true -> "1", false/null -> "",
    # numbers as text; numeric keys as strings.
    u = User("legacy-meta@example.com")
    STACK.psql("UPDATE customers SET meta = '{\"t\": true, \"f\": false,"
               " \"n\": null, \"i\": 5, \"s\": \"x\", \"0\": \"zero\","
               " \"r\": 1.5, \"e\": \"\", \"one\": 1.0,"
               " \"big\": 1e25, \"tiny\": 0.000015, \"a\": [1]}'"
               f" WHERE id = {u.id}")
    # Contract-silent: floats as PHP's (string) cast (precision 14), a
    # nested value as PHP's "Array".
    expect_eq("render: legacy meta values as strings",
              u.get().get("meta"),
              {"t": "1", "f": "", "n": "", "i": "5", "s": "x",
               "0": "zero", "r": "1.5", "e": "", "one": "1",
               "big": "1.0E+25", "tiny": "1.5E-5", "a": "Array"})
    # Duplicate live emails (legacy): find gives the lowest id.
    STACK.psql("INSERT INTO customers (email, email_key, created_at)"
               " VALUES ('Twin@example.com', 'twin@example.com',"
               " '2014-01-01 10:00+01'),"
               " (' twin@example.com', 'twin@example.com', NULL)")
    twins = STACK.psql("SELECT id FROM customers"
                       " WHERE email_key = 'twin@example.com' ORDER BY id"
                       ).split()
    E("users.find: legacy duplicates, the lowest id wins",
      G("users", "find", {"email": "TWIN@example.com"}),
      ok(user_obj(twins[0], "Twin@example.com",
                  created="2014-01-01 10:00:00")))
    E("users.create: a legacy duplicate's email is taken",
      P("users", "create", {"email": "twin@EXAMPLE.com"}),
      conflict("Email already registered"))
    # A legacy payment without an invoice: refund returns "invoice": null;
    # a legacy invoice without a subscription: subscription_id null.
    STACK.psql(f"INSERT INTO payments (customer_id, invoice_id,"
               f" amount_minor, currency, method, transaction_id, status,"
               f" created_at) VALUES ({u.id}, NULL, 1234, 'EUR', 'paypal',"
               f" 'legacy-1', 'success', '2014-06-01 12:00+02')")
    STACK.psql(f"INSERT INTO invoices (customer_id, subscription_id,"
               f" number, currency, subtotal_minor, tax_rate_bp, tax_minor,"
               f" total_minor, status, period_start, period_end, due_date,"
               f" paid_at, created_at) VALUES ({u.id}, NULL,"
               f" 'INV-2014-000001', 'GBP', 1000, 2000, 200, 1200,"
               f" 'unpaid', NULL, NULL, NULL, NULL,"
               f" '2014-01-02 03:04:05+01')")
    lp = data(G("payments", "list", {"user_id": u.id}))
    E("payments.refund: a payment without an invoice",
      P("payments", "refund", {"id": lp[0]["id"] if lp else "1"}),
      ok({"payment": {"id": lp[0]["id"] if lp else None,
                      "invoice_id": None, "user_id": u.id,
                      "amount": "12.34", "currency": "EUR",
                      "method": "paypal", "transaction_id": "legacy-1",
                      "status": "refunded",
                      "created_at": "2014-06-01 12:00:00"},
          "invoice": None}))
    li = {"number": "INV-2014-000001", "user_id": u.id,
          "subscription_id": None, "currency": "GBP", "subtotal": "10.00",
          "tax_rate": "20.00", "tax": "2.00", "total": "12.00",
          "status": "unpaid", "period_start": None, "period_end": None,
          "due_date": None, "paid_at": ZERO,
          "created_at": "2014-01-02 03:04:05"}
    r = G("invoices", "get", {"number": "INV-2014-000001"})
    li["id"] = data(r).get("id")
    expect("invoices.get: a legacy invoice (NULLs, GBP, no items)", r, 200,
           ok(dict(li, items=[])))
    r = P("payments", "create", {"invoice_id": li["id"], "amount": "12",
                                 "method": "bank_transfer"})
    expect_eq("payments.create: currency and user from the invoice (s6)",
              ((data(r).get("payment") or {}).get("currency"),
               (data(r).get("payment") or {}).get("user_id"),
               (data(r).get("invoice") or {}).get("status")),
              ("GBP", u.id, "paid"))

    # The test clock (s1, s6): a malformed value is ignored (real time).
    this_year = dt.datetime.now(BERLIN).year
    for n, bad in enumerate(("2015-13-01 00:00:00", "2015-01-05T09:00:00",
                             "2015-01-05 09:00", "yesterday", "", None)):
        r = P("plans", "create", {"code": f"clock-{n}", "name": "C",
                                  "price": "1"}, now=bad)
        expect_eq(f"test clock: {bad!r} is ignored",
                  int(data(r).get("created_at", "0000")[:4]) >= this_year,
                  True)

    # Item descriptions are cut to 255 bytes on a UTF-8 boundary (s6).
    a = Plan("cut-a", "\u00e9" * 127, 1000)
    b = Plan("cut-b", "a" + "\u00e9" * 127, 2000)
    w = User("cut@example.com", "DE")
    d = data(P("subscriptions", "create", {"user_id": w.id,
                                           "plan_id": a.id}))
    next_number(NOW)
    descr = [i["description"] for i in data(G("invoices", "get", {
        "id": (d.get("invoice") or {}).get("id")})).get("items", [])]
    expect_eq("invoice item: 'NAME (dates)' cut to 255 bytes",
              descr, ["\u00e9" * 127 + " "])
    r = P("subscriptions", "change_plan", {
        "id": (d.get("subscription") or {}).get("id"), "plan_id": b.id},
        "2015-01-20 09:00:00")
    next_number(NOW)
    descr = [i["description"] for i in data(G("invoices", "get", {
        "id": (data(r).get("invoice") or {}).get("id")})).get("items", [])]
    expect_eq("invoice items: cut on a character boundary",
              descr, ["Unused time on \u00e9" + "\u00e9" * 119,
                      "Remaining time on a" + "\u00e9" * 118])

    # Content types (s6 Parameters).
    uid = w.id
    want = G("users", "get", {"id": uid})[1]
    E("body: JSON that is not an object counts as empty",
      call("POST", "/api/users.php", f"action=get&id={uid}", b"[1, 2]",
           JSON, hdrs(NOW)), want)
    E("body: JSON null counts as empty",
      call("POST", "/api/users.php", f"action=get&id={uid}", b"null",
           JSON, hdrs(NOW)), want)
    E("body: another content type is ignored",
      call("POST", "/api/users.php", f"action=get&id={uid}",
           b"action=get&id=999999", "text/plain", hdrs(NOW)), want)
    E("body: form with a charset",
      call("POST", "/api/users.php", "action=get&id=999999",
           f"id={uid}".encode(),
           "application/x-www-form-urlencoded; charset=UTF-8", hdrs(NOW)),
      want)
    E("body: JSON with a charset, null masks the query",
      call("POST", "/api/users.php", f"action=get&id={uid}",
           b'{"id": null}', "application/json; charset=utf-8", hdrs(NOW)),
      missing("id"))
    r = call("POST", "/api/users.php", None,
             b"action=create&email=dots@example.com&vat.number=ATU9"
             b"&company+name=x", FORM, hdrs(NOW))
    expect_eq("body: '.' and ' ' in names become '_'",
              (r[0], data(r).get("vat_number")), (200, "ATU9"))
    # JSON integers, floats and booleans as PHP strings (s6).
    j = User("json-sub@example.com", "DE")
    r = P("subscriptions", "create", {"user_id": int(j.id),
                                      "plan_id": int(pl["pro"].id),
                                      "quantity": 2.0, "trial": False},
          ctype=JSON)
    created("subscriptions.create: JSON 2.0 and false", r, j, pl["pro"],
            qty=2)
    E("subscriptions.create: JSON quantity 2.5",
      P("subscriptions", "create", {"user_id": int(j.id),
                                    "plan_id": int(pl["pro"].id),
                                    "quantity": 2.5}, ctype=JSON),
      invalid("quantity"))
    E("plans.list: JSON all true", P("plans", "list", {"all": True},
                                     ctype=JSON),
      G("plans", "list", {"all": "1"})[1])
    E("body: a GET with a form body",
      call("GET", "/api/users.php", "action=get&id=999999",
           f"id={uid}".encode(), FORM, hdrs(NOW)), want)
    # Parameters an action does not list are ignored.
    E("users.get: page=0 is not a parameter of get",
      G("users", "get", {"id": uid, "page": "0", "status": "x"}), want)
    E("cron.run: unlisted parameters are ignored",
      G("cron", "run", {"id": "x", "page": "0"}, "2011-01-01 00:00:00"),
      counts())

    # change_plan's "other currency" compares the new plan with the
    # current plan, not with the user's currency (s6).
    cu = User("cur@example.com", "DE")
    x = data(P("subscriptions", "create", {"user_id": cu.id,
                                           "plan_id": pl["pro"].id}))
    next_number(NOW)
    STACK.psql(f"UPDATE customers SET currency = 'USD' WHERE id = {cu.id}")
    xs = x.get("subscription") or {}
    E("subscriptions.change_plan: current plan EUR, user USD, to EUR",
      P("subscriptions", "change_plan", {"id": xs.get("id"),
                                         "plan_id": pl["plus"].id,
                                         "prorate": "0"}),
      ok({"subscription": dict(xs, plan_id=pl["plus"].id),
          "invoice": None}))
    E("subscriptions.change_plan: current plan EUR, user USD, to USD",
      P("subscriptions", "change_plan", {"id": xs.get("id"),
                                         "plan_id": pl["usd"].id}),
      state("Currency mismatch"))
    # A legacy period of no length: T <= 0 prorates to 0 (s6).
    STACK.psql(f"UPDATE subscriptions SET current_period_start ="
               f" current_period_end WHERE id = {xs.get('id')}")
    at = "2015-01-25 10:00:00"
    r = P("subscriptions", "change_plan", {"id": xs.get("id"),
                                           "plan_id": pl["pro"].id}, at)
    inv = data(r).get("invoice") or {}
    expect_eq("subscriptions.change_plan: T = 0 gives 0.00 items, paid",
              (inv.get("total"), inv.get("status"), inv.get("paid_at"),
               inv.get("period_start"), inv.get("period_end"),
               inv.get("number"),
               [(i["description"], i["amount"]) for i in data(G(
                   "invoices", "get", {"id": inv.get("id")})).get(
                       "items", [])]),
              ("0.00", "paid", at, date_of(at),
               xs.get("current_period_end", "")[:10], next_number(at),
               [("Unused time on Pro Plus", "0.00"),
                ("Remaining time on Pro", "0.00")]))
    # transaction_id: 64 bytes (multi-byte) fit, exact bytes kept.
    r = P("payments", "create", {"invoice_id": (x.get("invoice") or {}).get(
        "id"), "amount": "1", "method": "paypal",
        "transaction_id": " " + "\u00e9" * 31 + " "})
    expect_eq("payments.create: transaction_id of 64 bytes, not trimmed",
              (r[0], (data(r).get("payment") or {}).get("transaction_id")),
              (200, " " + "\u00e9" * 31 + " "))
    E("payments.create: transaction_id of 65 bytes",
      P("payments", "create", {"invoice_id": (x.get("invoice") or {}).get(
          "id"), "amount": "1", "method": "paypal",
          "transaction_id": "\u00e9" * 32 + "x"}),
      invalid("transaction_id"))

    # multipart/form-data bodies, POST only (s6).
    bnd = "XyZbOuNdArY"
    mp = (f"--{bnd}\r\nContent-Disposition: form-data; name=\"action\"\r\n"
          f"\r\nget\r\n--{bnd}\r\nContent-Disposition: form-data; "
          f"name=\"id\"\r\n\r\n{uid}\r\n--{bnd}--\r\n").encode()
    E("body: multipart/form-data on POST",
      call("POST", "/api/users.php", None, mp,
           f"multipart/form-data; boundary={bnd}", hdrs(NOW)), want)
    E("body: multipart/form-data, body wins over the query",
      call("POST", "/api/users.php", "action=get&id=999999", mp,
           f"multipart/form-data; boundary={bnd}", hdrs(NOW)), want)
    E("body: multipart/form-data is ignored on PUT",
      call("PUT", "/api/users.php", "action=get&id=999999", mp,
           f"multipart/form-data; boundary={bnd}", hdrs(NOW)), NF["User"])

def main():
    global STACK
    STACK = Stack(BRIDGE, SERVER, BILLCTL, STACK_SH)
    try:
        STACK.start()
        generic()
        users()
        plans()
        pl = subscriptions()
        invoices(pl)
        payments(pl)
        cron()
        extras(pl)
    finally:
        STACK.close()
    finish("bridge actions")


if __name__ == "__main__":
    main()
