#!/usr/bin/env python3
"""End-to-end test of billing-bridge as far as it is built (docs/bridge.md).

A private PostgreSQL and billing-server (tests/harness/stack.sh, with the
test clock on), the legacy key test-key-123 registered through billctl,
and billing-bridge on a free port; then HTTP requests compared, as parsed
JSON with their status, with what docs/legacy-api.md prescribes: the
order of checks (path, key, action, method, parameters), parameter
parsing (query, form, JSON, body winning), plans.php and cron.php.

    test_bridge.py BRIDGE SERVER BILLCTL STACK_SH
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bridgelib import (KEY, Stack, call, err, expect, expect_eq,  # noqa: E402
                       finish, ok, psql)

BRIDGE, SERVER, BILLCTL, STACK = sys.argv[1:5]
NOW = {"X-Billing-Now": "2015-01-05 09:00:00"}


def main():
    stack = Stack(BRIDGE, SERVER, BILLCTL, STACK)
    try:
        stack.start()
        checks()
        concurrent_runs(stack.db_url)
        # The RPC server gone: 503 with the server_error envelope.
        stack.stop_stack()
        got = call("GET", "/healthz")
        expect("healthz with the server down", (got[0], got[1]["status"]),
               503, "unavailable")
        expect("a request with the server down",
               call("GET", "/api/plans.php", {"action": "list"}, None, None,
                    {"X-Api-Key": KEY}), 503,
               err("Internal server error", "server_error"))
    finally:
        stack.close()
    finish("bridge")


def hostile(auth):
    """Hostile input: the contract's envelope or a clean error, no write."""
    form = "application/x-www-form-urlencoded"
    expect("invalid UTF-8 in a name",
           call("POST", "/api/plans.php", None,
                b"action=create&code=utf&name=%FF%FE&price=1", form, auth),
           200, err("Invalid parameter: name", "invalid_parameter"))
    expect("a NUL byte in a name",
           call("POST", "/api/plans.php", None,
                b"action=create&code=nul&name=a%00b&price=1", form, auth),
           200, err("Invalid parameter: name", "invalid_parameter"))
    expect("an 11-digit id",
           call("GET", "/api/plans.php", {"action": "get",
                                          "id": "99999999999"}, None, None,
                auth), 200, err("Invalid parameter: id", "invalid_parameter"))
    expect("a price above 99999999.99",
           call("POST", "/api/plans.php", None,
                {"action": "create", "code": "big", "name": "Big",
                 "price": "100000000.00"}, None, auth), 200,
           err("Invalid parameter: price", "invalid_parameter"))
    expect("invalid JSON counts as an empty body",
           call("POST", "/api/plans.php", None, b'{"action": "list"',
                "application/json", auth), 400,
           err("Unknown action: ", "unknown_action"))
    many = ("&".join(f"p{i}=x" for i in range(1001)) +
            "&action=list").encode()
    got = call("POST", "/api/plans.php", None, many, form, auth)
    expect("1001 parameters in a body", (got[0], got[1]["success"]), 400,
           False)
    expect("a URL beyond libmicrohttpd's memory: a clean 414",
           call("GET", "/api/plans.php", "x=" + "a" * 70000, None, None,
                auth), 414, None)
    sql = "x';DROP-TABLE-users;--@example.com"
    got = call("POST", "/api/users.php", None,
               {"action": "create", "email": sql, "name": "Robert'); --"},
               None, auth)
    expect("SQL-looking text is stored as text",
           (got[0], (got[1]["data"]["email"], got[1]["data"]["name"])), 200,
           (sql, "Robert'); --"))
    expect_eq("and found again",
              call("GET", "/api/users.php", {"action": "find", "email": sql},
                   None, None, auth)[1]["data"]["email"], sql)


def concurrent_runs(db_url):
    """8 cron runs at once over 300 subscriptions with missed periods."""
    import threading
    psql(db_url, """
        INSERT INTO plans (code, name, price_minor, currency, billing_cycle)
        VALUES ('cron-m', 'Cron', 1000, 'EUR', 'monthly');
        INSERT INTO customers (email, email_key, country, currency)
        SELECT 'cron' || g || '@example.com', 'cron' || g || '@example.com',
               'DE', 'EUR' FROM generate_series(1, 300) g;
        INSERT INTO subscriptions (customer_id, plan_id, status, quantity,
            billing_anchor_day, started_at, current_period_start,
            current_period_end, created_at)
        SELECT c.id, p.id, 'active', 1, 1,
               timestamptz '2015-12-01 10:00:00+01',
               timestamptz '2015-12-01 10:00:00+01',
               timestamptz '2016-01-01 10:00:00+01',
               timestamptz '2015-12-01 10:00:00+01'
        FROM customers c, plans p
        WHERE c.email LIKE 'cron%' AND p.code = 'cron-m'""")
    before = int(psql(db_url, "SELECT count(*) FROM invoices"))
    results = []
    # Due at Jan 1, Feb 1 and Mar 1: three periods each, 900 in all.
    hdrs = {"X-Api-Key": KEY, "X-Billing-Now": "2016-03-01 12:00:00"}

    def run():
        results.append(call("POST", "/api/cron.php", None,
                            {"action": "run"}, None, hdrs))
    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expect_eq("8 cron runs: all answered",
              sorted(r[0] for r in results), [200] * 8)
    expect_eq("8 cron runs: one invoice per period",
              psql(db_url, "SELECT count(*), count(DISTINCT"
                   " (subscription_id, run_period_start)) FROM invoices"
                   " i JOIN subscriptions s ON s.id = i.subscription_id"
                   " JOIN plans p ON p.id = s.plan_id"
                   " WHERE p.code = 'cron-m'"), "900|900")
    expect_eq("8 cron runs: numbers of 2016 gapless",
              psql(db_url, "SELECT count(*) = max(substr(number, 10)::int)"
                   " AND count(*) = count(DISTINCT number) FROM invoices"
                   " WHERE number LIKE 'INV-2016-%'"), "t")
    # The earlier checks' subscriptions renew too: the runs' counts add
    # up to exactly the invoices that appeared.
    expect_eq("8 cron runs: their counts add up to the new invoices",
              sum(r[1]["data"]["invoices_created"] for r in results
                  if r[0] == 200),
              int(psql(db_url, "SELECT count(*) FROM invoices")) - before)


def checks():
    auth = dict(NOW, **{"X-Api-Key": KEY})
    expect("healthz without a key", call("GET", "/healthz"), 200,
           {"status": "ok", "server": "serving"})
    # Order of checks: the path before the key.
    expect("unknown file", call("GET", "/api/nope.php", {"action": "list"}),
           404, err("Not found", "not_found"))
    expect("trailing slash", call("GET", "/api/plans.php/", None, None, None,
                                  auth), 404, err("Not found", "not_found"))
    expect("percent-encoded path",
           call("GET", "/api/pl%61ns.php", {"action": "list"}, None, None,
                auth), 200, {"success": True, "data": [],
                             "meta": {"total": 0, "page": 1, "per_page": 50}})
    expect("no key", call("GET", "/api/plans.php", {"action": "list"}), 401,
           err("Invalid API key", "unauthorized"))
    expect("wrong header beats a right parameter",
           call("GET", "/api/plans.php", {"action": "list", "api_key": KEY},
                None, None, {"X-Api-Key": "wrong"}), 401,
           err("Invalid API key", "unauthorized"))
    expect("key as a body parameter",
           call("POST", "/api/plans.php", None,
                {"action": "list", "api_key": KEY}), 200,
           {"success": True, "data": [],
            "meta": {"total": 0, "page": 1, "per_page": 50}})
    expect("no action", call("GET", "/api/plans.php", None, None, None, auth),
           400, err("Unknown action: ", "unknown_action"))
    expect("action is case-sensitive",
           call("GET", "/api/plans.php", {"action": "LIST"}, None, None,
                auth), 400, err("Unknown action: LIST", "unknown_action"))
    expect("action as an array",
           call("GET", "/api/plans.php", "action[]=list", None, None, auth),
           400, err("Unknown action: ", "unknown_action"))
    expect("GET on a POST action",
           call("GET", "/api/plans.php", {"action": "create"}, None, None,
                auth), 405, err("Method not allowed", "method_not_allowed"))

    # plans.create: parameters in order, then the row.
    expect("create without code",
           call("POST", "/api/plans.php", {"action": "create"}, {"name": "x"},
                None, auth), 200, err("Missing parameter: code",
                                      "missing_parameter"))
    expect("create with a bad code",
           call("POST", "/api/plans.php", None,
                {"action": "create", "code": "Basic", "name": "x"}, None,
                auth), 200, err("Invalid parameter: code",
                                "invalid_parameter"))
    expect("create with a bad price",
           call("POST", "/api/plans.php", None,
                {"action": "create", "code": "basic", "name": "Basic",
                 "price": "9.999"}, None, auth), 200,
           err("Invalid parameter: price", "invalid_parameter"))
    basic = {"id": "1", "code": "basic", "name": "Basic", "price": "9.99",
             "currency": "EUR", "billing_cycle": "monthly",
             "trial_days": "0", "is_active": "1",
             "created_at": "2015-01-05 09:00:00"}
    expect("create (form)",
           call("POST", "/api/plans.php", None,
                {"action": "create", "code": "basic", "name": "Basic",
                 "price": "9.99"}, None, auth), 200, ok(basic))
    expect("duplicate code",
           call("POST", "/api/plans.php", None,
                {"action": "create", "code": "basic", "name": "B",
                 "price": "1"}, None, auth), 200,
           err("Plan code already exists", "conflict"))
    got = call("POST", "/api/plans.php", {"action": "create"},
               {"code": "pro-y", "name": "Pro", "price": 19.5,
                "billing_cycle": "yearly", "trial_days": 14},
               "application/json", auth)
    pro = dict(got[1].get("data") or {})
    expect("create (JSON, numbers as PHP strings)", got, 200,
           ok(dict(pro, code="pro-y", name="Pro", price="19.50",
                   billing_cycle="yearly", trial_days="14",
                   currency="EUR", is_active="1",
                   created_at="2015-01-05 09:00:00")))
    expect("get by id", call("GET", "/api/plans.php",
                             {"action": "get", "id": "1"}, None, None, auth),
           200, ok(basic))
    expect("get by code, byte for byte",
           call("GET", "/api/plans.php", {"action": "get", "code": "BASIC"},
                None, None, auth), 200, err("Plan not found", "not_found"))
    expect("get: the id wins and is validated",
           call("GET", "/api/plans.php",
                {"action": "get", "id": "x", "code": "basic"}, None, None,
                auth), 200, err("Invalid parameter: id", "invalid_parameter"))
    expect("get without id or code",
           call("GET", "/api/plans.php", {"action": "get"}, None, None, auth),
           200, err("Missing parameter: id", "missing_parameter"))
    expect("get: an id above 2^32 is valid but not found",
           call("GET", "/api/plans.php",
                {"action": "get", "id": "9999999999"}, None, None, auth),
           200, err("Plan not found", "not_found"))
    expect("get: id[] is invalid",
           call("GET", "/api/plans.php", "action=get&id[]=1", None, None,
                auth), 200, err("Invalid parameter: id", "invalid_parameter"))
    expect("body wins over the query",
           call("POST", "/api/plans.php", {"action": "get", "id": "2"},
                {"id": "1"}, None, auth), 200, ok(basic))
    expect("archive",
           call("POST", "/api/plans.php", None, {"action": "archive",
                                                 "id": "1"}, None, auth),
           200, ok(dict(basic, is_active="0")))
    listed = call("GET", "/api/plans.php", {"action": "list"}, None, None,
                  auth)
    expect("list without archived", (listed[0], listed[1]["meta"]["total"]),
           200, 1)
    listed = call("GET", "/api/plans.php",
                  {"action": "list", "all": "true", "per_page": "600"},
                  None, None, auth)
    expect("list all, per_page capped at 500",
           (listed[0], listed[1]["meta"]), 200,
           {"total": 2, "page": 1, "per_page": 500})
    expect("list with a bad boolean",
           call("GET", "/api/plans.php", {"action": "list", "all": "yes"},
                None, None, auth), 200,
           err("Invalid parameter: all", "invalid_parameter"))
    expect("cron run",
           call("GET", "/api/cron.php", {"action": "run"}, None, None, auth),
           200, ok({"trials_converted": 0, "renewed": 0, "cancelled": 0,
                    "past_due": 0, "expired": 0, "invoices_created": 0}))
    users(auth)
    subscriptions(auth)
    hostile(auth)
    big = call("POST", "/api/plans.php", None, b"a" * (1024 * 1024 + 1),
               "application/x-www-form-urlencoded", auth)
    expect("a body over 1 MiB", (big[0], big[1]["success"]), 413, False)


def users(auth):
    def post(body, ctype=None):
        return call("POST", "/api/users.php", None, body, ctype, auth)

    def get(query):
        return call("GET", "/api/users.php", query, None, None, auth)

    expect("users: missing email", post({"action": "create", "name": "N"}),
           200, err("Missing parameter: email", "missing_parameter"))
    for bad in ("not-an-email", "a@@example.com", "a b@example.com",
                "x" * 190 + "@example.com"):
        expect("users: invalid email " + bad[:20],
               post({"action": "create", "email": bad}), 200,
               err("Invalid parameter: email", "invalid_parameter"))
    expect("users: email before country",
           post({"action": "create", "email": "bad", "country": "DEU"}),
           200, err("Invalid parameter: email", "invalid_parameter"))
    expect("users: country of three letters",
           post({"action": "create", "email": "zed@example.com",
                 "country": "DEU"}), 200,
           err("Invalid parameter: country", "invalid_parameter"))
    expect("users: meta as a plain string",
           post({"action": "create", "email": "zed@example.com",
                 "meta": "plain"}), 200,
           err("Invalid parameter: meta", "invalid_parameter"))
    expect("users: name over 255 bytes",
           post({"action": "create", "email": "zed@example.com",
                 "name": "n" * 256}), 200,
           err("Invalid parameter: name", "invalid_parameter"))
    anna = {"id": "1", "email": "anna@example.com", "name": "Anna",
            "company": None, "country": "DE", "vat_number": None,
            "currency": None, "balance": "0.00", "status": "active",
            "meta": {"phone": "+49 30 1234"},
            "created_at": "2015-01-05 09:00:00"}
    expect("users: create with meta[] and a trimmed email",
           call("POST", "/api/users.php", None,
                b"action=create&email=+anna%40example.com%0A&name=Anna"
                b"&country=de&meta%5Bphone%5D=%2B49+30+1234",
                "application/x-www-form-urlencoded", auth), 200, ok(anna))
    expect("users: duplicate email, any case",
           post({"action": "create", "email": "ANNA@example.com"}), 200,
           err("Email already registered", "conflict"))
    expect("users: get", get({"action": "get", "id": "1"}), 200, ok(anna))
    expect("users: find, trimmed and any case",
           get({"action": "find", "email": " Anna@Example.com "}), 200,
           ok(anna))
    expect("users: find without email", get({"action": "find"}), 200,
           err("Missing parameter: email", "missing_parameter"))
    bob = post({"action": "create", "email": "bob@example.com",
                "meta": {"k": 1, "t": True, "n": None}}, "application/json")
    expect("users: JSON meta values as strings",
           (bob[0], bob[1]["data"]["meta"]), 200,
           {"k": "1", "t": "true", "n": ""})
    expect_eq("users: update meta {} empties it",
              post({"action": "update", "id": "2", "meta": {}},
                   "application/json")[1]["data"]["meta"], [])
    expect("users: update with no field returns the user",
           post({"action": "update", "id": "1"}), 200, ok(anna))
    expect_eq("users: suspend",
              post({"action": "update", "id": "1", "status": "suspended"})
              [1]["data"]["status"], "suspended")
    expect("users: status deleted is not settable",
           post({"action": "update", "id": "1", "status": "deleted"}), 200,
           err("Invalid parameter: status", "invalid_parameter"))
    expect("users: delete", post({"action": "delete", "id": "2"}), 200,
           ok({"deleted": True}))
    expect("users: a deleted user is not found",
           get({"action": "get", "id": "2"}), 200,
           err("User not found", "not_found"))
    listed = get({"action": "list"})
    expect("users: list leaves out deleted",
           (listed[0], ([u["id"] for u in listed[1]["data"]],
                         listed[1]["meta"])), 200,
           (["1"], {"total": 1, "page": 1, "per_page": 50}))
    listed = get({"action": "list", "status": "deleted"})
    expect("users: list by status",
           (listed[0], [u["id"] for u in listed[1]["data"]]), 200, ["2"])


def subscriptions(auth):
    def post(body):
        return call("POST", "/api/subscriptions.php", None, body, None, auth)

    plan = call("POST", "/api/plans.php", None,
                {"action": "create", "code": "std", "name": "Std",
                 "price": "10.00", "trial_days": "14"}, None, auth)[1]["data"]
    carl = call("POST", "/api/users.php", None,
                {"action": "create", "email": "carl@example.com",
                 "country": "DE"}, None, auth)[1]["data"]
    expect("subs: missing user_id", post({"action": "create"}), 200,
           err("Missing parameter: user_id", "missing_parameter"))
    expect("subs: missing plan",
           post({"action": "create", "user_id": carl["id"]}), 200,
           err("Missing parameter: plan_id", "missing_parameter"))
    expect("subs: quantity 0",
           post({"action": "create", "user_id": carl["id"],
                 "plan_id": plan["id"], "quantity": "0"}), 200,
           err("Invalid parameter: quantity", "invalid_parameter"))
    expect("subs: suspended user",
           post({"action": "create", "user_id": "1",
                 "plan_code": "std"}), 200,
           err("User is suspended", "invalid_state"))
    expect("subs: unknown plan code",
           post({"action": "create", "user_id": carl["id"],
                 "plan_code": "STD"}), 200,
           err("Plan not found", "not_found"))
    trial = post({"action": "create", "user_id": carl["id"],
                  "plan_code": "std"})
    t = trial[1]["data"]
    expect_eq("subs: a trial, no invoice",
              (trial[0], t["subscription"]["status"],
               t["subscription"]["trial_ends_at"],
               t["subscription"]["current_period_end"], t["invoice"]),
              (200, "trial", "2015-01-19 09:00:00", "2015-01-19 09:00:00",
               None))
    paid = post({"action": "create", "user_id": carl["id"],
                 "plan_id": plan["id"], "quantity": "2"})
    p2 = paid[1]["data"]
    expect_eq("subs: the second one has no trial and an invoice",
              (p2["subscription"]["status"], p2["subscription"]["quantity"],
               p2["subscription"]["trial_ends_at"],
               p2["subscription"]["current_period_end"],
               p2["invoice"]["subtotal"], p2["invoice"]["tax_rate"],
               p2["invoice"]["total"], p2["invoice"]["due_date"],
               "items" in p2["invoice"]),
              ("active", "2", None, "2015-02-05 09:00:00", "20.00",
               "19.00", "23.80", "2015-01-19", False))
    sid = p2["subscription"]["id"]
    expect_eq("subs: cancel at period end",
              post({"action": "cancel", "id": sid})[1]["data"]
              ["cancel_at_period_end"], "1")
    expect_eq("subs: reactivate",
              post({"action": "reactivate", "id": sid})[1]["data"]
              ["cancel_at_period_end"], "0")
    expect("subs: reactivate again",
           post({"action": "reactivate", "id": sid}), 200,
           err("Subscription cannot be reactivated", "invalid_state"))
    now = post({"action": "cancel", "id": sid, "at_period_end": "0"})
    expect_eq("subs: cancel now",
              (now[1]["data"]["status"], now[1]["data"]["cancelled_at"]),
              ("cancelled", "2015-01-05 09:00:00"))
    expect("subs: cancel a cancelled one",
           post({"action": "cancel", "id": sid}), 200,
           err("Subscription is already cancelled", "invalid_state"))
    expect("subs: change_plan without a plan",
           post({"action": "change_plan", "id": t["subscription"]["id"]}),
           200, err("Missing parameter: plan_id", "missing_parameter"))
    expect("subs: change_plan of a cancelled one",
           post({"action": "change_plan", "id": sid, "plan_code": "pro-y"}),
           200, err("Subscription is not active", "invalid_state"))
    listed = call("GET", "/api/subscriptions.php",
                  {"action": "list", "user_id": carl["id"]}, None, None,
                  auth)
    expect_eq("subs: list by user",
              (listed[0], [x["status"] for x in listed[1]["data"]],
               listed[1]["meta"]["total"]),
              (200, ["trial", "cancelled"], 2))
    expect("subs: get unknown",
           call("GET", "/api/subscriptions.php",
                {"action": "get", "id": "999"}, None, None, auth), 200,
           err("Subscription not found", "not_found"))


if __name__ == "__main__":
    main()
