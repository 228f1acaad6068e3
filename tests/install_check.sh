#!/bin/sh
# Installs the build into a scratch prefix and builds a program against
# the installed library with nothing but pkg-config: the headers, the
# .pc file and the shared library must be complete on their own.
#   install_check.sh BUILD_DIR [CFLAGS]
set -eu

build=${1:?usage: install_check.sh BUILD_DIR [CFLAGS]}
cflags=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/billing-server bin/billctl include/billing-client/billing_client.h \
    include/billing-client/billing_client_stubs.h \
    include/billing-client/billing/v1/customers.pb-c.h; do
	[ -e "$tmp/prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
pc=$(find "$tmp/prefix" -name billing-client.pc)
export PKG_CONFIG_PATH=$(dirname "$pc")

cat >"$tmp/app.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <billing_client_stubs.h>

int
main(void)
{
	billing_status st = BILLING_STATUS_INIT;
	billing_client *c;
	Billing__V1__GetPlanRequest req = BILLING__V1__GET_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	billing_client_opts o = {.connect_timeout_ms = 100};

	if (billing_client_open(&c, "ipc:///nonexistent/socket", &o, &st) != 0)
		return (1);
	req.has_id = 1;
	req.id = 1;
	/* No server there: the stub must say so, not hang or crash. */
	if (billing_plans_get(c, &req, &p, NULL, &st) != BILLING_UNAVAILABLE)
		return (2);
	printf("%s: %s\n", billing_code_name(st.code), st.message);
	billing_status_fini(&st);
	billing_client_close(c);
	return (0);
}
C
libdir=$(pkg-config --variable=libdir billing-client)
# shellcheck disable=SC2086 # cflags holds several flags
cc -std=c11 -Wall -Werror $cflags -o "$tmp/app" "$tmp/app.c" $(pkg-config --cflags --libs billing-client)
LD_LIBRARY_PATH=$libdir "$tmp/app"
