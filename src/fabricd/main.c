/* SPDX-License-Identifier: MIT */
/*
 * sriov-fabricd: one InfiniBand subnet's partitions.conf from the cloud's
 * ports in etcd, beside OpenSM on each SM node (docs/cluster.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sriov/opensm.h>

#include "ctl.h"
#include "util/macro.h"
#include "util/notify.h"
#include "util/strutil.h"
#include "util/banned.h"

#define ENDPOINTS_MAX 16

int fd_log_level = 6;

void fd_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert",	 "crit",
					     "error", "warning", "notice",
					     "info",  "debug" };
	va_list ap;

	if (level > fd_log_level)
		return;
	/* under systemd the <N> prefix gives the journal the level */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", level);
	else
		fprintf(stderr, "sriov-fabricd: %s: ", names[level & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char usage_text[] =
	"usage: sriov-fabricd --etcd URL[,URL...] --fabric NAME --static INTENT.yaml --partitions PATH [--opensm-pid PIDFILE] [--grace SECONDS] [--once] [OPTIONS]\n"
	"\n"
	"Keeps one InfiniBand subnet's OpenSM partitions.conf: the static partitions of\n"
	"INTENT.yaml plus one member per bound port of fabric NAME in etcd, rendered\n"
	"from one store revision, checked, replaced atomically; OpenSM is signalled and\n"
	"the fabric verified over MADs. One instance per fabric leads (an etcd election);\n"
	"the others stand by.\n"
	"\n"
	"options:\n"
	"  --etcd URL[,URL...]    etcd members (http:// or https://)\n"
	"  --fabric NAME          the fabric (subnet) this OpenSM manages\n"
	"  --static INTENT.yaml   the operator's partitions (Default, management...), in\n"
	"                         the intent schema of 'sriovctl fabric render'\n"
	"  --partitions PATH      the partitions.conf OpenSM reads\n"
	"  --opensm-pid PIDFILE   send SIGHUP to the OpenSM whose pid this file holds\n"
	"                         (only if /proc shows it is opensm) after each change\n"
	"  --grace SECONDS        keep a port whose key went with its lease (host lost)\n"
	"                         this long (default 300; 0: remove it at once)\n"
	"  --once                 render from the current revision, verify, exit\n"
	"  --id NAME              this controller's name in the election (default: the\n"
	"                         host name)\n"
	"  --prefix ROOT          the store's key root (default /sriov/)\n"
	"  --lease-ttl SECONDS    the election lease (default 5): a dead leader is\n"
	"                         replaced within it\n"
	"  --etcd-timeout MS      per etcd request (default 1000)\n"
	"  --etcd-ca FILE         CA of https:// members\n"
	"  --etcd-cert FILE       client certificate, with --etcd-key FILE\n"
	"  --etcd-key FILE        its key\n"
	"  --no-verify            do not check the fabric over MADs\n"
	"  --ca NAME              the local HCA to send MADs from (default: the first)\n"
	"  --ca-port N            its port\n"
	"  --verify-timeout SECONDS  how long OpenSM may take to program (default 30)\n"
	"  --allow-both           OpenSM runs with allow_both_pkeys TRUE\n"
	"  --table-size N         P-key table size of the ports, for the linter\n"
	"  --coalesce MS          a burst ends after MS quiet (default 20; at most 10x it)\n"
	"  --metrics-listen ADDR:PORT  serve Prometheus metrics over HTTP\n"
	"  --metrics-file PATH    write them to PATH (node exporter's textfile folder)\n"
	"  -v, --verbose          debug messages\n"
	"  -V, --version          print the version\n"
	"  -h, --help             this help\n"
	"\n"
	"signals: SIGHUP reads INTENT.yaml again (a bad one is refused and the old one\n"
	"kept); SIGTERM and SIGINT resign the election and exit.\n";

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sriov-fabricd: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%.*s", (int)strcspn(usage_text, "\n") + 1,
		usage_text);
	return 2;
}

static int parse_uint(const char *opt, const char *s, unsigned min,
		      unsigned max, unsigned *ret)
{
	uint64_t v;

	if (parse_u64(s, 10, &v) < 0 || v < min || v > max)
		return usage_error("%s: expected %u..%u, got '%s'", opt, min,
				   max, s);
	*ret = (unsigned)v;
	return 0;
}

/* "127.0.0.1:9469", "[::1]:9469", ":9469" (every address). */
static int listen_on(const char *spec)
{
	struct sockaddr_storage ss = { 0 };
	const char *colon = strrchr(spec, ':');
	char host[64];
	socklen_t sl;
	uint64_t port;
	int fd, one = 1;

	if (!colon || parse_u64(colon + 1, 10, &port) < 0 || !port ||
	    port > 65535 || (size_t)(colon - spec) >= sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		host[strlen(host) - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (host[0] && inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* One scrape: read the request line, answer, close. */
static void serve_metrics(struct ctl *c, int lfd)
{
	struct timeval tv = { .tv_sec = 1 };
	char req[2048], head[160];
	_cleanup_free_ char *body = NULL;
	_cleanup_close_ int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	size_t len, off = 0;
	ssize_t n;
	bool ok;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = recv(fd, req, sizeof(req) - 1, 0);
	if (n <= 0)
		return;
	req[n] = '\0';
	ok = !strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET / ", 6);
	body = ok ? fd_metrics_text(c) : strdup("not found: try /metrics\n");
	if (!body)
		return;
	len = strlen(body);
	snprintf(
		head, sizeof(head),
		"HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		ok ? "200 OK" : "404 Not Found", len);
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0)
		return;
	while (off < len) {
		n = send(fd, body + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static void write_metrics(struct ctl *c, const char *path)
{
	_cleanup_free_ char *t = fd_metrics_text(c);
	struct sriov_error err = { 0 };
	static bool failing;

	if (!t)
		return;
	if (sriov_partitions_install(path, t, strlen(t), &err) < 0) {
		if (!failing)
			log_err("metrics: %s", err.msg);
		failing = true;
		return;
	}
	failing = false;
}

static int split_endpoints(char *s, const char **v, size_t *n)
{
	char *save = NULL;

	*n = 0;
	for (char *t = strtok_r(s, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (*n == ENDPOINTS_MAX)
			return usage_error("--etcd: at most %d endpoints",
					   ENDPOINTS_MAX);
		v[(*n)++] = t;
	}
	return *n ? 0 : usage_error("--etcd: no endpoint in '%s'", s);
}

int main(int argc, char **argv)
{
	enum {
		O_ETCD = 256,
		O_FABRIC,
		O_STATIC,
		O_PARTITIONS,
		O_OPENSM_PID,
		O_GRACE,
		O_ONCE,
		O_ID,
		O_PREFIX,
		O_LEASE_TTL,
		O_ETCD_TIMEOUT,
		O_ETCD_CA,
		O_ETCD_CERT,
		O_ETCD_KEY,
		O_NO_VERIFY,
		O_CA,
		O_CA_PORT,
		O_VERIFY_TIMEOUT,
		O_ALLOW_BOTH,
		O_TABLE_SIZE,
		O_COALESCE,
		O_METRICS_LISTEN,
		O_METRICS_FILE,
	};
	static const struct option opts[] = {
		{ "etcd", required_argument, NULL, O_ETCD },
		{ "fabric", required_argument, NULL, O_FABRIC },
		{ "static", required_argument, NULL, O_STATIC },
		{ "partitions", required_argument, NULL, O_PARTITIONS },
		{ "opensm-pid", required_argument, NULL, O_OPENSM_PID },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "once", no_argument, NULL, O_ONCE },
		{ "id", required_argument, NULL, O_ID },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "lease-ttl", required_argument, NULL, O_LEASE_TTL },
		{ "etcd-timeout", required_argument, NULL, O_ETCD_TIMEOUT },
		{ "etcd-ca", required_argument, NULL, O_ETCD_CA },
		{ "etcd-cert", required_argument, NULL, O_ETCD_CERT },
		{ "etcd-key", required_argument, NULL, O_ETCD_KEY },
		{ "no-verify", no_argument, NULL, O_NO_VERIFY },
		{ "ca", required_argument, NULL, O_CA },
		{ "ca-port", required_argument, NULL, O_CA_PORT },
		{ "verify-timeout", required_argument, NULL, O_VERIFY_TIMEOUT },
		{ "allow-both", no_argument, NULL, O_ALLOW_BOTH },
		{ "table-size", required_argument, NULL, O_TABLE_SIZE },
		{ "coalesce", required_argument, NULL, O_COALESCE },
		{ "metrics-listen", required_argument, NULL, O_METRICS_LISTEN },
		{ "metrics-file", required_argument, NULL, O_METRICS_FILE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl_opts o = {
		.grace_s = 300,
		.lease_ttl_s = 5,
		.timeout_ms = 1000,
		.coalesce_ms = 20,
		.verify = true,
		.verify_timeout_ms = 30000,
	};
	const char *endpoints[ENDPOINTS_MAX];
	const char *metrics_listen = NULL, *metrics_file = NULL;
	static struct ctl c; /* large: the static intent's P-key map */
	struct sriov_error err = { 0 };
	char hostname[256], status[512] = "", last_status[512] = "";
	const char *pause = getenv("SRIOV_FABRICD_TEST_PAUSE_MS");
	int64_t watchdog_ms = (int64_t)notify_watchdog_ms(), next_dog = 0,
		next_metrics = 0;
	int opt, r, sfd, lfd = -1, rc = 0;
	unsigned v;
	sigset_t mask;
	bool stop = false;

	while ((opt = getopt_long(argc, argv, "vVh", opts, NULL)) != -1) {
		switch (opt) {
		case O_ETCD:
			if ((r = split_endpoints(optarg, endpoints,
						 &o.n_endpoints)))
				return r;
			o.endpoints = endpoints;
			break;
		case O_FABRIC:
			o.fabric = optarg;
			break;
		case O_STATIC:
			o.static_path = optarg;
			break;
		case O_PARTITIONS:
			o.partitions = optarg;
			break;
		case O_OPENSM_PID:
			o.opensm_pid = optarg;
			break;
		case O_GRACE:
			if ((r = parse_uint("--grace", optarg, 0, 86400,
					    &o.grace_s)))
				return r;
			break;
		case O_ONCE:
			o.once = true;
			break;
		case O_ID:
			o.id = optarg;
			break;
		case O_PREFIX:
			o.root = optarg;
			break;
		case O_LEASE_TTL:
			if ((r = parse_uint("--lease-ttl", optarg, 2, 3600,
					    &o.lease_ttl_s)))
				return r;
			break;
		case O_ETCD_TIMEOUT:
			if ((r = parse_uint("--etcd-timeout", optarg, 100,
					    60000, &o.timeout_ms)))
				return r;
			break;
		case O_ETCD_CA:
			o.ca_file = optarg;
			break;
		case O_ETCD_CERT:
			o.cert_file = optarg;
			break;
		case O_ETCD_KEY:
			o.key_file = optarg;
			break;
		case O_NO_VERIFY:
			o.verify = false;
			break;
		case O_CA:
			o.ca = optarg;
			break;
		case O_CA_PORT:
			if ((r = parse_uint("--ca-port", optarg, 1, 254, &v)))
				return r;
			o.ca_port = (int)v;
			break;
		case O_VERIFY_TIMEOUT:
			if ((r = parse_uint("--verify-timeout", optarg, 1, 3600,
					    &v)))
				return r;
			o.verify_timeout_ms = v * 1000;
			break;
		case O_ALLOW_BOTH:
			o.allow_both = true;
			o.lint.allow_both = true;
			break;
		case O_TABLE_SIZE:
			if ((r = parse_uint("--table-size", optarg, 1, 65535,
					    &o.lint.table_size)))
				return r;
			break;
		case O_COALESCE:
			if ((r = parse_uint("--coalesce", optarg, 1, 10000,
					    &o.coalesce_ms)))
				return r;
			break;
		case O_METRICS_LISTEN:
			metrics_listen = optarg;
			break;
		case O_METRICS_FILE:
			metrics_file = optarg;
			break;
		case 'v':
			fd_log_level = 7;
			break;
		case 'V':
			printf("sriov-fabricd %s\n", SRIOV_VERSION);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage_error("see 'sriov-fabricd --help'");
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o.endpoints || !o.fabric || !o.static_path || !o.partitions)
		return usage_error(
			"--etcd, --fabric, --static and --partitions are required");
	if (!sriov_port_id_valid(o.fabric))
		return usage_error(
			"--fabric '%s': expected 1 to 127 of A-Z a-z 0-9 . _ : @ -, without '..'",
			o.fabric);
	if (!o.id) {
		if (gethostname(hostname, sizeof(hostname)) < 0)
			snprintf(hostname, sizeof(hostname), "fabricd");
		hostname[sizeof(hostname) - 1] = '\0';
		o.id = hostname;
	}
	if (!sriov_port_id_valid(o.id))
		return usage_error(
			"--id '%s': expected 1 to 127 of A-Z a-z 0-9 . _ : @ -, without '..'",
			o.id);
	if (!!o.cert_file != !!o.key_file)
		return usage_error("--etcd-cert and --etcd-key go together");
	o.max_delay_ms = o.coalesce_ms * 10;
	if (pause) {
		uint64_t p = 0;

		if (parse_u64(pause, 10, &p) == 0)
			o.test_pause_ms = p > 60000 ? 60000 : (unsigned)p;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return 1;
	}
	if (metrics_listen) {
		lfd = listen_on(metrics_listen);
		if (lfd < 0) {
			log_err("--metrics-listen %s: %s (expected ADDR:PORT, [ADDR6]:PORT or :PORT)",
				metrics_listen, strerror(-lfd));
			return lfd == -EINVAL ? 2 : 1;
		}
	}
	r = ctl_start(&c, &o, &err);
	if (r < 0) {
		log_err("%s", err.msg);
		ctl_stop(&c);
		return 1;
	}
	if (!o.once) {
		notify_send("READY=1");
		log_notice("following %s for fabric %s as '%s'",
			   c.m.keys.prefix, o.fabric, o.id);
	}
	while (!stop) {
		struct pollfd fds[8];
		size_t n = ctl_pollfds(&c, fds, 6);
		int t = ctl_timeout(&c);
		int64_t now = fd_now_ms();
		struct signalfd_siginfo si;

		fds[n++] = (struct pollfd){ sfd, POLLIN, 0 };
		if (lfd >= 0)
			fds[n++] = (struct pollfd){ lfd, POLLIN, 0 };
		if (watchdog_ms && next_dog - now < t)
			t = next_dog > now ? (int)(next_dog - now) : 0;
		if (metrics_file && next_metrics - now < t)
			t = next_metrics > now ? (int)(next_metrics - now) : 0;
		if (poll(fds, n, t) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				ctl_reload(&c);
			} else {
				log_notice("signal %u: resigning and leaving",
					   si.ssi_signo);
				stop = true;
			}
		}
		if (lfd >= 0 && (fds[n - 1].revents & POLLIN))
			serve_metrics(&c, lfd);
		if (ctl_step(&c) < 0) {
			rc = 1;
			break;
		}
		now = fd_now_ms();
		if (watchdog_ms && now >= next_dog) {
			notify_send("WATCHDOG=1");
			next_dog = now + watchdog_ms;
		}
		if (metrics_file && now >= next_metrics) {
			write_metrics(&c, metrics_file);
			next_metrics = now + 10000;
		}
		ctl_describe(&c, status, sizeof(status));
		if (strcmp(status, last_status)) {
			char msg[540];

			snprintf(msg, sizeof(msg), "STATUS=%s", status);
			notify_send(msg);
			log_debug("%s", status);
			snprintf(last_status, sizeof(last_status), "%s",
				 status);
		}
		if (o.once && c.done) {
			rc = c.exit_code;
			break;
		}
	}
	notify_send("STOPPING=1");
	if (metrics_file)
		write_metrics(&c, metrics_file);
	ctl_stop(&c);
	if (lfd >= 0)
		close(lfd);
	close(sfd);
	return rc;
}
