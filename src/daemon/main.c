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
		"usage: sriovd [-c FILE] [--check-config] [--root SYSFS]\n"
		"  -c, --config FILE  configuration (default %s)\n"
		"  --check-config     validate the configuration and exit\n"
		"  --root DIR         read sysfs below DIR (tests)\n",
		SRIOV_DAEMON_CONFIG_DEFAULT);
	return code;
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
	if (f) {
		fputs(text, f);
		if (fclose(f) == 0)
			rename(tmp, d->cfg.metrics_file);
	}
	json_decref(resp);
}

static void loop(struct daemon *d)
{
	uint64_t wd = notify_watchdog_ms(), next_wd = mono_ms() + wd;
	uint64_t interval = d->cfg.check_interval * 1000ull;

	d->next_check_ms = interval ? mono_ms() + interval : UINT64_MAX;
	while (!got_signal) {
		size_t n = d->n_clients + 2;
		_cleanup_free_ struct pollfd *p = calloc(n, sizeof(*p));
		uint64_t now = mono_ms(), next = d->next_check_ms;
		int timeout, r;

		if (!p)
			return;
		if (wd && next_wd < next)
			next = next_wd;
		timeout = next == UINT64_MAX ? -1 :
			  next <= now	     ? 0 :
			  next - now > 60000 ? 60000 :
					       (int)(next - now);
		p[0] = (struct pollfd){ .fd = d->listen_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = d->monitor_fd, .events = POLLIN };
		for (size_t i = 0; i < d->n_clients; i++)
			p[i + 2] = (struct pollfd){ .fd = d->clients[i].fd,
						    .events = POLLIN };
		r = poll(p, n, timeout);
		if (r < 0 && errno != EINTR)
			return;
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
		{},
	};
	const char *config = SRIOV_DAEMON_CONFIG_DEFAULT, *sys = NULL;
	struct daemon d = { .listen_fd = -1, .monitor_fd = -1 };
	struct sriov_error err = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	bool check_only = false;
	char db[4200];
	int c, r;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
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
	if (sriov_daemon_config_load(config, NULL, &d.cfg, &err) < 0) {
		log_err("%s", err.msg);
		return 1;
	}
	if (check_only) {
		printf("%s: ok\n", config);
		sriov_daemon_config_release(&d.cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (mkdir(d.cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		log_err("state_dir %s: %s", d.cfg.state_dir, strerror(errno));
		return 1;
	}
	snprintf(db, sizeof(db), "%s/sriovd.db", d.cfg.state_dir);
	if (sriov_store_open(db, &d.store, &err) < 0 ||
	    sriov_root_open(sys, NULL, &d.root, &err) < 0 ||
	    sriov_nl_open(d.root, &d.nl, &err) < 0) {
		log_err("%s", err.msg);
		return 1;
	}
	/* Order matters: know the VFs, finish what a crash left half done,
	 * then compare everything with the kernel, and only then listen. */
	if (ops_sync(&d, &err) < 0) {
		log_err("%s", err.msg);
		return 1;
	}
	ops_recover(&d);
	ops_check(&d);
	if (api_listen(&d, &err) < 0) {
		log_err("%s", err.msg);
		return 1;
	}
	/* A tree is not this kernel: no socket, no events (sriov_nl_open). */
	d.monitor_fd = sriov_root_is_live(d.root) ? monitor_open() : -EROFS;
	if (d.monitor_fd < 0)
		log_warn("cannot follow link changes (%s); periodic checks "
			 "only",
			 strerror(-d.monitor_fd));
	write_metrics_file(&d);
	log_info("ready: %s, state %s", d.cfg.socket, db);
	notify_send("READY=1\nSTATUS=serving");

	loop(&d);

	notify_send("STOPPING=1");
	log_info("stopping (signal %d)", (int)got_signal);
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
	sriov_nl_close(d.nl);
	sriov_root_free(d.root);
	sriov_store_close(d.store);
	sriov_daemon_config_release(&d.cfg);
	r = 0;
	return r;
}
