/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_SYSFS_FS_H
#define SRIOV_SYSFS_FS_H

/*
 * The rooted file layer. A path is given as a NULL-terminated array of
 * components: SP("class/net", name, "device"). The first component is a
 * constant of ours (it may hold '/', never ".."); every further one is
 * checked with name_is_safe(), so no name read from the kernel or typed by
 * a user can walk out of the tree. Files are opened with openat() below
 * the root's directory fd; nothing here follows an absolute path.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sriov/root.h>

#define SP(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct sriov_root {
	int sys_fd;
	int proc_fd; /* -1 when the proc root is missing */
	char *sys_path;
	char *proc_path;
	/* The live kernel's /sys: netlink talks to this kernel. Otherwise the
	 * tree is a capture or a fake, and netlink is replayed from
	 * netlink_path (sriov_root_netlink_path()). */
	bool live;
	char *netlink_path; /* NULL when live */
};

/* Join components into buf; -EINVAL for an unsafe name, -ENAMETOOLONG. */
int fs_path(char *buf, size_t size, const char *const *comps);

/* Read a small text file (at most 64 KiB), trailing newline stripped. */
int fs_read_str(int dfd, const char *const *comps, char **ret);
int fs_read_u64(int dfd, const char *const *comps, int base, uint64_t *ret);
int fs_read_int(int dfd, const char *const *comps, int *ret);
/* Write a value (no newline added) in one write(); returns -errno. */
int fs_write_str(int dfd, const char *const *comps, const char *val);
/* The last component of a symlink's target. */
int fs_readlink_base(int dfd, const char *const *comps, char **ret);
/* The target of a symlink as stored. */
int fs_readlink(int dfd, const char *const *comps, char **ret);
bool fs_exists(int dfd, const char *const *comps);
bool fs_is_dir(int dfd, const char *const *comps);
/* Sorted entries of a directory (no "." or ".."); free with strv_free(). */
int fs_list(int dfd, const char *const *comps, char ***ret, size_t *ret_n);
/* For a folder whose entries are named 0..n-1 (P-key and GID tables):
 * n, one past the highest index found; other names are ignored. */
int fs_count_indexes(int dfd, const char *const *comps, size_t *ret);
/* Open a directory below the root. */
int fs_open_dir(int dfd, const char *const *comps);

void strv_free(char **v, size_t n);

/*
 * Recording, for `sriovctl capture`: while a recorder is set, every path
 * this layer is asked for is reported to it before it is accessed. The
 * recorder is process-wide (capture is a one-shot command, not a library
 * service): set it, run discovery, clear it.
 */
enum fs_access { FS_ACCESS_FILE, FS_ACCESS_LINK, FS_ACCESS_LIST };
typedef void (*fs_recorder_fn)(int dfd, const char *path, enum fs_access a,
			       void *ctx);
void fs_set_recorder(fs_recorder_fn fn, void *ctx);

#endif
