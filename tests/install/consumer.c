/* SPDX-License-Identifier: MIT */
/*
 * A program of someone else's, built against the installed libsriov with
 * nothing but pkg-config (tests/install/pkgconfig.sh): it uses the public
 * API, and defines a parse_int() of its own, which a libsriov that leaked
 * its helpers would make a duplicate symbol (static) or shadow (shared).
 */
#include <stdio.h>
#include <string.h>

#include <sriov/host.h>
#include <sriov/partitions.h>
#include <sriov/types.h>

int parse_int(const char *s, int *ret);
int parse_int(const char *s, int *ret)
{
	*ret = (int)strlen(s); /* not libsriov's */
	return 42;
}

int main(int argc, char **argv)
{
	struct sriov_error err = { 0 };
	struct sriov_root *root = NULL;
	struct sriov_host host;
	struct sriov_partitions pc;
	const char *conf = "Default=0x7fff : ALL=full ;\n";
	uint64_t guid;
	char buf[19];
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: consumer SYS PROC\n");
		return 2;
	}
	if (parse_int("abc", &n) != 42 || n != 3) {
		fprintf(stderr, "parse_int is libsriov's, not ours\n");
		return 1;
	}
	if (sriov_guid_parse("0002:c903:00a1:b2c1", &guid, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (sriov_partitions_parse(conf, strlen(conf), "inline", &pc, &err) <
	    0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("errors %zu\n", sriov_partitions_count(&pc, SRIOV_DIAG_ERROR));
	sriov_partitions_release(&pc);
	if (sriov_root_open(argv[1], argv[2], &root, &err) < 0 ||
	    sriov_host_discover(root, &host, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("pfs %zu guid %s\n", host.n_pfs, sriov_guid_format(guid, buf));
	sriov_host_release(&host);
	sriov_root_free(root);
	return 0;
}
