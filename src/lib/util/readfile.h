/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_UTIL_READFILE_H
#define SRIOV_UTIL_READFILE_H

/*
 * The one reader of input files: every file a person or another program
 * hands to libsriov, sriovctl or sriovd (host.yaml, sriovd.yaml, the
 * partition intent, partitions.conf, nova.conf, device specs, GUID pools,
 * pid files, recorded netlink answers) is read with read_file_capped(),
 * so none can make us block, or read without end, or eat the memory.
 *
 * It refuses, with a message that starts with the path:
 *   - what is not a regular file: "PATH: is a directory", "PATH: is not a
 *     regular file (a FIFO)" -- a FIFO, a socket or a device is never read,
 *     and a FIFO is opened without blocking (nobody needs to write to it);
 *   - a file larger than @max: "PATH: 17825792 bytes, larger than the
 *     limit of 16 MiB (16777216 bytes)", before anything is read when the
 *     size is known, and after @max + 1 bytes when it is not (a file that
 *     grows while it is read, or a /proc-style file whose size says 0).
 *
 * The limits of each kind of file are below; docs/man/sriovctl.8 and
 * sriovd.8 (LIMITS) and the documents of each format state them.
 */

#include <stddef.h>

#include <sriov/error.h>

/*
 * partitions.conf, its intent (YAML) and fabric predict's port list: a
 * fabric has at most 49151 unicast LIDs (0x0001-0xbfff); a partition that
 * names every port's GUID ("0x0002c90300000011=full, ", 26 bytes) is 1.2 MiB,
 * so a dozen such partitions fit, with comments, in 16 MiB.
 */
#define INPUT_MAX_PARTITIONS (16u << 20)
/*
 * host.yaml and sriovd.yaml describe one host: 16 PFs of 1024 VFs, each
 * VF with its own block of settings (~250 bytes), is 4 MiB.
 */
#define INPUT_MAX_HOST (4u << 20)
/*
 * nova.conf and the device spec and alias files of sriovctl nova: Nova's
 * [pci] section of a host, 4 MiB as a host description.
 */
#define INPUT_MAX_NOVA (4u << 20)
/*
 * The device lists, hosts and requests of sriovctl nova match|pools|fit|
 * consume (JSON): a cloud of 10,000 hosts with 128 devices each (~300
 * bytes a device) is ~400 MB.
 */
#define INPUT_MAX_NOVA_JSON (512u << 20)
/* A GUID pool (guid_pool: {start, end}) and OpenSM's pid file. */
#define INPUT_MAX_SMALL (64u << 10)

/**
 * read_file_capped() - read a whole regular file of at most @max bytes
 * @path: the file; named at the start of every message
 * @max: the limit in bytes (one of INPUT_MAX_*)
 * @ret: the contents, NUL-terminated (a NUL inside is kept: use @ret_len);
 *	the caller frees it. Written only on success.
 * @ret_len: the size read, without the terminating NUL; may be NULL
 *
 * Opens with O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK, refuses by fstat()
 * what is not a regular file, and reads no more than @max + 1 bytes.
 *
 * Return: 0; -ENOENT, -EACCES... (the open's errno); -EISDIR for a
 * directory; -EINVAL for another file that is not a regular one; -EFBIG
 * over @max; -ENOMEM; -EIO. @err says which, starting with "PATH: ".
 */
int read_file_capped(const char *path, size_t max, char **ret, size_t *ret_len,
		     struct sriov_error *err);

/* "16 MiB", "64 KiB", "100 bytes": how the messages say a limit. */
void format_size(size_t n, char *buf, size_t size);

#endif
