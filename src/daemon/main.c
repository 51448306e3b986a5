/* SPDX-License-Identifier: MIT */
/* sriovd: binds ports to VFs, restores and scrubs them, survives crashes. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sriovd.h"
#include "util/macro.h"
#include "util/banned.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: sriovd [-c FILE] [--check-config] [--root DIR]\n"
		"\nThe SR-IOV host agent: binds ports to VFs, restores and scrubs them on release, repairs drift (sriovd(8)).\n"
		"\noptions:\n"
		"  -c, --config FILE  configuration (default %s; when that file\n"
		"                     is missing, the defaults: no physnets)\n"
		"  --check-config     validate the configuration and exit\n"
		"  --root DIR         read sysfs below DIR (tests)\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this help\n"
		"\nenvironment:\n"
		"  NOTIFY_SOCKET, WATCHDOG_USEC  systemd's notification and watchdog\n"
		"  SRIOVD_TEST_STEP_DELAY_MS     slow every step of a bind or unbind (tests)\n"
		"\nsignals: SIGTERM, SIGINT stop it; a half-done operation is finished or\n"
		"rolled back on the next start.\n",
		SRIOV_DAEMON_CONFIG_DEFAULT);
	return code;
}

/* Said once when writes start failing, and once when they work again:
 * the file is rewritten after every check. */
/* Make the socket's folder (0755, one level) when it is missing. */
static int socket_dir(const char *socket)
{
	char dir[4200];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", socket);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_err("socket %s: cannot make %s: %s", socket, dir,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static void metrics_write_failed(struct daemon *d, const char *path, int e)
{
	if (!d->metrics_failing)
		log_err("cannot write metrics to %s: %s (metrics_file must be writable by sriovd; the unit allows /var/lib/prometheus/node-exporter)",
			path, strerror(e));
	d->metrics_failing = true;
}

static void write_metrics_file(struct daemon *d)
{
	json_t *req, *resp;
	char tmp[4200];
	const char *text;
	FILE *f;

	if (!d->cfg.metrics_file)
		return;
	req = api_handle(d, "{\"op\":\"metrics\"}", 16, 0);
	text = json_string_value(json_object_get(req, "text"));
	resp = req;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->cfg.metrics_file);
	f = text ? fopen(tmp, "we") : NULL;
	if (!f) {
		if (text)
			metrics_write_failed(d, tmp, errno);
	} else {
		bool ok = fputs(text, f) >= 0;

		if (fclose(f) != 0)
			ok = false;
		if (!ok || rename(tmp, d->cfg.metrics_file) < 0) {
			metrics_write_failed(d, d->cfg.metrics_file, errno);
			unlink(tmp);
		} else {
			d->metrics_failing = false;
		}
	}
	json_decref(resp);
}

static void loop(struct daemon *d)
{
	uint64_t wd = notify_watchdog_ms(), next_wd = mono_ms() + wd;
	uint64_t interval = d->cfg.check_interval * 1000ull;

	d->next_check_ms = interval ? mono_ms() + interval : UINT64_MAX;
	while (!got_signal) {
		size_t n = d->n_clients + 3;
		_cleanup_free_ struct pollfd *p = calloc(n, sizeof(*p));
		uint64_t now = mono_ms(), next = d->next_check_ms;
		int timeout, r, nt;

		if (!p)
			return;
		if (wd && next_wd < next)
			next = next_wd;
		timeout = next == UINT64_MAX ? -1 :
			  next <= now	     ? 0 :
			  next - now > 60000 ? 60000 :
					       (int)(next - now);
		/* the Neutron agent: its broker's socket and timers */
		nt = neutron_timeout_ms(d);
		if (nt >= 0 && (timeout < 0 || nt < timeout))
			timeout = nt;
		r = cluster_timeout(d, now);
		if (r >= 0 && (timeout < 0 || r < timeout))
			timeout = r;
		p[0] = (struct pollfd){ .fd = d->listen_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = d->monitor_fd, .events = POLLIN };
		p[n - 1] = (struct pollfd){ .fd = neutron_fd(d),
					    .events = POLLIN };
		for (size_t i = 0; i < d->n_clients; i++)
			p[i + 2] = (struct pollfd){ .fd = d->clients[i].fd,
						    .events = POLLIN };
		r = poll(p, n, timeout);
		if (r < 0 && errno != EINTR)
			return;
		neutron_step(d);
		now = mono_ms();
		if (r > 0) {
			for (size_t i = 0; i < d->n_clients; i++)
				if (p[i + 2].revents &&
				    !api_client_read(d, &d->clients[i]))
					api_client_close(&d->clients[i]);
			/* compact the closed ones away */
			size_t k = 0;
			for (size_t i = 0; i < d->n_clients; i++)
				if (d->clients[i].fd >= 0)
					d->clients[k++] = d->clients[i];
			d->n_clients = k;
			if (p[0].revents)
				api_accept(d);
			if (p[1].revents &&
			    monitor_read(d->monitor_fd, d->watch_ifindex,
					 d->n_watch) &&
			    !d->dirty) {
				/* a short delay gathers a burst of events,
				 * including those of our own changes */
				d->dirty = true;
				if (now + 500 < d->next_check_ms)
					d->next_check_ms = now + 500;
			}
		}
		if (wd && now >= next_wd) {
			notify_send("WATCHDOG=1");
			next_wd = now + wd;
		}
		cluster_tick(d);
		if (now >= d->next_check_ms) {
			d->dirty = false;
			ops_check(d);
			write_metrics_file(d);
			/* our own repairs raise events: drain them */
			if (d->monitor_fd >= 0)
				monitor_read(d->monitor_fd, NULL, 0);
			d->next_check_ms = interval ? mono_ms() + interval :
						      UINT64_MAX;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const char *config = SRIOV_DAEMON_CONFIG_DEFAULT, *sys = NULL;
	struct daemon d = { .listen_fd = -1, .monitor_fd = -1 };
	struct sriov_error err = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	bool check_only = false, given = false;
	char db[4200];
	int c, r;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			given = true;
			break;
		case 'V':
			printf("sriovd %s\n", SRIOV_VERSION);
			return 0;
		case 'C':
			check_only = true;
			break;
		case 'r':
			sys = optarg;
			break;
		case 'h':
			return usage(0);
		default:
			return usage(2);
		}
	}
	if (optind != argc)
		return usage(2);
	/* A fresh install has no configuration yet: run with the defaults
	 * (nothing to bind) rather than fail, and say so. A file named with
	 * -c must exist. */
	if (!given && access(config, F_OK) < 0 && errno == ENOENT) {
		log_warn(
			"%s: not found; running with the defaults (no physnets, nothing to bind): write it from /usr/share/doc/sriov/examples/sriovd.yaml",
			config);
		r = sriov_daemon_config_defaults(config, &d.cfg, &err);
	} else {
		r = sriov_daemon_config_load(config, NULL, &d.cfg, &err);
	}
	if (r < 0) {
		log_err("%s", err.msg);
		return 1;
	}
	if (neutron_check_config(&d.cfg, &err) < 0) {
		log_err("%s", err.msg);
		sriov_daemon_config_release(&d.cfg);
		return 1;
	}
	if (check_only) {
		printf("%s: ok%s\n", config,
		       d.cfg.n_physnets ? "" :
					  " (no physnets: nothing to bind)");
		sriov_daemon_config_release(&d.cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	r = 1;
	if (mkdir(d.cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		log_err("state_dir %s: %s", d.cfg.state_dir, strerror(errno));
		goto out;
	}
	/* The unit makes /run/sriovd (RuntimeDirectory); run by hand, the
	 * socket's folder may not exist yet. */
	if (socket_dir(d.cfg.socket) < 0)
		goto out;
	snprintf(db, sizeof(db), "%s/sriovd.db", d.cfg.state_dir);
	if (sriov_store_open(db, &d.store, &err) < 0 ||
	    sriov_root_open(sys, NULL, &d.root, &err) < 0 ||
	    sriov_nl_open(d.root, &d.nl, &err) < 0 ||
	    cluster_open(&d, SRIOV_VERSION, &err) < 0) {
		log_err("%s", err.msg);
		goto out;
	}
	/* Order matters: know the VFs, finish what a crash left half done,
	 * then compare everything with the kernel, and only then listen. */
	if (ops_sync(&d, &err) < 0) {
		log_err("%s", err.msg);
		goto out;
	}
	/* The lease first (one try, within the timeouts), so a recovery
	 * releases the GUID claims of the binds it rolls back. */
	if (d.cluster.on && cluster_ready(&d, &err) < 0)
		log_warn(
			"cluster: the store does not answer (%s): serving; InfiniBand binds are refused until it does",
			err.msg);
	ops_recover(&d);
	ops_check(&d);
	/* what SQLite holds, published again; what it no longer holds,
	 * deleted */
	cluster_tick(&d);
	if (api_listen(&d, &err) < 0) {
		log_err("%s", err.msg);
		goto out;
	}
	/* A tree is not this kernel: no socket, no events (sriov_nl_open). */
	if (!sriov_root_is_live(d.root)) {
		log_info(
			"%s is not the live /sys: no link events to follow; periodic checks only",
			sys);
	} else {
		d.monitor_fd = monitor_open();
		if (d.monitor_fd < 0)
			log_warn(
				"cannot follow link changes (%s); periodic checks only",
				strerror(-d.monitor_fd));
	}
	if (neutron_start(&d, &err) < 0) {
		log_err("%s", err.msg);
		goto out;
	}
	write_metrics_file(&d);
	log_info("ready: %s, state %s", d.cfg.socket, db);
	notify_send("READY=1\nSTATUS=serving");

	loop(&d);

	notify_send("STOPPING=1");
	log_info("stopping (signal %d)", (int)got_signal);
	r = 0;
out:
	neutron_stop(&d);
	for (size_t i = 0; i < d.n_clients; i++)
		api_client_close(&d.clients[i]);
	free(d.clients);
	free(d.watch_ifindex);
	if (d.listen_fd >= 0) {
		close(d.listen_fd);
		unlink(d.cfg.socket);
	}
	if (d.monitor_fd >= 0)
		close(d.monitor_fd);
	if (d.nl)
		sriov_nl_close(d.nl);
	if (d.root)
		sriov_root_free(d.root);
	cluster_close(&d);
	if (d.store)
		sriov_store_close(d.store);
	sriov_daemon_config_release(&d.cfg);
	return r;
}
