/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_NOVA_PYRE_H
#define SRIOV_NOVA_PYRE_H

#include <regex.h>
#include <stdbool.h>

/*
 * Python re.compile() + pattern.match() on top of POSIX regcomp(): the
 * Python pattern is checked against Python's grammar (so that we reject
 * what re.compile rejects) and translated to an anchored POSIX ERE.
 * Returns 0, -ENOMEM, -EINVAL when Python's re would raise re.error, -ENOTSUP for
 * a construct with no POSIX equivalent (lookaround, backreferences, inline
 * flags, \b, possessive quantifiers, repeats that glibc would expand to
 * more than 4096 positions; see docs/nova.md).
 */
int pyre_compile(regex_t *re, const char *pattern)
	__attribute__((warn_unused_result));
/* re.match(): anchored at the start only. 1 match, 0 none, -ENOMEM. */
int pyre_match(const regex_t *re, const char *subject)
	__attribute__((warn_unused_result));

#endif
