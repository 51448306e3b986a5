/* SPDX-License-Identifier: MIT */
/*
 * base64 (RFC 4648, standard alphabet, padded) for the gateway's keys and
 * values. The decoder takes exactly what Go's encoder writes and nothing
 * else, so no two texts decode to the same key.
 */
#include <errno.h>
#include <stdlib.h>

#include "cluster/internal.h"
#include "util/banned.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void b64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int b64_decode(const char *in, size_t n, char **ret, size_t *ret_len)
{
	size_t pad = 0, o = 0;
	unsigned char *out;

	if (n % 4)
		return -EINVAL;
	if (n && in[n - 1] == '=')
		pad = n >= 2 && in[n - 2] == '=' ? 2 : 1;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		size_t real = last ? 4 - pad : 4;
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int s = j < real ? sextet(in[i + j]) : 0;

			if (s < 0)
				goto bad;
			v = v << 6 | (uint32_t)s;
		}
		out[o++] = v >> 16;
		if (real > 2)
			out[o++] = v >> 8 & 0xff;
		if (real > 3)
			out[o++] = v & 0xff;
		/* Bits past the last byte must be zero: one text per value. */
		if ((real == 2 && (v & 0xffff)) || (real == 3 && (v & 0xff)))
			goto bad;
	}
	out[o] = '\0';
	*ret = (char *)out;
	*ret_len = o;
	return 0;
bad:
	free(out);
	return -EINVAL;
}
