/* SPDX-License-Identifier: MIT */
/*
 * transport_url as oslo.messaging reads it (transport.py TransportURL.parse,
 * impl_rabbit.py _transform_transport_url, kombu's url_to_parts). The
 * expectations below are what oslo.messaging itself makes of each URL
 * (tests/rpc/url_oracle.py checks ours against it on a larger corpus).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/rpc.h>

#include "rpc/rpc-internal.h"
#include "../unit/assert_msg.h"

static void parse_ok(struct sriov_rpc_url *u, const char *s)
{
	struct sriov_error err = { 0 };

	sriov_rpc_url_init(u);
	if (sriov_rpc_url_parse(u, s, &err) < 0) {
		print_error("%s: %s\n", s, err.msg);
		fail();
	}
}

static void host_is(const struct sriov_rpc_host *h, const char *host,
		    unsigned port, const char *user, const char *pass)
{
	assert_string_equal(h->host, host);
	assert_int_equal(h->port, port);
	assert_string_equal(h->user, user);
	assert_string_equal(h->password, pass);
}

static void test_several_hosts(void **state)
{
	struct sriov_rpc_url u;

	parse_ok(&u, "rabbit://u:p@h1:5672,u2:p2@h2:5673/vhost");
	assert_int_equal(u.n_hosts, 2);
	host_is(&u.hosts[0], "h1", 5672, "u", "p");
	host_is(&u.hosts[1], "h2", 5673, "u2", "p2");
	assert_string_equal(u.vhost, "vhost");
	assert_false(u.ssl);
	sriov_rpc_url_release(&u);
}

static void test_defaults(void **state)
{
	struct sriov_rpc_url u;

	parse_ok(&u, "rabbit://h/");
	assert_int_equal(u.n_hosts, 1);
	host_is(&u.hosts[0], "h", 5672, "guest", "guest");
	assert_string_equal(u.vhost, "/");
	assert_int_equal(u.heartbeat, 60);
	assert_int_equal(u.transient_ttl, 1800);
	sriov_rpc_url_release(&u);

	/* no host at all: impl_rabbit's localhost with guest */
	parse_ok(&u, "rabbit://");
	host_is(&u.hosts[0], "localhost", 5672, "guest", "guest");
	assert_string_equal(u.vhost, "/");
	sriov_rpc_url_release(&u);

	/* empty port, user or password: kombu's defaults; port 0 too */
	parse_ok(&u, "rabbit://:@h:,u@h2:0,:pw@h3//");
	host_is(&u.hosts[0], "h", 5672, "guest", "guest");
	host_is(&u.hosts[1], "h2", 5672, "u", "guest");
	host_is(&u.hosts[2], "h3", 5672, "guest", "pw");
	assert_string_equal(u.vhost, "/");
	sriov_rpc_url_release(&u);

	/* ":port" alone is kombu's default host */
	parse_ok(&u, "rabbit://a,u:p@:5673/");
	host_is(&u.hosts[0], "a", 5672, "guest", "guest");
	host_is(&u.hosts[1], "localhost", 5673, "u", "p");
	sriov_rpc_url_release(&u);

	/* empty elements of the netloc are skipped */
	parse_ok(&u, "RABBIT://,h,,/");
	assert_int_equal(u.n_hosts, 1);
	host_is(&u.hosts[0], "h", 5672, "guest", "guest");
	sriov_rpc_url_release(&u);
}

static void test_decoding(void **state)
{
	struct sriov_rpc_url u;

	/* the last '@' ends the credentials, the first ':' splits them */
	parse_ok(&u, "rabbit://a@b:c:d@h/");
	host_is(&u.hosts[0], "h", 5672, "a@b", "c:d");
	sriov_rpc_url_release(&u);

	parse_ok(&u, "rabbit://us%40er:p%3As%2Cs%25@h/v%2Fx");
	host_is(&u.hosts[0], "h", 5672, "us@er", "p:s,s%");
	assert_string_equal(u.vhost, "v/x");
	sriov_rpc_url_release(&u);

	/* the vhost is decoded twice: by oslo.messaging, then by kombu */
	parse_ok(&u, "rabbit://h/a%2541");
	assert_string_equal(u.vhost, "aA");
	sriov_rpc_url_release(&u);
	parse_ok(&u, "rabbit://h/v%253Fx"); /* kombu reads "v%3Fx" as v?x */
	assert_string_equal(u.vhost, "v?x");
	sriov_rpc_url_release(&u);
	parse_ok(&u, "rabbit://h/%2F");
	assert_string_equal(u.vhost, "/");
	sriov_rpc_url_release(&u);

	/* a '%' that starts no escape stays */
	parse_ok(&u, "rabbit://u:100%@h/");
	host_is(&u.hosts[0], "h", 5672, "u", "100%");
	sriov_rpc_url_release(&u);

	/* UTF-8 once decoded */
	parse_ok(&u, "rabbit://u:%C3%A9t%C3%A9@h/");
	assert_string_equal(u.hosts[0].password, "\xc3\xa9t\xc3\xa9");
	sriov_rpc_url_release(&u);

	parse_ok(&u, "rabbit://u:p@[::1]:5673,[fe80::2]/");
	host_is(&u.hosts[0], "::1", 5673, "u", "p");
	host_is(&u.hosts[1], "fe80::2", 5672, "guest", "guest");
	sriov_rpc_url_release(&u);
}

static void test_query(void **state)
{
	struct sriov_rpc_url u;
	struct sriov_error err = { 0 };

	sriov_rpc_url_init(&u);
	/* what a caller read from [oslo_messaging_rabbit] */
	u.ssl_ca_file = strdup("/from/config.pem");
	u.ssl_key_file = strdup("/from/config.key");
	u.heartbeat = 30;
	assert_int_equal(
		sriov_rpc_url_parse(
			&u,
			"rabbit://h/?ssl=True&ssl_ca_file=%2Fetc%2Fca.pem&ssl_enforce_hostname_verification=on&rabbit_retry_interval=2&amqp_durable_queues=yes&ignored&blank=",
			&err),
		0);
	assert_true(u.ssl);
	assert_string_equal(u.ssl_ca_file, "/etc/ca.pem");
	assert_string_equal(u.ssl_key_file, "/from/config.key");
	assert_true(u.ssl_verify_hostname);
	assert_int_equal(u.heartbeat, 30);
	assert_int_equal(u.retry_interval, 2);
	assert_true(u.durable);
	assert_string_equal(u.vhost, "/");
	sriov_rpc_url_release(&u);

	/* a query right after the netloc: no vhost */
	parse_ok(&u, "rabbit://h?heartbeat_timeout_threshold=0&ssl=0");
	assert_int_equal(u.heartbeat, 0);
	assert_false(u.ssl);
	assert_string_equal(u.vhost, "/");
	sriov_rpc_url_release(&u);
}

static void refused(const char *url, int code, const char *const *words)
{
	struct sriov_rpc_url u;
	struct sriov_error err = { 0 };
	int r;

	sriov_rpc_url_init(&u);
	u.heartbeat = 7;
	r = sriov_rpc_url_parse(&u, url, &err);
	if (r != code) {
		print_error("%s: returned %d, expected %d (%s)\n", url, r, code,
			    err.msg);
		fail();
	}
	for (; *words; words++)
		assert_msg_has(err.msg, *words);
	/* a failure leaves the caller's struct as it was */
	assert_null(u.hosts);
	assert_null(u.vhost);
	assert_int_equal(u.heartbeat, 7);
}

#define REFUSED(url, ...) \
	refused(url, -EINVAL, (const char *const[]){ __VA_ARGS__, NULL })

static void test_refused(void **state)
{
	REFUSED("amqp://h/", "column 1", "scheme 'amqp'", "rabbit://");
	REFUSED("h:5672", "column 1", "scheme 'h'");
	REFUSED("nothing", "no scheme");
	REFUSED("rabbit:h/", "column 8", "'//'");
	REFUSED("rabbit://h:99999/", "column 12", "port '99999'", "1 to 65535");
	REFUSED("rabbit://u:p@h:abc/", "column 16", "port 'abc'");
	REFUSED("rabbit://h:1:2/", "column 12", "port '1:2'");
	REFUSED("rabbit://u:p@/", "column 14", "empty host");
	REFUSED("rabbit://[::1/", "column 10", "'[' without its pair");
	REFUSED("rabbit://h,[::1]/", "column 12",
		"first host after the last '@'");
	REFUSED("rabbit://[::1],h/", "column 15", "after ']'");
	REFUSED("rabbit://[::1]:1,u@h/", "column 20",
		"'h' is not an IPv6 address");
	REFUSED("rabbit://[zz]:5/", "column 11", "'zz' is not an IPv6");
	REFUSED("rabbit://[::1]x/", "column 15", "after ']'");
	REFUSED("rabbit://h%41/", "column 11", "'%' in host name");
	REFUSED("rabbit://u[x]:p@h/", "column 17", "'h' is not an IPv6");
	REFUSED("rabbit://u[x:p@[::1]/", "column 11", "'['", "percent-encoded");
	REFUSED("rabbit://h/?foo=1", "column 13",
		"option 'foo' is not supported", "ssl_ca_file",
		"heartbeat_timeout_threshold");
	REFUSED("rabbit://h/?rabbit_ha_queues=true",
		"option 'rabbit_ha_queues' is not supported");
	REFUSED("rabbit://h/?ssl=maybe", "column 13",
		"'maybe' is not a boolean");
	REFUSED("rabbit://h/?ssl=1&ssl=0", "column 19", "'ssl' given twice");
	REFUSED("rabbit://h/?rabbit_transient_queues_ttl=0", "from 1 to");
	REFUSED("rabbit://h/?heartbeat_timeout_threshold=-1", "not a number");
	REFUSED("rabbit://h/v#frag", "column 13", "'#'", "%23");
	REFUSED("rabbit://u:p w@h/", "column 13", "0x20", "percent-encoded");
	REFUSED("rabbit://u:p\n@h/", "column 13", "0x0a");
	REFUSED("rabbit://u:\xc3\xa9@h/", "column 12", "0xc3");
	REFUSED("rabbit://u:%ff@h/", "column 12", "the password is not UTF-8");
	REFUSED("rabbit://u%00:p@h/", "column 10", "user name holds a control");
	REFUSED("rabbit://u:a%2Fb@h/", "column 10", "'/'", "cannot connect");
	REFUSED("rabbit://h/v%3Bx", "column 12", "';'");
	REFUSED("rabbit://h/v%3Fx", "column 12", "holds", "'?'");
	REFUSED("rabbit://h1,h2,h3,h4,h5,h6,h7,h8,h9,h10,h11,h12,h13,h14,h15,h16,h17/",
		"more than 16 hosts");
	REFUSED(NULL, "none given");
}

static void test_too_long(void **state)
{
	char *s = malloc(SRIOV_RPC_URL_MAX + 2);

	memset(s, 'a', SRIOV_RPC_URL_MAX + 1);
	memcpy(s, "rabbit://", 9);
	s[SRIOV_RPC_URL_MAX + 1] = '\0';
	REFUSED(s, "longer than 4096");
	free(s);
}

static void test_backoff(void **state)
{
	struct sriov_rpc_url u;

	sriov_rpc_url_init(&u);
	/* 1, 3, 7, 15, then rabbit_interval_max (30) seconds */
	assert_int_equal(rpc_backoff_ms(&u, 0, UINT32_MAX - 1),
			 1000 / 2 + (UINT32_MAX - 1) % 501);
	assert_int_equal(rpc_backoff_ms(&u, 0, 500), 1000);
	assert_int_equal(rpc_backoff_ms(&u, 0, 0), 500);
	assert_int_equal(rpc_backoff_ms(&u, 1, 1500), 3000);
	assert_int_equal(rpc_backoff_ms(&u, 2, 3500), 7000);
	assert_int_equal(rpc_backoff_ms(&u, 3, 7500), 15000);
	assert_int_equal(rpc_backoff_ms(&u, 4, 15000), 30000);
	assert_int_equal(rpc_backoff_ms(&u, 40, 15000), 30000);
	assert_int_equal(rpc_backoff_ms(&u, 40, 0), 15000);
	/* jitter stays in [d/2, d] whatever the draw */
	for (uint32_t r = 0; r < 100000; r += 7919) {
		unsigned d = rpc_backoff_ms(&u, 1, r * 2654435761u);

		assert_in_range(d, 1500, 3000);
	}
	u.retry_interval = 0; /* oslo: interval_start or 1 */
	u.retry_backoff = 0;
	assert_int_equal(rpc_backoff_ms(&u, 5, 500), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_several_hosts),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
