/* SPDX-License-Identifier: MIT */
/*
 * sriovd as Neutron's agent: the neutron: section of sriovd.yaml (the
 * config layer) and its transport_url as the rpc layer reads it (the
 * daemon's neutron_check_config()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/daemon_config.h>
#include "assert_msg.h"
#include "neutron.h"

#define BASE "physnets:\n  p: [eth0]\n"

static int load(const char *text, struct sriov_daemon_config *c,
		struct sriov_error *err)
{
	int r = sriov_daemon_config_load("t.yaml", text, c, err);

	if (r >= 0) {
		r = neutron_check_config(c, err);
		if (r < 0)
			sriov_daemon_config_release(c);
	}
	return r;
}

static void test_config_ok(void **state)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };

	(void)state;
	assert_int_equal(load(BASE, &c, &err), 0);
	assert_false(c.neutron.enabled);
	assert_null(c.neutron.transport_url);
	sriov_daemon_config_release(&c);

	assert_int_equal(
		load(BASE
		     "neutron:\n"
		     "  transport_url: 'rabbit://u:p@a:5672,u:p@b:5673/v?ssl=true'\n"
		     "  host: compute-1.example\n"
		     "  report_interval: 10\n"
		     "  rpc_timeout: 5\n"
		     "  resync_interval: 0\n"
		     "  control_exchange: neutron2\n",
		     &c, &err),
		0);
	assert_true(c.neutron.enabled);
	assert_string_equal(c.neutron.transport_url,
			    "rabbit://u:p@a:5672,u:p@b:5673/v?ssl=true");
	assert_string_equal(c.neutron.host, "compute-1.example");
	assert_int_equal(c.neutron.report_interval, 10);
	assert_int_equal(c.neutron.rpc_timeout, 5);
	assert_int_equal(c.neutron.resync_interval, 0);
	assert_string_equal(c.neutron.control_exchange, "neutron2");
	/* where the URL's text starts: past the quote */
	assert_int_equal(c.neutron.url_line, 4);
	assert_int_equal(c.neutron.url_column, 19);
	sriov_daemon_config_release(&c);

	/* the defaults: oslo's report_interval, Neutron's exchange, the
	 * machine's host name (NULL here, the daemon asks) */
	assert_int_equal(load(BASE "neutron: {transport_url: 'rabbit://'}\n",
			      &c, &err),
			 0);
	assert_int_equal(c.neutron.report_interval, 30);
	assert_int_equal(c.neutron.rpc_timeout, 60);
	assert_int_equal(c.neutron.resync_interval, 300);
	assert_string_equal(c.neutron.control_exchange, "neutron");
	assert_null(c.neutron.host);
	sriov_daemon_config_release(&c);
}

static void config_err(const char *text, const char *want)
{
	struct sriov_daemon_config c;
	struct sriov_error err = { 0 };

	assert_int_equal(load(text, &c, &err), -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_config_errors(void **state)
{
	(void)state;
	config_err(
		BASE "neutron: rabbit://\n",
		"t.yaml:3:10: neutron: expected a mapping (transport_url, host, report_interval");
	config_err(BASE "neutron: {host: h}\n",
		   "t.yaml:3:10: neutron: transport_url is required");
	config_err(
		BASE "neutron:\n  transport_url: ''\n",
		"t.yaml:4:18: neutron: transport_url: expected one string rabbit://");
	config_err(BASE "neutron:\n  transport_url: [a, b]\n",
		   "t.yaml:4:18: neutron: transport_url: expected one string");
	config_err(
		BASE "neutron:\n  transport_url: rabbit://\n  colour: red\n",
		"t.yaml:5:3: neutron: unknown key 'colour' (expected transport_url, host,");
	config_err(BASE "neutron:\n  transport_url: rabbit://\n  host: 'a b'\n",
		   "t.yaml:5:9: neutron: host: invalid 'a b' (1..255 letters");
	config_err(BASE "neutron:\n  transport_url: rabbit://\n  host: ''\n",
		   "t.yaml:5:9: neutron: host: invalid ''");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  report_interval: 0\n",
		"t.yaml:5:20: neutron: report_interval: invalid '0' (expected whole seconds, 1..3600)");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  report_interval: 1.5\n",
		"neutron: report_interval: invalid '1.5'");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  rpc_timeout: 3601\n",
		"t.yaml:5:16: neutron: rpc_timeout: invalid '3601'");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  resync_interval: -1\n",
		"neutron: resync_interval: invalid '-1' (expected whole seconds, 0..86400)");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  control_exchange: 'a/b'\n",
		"t.yaml:5:21: neutron: control_exchange: invalid 'a/b'");
	config_err(
		BASE
		"neutron:\n  transport_url: rabbit://\n  host: a\n  host: b\n",
		"t.yaml:6:3: 'host' is given twice (first at line 5 column 3)");
	/* the URL as the rpc layer reads it: where it starts in the file,
	 * then the column in the URL */
	config_err(BASE "neutron:\n  transport_url: amqp://h/\n",
		   "t.yaml:4:18: neutron: transport_url column 1:");
	config_err(
		BASE "neutron:\n  transport_url: \"rabbit://h:99999/\"\n",
		"t.yaml:4:19: neutron: transport_url column 12: port '99999' is not a number from 1 to 65535");
	config_err(BASE "neutron:\n  transport_url: rabbit://h/?colour=red\n",
		   "t.yaml:4:18: neutron: transport_url column");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_ok),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
