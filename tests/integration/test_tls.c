/*
 * tls+tcp://: the server listens with a certificate, the client verifies
 * it against a CA file; a client without the right CA cannot call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static char tls_url[64], cert[300], other_ca[300];
static char dir[] = "/tmp/billing-tls.XXXXXX";

static int
setup(void **state)
{
	static char listen[96], certarg[320];
	const char *args[] = { listen, "--tls-cert-key", certarg, NULL };

	(void) state;
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(other_ca, sizeof(other_ca), "%s/other.pem", dir);
	/* A self-signed certificate for localhost, key and cert in one file;
	 * a second, unrelated one to play a wrong CA. */
	if (th_sh(
	        "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 2"
	        " -subj /CN=localhost -addext subjectAltName=DNS:localhost"
	        " -keyout key.pem -out crt.pem 2>/dev/null &&"
	        " cat crt.pem key.pem > server.pem &&"
	        " openssl req -x509 -newkey rsa:2048 -nodes -days 2"
	        " -subj /CN=other -keyout okey.pem -out other.pem 2>/dev/null",
	        dir) != 0)
		return (-1);
	snprintf(tls_url, sizeof(tls_url), "tls+tcp://localhost:%d",
	    th_free_port());
	snprintf(listen, sizeof(listen), "--listen=%s", tls_url);
	snprintf(certarg, sizeof(certarg), "%s", cert);
	th_start(&TH, args);
	return (0);
}

static int
teardown(void **state)
{
	(void) state;
	th_stop(&TH);
	th_sh("rm -rf %s", dir);
	return (0);
}

static int
check(const char *ca, const char *url)
{
	billing_client_opts o = { .tls_ca_file = ca,
		.connect_timeout_ms = 1500 };
	Billing__V1__HealthCheckRequest req =
	    BILLING__V1__HEALTH_CHECK_REQUEST__INIT;
	Billing__V1__HealthCheckResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_client *c;
	int rv;

	rv = billing_client_open(&c, url, &o, &st);
	if (rv == 0) {
		rv = billing_health_check(c, &req, &r, NULL, &st);
		if (r != NULL)
			billing__v1__health_check_response__free_unpacked(
			    r, NULL);
		billing_client_close(c);
	}
	billing_status_fini(&st);
	return (rv);
}

static void
test_tls_call_with_the_right_ca(void **state)
{
	(void) state;
	assert_int_equal(check(cert, tls_url), 0);
}

static void
test_tls_refuses_an_unknown_certificate(void **state)
{
	(void) state;
	assert_int_equal(check(other_ca, tls_url), BILLING_UNAVAILABLE);
	/* A TLS URL without a CA file is refused at open. */
	assert_int_equal(check(NULL, tls_url), BILLING_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_call_with_the_right_ca),
		cmocka_unit_test(test_tls_refuses_an_unknown_certificate),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
