/* SPDX-License-Identifier: MIT */
/* The shared vocabulary (include/sriov/types.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sriov/types.h>
#include "util/macro.h"
#include "util/banned.h"

static const char *const vnic_names[SRIOV_VNIC_MAX] = {
	[SRIOV_VNIC_DIRECT] = "direct",
	[SRIOV_VNIC_MACVTAP] = "macvtap",
	[SRIOV_VNIC_DIRECT_PHYSICAL] = "direct-physical",
};

const char *sriov_vnic_type_name(enum sriov_vnic_type t)
{
	return (unsigned)t < SRIOV_VNIC_MAX ? vnic_names[t] : "?";
}

int sriov_vnic_type_parse(const char *s, enum sriov_vnic_type *ret)
{
	for (unsigned i = 0; i < SRIOV_VNIC_MAX; i++)
		if (!strcmp(s, vnic_names[i])) {
			*ret = (enum sriov_vnic_type)i;
			return 0;
		}
	return -EINVAL;
}

static const char *const numa_names[SRIOV_NUMA_MAX] = {
	[SRIOV_NUMA_LEGACY] = "legacy",
	[SRIOV_NUMA_REQUIRED] = "required",
	[SRIOV_NUMA_PREFERRED] = "preferred",
	[SRIOV_NUMA_SOCKET] = "socket",
	[SRIOV_NUMA_NONE] = "none",
};

const char *sriov_numa_policy_name(enum sriov_numa_policy p)
{
	return (unsigned)p < SRIOV_NUMA_MAX ? numa_names[p] : "?";
}

int sriov_numa_policy_parse(const char *s, unsigned allowed,
			    enum sriov_numa_policy *ret,
			    struct sriov_error *err)
{
	char names[64] = "";
	size_t off = 0;
	unsigned n = 0, k = 0;

	for (unsigned i = 0; i < SRIOV_NUMA_MAX; i++) {
		if (!(allowed & SRIOV_NUMA_BIT(i)))
			continue;
		n++;
		if (!strcmp(s, numa_names[i])) {
			*ret = (enum sriov_numa_policy)i;
			return 0;
		}
	}
	for (unsigned i = 0; i < SRIOV_NUMA_MAX && off < sizeof(names); i++) {
		if (!(allowed & SRIOV_NUMA_BIT(i)))
			continue;
		k++;
		off += (size_t)snprintf(names + off, sizeof(names) - off,
					"%s%s",
					k == 1 ? "" :
					k == n ? " or " :
						 ", ",
					numa_names[i]);
	}
	return sriov_error_set(err, -EINVAL,
			       "invalid numa policy '%s' (expected %s)", s,
			       names);
}

int sriov_vf_driver_parse(const char *s, enum sriov_vf_driver *ret,
			  struct sriov_error *err)
{
	if (!strcmp(s, "vfio-pci") || !strcmp(s, "vfio"))
		*ret = SRIOV_VF_DRIVER_VFIO;
	else if (!strcmp(s, "default"))
		*ret = SRIOV_VF_DRIVER_DEFAULT;
	else if (!strcmp(s, "none"))
		*ret = SRIOV_VF_DRIVER_NONE;
	else
		return sriov_error_set(
			err, -EINVAL,
			"invalid driver '%s' (expected vfio-pci, default or none)",
			s);
	return 0;
}

bool sriov_port_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 127 || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == ':' || c == '@'))
			return false;
	}
	return true;
}

/* EUI-64: the first byte's bit 0 is I/G (group address). */
#define EUI64_IG (1ull << 56)

int sriov_guid_check(uint64_t g, struct sriov_error *err)
{
	if (g == 0)
		return sriov_error_set(
			err, -EINVAL,
			"guid 0x0000000000000000 is reserved (it asks the subnet manager to assign one); give a unique unicast guid");
	if (g == UINT64_MAX)
		return sriov_error_set(
			err, -EINVAL,
			"guid 0xffffffffffffffff is reserved (it deletes an entry); give a unique unicast guid");
	if (g & EUI64_IG)
		return sriov_error_set(
			err, -EINVAL,
			"guid 0x%016" PRIx64
			" has the group (I/G) bit of its first byte set, so it is not a port's guid; give one whose first byte is even",
			g);
	return 0;
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sriov_guid_parse(const char *s, uint64_t *ret, struct sriov_error *err)
{
	size_t len = strlen(s), group = 0, colons = 0, want = 0;
	unsigned digits = 0;
	uint64_t v = 0;
	bool ok = true;
	const char *p;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (p = s + 2; *p && ok; p++) {
			int d = hexdigit(*p);

			ok = d >= 0 && ++digits <= 16;
			v = v << 4 | (uint64_t)(d < 0 ? 0 : d);
		}
		ok = ok && digits > 0;
	} else {
		/* Groups of 4 (sysfs node_guid) or of 2 (ip link). */
		for (p = s; *p && ok; p++) {
			int d;

			if (*p == ':') {
				ok = group > 0 && (!want || group == want);
				want = group;
				group = 0;
				colons++;
				continue;
			}
			d = hexdigit(*p);
			ok = d >= 0;
			v = v << 4 | (uint64_t)(d < 0 ? 0 : d);
			group++;
			digits++;
		}
		ok = ok && group == want && digits == 16 &&
		     ((want == 4 && colons == 3) || (want == 2 && colons == 7));
	}
	if (!ok)
		return sriov_error_set(
			err, -EINVAL,
			"invalid guid '%s' (expected 0x0002c90300a1b2c1, 0002:c903:00a1:b2c1 or 00:02:c9:03:00:a1:b2:c1)",
			s);
	*ret = v;
	return 0;
}

const char *sriov_guid_format(uint64_t guid, char buf[static 19])
{
	snprintf(buf, 19, "0x%016" PRIx64, guid);
	return buf;
}

const char *sriov_guid_format_colon(uint64_t guid, char buf[static 24])
{
	for (int i = 0; i < 8; i++)
		snprintf(buf + i * 3, 4, i < 7 ? "%02x:" : "%02x",
			 (unsigned)(guid >> (56 - 8 * i)) & 0xff);
	return buf;
}

const char *sriov_pkey_format(uint16_t pkey, char buf[static 7])
{
	snprintf(buf, 7, "0x%04x", pkey);
	return buf;
}
