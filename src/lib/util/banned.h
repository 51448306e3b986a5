/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_UTIL_BANNED_H
#define SRIOV_UTIL_BANNED_H

/*
 * Functions that overflow buffers or keep hidden state: using one is a
 * compile error (as git's banned.h). Use snprintf, strtok_r, memcpy with a
 * checked length.
 */
#define BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
