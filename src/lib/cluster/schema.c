/* SPDX-License-Identifier: MIT */
/*
 * The key schema of docs/cluster.md: keys built and taken apart, values
 * parsed into plain structs and written back. Values come from every
 * host of the cloud, so one that is wrong must be caught here, named by
 * its key, and never reach a render: every member is checked, the
 * identifiers by the util vocabulary (sriov_port_id_valid,
 * sriov_guid_check). A writer formats through the parser, so what it
 * writes is exactly what every reader accepts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sriov/cluster.h>
#include "util/macro.h"
#include "util/banned.h"

#define VERSION_DIR "v1/"
#define MAX_PFS 256
#define MAX_PKEYS 4096

/* jansson's own cleanup (json_auto_t) */
#define _cleanup_json_ _cleanup_(json_decrefp)

static const char *const kind_dirs[] = {
	[SRIOV_CLUSTER_HOST] = "hosts/",
	[SRIOV_CLUSTER_PORT] = "ports/",
	[SRIOV_CLUSTER_GUID] = "guids/",
	[SRIOV_CLUSTER_FABRIC_STATUS] = "fabrics/",
	[SRIOV_CLUSTER_FABRIC_LEADER] = "fabrics/",
	[SRIOV_CLUSTER_FABRIC_HELD] = "fabrics/",
};

int sriov_cluster_keys_init(struct sriov_cluster_keys *k, const char *root,
			    struct sriov_error *err)
{
	size_t n;

	if (!root)
		root = SRIOV_CLUSTER_ROOT_DEFAULT;
	n = strlen(root);
	if (n < 1 || n > 200 || root[0] != '/' || root[n - 1] != '/' ||
	    strstr(root, "//"))
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (root[i] <= ' ' || root[i] >= 0x7f)
			goto bad;
	snprintf(k->prefix, sizeof(k->prefix), "%s%s", root, VERSION_DIR);
	return 0;
bad:
	return sriov_error_set(
		err, -EINVAL,
		"cluster prefix '%s': expected a path that starts and ends with '/', of printable characters without spaces or '//', at most 200 bytes (default %s)",
		root, SRIOV_CLUSTER_ROOT_DEFAULT);
}

/* "0x" and 16 lowercase hex digits: the one spelling a GUID has here. */
static bool guid_canonical(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n != 18 || s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 2; i < 18; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	*ret = v;
	return true;
}

int sriov_cluster_key(const struct sriov_cluster_keys *k,
		      enum sriov_cluster_kind kind, const char *id,
		      char buf[static SRIOV_CLUSTER_KEY_MAX],
		      struct sriov_error *err)
{
	char g[19];
	int n;

	if ((unsigned)kind >= SRIOV_CLUSTER_KIND_MAX ||
	    kind == SRIOV_CLUSTER_FABRIC_HELD)
		return sriov_error_set(err, -EINVAL, "unknown key kind %d",
				       (int)kind);
	if (kind == SRIOV_CLUSTER_GUID) {
		uint64_t v;
		int r = sriov_guid_parse(id ? id : "", &v, err);

		if (r < 0 || (r = sriov_guid_check(v, err)) < 0)
			return r;
		id = sriov_guid_format(v, g);
	} else if (!id || !sriov_port_id_valid(id)) {
		return sriov_error_set(
			err, -EINVAL,
			"invalid %s id '%s' (expected 1 to 127 of A-Z a-z 0-9 . _ : @ -, without '..')",
			kind == SRIOV_CLUSTER_HOST ? "host" :
			kind == SRIOV_CLUSTER_PORT ? "port" :
						     "fabric",
			id ? id : "");
	}
	n = snprintf(buf, SRIOV_CLUSTER_KEY_MAX, "%s%s%s%s", k->prefix,
		     kind_dirs[kind], id,
		     kind == SRIOV_CLUSTER_FABRIC_STATUS ? "/status" :
		     kind == SRIOV_CLUSTER_FABRIC_LEADER ? "/leader" :
							   "");
	if (n < 0 || n >= SRIOV_CLUSTER_KEY_MAX)
		return sriov_error_set(err, -ENAMETOOLONG,
				       "key for '%s' is over %d bytes", id,
				       SRIOV_CLUSTER_KEY_MAX - 1);
	return 0;
}

int sriov_cluster_held_key(const struct sriov_cluster_keys *k,
			   const char *fabric, const char *port,
			   char buf[static SRIOV_CLUSTER_KEY_MAX],
			   struct sriov_error *err)
{
	const char *bad = !fabric || !sriov_port_id_valid(fabric) ? fabric :
			  port && !sriov_port_id_valid(port)	  ? port :
								    NULL;
	int n;

	if (bad || !fabric)
		return sriov_error_set(
			err, -EINVAL,
			"invalid %s id '%s' (expected 1 to 127 of A-Z a-z 0-9 . _ : @ -, without '..')",
			bad == port ? "port" : "fabric", bad ? bad : "");
	n = snprintf(buf, SRIOV_CLUSTER_KEY_MAX, "%sfabrics/%s/held/%s",
		     k->prefix, fabric, port ? port : "");
	if (n < 0 || n >= SRIOV_CLUSTER_KEY_MAX)
		return sriov_error_set(err, -ENAMETOOLONG,
				       "key for '%s' is over %d bytes",
				       port ? port : fabric,
				       SRIOV_CLUSTER_KEY_MAX - 1);
	return 0;
}

int sriov_cluster_key_prefix(const struct sriov_cluster_keys *k,
			     enum sriov_cluster_kind kind,
			     char buf[static SRIOV_CLUSTER_KEY_MAX])
{
	if ((unsigned)kind >= SRIOV_CLUSTER_KIND_MAX)
		return -EINVAL;
	snprintf(buf, SRIOV_CLUSTER_KEY_MAX, "%s%s", k->prefix,
		 kind_dirs[kind]);
	return 0;
}

int sriov_cluster_key_parse(const struct sriov_cluster_keys *k, const char *key,
			    size_t key_len, enum sriov_cluster_kind *ret_kind,
			    char ret_id[static SRIOV_CLUSTER_ID_MAX],
			    struct sriov_error *err)
{
	size_t pn = strlen(k->prefix), n;
	const char *rest, *slash;
	char id[SRIOV_CLUSTER_ID_MAX];
	enum sriov_cluster_kind kind;

	if (key_len >= SRIOV_CLUSTER_KEY_MAX || memchr(key, '\0', key_len) ||
	    key_len < pn || memcmp(key, k->prefix, pn))
		goto bad;
	rest = key + pn;
	n = key_len - pn;
	for (kind = 0; kind < SRIOV_CLUSTER_FABRIC_STATUS; kind++)
		if (!strncmp(rest, kind_dirs[kind], strlen(kind_dirs[kind])))
			break;
	if (kind == SRIOV_CLUSTER_FABRIC_STATUS && strncmp(rest, "fabrics/", 8))
		goto bad;
	rest += strlen(kind_dirs[kind]);
	n -= strlen(kind_dirs[kind]);
	slash = memchr(rest, '/', n);
	if (kind == SRIOV_CLUSTER_FABRIC_STATUS) {
		if (!slash)
			goto bad;
		if (!strcmp(slash, "/leader")) {
			kind = SRIOV_CLUSTER_FABRIC_LEADER;
		} else if (!strncmp(slash, "/held/", 6)) {
			/* The fabric must be an id too; the port is the id. */
			size_t fn = (size_t)(slash - rest);

			if (fn == 0 || fn >= sizeof(id))
				goto bad;
			memcpy(id, rest, fn);
			id[fn] = '\0';
			if (!sriov_port_id_valid(id))
				goto bad;
			kind = SRIOV_CLUSTER_FABRIC_HELD;
			n -= fn + 6;
			rest = slash + 6;
			if (memchr(rest, '/', n))
				goto bad;
		} else if (strcmp(slash, "/status")) {
			goto bad;
		}
		if (kind != SRIOV_CLUSTER_FABRIC_HELD)
			n = (size_t)(slash - rest);
	} else if (slash) {
		goto bad;
	}
	if (n == 0 || n >= sizeof(id))
		goto bad;
	memcpy(id, rest, n);
	id[n] = '\0';
	if (kind == SRIOV_CLUSTER_GUID) {
		uint64_t g;

		if (!guid_canonical(id, n, &g) || sriov_guid_check(g, NULL) < 0)
			goto bad;
	} else if (!sriov_port_id_valid(id)) {
		goto bad;
	}
	*ret_kind = kind;
	memcpy(ret_id, id, n + 1);
	return 0;
bad:
	return sriov_error_set(
		err, -EINVAL,
		"key '%.*s' is not of schema %d under %s (expected hosts/ID, ports/ID, guids/0x<16 hex>, fabrics/NAME/status, fabrics/NAME/leader or fabrics/NAME/held/PORT)",
		(int)(key_len > 300 ? 300 : key_len), key,
		SRIOV_CLUSTER_SCHEMA_VERSION, k->prefix);
}

/* ---- values ---- */

/* The parse context: the key names every error. */
struct vctx {
	const char *key;
	struct sriov_error *err;
};

static int verr(struct vctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int verr(struct vctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sriov_error_set(c->err, -EINVAL, "%s: %s", c->key, msg);
}

static json_t *vload(struct vctx *c, const char *value, size_t len, int *rc)
{
	json_error_t je;
	json_t *j;

	if (len > SRIOV_CLUSTER_VALUE_MAX) {
		*rc = sriov_error_set(
			c->err, -EMSGSIZE,
			"%s: value of %zu bytes is over the %d bytes a value may have",
			c->key, len, SRIOV_CLUSTER_VALUE_MAX);
		return NULL;
	}
	j = json_loadb(value, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		*rc = verr(c, "invalid JSON at byte %d: %s", je.position,
			   je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*rc = verr(c, "the value must be a JSON object");
		return NULL;
	}
	return j;
}

/* Member present and not null. */
static json_t *member(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_null(v) ? NULL : v;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A string member of at most @size - 1 bytes into @buf. */
static int get_text(struct vctx *c, json_t *o, const char *name, char *buf,
		    size_t size, bool required)
{
	json_t *v = member(o, name);

	buf[0] = '\0';
	if (!v) {
		if (required)
			return verr(c, "missing '%s'", name);
		return 0;
	}
	if (!json_is_string(v))
		return verr(c, "'%s' must be a string", name);
	if (json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    !printable(json_string_value(v)))
		return verr(
			c,
			"'%s' must be text of at most %zu bytes without control characters",
			name, size - 1);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	if (required && !buf[0])
		return verr(c, "'%s' is empty", name);
	return 0;
}

static int get_id(struct vctx *c, json_t *o, const char *name, char *buf,
		  size_t size, bool required)
{
	int r = get_text(c, o, name, buf, size, required);

	if (r < 0 || !buf[0])
		return r;
	if (!sriov_port_id_valid(buf))
		return verr(
			c,
			"'%s' is '%s' (expected 1 to 127 of A-Z a-z 0-9 . _ : @ -, without '..')",
			name, buf);
	return 0;
}

static int get_int(struct vctx *c, json_t *o, const char *name, int64_t min,
		   int64_t max, int64_t *ret, bool required)
{
	json_t *v = member(o, name);

	if (!v) {
		if (required)
			return verr(c, "missing '%s'", name);
		return 1; /* absent or null */
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return verr(c,
			    "'%s' must be an integer from %" PRId64
			    " to %" PRId64,
			    name, min, max);
	*ret = json_integer_value(v);
	return 0;
}

static int get_pkey(struct vctx *c, json_t *o, const char *name, bool tenant,
		    uint16_t *ret)
{
	const char *s;
	char buf[8];
	unsigned v = 0;
	int r = get_text(c, o, name, buf, sizeof(buf), true);

	if (r < 0)
		return r;
	s = buf;
	if (strlen(s) != 6 || s[0] != '0' || s[1] != 'x')
		goto bad;
	for (int i = 2; i < 6; i++) {
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			v = v << 4 | (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = v << 4 | (unsigned)(ch - 'a' + 10);
		else
			goto bad;
	}
	if (v & SRIOV_PKEY_FULL)
		return verr(
			c,
			"'%s' is '%s', with the membership bit 0x8000: give the partition (0x%04x) and the membership apart",
			name, s, v & SRIOV_PKEY_BASE_MASK);
	if (!sriov_pkey_is_valid((uint16_t)v))
		return verr(
			c,
			"'%s' is '%s': partition 0 does not exist (expected 0x0001..0x7ffe)",
			name, s);
	if (tenant && v == SRIOV_PKEY_DEFAULT)
		return verr(
			c,
			"'%s' is '%s', the Default partition, which the fabric's own configuration manages (expected 0x0001..0x7ffe)",
			name, s);
	*ret = (uint16_t)v;
	return 0;
bad:
	return verr(
		c,
		"'%s' is '%s' (expected \"0x\" and 4 lowercase hex digits, e.g. \"0x0a01\")",
		name, s);
}

static int get_guid(struct vctx *c, json_t *o, const char *name, uint64_t *ret)
{
	char buf[24];
	struct sriov_error e = { 0 };
	int r = get_text(c, o, name, buf, sizeof(buf), true);

	if (r < 0)
		return r;
	if (!guid_canonical(buf, strlen(buf), ret))
		return verr(
			c,
			"'%s' is '%s' (expected \"0x\" and 16 lowercase hex digits, e.g. \"0x0002c90300a1b2c1\")",
			name, buf);
	if (sriov_guid_check(*ret, &e) < 0)
		return verr(c, "'%s': %s", name, e.msg);
	return 0;
}

static int get_membership(struct vctx *c, json_t *o, const char *name,
			  enum sriov_membership *ret)
{
	static const struct {
		const char *name;
		enum sriov_membership m;
	} names[] = { { "full", SRIOV_MEMBER_FULL },
		      { "limited", SRIOV_MEMBER_LIMITED },
		      { "both", SRIOV_MEMBER_BOTH } };
	char buf[16];
	int r = get_text(c, o, name, buf, sizeof(buf), true);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(buf, names[i].name)) {
			*ret = names[i].m;
			return 0;
		}
	return verr(c, "'%s' is '%s' (expected full, limited or both)", name,
		    buf);
}

static const char *membership_name(enum sriov_membership m)
{
	return m == SRIOV_MEMBER_FULL ? "full" :
	       m == SRIOV_MEMBER_BOTH ? "both" :
					"limited";
}

/* The id in the key must be the one in the value. */
static int key_id(struct vctx *c, const char *dir, const char *suffix,
		  char *buf, size_t size)
{
	const char *p = strstr(c->key, dir);
	size_t n;

	/* The last occurrence: the root may hold the same word. */
	while (p && strstr(p + 1, dir))
		p = strstr(p + 1, dir);
	if (!p)
		return verr(c, "the key is not under %s", dir);
	p += strlen(dir);
	n = strlen(p);
	if (suffix) {
		size_t sn = strlen(suffix);

		if (n < sn || strcmp(p + n - sn, suffix))
			return verr(c, "the key does not end in %s", suffix);
		n -= sn;
	}
	if (n == 0 || n >= size)
		return verr(c, "the key has no valid id after %s", dir);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

static int same_id(struct vctx *c, const char *member_name, const char *v,
		   const char *dir, const char *suffix)
{
	char id[SRIOV_CLUSTER_ID_MAX];
	int r = key_id(c, dir, suffix, id, sizeof(id));

	if (r < 0)
		return r;
	if (strcmp(id, v))
		return verr(c, "'%s' is '%s' but the key names '%s'",
			    member_name, v, id);
	return 0;
}

int sriov_cluster_port_parse(const char *key, const char *value, size_t len,
			     struct sriov_cluster_port *ret,
			     struct sriov_error *err)
{
	struct vctx c = { key ? key : "(no key)", err };
	struct sriov_cluster_port p = { .vlan = -1 };
	char vnic[32];
	int64_t vlan;
	int r = 0;
	_cleanup_json_ json_t *o = vload(&c, value, len, &r);

	if (!o)
		return r;
	if ((r = get_id(&c, o, "port", p.id, sizeof(p.id), true)) < 0 ||
	    (r = same_id(&c, "port", p.id, "/ports/", NULL)) < 0 ||
	    (r = get_id(&c, o, "host", p.host, sizeof(p.host), true)) < 0 ||
	    (r = get_text(&c, o, "physnet", p.physnet, sizeof(p.physnet),
			  true)) < 0 ||
	    (r = get_text(&c, o, "vnic_type", vnic, sizeof(vnic), true)) < 0)
		return r;
	if (sriov_vnic_type_parse(vnic, &p.vnic_type) < 0)
		return verr(
			&c,
			"'vnic_type' is '%s' (expected direct, macvtap or direct-physical)",
			vnic);
	if ((r = get_id(&c, o, "vf", p.vf, sizeof(p.vf), true)) < 0 ||
	    (r = get_text(&c, o, "state", p.state, sizeof(p.state), true)) < 0)
		return r;
	if (strcmp(p.state, "bound") && strcmp(p.state, "unbinding"))
		return verr(&c, "'state' is '%s' (expected bound or unbinding)",
			    p.state);
	r = get_int(&c, o, "vlan", 1, 4094, &vlan, false);
	if (r < 0)
		return r;
	if (r == 0)
		p.vlan = (int)vlan;
	p.infiniband = member(o, "fabric") || member(o, "pkey") ||
		       member(o, "membership") || member(o, "guid");
	if (p.infiniband) {
		if ((r = get_id(&c, o, "fabric", p.fabric, sizeof(p.fabric),
				true)) < 0 ||
		    (r = get_pkey(&c, o, "pkey", true, &p.pkey)) < 0 ||
		    (r = get_membership(&c, o, "membership", &p.membership)) <
			    0 ||
		    (r = get_guid(&c, o, "guid", &p.guid)) < 0)
			return r;
		if (p.vlan >= 0)
			return verr(
				&c,
				"an InfiniBand port (with 'fabric') has no 'vlan'");
		if (member(o, "pf_guid")) {
			if ((r = get_guid(&c, o, "pf_guid", &p.pf_guid)) < 0)
				return r;
			if (p.pf_guid == p.guid)
				return verr(
					&c,
					"'pf_guid' is the port's own 'guid' (expected the PF port's GUID the VF's alias GUID goes through, or no 'pf_guid')");
		}
	} else if (member(o, "pf_guid")) {
		return verr(
			&c,
			"an Ethernet port (without 'fabric') has no 'pf_guid'");
	}
	*ret = p;
	return 0;
}

int sriov_cluster_claim_parse(const char *key, const char *value, size_t len,
			      struct sriov_cluster_claim *ret,
			      struct sriov_error *err)
{
	struct vctx c = { key ? key : "(no key)", err };
	struct sriov_cluster_claim cl;
	char gid[24];
	uint64_t g;
	int r = 0;
	_cleanup_json_ json_t *o = vload(&c, value, len, &r);

	if (!o)
		return r;
	if ((r = key_id(&c, "/guids/", NULL, gid, sizeof(gid))) < 0)
		return r;
	if (!guid_canonical(gid, strlen(gid), &g) ||
	    sriov_guid_check(g, NULL) < 0)
		return verr(
			&c,
			"the key's guid '%s' is not a valid port GUID as 0x and 16 lowercase hex digits",
			gid);
	if ((r = get_id(&c, o, "port", cl.port, sizeof(cl.port), true)) < 0 ||
	    (r = get_id(&c, o, "host", cl.host, sizeof(cl.host), true)) < 0)
		return r;
	*ret = cl;
	return 0;
}

void sriov_cluster_host_release(struct sriov_cluster_host *h)
{
	if (!h)
		return;
	free(h->pfs);
	free(h->free_vfs);
	memset(h, 0, sizeof(*h));
}

/* Optional "15b3": 4 lowercase hex digits, as the README's ids. */
static int get_pci_id(struct vctx *c, json_t *o, const char *name, char *buf)
{
	int r = get_text(c, o, name, buf, 5, false);

	if (r < 0)
		return r;
	if (buf[0] &&
	    (strlen(buf) != 4 || strspn(buf, "0123456789abcdef") != 4))
		return verr(
			c,
			"'%s' is '%s' (expected 4 lowercase hex digits, e.g. \"15b3\")",
			name, buf);
	return 0;
}

/* "0000:41:00.1": domain (4 to 8 hex), bus, device, function. */
static bool pci_address_ok(const char *s)
{
	size_t d = strspn(s, "0123456789abcdef");

	if (d < 4 || d > 8 || s[d] != ':')
		return false;
	s += d + 1;
	return strlen(s) == 7 && strspn(s, "0123456789abcdef") == 2 &&
	       s[2] == ':' && strspn(s + 3, "0123456789abcdef") == 2 &&
	       s[5] == '.' && s[6] >= '0' && s[6] <= '7';
}

static int get_free_vfs(struct vctx *c, json_t *o, struct sriov_cluster_pf *pf,
			struct sriov_cluster_host *h)
{
	json_t *a = member(o, "free_vfs");
	size_t n = json_array_size(a);
	char(*fv)[32];

	pf->free_vfs_first = h->n_free_vfs;
	if (!a)
		return 0;
	if (!json_is_array(a) || n != pf->vfs_free)
		return verr(
			c,
			"'free_vfs' must be a list of the %u free VFs' PCI addresses",
			pf->vfs_free);
	pf->has_free_vfs = true;
	if (!n)
		return 0;
	fv = realloc(h->free_vfs, (h->n_free_vfs + n) * sizeof(*fv));
	if (!fv)
		return -ENOMEM;
	h->free_vfs = fv;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_string(v) || json_string_length(v) >= 32 ||
		    !pci_address_ok(json_string_value(v)))
			return verr(
				c,
				"free_vfs[%zu] is not a PCI address such as \"0000:41:00.1\" (lowercase hex)",
				i);
		memcpy(h->free_vfs[h->n_free_vfs++], json_string_value(v),
		       json_string_length(v) + 1);
		pf->n_free_vfs++;
	}
	return 0;
}

static int parse_pf(struct vctx *c, json_t *o, size_t i,
		    struct sriov_cluster_pf *pf, struct sriov_cluster_host *h)
{
	char link[16];
	int64_t x = -1;
	json_t *vfs;
	int64_t t, f, b, q;
	int r;

	if (!json_is_object(o))
		return verr(c, "pfs[%zu] must be an object", i);
	memset(pf, 0, sizeof(*pf));
	if ((r = get_text(c, o, "name", pf->name, sizeof(pf->name), true)) <
		    0 ||
	    (r = get_text(c, o, "address", pf->address, sizeof(pf->address),
			  false)) < 0 ||
	    (r = get_text(c, o, "link", link, sizeof(link), true)) < 0 ||
	    (r = get_text(c, o, "physnet", pf->physnet, sizeof(pf->physnet),
			  true)) < 0 ||
	    (r = get_id(c, o, "fabric", pf->fabric, sizeof(pf->fabric),
			false)) < 0)
		goto at;
	if (!strcmp(link, "infiniband"))
		pf->link = SRIOV_CLUSTER_LINK_INFINIBAND;
	else if (!strcmp(link, "ethernet"))
		pf->link = SRIOV_CLUSTER_LINK_ETHERNET;
	else {
		r = verr(c, "'link' is '%s' (expected ethernet or infiniband)",
			 link);
		goto at;
	}
	if ((pf->link == SRIOV_CLUSTER_LINK_INFINIBAND) != !!pf->fabric[0]) {
		r = verr(
			c,
			"an InfiniBand PF names its 'fabric', an Ethernet one none");
		goto at;
	}
	r = get_int(c, o, "numa_node", 0, 1023, &x, false);
	if (r < 0)
		goto at;
	pf->numa_node = r ? -1 : (int)x;
	vfs = member(o, "vfs");
	if (!json_is_object(vfs)) {
		r = verr(
			c,
			"'vfs' must be {\"total\", \"free\", \"bound\", \"quarantined\"}");
		goto at;
	}
	if ((r = get_int(c, vfs, "total", 0, 65535, &t, true)) < 0 ||
	    (r = get_int(c, vfs, "free", 0, 65535, &f, true)) < 0 ||
	    (r = get_int(c, vfs, "bound", 0, 65535, &b, true)) < 0 ||
	    (r = get_int(c, vfs, "quarantined", 0, 65535, &q, true)) < 0)
		goto at;
	if (f + b + q > t) {
		r = verr(c,
			 "vfs: free %" PRId64 " + bound %" PRId64
			 " + quarantined %" PRId64
			 " is more than total %" PRId64,
			 f, b, q, t);
		goto at;
	}
	pf->vfs_total = (unsigned)t;
	pf->vfs_free = (unsigned)f;
	pf->vfs_bound = (unsigned)b;
	pf->vfs_quarantined = (unsigned)q;
	if ((r = get_pci_id(c, o, "vendor_id", pf->vendor_id)) < 0 ||
	    (r = get_pci_id(c, o, "product_id", pf->product_id)) < 0 ||
	    (r = get_pci_id(c, o, "vf_product_id", pf->vf_product_id)) < 0 ||
	    (r = get_free_vfs(c, o, pf, h)) < 0)
		goto at;
	return 0;
at:
	sriov_error_prefix(c->err, "pfs[%zu]", i);
	return r;
}

int sriov_cluster_host_parse(const char *key, const char *value, size_t len,
			     struct sriov_cluster_host *ret,
			     struct sriov_error *err)
{
	struct vctx c = { key ? key : "(no key)", err };
	struct sriov_cluster_host h = { 0 };
	int64_t updated = 0;
	json_t *pfs;
	int r = 0;
	_cleanup_json_ json_t *o = vload(&c, value, len, &r);

	if (!o)
		return r;
	if ((r = get_id(&c, o, "host", h.id, sizeof(h.id), true)) < 0 ||
	    (r = same_id(&c, "host", h.id, "/hosts/", NULL)) < 0 ||
	    (r = get_text(&c, o, "version", h.version, sizeof(h.version),
			  false)) < 0 ||
	    (r = get_int(&c, o, "updated", 0, INT64_MAX, &updated, true)) < 0)
		return r;
	h.updated = updated;
	pfs = member(o, "pfs");
	if (!json_is_array(pfs) || json_array_size(pfs) > MAX_PFS)
		return verr(&c, "'pfs' must be a list of at most %d PFs",
			    MAX_PFS);
	if (json_array_size(pfs)) {
		h.pfs = calloc(json_array_size(pfs), sizeof(*h.pfs));
		if (!h.pfs)
			return -ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(pfs); i++) {
		r = parse_pf(&c, json_array_get(pfs, i), i, &h.pfs[i], &h);
		if (r < 0) {
			sriov_cluster_host_release(&h);
			return r;
		}
		h.n_pfs++;
	}
	*ret = h;
	return 0;
}

void sriov_cluster_fabric_status_release(struct sriov_cluster_fabric_status *s)
{
	if (!s)
		return;
	free(s->pkeys);
	free(s->rejected);
	memset(s, 0, sizeof(*s));
}

/* The members a controller adds within v1: counts, its last error and
 * the values it skipped. */
static int status_optional(struct vctx *c, json_t *o,
			   struct sriov_cluster_fabric_status *s)
{
	int64_t x = 0;
	json_t *a;
	int r;

	if ((r = get_int(c, o, "ports", 0, UINT32_MAX, &x, false)) < 0)
		return r;
	s->ports = r ? 0 : (unsigned)x;
	if ((r = get_int(c, o, "held", 0, UINT32_MAX, &x, false)) < 0)
		return r;
	s->held = r ? 0 : (unsigned)x;
	if ((r = get_text(c, o, "error", s->error, sizeof(s->error), false)) <
		    0 ||
	    (r = get_int(c, o, "error_revision", 0, INT64_MAX, &x, false)) < 0)
		return r;
	s->error_revision = r ? 0 : x;
	if ((r = get_int(c, o, "rejected_total", 0, UINT32_MAX, &x, false)) < 0)
		return r;
	s->n_rejected_total = r ? 0 : (unsigned)x;
	a = member(o, "rejected");
	if (!a)
		return 0;
	if (!json_is_array(a) ||
	    json_array_size(a) > SRIOV_CLUSTER_REJECTED_MAX)
		return verr(
			c,
			"'rejected' must be a list of at most %d {\"key\", \"error\"}",
			SRIOV_CLUSTER_REJECTED_MAX);
	if (!json_array_size(a))
		return 0;
	s->rejected = calloc(json_array_size(a), sizeof(*s->rejected));
	if (!s->rejected)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct sriov_cluster_rejected *rj = &s->rejected[i];

		if (!json_is_object(e))
			return verr(c, "rejected[%zu] must be an object", i);
		if ((r = get_text(c, e, "key", rj->key, sizeof(rj->key),
				  true)) < 0 ||
		    (r = get_text(c, e, "error", rj->error, sizeof(rj->error),
				  true)) < 0)
			return r;
		s->n_rejected++;
	}
	if (s->n_rejected_total < s->n_rejected)
		s->n_rejected_total = (unsigned)s->n_rejected;
	return 0;
}

int sriov_cluster_fabric_status_parse(const char *key, const char *value,
				      size_t len,
				      struct sriov_cluster_fabric_status *ret,
				      struct sriov_error *err)
{
	struct vctx c = { key ? key : "(no key)", err };
	struct sriov_cluster_fabric_status s = { 0 };
	int64_t rev = 0, t = 0, members;
	json_t *pk;
	int r = 0;
	_cleanup_json_ json_t *o = vload(&c, value, len, &r);

	if (!o)
		return r;
	if ((r = get_id(&c, o, "fabric", s.fabric, sizeof(s.fabric), true)) <
		    0 ||
	    (r = same_id(&c, "fabric", s.fabric, "/fabrics/", "/status")) < 0 ||
	    (r = get_int(&c, o, "revision", 0, INT64_MAX, &rev, true)) < 0 ||
	    (r = get_text(&c, o, "checksum", s.checksum, sizeof(s.checksum),
			  true)) < 0 ||
	    (r = get_text(&c, o, "verify", s.verify, sizeof(s.verify), true)) <
		    0 ||
	    (r = get_text(&c, o, "verify_detail", s.verify_detail,
			  sizeof(s.verify_detail), false)) < 0 ||
	    (r = get_int(&c, o, "time", 0, INT64_MAX, &t, true)) < 0 ||
	    (r = get_id(&c, o, "leader", s.leader, sizeof(s.leader), true)) < 0)
		return r;
	s.revision = rev;
	s.time = t;
	if (strncmp(s.checksum, "sha256:", 7) || strlen(s.checksum) != 71 ||
	    strspn(s.checksum + 7, "0123456789abcdef") != 64)
		return verr(
			&c,
			"'checksum' is '%s' (expected sha256: and 64 lowercase hex digits)",
			s.checksum);
	if (strcmp(s.verify, "ok") && strcmp(s.verify, "failed") &&
	    strcmp(s.verify, "skipped"))
		return verr(&c,
			    "'verify' is '%s' (expected ok, failed or skipped)",
			    s.verify);
	pk = member(o, "pkeys");
	if (!json_is_array(pk) || json_array_size(pk) > MAX_PKEYS)
		return verr(
			&c,
			"'pkeys' must be a list of at most %d {\"pkey\", \"members\"}",
			MAX_PKEYS);
	if (json_array_size(pk)) {
		s.pkeys = calloc(json_array_size(pk), sizeof(*s.pkeys));
		if (!s.pkeys)
			return -ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(pk); i++) {
		json_t *e = json_array_get(pk, i);
		struct sriov_cluster_pkey_count *pc = &s.pkeys[i];

		r = json_is_object(e) ?
			    0 :
			    verr(&c, "pkeys[%zu] must be an object", i);
		if (r >= 0)
			r = get_pkey(&c, e, "pkey", false, &pc->pkey);
		if (r >= 0)
			r = get_int(&c, e, "members", 0, 1 << 24, &members,
				    true);
		for (size_t j = 0; r >= 0 && j < i; j++)
			if (s.pkeys[j].pkey == pc->pkey)
				r = verr(&c,
					 "pkeys[%zu]: 0x%04x is listed twice",
					 i, pc->pkey);
		if (r < 0) {
			free(s.pkeys);
			return r;
		}
		pc->members = (unsigned)members;
		s.n_pkeys++;
	}
	r = status_optional(&c, o, &s);
	if (r < 0) {
		sriov_cluster_fabric_status_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}

/* ---- writers: build, then parse back under the key it goes to ---- */

static json_t *jstr(const char *s)
{
	return json_string(s ? s : "");
}

static int finish(json_t *o, const char *key,
		  int (*check)(const char *, const char *, size_t, void *,
			       struct sriov_error *),
		  char **ret, struct sriov_error *err)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int r;

	json_decref(o);
	if (!s)
		return -ENOMEM;
	r = check(key, s, strlen(s), NULL, err);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

static int check_port(const char *key, const char *v, size_t n, void *unused,
		      struct sriov_error *err)
{
	struct sriov_cluster_port p;

	return sriov_cluster_port_parse(key, v, n, &p, err);
}

static int check_claim(const char *key, const char *v, size_t n, void *unused,
		       struct sriov_error *err)
{
	struct sriov_cluster_claim c;

	return sriov_cluster_claim_parse(key, v, n, &c, err);
}

static int check_host(const char *key, const char *v, size_t n, void *unused,
		      struct sriov_error *err)
{
	struct sriov_cluster_host h = { 0 };
	int r = sriov_cluster_host_parse(key, v, n, &h, err);

	sriov_cluster_host_release(&h);
	return r;
}

static int check_status(const char *key, const char *v, size_t n, void *unused,
			struct sriov_error *err)
{
	struct sriov_cluster_fabric_status s = { 0 };
	int r = sriov_cluster_fabric_status_parse(key, v, n, &s, err);

	sriov_cluster_fabric_status_release(&s);
	return r;
}

/* A stand-in key for the check: the value's own id, in the schema. */
static int pseudo_key(char *buf, size_t size, const char *dir, const char *id,
		      const char *suffix)
{
	int n = snprintf(buf, size, "%s%s%s%s",
			 SRIOV_CLUSTER_ROOT_DEFAULT VERSION_DIR, dir, id,
			 suffix);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sriov_cluster_port_format(const struct sriov_cluster_port *p, char **ret,
			      struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX], pk[7], g[19];
	json_t *o = json_object();

	if (pseudo_key(key, sizeof(key), "ports/", p->id, "") < 0)
		return sriov_error_set(err, -ENAMETOOLONG, "port id too long");
	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "port", jstr(p->id));
	json_object_set_new(o, "host", jstr(p->host));
	json_object_set_new(o, "physnet", jstr(p->physnet));
	json_object_set_new(o, "vnic_type",
			    jstr(sriov_vnic_type_name(p->vnic_type)));
	json_object_set_new(o, "vf", jstr(p->vf));
	json_object_set_new(o, "state", jstr(p->state[0] ? p->state : "bound"));
	json_object_set_new(o, "vlan",
			    p->vlan >= 0 ? json_integer(p->vlan) : json_null());
	if (p->infiniband) {
		json_object_set_new(o, "fabric", jstr(p->fabric));
		json_object_set_new(o, "pkey",
				    jstr(sriov_pkey_format(p->pkey, pk)));
		json_object_set_new(o, "membership",
				    jstr(membership_name(p->membership)));
		json_object_set_new(o, "guid",
				    jstr(sriov_guid_format(p->guid, g)));
		if (p->pf_guid)
			json_object_set_new(
				o, "pf_guid",
				jstr(sriov_guid_format(p->pf_guid, g)));
	}
	return finish(o, key, check_port, ret, err);
}

int sriov_cluster_claim_format(const struct sriov_cluster_claim *c, char **ret,
			       struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX];
	json_t *o = json_object();

	/* Any valid GUID stands in: the claim's value does not hold it. */
	pseudo_key(key, sizeof(key), "guids/", "0x0002c90300000001", "");
	if (!o)
		return -ENOMEM;
	json_object_set_new(o, "port", jstr(c->port));
	json_object_set_new(o, "host", jstr(c->host));
	return finish(o, key, check_claim, ret, err);
}

int sriov_cluster_host_format(const struct sriov_cluster_host *h, char **ret,
			      struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX];
	json_t *o = json_object(), *pfs = json_array();

	if (pseudo_key(key, sizeof(key), "hosts/", h->id, "") < 0) {
		json_decref(o);
		json_decref(pfs);
		return sriov_error_set(err, -ENAMETOOLONG, "host id too long");
	}
	if (!o || !pfs) {
		json_decref(o);
		json_decref(pfs);
		return -ENOMEM;
	}
	json_object_set_new(o, "host", jstr(h->id));
	if (h->version[0])
		json_object_set_new(o, "version", jstr(h->version));
	json_object_set_new(o, "updated", json_integer(h->updated));
	json_object_set_new(o, "pfs", pfs);
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct sriov_cluster_pf *pf = &h->pfs[i];
		json_t *p = json_object(), *v = json_object();

		if (!p || !v) {
			json_decref(p);
			json_decref(v);
			json_decref(o);
			return -ENOMEM;
		}
		json_object_set_new(p, "name", jstr(pf->name));
		json_object_set_new(p, "address", jstr(pf->address));
		json_object_set_new(
			p, "link",
			jstr(pf->link == SRIOV_CLUSTER_LINK_INFINIBAND ?
				     "infiniband" :
				     "ethernet"));
		json_object_set_new(p, "physnet", jstr(pf->physnet));
		json_object_set_new(p, "fabric",
				    pf->fabric[0] ? jstr(pf->fabric) :
						    json_null());
		json_object_set_new(p, "numa_node",
				    pf->numa_node >= 0 ?
					    json_integer(pf->numa_node) :
					    json_null());
		json_object_set_new(v, "total", json_integer(pf->vfs_total));
		json_object_set_new(v, "free", json_integer(pf->vfs_free));
		json_object_set_new(v, "bound", json_integer(pf->vfs_bound));
		json_object_set_new(v, "quarantined",
				    json_integer(pf->vfs_quarantined));
		json_object_set_new(p, "vfs", v);
		if (pf->vendor_id[0])
			json_object_set_new(p, "vendor_id",
					    jstr(pf->vendor_id));
		if (pf->product_id[0])
			json_object_set_new(p, "product_id",
					    jstr(pf->product_id));
		if (pf->vf_product_id[0])
			json_object_set_new(p, "vf_product_id",
					    jstr(pf->vf_product_id));
		if (pf->has_free_vfs || pf->n_free_vfs) {
			json_t *fv = json_array();

			for (size_t k = 0; fv && k < pf->n_free_vfs; k++)
				json_array_append_new(
					fv,
					jstr(pf->free_vfs_first + k <
							     h->n_free_vfs ?
						     h->free_vfs
							     [pf->free_vfs_first +
							      k] :
						     ""));
			json_object_set_new(p, "free_vfs", fv);
		}
		json_array_append_new(pfs, p);
	}
	return finish(o, key, check_host, ret, err);
}

int sriov_cluster_fabric_status_format(
	const struct sriov_cluster_fabric_status *s, char **ret,
	struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX], pk[7];
	json_t *o = json_object(), *a = json_array();

	if (pseudo_key(key, sizeof(key), "fabrics/", s->fabric, "/status") <
	    0) {
		json_decref(o);
		json_decref(a);
		return sriov_error_set(err, -ENAMETOOLONG,
				       "fabric name too long");
	}
	if (!o || !a) {
		json_decref(o);
		json_decref(a);
		return -ENOMEM;
	}
	json_object_set_new(o, "fabric", jstr(s->fabric));
	json_object_set_new(o, "revision", json_integer(s->revision));
	json_object_set_new(o, "checksum", jstr(s->checksum));
	json_object_set_new(o, "pkeys", a);
	for (size_t i = 0; i < s->n_pkeys; i++) {
		json_t *e = json_object();

		if (!e) {
			json_decref(o);
			return -ENOMEM;
		}
		json_object_set_new(
			e, "pkey",
			jstr(sriov_pkey_format(s->pkeys[i].pkey, pk)));
		json_object_set_new(e, "members",
				    json_integer(s->pkeys[i].members));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "verify", jstr(s->verify));
	if (s->verify_detail[0])
		json_object_set_new(o, "verify_detail", jstr(s->verify_detail));
	json_object_set_new(o, "time", json_integer(s->time));
	json_object_set_new(o, "leader", jstr(s->leader));
	json_object_set_new(o, "ports", json_integer(s->ports));
	json_object_set_new(o, "held", json_integer(s->held));
	if (s->error[0]) {
		json_object_set_new(o, "error", jstr(s->error));
		json_object_set_new(o, "error_revision",
				    json_integer(s->error_revision));
	}
	if (s->n_rejected || s->n_rejected_total) {
		json_t *rj = json_array();

		for (size_t i = 0; rj && i < s->n_rejected; i++) {
			json_t *e = json_object();

			if (!e)
				break;
			json_object_set_new(e, "key", jstr(s->rejected[i].key));
			json_object_set_new(e, "error",
					    jstr(s->rejected[i].error));
			json_array_append_new(rj, e);
		}
		json_object_set_new(o, "rejected", rj);
		json_object_set_new(o, "rejected_total",
				    json_integer(s->n_rejected_total >
								 s->n_rejected ?
							 s->n_rejected_total :
							 s->n_rejected));
	}
	return finish(o, key, check_status, ret, err);
}
