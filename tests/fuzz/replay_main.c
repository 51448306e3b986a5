/* SPDX-License-Identifier: MIT */
/*
 * Run fuzz corpora as a plain regression test: every regular file of the
 * directories (or files) given goes through LLVMFuzzerTestOneInput once.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f) {
		fprintf(stderr, "fuzz: cannot open %s\n", path);
		return 1;
	}
	do {
		if (n + 4096 > cap) {
			uint8_t *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return 1;
			}
			buf = nb;
			cap += 65536;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *)"", n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz: no such corpus %s\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]);
			count++;
			continue;
		}
		d = opendir(argv[i]);
		while (d && (e = readdir(d))) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 e->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				bad |= run_file(path);
				count++;
			}
		}
		if (d)
			closedir(d);
	}
	printf("fuzz: %u inputs\n", count);
	return bad || !count;
}
