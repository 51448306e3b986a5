/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_UTIL_NOTIFY_H
#define SRIOV_UTIL_NOTIFY_H

#include <stdint.h>

/* Send @state ("READY=1", "WATCHDOG=1", "STATUS=...") to $NOTIFY_SOCKET:
 * 1 sent, 0 not under systemd (no socket named), -errno. */
int notify_send(const char *state);
/* WATCHDOG_USEC / 2 in ms (when WATCHDOG_PID is unset or ours), 0 when no
 * watchdog is asked for. */
uint64_t notify_watchdog_ms(void);

#endif
