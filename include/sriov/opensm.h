/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_OPENSM_H
#define SRIOV_OPENSM_H

/*
 * OpenSM's side of a partitions.conf: putting a new file in place so that
 * OpenSM never reads half of one, and making the running OpenSM reread it
 * (SIGHUP) without ever signalling a process that is not OpenSM. Shared by
 * `sriovctl fabric render --hup` and sriov-fabricd.
 */

#include <stddef.h>

#include <sriov/error.h>

/**
 * sriov_partitions_install() - replace @path with @len bytes of @text
 *
 * A temporary file beside @path, written and fsync'ed, given @path's mode
 * (0644 for a new file), renamed over it, and the directory fsync'ed: a
 * reader sees the old file or the new one, never a part. Nothing is
 * changed on failure.
 * Return: 0, or -errno (-EINVAL for an empty text) with @err naming @path.
 */
int sriov_partitions_install(const char *path, const char *text, size_t len,
			     struct sriov_error *err);

/* What sriov_opensm_signal() found, for the caller's messages. */
struct sriov_opensm_proc {
	int pid; /* 0: the pid file gave none */
	char name[64]; /* what /proc says the process runs ("?": unknown) */
	/*
	 * How far it got: 0 the pid file or the process could not be read,
	 * 1 the process is not opensm, 2 it is opensm but the signal could
	 * not be sent, 3 signalled.
	 */
	int stage;
};

enum {
	SRIOV_OPENSM_UNREAD = 0,
	SRIOV_OPENSM_NOT_OPENSM = 1,
	SRIOV_OPENSM_SEND_FAILED = 2,
	SRIOV_OPENSM_SIGNALLED = 3,
};

/**
 * sriov_opensm_signal() - send @sig to the OpenSM whose pid @pidfile holds
 * @ret: what was found; may be NULL
 *
 * The process is held by a pidfd before /proc is read, so a pid reused in
 * between gets no signal (the send fails when the process read is gone).
 * It is OpenSM when /proc/PID/comm, or the last component of its exe link,
 * is "opensm".
 * Return: 0 signalled; -ENOENT etc. the pid file cannot be read; -EINVAL
 * it holds no pid above 1; -ESRCH no such process; -EPERM... the process
 * is not opensm (-EPERM with stage NOT_OPENSM) or the kernel refused the
 * signal (stage SEND_FAILED). @err says which, naming the pid file.
 */
int sriov_opensm_signal(const char *pidfile, int sig,
			struct sriov_opensm_proc *ret, struct sriov_error *err);

#endif
