/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the RTM_NEWLINK / IFLA_VFINFO_LIST decoder and the
 * NLMSG_ERROR decoder. Built with clang -fsanitize=fuzzer when available;
 * otherwise (and in CTest) fuzz_vfinfo_replay runs the corpus through it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/vf.h>
#include "netlink/vfmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_link_vfs l;
	char msg[64];
	/* A private copy: the decoder must not read past @size. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (nl_link_decode(buf, size, &l, NULL) == 0) {
		for (size_t i = 0; i < l.n_vfs; i++)
			if (l.vfs[i].mac_len > SRIOV_VF_MAC_MAX)
				abort();
		sriov_link_vfs_release(&l);
	}
	nl_ack_decode(buf, size, msg, sizeof(msg));
	free(buf);
	return 0;
}
