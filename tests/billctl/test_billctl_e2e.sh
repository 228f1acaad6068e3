#!/bin/sh
# End-to-end test of billctl: a private PostgreSQL cluster and
# billing-server (tests/harness/stack.sh), driven through the billctl
# binary the way an operator would: list/describe, call with JSON, each
# friendly command in table and JSON form, exit codes and the statuses
# printed for failed calls, --timeout, and a server that is down.
#
#   test_billctl_e2e.sh BILLCTL BILLING_SERVER [STACK_SH]
#
# Any failed check stops the test with exit status 1 and shows the
# output of the command that failed. Needs python3 (to read JSON) and
# openssl (a certificate for the tls+tcp:// server).
set -eu

billctl=${1:?usage: test_billctl_e2e.sh BILLCTL BILLING_SERVER [STACK_SH]}
server=${2:?usage: test_billctl_e2e.sh BILLCTL BILLING_SERVER [STACK_SH]}
here=$(cd "$(dirname "$0")" && pwd)
stack=${3:-$here/../harness/stack.sh}

tmp=$(mktemp -d)
# PostgreSQL runs as another user when we are root: it must get through.
chmod 755 "$tmp"
cleanup() {
	"$stack" stop "$tmp/stack" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

# The server also listens on tls+tcp://, with a self-signed certificate,
# for --tls-ca. (The port is free when chosen; a race is unlikely.)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -days 2 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
cat "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/cert-key.pem"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
    -keyout "$tmp/other-key.pem" -out "$tmp/other.pem" 2>/dev/null
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
tls="tls+tcp://localhost:$port"

"$stack" start "$tmp/stack" "$server" --listen "tls+tcp://127.0.0.1:$port" \
    --tls-cert-key "$tmp/cert-key.pem" --test-clock >"$tmp/urls"
BILLING_SERVER=$(sed -n 2p "$tmp/urls")
export BILLING_SERVER
down="ipc://$tmp/nobody-listens.sock"

# ---- helpers ----

last=

die() {
	echo "FAIL: $*" >&2
	echo "--- last command: billctl $last" >&2
	echo "--- stdout:" >&2
	cat "$tmp/out" >&2 || true
	echo "--- stderr:" >&2
	cat "$tmp/err" >&2 || true
	exit 1
}

# checked WANT: the last command exited with WANT, and no sanitizer spoke
# (a leak report also exits 1, as a failed call does).
checked() {
	[ "$rc" -eq "$1" ] || die "exit status $rc, want $1"
	! grep -Eq 'Sanitizer|runtime error:' "$tmp/err" ||
	    die "a sanitizer reported"
}

# expect STATUS ARGS...: runs billctl ARGS, which must exit with STATUS.
expect() {
	want=$1
	shift
	last="$*"
	set +e
	"$billctl" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	set -e
	checked "$want"
}

# The same, with standard input from a file.
expect_stdin() {
	input=$1
	want=$2
	shift 2
	last="$* <$input"
	set +e
	"$billctl" "$@" >"$tmp/out" 2>"$tmp/err" <"$input"
	rc=$?
	set -e
	checked "$want"
}

# out_has/err_has REGEX: a line of stdout/stderr matches (grep -E).
out_has() { grep -Eq -- "$1" "$tmp/out" || die "stdout lacks /$1/"; }
err_has() { grep -Eq -- "$1" "$tmp/err" || die "stderr lacks /$1/"; }
out_lacks() { ! grep -Eq -- "$1" "$tmp/out" || die "stdout has /$1/"; }
err_empty() { [ ! -s "$tmp/err" ] || die "stderr is not empty"; }

# json PATH: the value at a dotted path ("plans.0.code", "" for all) of
# the JSON on stdout; strings bare, the rest as JSON; "<absent>" if none.
json() {
	python3 - "$tmp/out" "$1" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split(".") if sys.argv[2] else []:
    try:
        v = v[int(k)] if isinstance(v, list) else v[k]
    except (KeyError, IndexError):
        print("<absent>")
        sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# json_is PATH VALUE
json_is() {
	got=$(json "$1") || die "stdout is not JSON"
	[ "$got" = "$2" ] || die "$1 is '$got', want '$2'"
}

# json_len PATH N: the array at PATH has N elements.
json_len() {
	got=$(python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split(".") if sys.argv[2] else []:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(len(v))' "$tmp/out" "$1") || die "no array at $1"
	[ "$got" = "$2" ] || die "$1 has $got elements, want $2"
}

ms() { date +%s%3N; }

# ---- help, usage errors ----

expect 0 --help
out_has '^usage: billctl'
out_has '^  customers COMMAND'
expect 0 --version
out_has '^billctl [0-9]'
expect 2
err_has '^usage: billctl'
expect 2 bogus
err_has 'unknown command "bogus"'
expect 2 --bogus list
err_has 'unknown option --bogus'
expect 0 customers -h
out_has '^  create '
expect 0 customers create -h
out_has '^usage: billctl customers create --email E'
out_has '--meta K=V'
expect 0 help plans create
out_has '^usage: billctl plans create --code C --name N --price P'
expect 0 health --help
expect 2 customers
expect 2 customers frobnicate
err_has 'unknown command "frobnicate"'

# The commands of services still being served: their help, and the usage
# errors billctl finds before it calls.
expect 0 --help
out_has '^  subscriptions COMMAND'
out_has '^  invoices COMMAND'
out_has '^  payments COMMAND'
out_has '^  billing COMMAND'
expect 0 subscriptions -h
for c in create get list cancel reactivate change-plan; do
	out_has "^  $c "
done
expect 0 subscriptions create -h
out_has '^usage: billctl subscriptions create --customer ID \[--plan ID\]'
out_has '--no-trial'
expect 0 subscriptions cancel -h
out_has '^  --immediately '
expect 0 help subscriptions change-plan
out_has '^usage: billctl subscriptions change-plan ID'
out_has '--no-prorate'
expect 0 invoices -h
for c in list show void; do
	out_has "^  $c "
done
expect 0 invoices show -h
out_has '^or /billing\.v1\.Invoices/GetByNumber with --number\.$'
expect 0 payments create -h
out_has '^usage: billctl payments create --invoice ID --amount A --method M'
out_has '--method card\|paypal\|bank_transfer'
expect 0 billing -h
out_has '^  run '
out_has '^  runs '
expect 0 billing run -h
out_has 'Calls /billing\.v1\.Billing/RunCycle\.$'
expect 2 subscriptions create --customer 1
err_has 'subscriptions create: give --plan or --plan-code$'
expect 2 subscriptions create --customer 1 --plan 1 --plan-code gold
err_has 'not both'
expect 2 subscriptions create --plan 1
err_has '--customer is required'
expect 2 subscriptions list --status paused
err_has 'is not one of trial\|active\|past_due\|cancelled\|expired'
expect 2 subscriptions cancel
err_has 'ID is required'
expect 2 subscriptions cancel 1 --now
err_has 'global options go before the command'
expect 2 subscriptions change-plan 1 --no-prorate
err_has 'give --plan or --plan-code'
expect 2 invoices show
err_has 'give an ID or --number'
expect 2 invoices show 1 --number INV-2024-000001
err_has 'not both'
expect 2 invoices list --status open
err_has 'is not one of unpaid\|paid\|void\|refunded'
expect 2 invoices void
err_has 'ID is required'
expect 2 payments create --invoice 1 --amount 12.505 --method card
err_has '--amount: "12\.505" is not an amount'
expect 2 payments create --invoice 1 --amount 1 --method credit
err_has 'is not one of card\|paypal\|bank_transfer'
expect 2 payments create --invoice 1 --amount 1 --method card --failed=1
err_has '--failed takes no value'
expect 2 payments list --invoice 1
err_has '--customer is required'
expect 2 payments refund x
err_has 'ID: "x" is not an integer'
expect 2 billing run now
err_has 'unexpected argument "now"'
expect 2 billing frobnicate
err_has 'unknown command "frobnicate"'
expect 2 events list --since 2024-01-31
err_has '--since: "2024-01-31" is not an instant'

# ---- list and describe ----

expect 0 list
err_empty
[ "$(wc -l <"$tmp/out")" -eq 10 ] || die "list: want 10 services"
out_has '^billing\.v1\.Customers$'
out_has '^billing\.v1\.Subscriptions$'
expect 0 list Customers
out_has '^billing\.v1\.Customers/Create$'
out_has '^billing\.v1\.Customers/Delete$'
expect 0 list billing.v1.Plans
out_has '^billing\.v1\.Plans/Archive$'
expect 2 list Nope
err_has 'no service Nope'

expect 0 describe billing.v1.Customers
out_has '^billing\.v1\.Customers is a service:$'
out_has '^  rpc Get\(\.billing\.v1\.GetCustomerRequest\) returns '\
'\(\.billing\.v1\.Customer\); // read-only$'
expect 0 describe Customers/Create
out_has '^billing\.v1\.Customers\.Create is a method:$'
out_has '^rpc Create\(\.billing\.v1\.CreateCustomerRequest\) returns '\
'\(\.billing\.v1\.Customer\);$'
expect 0 describe /billing.v1.Plans/Get
out_has 'is a method'
expect 0 describe billing.v1.Customer
out_has '^message Customer \{$'
out_has '^  optional int64 id = 1;$'
out_has '^  optional \.billing\.v1\.CustomerStatus status = 9;$'
out_has '^  optional \.billing\.v1\.Meta meta = 10;$'
expect 0 describe CreateSubscriptionRequest
out_has '^  optional int32 quantity = 4 \[default = 1\];$'
out_has '^  optional bool trial = 5 \[default = true\];$'
expect 0 describe ListCustomersResponse
out_has '^  repeated \.billing\.v1\.Customer customers = 1;$'
expect 0 describe BillingCycle
out_has '^billing\.v1\.BillingCycle is an enum:$'
out_has '^  BILLING_CYCLE_MONTHLY = 1;$'
expect 0 describe RequestEnvelope
out_has '^  optional bytes payload = 5;$'
expect 0 describe
out_has '^service Subscriptions \{$'
expect 2 describe Nothing
err_has 'nothing is called Nothing'

# ---- health ----

expect 0 health
err_empty
out_has '^status +serving$'
expect 0 --json health
json_is status SERVING_STATUS_SERVING
expect 0 health --json
json_is status SERVING_STATUS_SERVING
expect 1 health --service billing.v1.Nope
err_has '^error: NOT_FOUND: unknown service billing\.v1\.Nope$'
err_has '^  reason: SERVICE_UNKNOWN$'

# ---- customers ----

expect 0 customers create --json --email alice@example.com \
    --name "Alice Liddell" --country de --meta "ref=a b" --meta tier=gold
err_empty
alice=$(json id)
json_is email alice@example.com
json_is name "Alice Liddell"
json_is country DE
json_is status CUSTOMER_STATUS_ACTIVE
json_is balance_minor 0
json_is meta.entries.0.key ref
json_is meta.entries.0.value "a b"
json_is meta.entries.1.key tier
json_is meta.entries.1.value gold
json_len meta.entries 2
json_is currency '<absent>'

expect 0 customers create --email bob@example.com --name "Bob Ø" \
    --company "Bob & Co" --vat-number DE123
err_empty
out_has '^id +[0-9]+$'
out_has '^email +bob@example\.com$'
out_has '^name +Bob Ø$'
out_has '^company +Bob & Co$'
out_has '^vat_number +DE123$'
out_has '^country +-$'
out_has '^balance +0\.00$'
out_has '^status +active$'
out_has '^meta +-$'
out_has '^created +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
bob=$(sed -n 's/^id  *//p' "$tmp/out")

# Control characters from the server never reach the terminal.
expect 0 customers create --email esc@example.com \
    --name "$(printf 'x\033[31my')"
out_has '^name +x\?\[31my$'
esc=$(sed -n 's/^id  *//p' "$tmp/out")

expect 1 customers create --email " ALICE@example.com "
err_has '^error: ALREADY_EXISTS: '
err_has '^  reason: EMAIL_TAKEN$'
expect 1 customers create --email not-an-email
err_has '^error: INVALID_ARGUMENT: '
err_has '^  field email: '
expect 1 customers create --email x@example.com --country Deutschland
err_has '^  field country: '
expect 2 customers create --name Nobody
err_has 'customers create: --email is required'
expect 2 customers create --email
err_has '--email needs a value'
expect 2 customers create --email a@b.c --email d@e.f
err_has '--email given twice'
expect 2 customers create --email a@b.c --meta novalue
err_has '"novalue" is not KEY=VALUE'
expect 2 customers create --email a@b.c --frob
err_has 'unknown option --frob'
expect 2 customers create --email a@b.c extra
err_has 'unexpected argument "extra"'

expect 0 customers get "$alice"
out_has "^id +$alice\$"
out_has '^email +alice@example\.com$'
out_has '^meta +ref=a b, tier=gold$'
expect 0 customers get "$alice" --json
json_is id "$alice"
json_is name "Alice Liddell"
expect 1 customers get 999999
err_has '^error: NOT_FOUND: customer 999999 not found$'
err_has '^  reason: CUSTOMER_NOT_FOUND$'
expect 1 customers get 0
err_has '^error: INVALID_ARGUMENT: '
expect 1 customers get -5
err_has '^error: INVALID_ARGUMENT: '
expect 2 customers get abc
err_has 'ID: "abc" is not an integer'
expect 2 customers get
err_has 'ID is required'

expect 0 customers find "  Alice@Example.COM "
out_has "^id +$alice\$"
expect 0 --json customers find bob@example.com
json_is id "$bob"
expect 1 customers find nobody@example.com
err_has '^error: NOT_FOUND: '
err_has '^  reason: CUSTOMER_NOT_FOUND$'

expect 0 customers list
out_has '^ID +EMAIL +NAME +COUNTRY +STATUS +BALANCE +CREATED$'
out_has "^$alice +alice@example\\.com +Alice Liddell +DE +active +0\\.00 +20"
out_has "^$bob +bob@example\\.com +Bob Ø +- +active"
out_has '^3 shown, 3 in all$'
out_lacks '^next page'
expect 0 customers list --json --page-size 2
json_len customers 2
json_is customers.0.id "$alice"
json_is page.total_size 3
token=$(json page.next_page_token)
[ "$token" != "<absent>" ] || die "no next_page_token"
expect 0 customers list --page-size 2
out_has "^next page: --page-token $token\$"
expect 0 customers list --json --page-size 2 --page-token "$token"
json_len customers 1
json_is customers.0.id "$esc"
json_is page.next_page_token '<absent>'
expect 0 customers list --json --page 2 --page-size 1
json_is customers.0.id "$bob"
expect 2 customers list --status weird
err_has '"weird" is not one of active\|suspended\|deleted'
expect 2 customers list --page-size 3000000000
err_has 'is not a 32-bit integer'
expect 1 customers list --page-token bogus
err_has '^  field page\.page_token: '

expect 0 customers update "$alice" --name "Alice B" --status suspended \
    --company ACME --meta k=v
out_has '^name +Alice B$'
out_has '^status +suspended$'
out_has '^company +ACME$'
out_has '^meta +k=v$'
expect 0 customers update "$alice" --company "" --json
json_is company '<absent>'
json_is status CUSTOMER_STATUS_SUSPENDED
json_is meta.entries.0.key k
expect 0 customers update "$alice" --clear-meta --json
json_is meta '{}'
expect 0 customers update "$alice" --meta x=1 --clear-meta --meta y=2
out_has '^meta +x=1, y=2$'
expect 2 customers update "$alice" --clear-meta=yes
err_has '--clear-meta takes no value'
expect 2 customers list --server "$BILLING_SERVER"
err_has 'global options go before the command'
expect 0 customers list --status suspended --json
json_len customers 1
json_is customers.0.id "$alice"
expect 0 customers update "$alice" --status ACTIVE --json
json_is status CUSTOMER_STATUS_ACTIVE
expect 2 customers update "$alice" --status deleted
err_has 'is not one of active\|suspended'
expect 2 customers update "$alice"
err_has 'nothing to update'
expect 1 customers update 999999 --name x
err_has '^error: NOT_FOUND: '
expect 1 customers update "$bob" --email alice@example.com
err_has '^error: ALREADY_EXISTS: '
err_has '^  reason: EMAIL_TAKEN$'

expect 0 customers delete "$esc"
out_has '^status +deleted$'
out_has '^cancelled_subscriptions +0$'
expect 1 customers get "$esc"
err_has '^error: NOT_FOUND: '
expect 0 customers list --status deleted --json
json_len customers 1
json_is customers.0.id "$esc"
expect 0 customers delete "$bob" --json
json_is customer.status CUSTOMER_STATUS_DELETED
json_is cancelled_subscriptions 0
# A deleted customer's email is free again.
expect 0 customers create --email bob@example.com --json
[ "$(json id)" != "$bob" ] || die "a new customer, not bob again"

# ---- plans ----

expect 0 plans create --code gold --name Gold --price 9.99
err_empty
out_has '^id +[0-9]+$'
out_has '^code +gold$'
out_has '^price +9\.99 EUR$'
out_has '^cycle +monthly$'
out_has '^trial_days +0$'
out_has '^active +yes$'
gold=$(sed -n 's/^id  *//p' "$tmp/out")
expect 0 plans create --code silver-2 --name "Silver" --price 19.9 \
    --currency USD --cycle YEARLY --trial-days 14 --json
silver=$(json id)
json_is price_minor 1990
json_is currency USD
json_is billing_cycle BILLING_CYCLE_YEARLY
json_is trial_days 14
json_is active true
# Exact minor units where binary floating point is not exact.
expect 0 plans create --code p1 --name P1 --price 0.29 --json
json_is price_minor 29
expect 0 plans create --code p2 --name P2 --price 1.15 --json
json_is price_minor 115
expect 0 plans create --code p3 --name P3 --price 0.5 --cycle quarterly
out_has '^price +0\.50 EUR$'
out_has '^cycle +quarterly$'
expect 0 plans create --code p4 --name P4 --price 1000
out_has '^price +1000\.00 EUR$'
for bad in 9.999 abc -1 1e3 .5 9. 1,00 ""; do
	expect 2 plans create --code x --name X --price "$bad"
	err_has 'is not an amount such as 9\.99'
done
expect 2 plans create --code x --name X --price 1 --cycle weekly
err_has '"weekly" is not one of monthly\|quarterly\|yearly'
expect 2 plans create --code x --name X
err_has '--price is required'
expect 2 plans create --code x --name X --price 1 --trial-days many
err_has 'is not a 32-bit integer'
expect 1 plans create --code gold --name Again --price 1
err_has '^error: ALREADY_EXISTS: '
err_has '^  reason: PLAN_CODE_TAKEN$'
expect 1 plans create --code "Not Valid" --name X --price 1
err_has '^error: INVALID_ARGUMENT: '
err_has '^  field code: '
expect 1 plans create --code x --name X --price 1 --currency JPY
err_has '^  field currency: '
expect 1 plans create --code x --name X --price 1 --trial-days 400
err_has '^  field trial_days: '

expect 0 plans get "$gold"
out_has "^id +$gold\$"
out_has '^name +Gold$'
expect 0 plans get --code silver-2 --json
json_is id "$silver"
expect 1 plans get 999999
err_has '^error: NOT_FOUND: '
err_has '^  reason: PLAN_NOT_FOUND$'
expect 2 plans get
err_has 'give an ID or --code'
expect 2 plans get "$gold" --code gold
err_has 'not both'

expect 0 plans archive "$silver"
out_has '^active +no$'
expect 0 plans archive "$silver" --json
json_is active false
json_is code silver-2
expect 0 plans list
out_has '^ID +CODE +NAME +PRICE +CYCLE +TRIAL +ACTIVE +CREATED$'
out_has "^$gold +gold +Gold +9\\.99 EUR +monthly +0 +yes +20"
out_lacks 'silver-2'
out_has '^5 shown, 5 in all$'
expect 0 plans list --all
out_has "^$silver +silver-2 +Silver +19\\.90 USD +yearly +14 +no +20"
out_has '^6 shown, 6 in all$'
expect 0 plans list --all --json --page-size 4
json_len plans 4
json_is page.total_size 6
expect 2 plans list --all=yes
err_has '--all takes no value'
expect 1 plans archive 999999
err_has '^error: NOT_FOUND: '

# ---- events ----

expect 0 events list
out_has '^ID +TIME +TYPE +OBJECT +CUSTOMER +STATUS +REQUEST$'
out_has "customer\\.created +customer $alice +$alice +- -> active"
out_has "customer\\.updated +customer $alice +$alice +active -> suspended"
out_has "customer\\.deleted +customer $esc +$esc +active -> deleted"
expect 0 events list --json --object-type customer --object-id "$alice"
python3 - "$tmp/out" "$alice" <<'EOF' || die "events of another object"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert len(ev) >= 4, ev
assert all(e["object_type"] == "customer" for e in ev), ev
assert all(e["object_id"] == int(sys.argv[2]) for e in ev), ev
assert ev[0]["type"] == "customer.created", ev
EOF
expect 0 events list --json --customer-id "$bob"
json_is events.0.type customer.created
json_is events.1.type customer.deleted
json_len events 2
expect 0 events list --json --object-type nothing
json_is events '<absent>'
expect 2 events list --object-id x
err_has 'is not an integer'
# --since is inclusive, --until exclusive, in the form billctl prints.
expect 0 events list --json --customer-id "$bob"
first=$(python3 -c 'import datetime, json, sys
us = json.load(open(sys.argv[1]))["events"][0]["created_at_us"]
t = datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc)
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$tmp/out") || die "no events"
expect 0 events list --json --customer-id "$bob" --since "$first"
json_is events.0.type customer.created
json_len events 2
expect 0 events list --json --customer-id "$bob" --until "$first"
json_is events '<absent>'
expect 0 events list --since 2000-01-01T00:00:00Z --until "$first"
out_has '^ID +TIME +TYPE'
expect 0 events list --json --since 9999-12-31T23:59:59Z
json_is events '<absent>'

# ---- call ----

expect 0 call billing.v1.Customers/Get "{\"id\": $alice}"
err_empty
json_is email alice@example.com
json_is status CUSTOMER_STATUS_ACTIVE
expect 0 call /billing.v1.Customers/Get "{\"id\": \"$alice\"}"
json_is id "$alice"
expect 0 call Customers/Get "{\"id\": $alice}"
json_is id "$alice"
expect 0 call Customers.Get "{\"id\": $alice}"
json_is id "$alice"
# call prints JSON even without --json, and with it.
expect 0 --json call Health/Check
json_is status SERVING_STATUS_SERVING
printf '{"id": %s}\n' "$gold" >"$tmp/req.json"
expect 0 call Plans/Get "@$tmp/req.json"
json_is code gold
json_is price_minor 999
expect_stdin "$tmp/req.json" 0 call Plans/Get @-
json_is code gold
expect 0 call Plans/Create '{"code": "via-call", "name": "Via call",
    "price_minor": 250, "billing_cycle": "quarterly", "trial_days": 7}'
json_is billing_cycle BILLING_CYCLE_QUARTERLY
json_is price_minor 250
expect 0 call Plans/List '{"include_archived": true, "page": {"page_size": 1}}'
json_len plans 1
json_is page.total_size 7
expect 1 call Customers/Get
err_has '^error: INVALID_ARGUMENT: '
err_has '^  field id: required$'
expect 1 call Customers/Get '{"id": 999999}'
err_has '^error: NOT_FOUND: '
expect 1 call Invoices/Get '{"id": 999999}'
err_has '^error: NOT_FOUND: invoice 999999 not found$'
expect 2 call Customers/Get '{"id": '
err_has 'bad request: invalid JSON at line 1'
expect 2 call Customers/Get '{"idd": 1}'
err_has 'unknown field "idd"'
expect 2 call Customers/Get '{"id": 1.5}'
err_has 'field "id": expected an integer or a decimal string'
expect 2 call Customers/Get '{"id": "9223372036854775808"}'
err_has 'out of range for int64'
expect 2 call Customers/List '{"status": "GONE"}'
err_has 'is not a value of billing\.v1\.CustomerStatus'
expect 2 call Customers/Find '{"email": "a\u0000b"}'
err_has 'contains a NUL character'
expect 2 call Customers/Get '[1]'
err_has 'expected a JSON object'
expect 2 call Customers/Nope
err_has 'no method Customers/Nope'
expect 2 call Nope/Get
expect 2 call
expect 2 call Plans/Get "@$tmp/missing.json"
err_has 'missing\.json: No such file'
expect 2 call Plans/Get '{}' extra

# ---- global options ----

expect 0 --timeout 5s health
expect 0 --timeout=500ms health
expect 2 --timeout bogus health
err_has '--timeout: "bogus" is not a duration'
expect 2 --timeout 0s health
expect 2 --timeout
err_has '--timeout needs a value'
expect 0 --now '2024-02-29 12:00:00' health
expect 2 --now '2024-02-30 12:00:00' health
err_has "--now: \"2024-02-30 12:00:00\" is not 'YYYY-MM-DD HH:MM:SS'"
expect 0 --idempotency-key e2e-key-1 customers create --email idem@example.com
expect 2 --server 'http://x' health
err_has '^error: INVALID_ARGUMENT: server URL http://x'

# TLS: the server's certificate must chain to the --tls-ca bundle.
expect 0 --server "$tls" --tls-ca "$tmp/cert.pem" health
out_has '^status +serving$'
expect 0 --server "$tls" --tls-ca "$tmp/cert.pem" customers get "$alice" \
    --json
json_is email alice@example.com
expect 2 --server "$tls" health
err_has 'tls\+tcp needs a CA file'
err_has 'hint: .*--tls-ca FILE'
expect 2 --server "$tls" --tls-ca "$tmp/missing.pem" health
expect 1 --server "$tls" --tls-ca "$tmp/other.pem" health
err_has '^error: UNAVAILABLE: '

# The database down: the server answers, but does not serve.
"$here/../harness/pg.sh" stop "$tmp/stack/pg"
expect 1 health
out_has '^status +not_serving$'
err_has 'the server is not serving: database unreachable'
"$here/../harness/pg.sh" start "$tmp/stack/pg" >/dev/null
sleep 1.2 # the workers' reconnect backoff is at most 1 s
expect 0 health

# ---- the billing engine, at test-clock times ----

expect 0 --json customers create --email engine@example.com --country de
cust=$(json id)
expect 0 --json plans create --code engine-basic --name "Engine Basic" \
    --price 10.00
plan=$(json id)
expect 0 --json --now '2015-01-31 10:00:00' subscriptions create \
    --customer "$cust" --plan "$plan" --quantity 2 --no-trial
json_is subscription.status SUBSCRIPTION_STATUS_ACTIVE
json_is subscription.billing_anchor_day 31
json_is invoice.total_minor 2380
json_is invoice.period_end 2015-02-28
sub=$(json subscription.id)
inv=$(json invoice.id)
num=$(json invoice.number)
expect 0 invoices show --number "$num"
out_has '^total +23\.80 EUR$'
out_has 'Engine Basic \(2015-01-31 - 2015-02-28\)'
expect 0 --now '2015-02-01 09:00:00' payments create --invoice "$inv" \
    --amount 10.00 --method card --transaction-id e2e-1
out_has '^status +success$'
expect 1 --now '2015-02-01 09:00:00' payments create --invoice "$inv" \
    --amount 10.00 --method card --transaction-id e2e-1
err_has '^error: ALREADY_EXISTS: Duplicate transaction$'
expect 0 --json --now '2015-02-01 09:05:00' payments create \
    --invoice "$inv" --amount 20.00 --method paypal
json_is invoice.status INVOICE_STATUS_PAID
pay=$(json payment.id)
expect 0 --json customers get "$cust"
json_is balance_minor 620
expect 0 payments list --customer "$cust"
out_has '^2 shown, 2 in all$'
expect 0 --json --now '2015-04-01 10:00:00' billing run
json_is renewed 2
json_is invoices_created 2
expect 0 --json invoices list --subscription "$sub"
json_len invoices 3
json_is invoices.0.period_start 2015-03-31
expect 0 billing runs
out_has '^1 +succeeded'
expect 0 --json payments refund "$pay"
json_is payment.status PAYMENT_STATUS_REFUNDED
json_is invoice.status INVOICE_STATUS_REFUNDED
expect 0 --json --now '2015-04-01 11:00:00' subscriptions cancel "$sub"
json_is cancel_at_period_end true
expect 0 --json subscriptions reactivate "$sub"
json_is cancel_at_period_end false
expect 0 --json events list --object-type subscription --object-id "$sub"
json_is events.0.type subscription.created

# ---- rollout ----

expect 0 rollout config
out_has '^mode +unset'
expect 0 rollout set canary --canary-key 3 --canary-key 5 --canary-percent 10
out_has '^mode +canary$'
out_has '^canary keys +3,5$'
out_has '^canary users +10%$'
expect 0 --json rollout set shadow
json_is mode ROLLOUT_MODE_SHADOW
json_is canary.api_key_ids.1 5
expect 2 rollout set sideways
err_has 'is not one of legacy\|shadow\|canary\|new'
expect 1 rollout set canary --canary-percent 101
err_has 'canary.percent'
expect 0 call billing.v1.Rollout/RecordDiffs '{"counts": [{"endpoint": "invoices.php", "action": "get", "matches": 3, "diffs": 1}], "diffs": [{"endpoint": "invoices.php", "action": "get", "primary_side": "legacy", "request": "GET /invoices.php?action=get&id=7", "primary_status": 200, "shadow_status": 200, "primary_body": "{\"a\":1}", "shadow_body": "{\"a\":2}", "paths": ["$.a"], "mutating": true}]}'
expect 0 rollout status
out_has '^diverged +YES since '
out_has 'DIVERGED'
out_has '^invoices\.php +get +75\.00% +3 +1 +0 +0$'
out_has ' yes +legacy +200/200 +\$\.a$'
expect 0 rollout diffs --endpoint invoices.php --action get
out_has '^write +yes \(divergence\)$'
out_has '^  paths: \$\.a$'
out_has '^  shadow body:  \{"a":2\}$'
expect 0 rollout diffs --endpoint users.php
out_lacks '^diff '
expect 0 rollout set shadow --clear-divergence
out_has '^diverged +no$'

# Several servers, the first one down: the call goes to the live one.
expect 0 --server "$down,$BILLING_SERVER" health
out_has '^status +serving$'

# --timeout bounds the wait for a server, too.
t0=$(ms)
expect 1 --server "$down" --timeout 300ms health
t1=$(ms)
err_has '^error: DEADLINE_EXCEEDED: no billing server reachable'
[ $((t1 - t0)) -lt 1500 ] || die "--timeout 300ms took $((t1 - t0)) ms"

# A server that is not there: UNAVAILABLE, also through the env.
expect 1 --server "$down" health
err_has "^error: UNAVAILABLE: no billing server reachable at $down\$"
(
	BILLING_SERVER=$down
	export BILLING_SERVER
	expect 1 customers get 1
	err_has '^error: UNAVAILABLE: '
)

# And the real one, once stopped.
"$stack" stop "$tmp/stack" >/dev/null 2>&1
expect 1 health
err_has '^error: UNAVAILABLE: '

echo "billctl e2e: all checks passed"
