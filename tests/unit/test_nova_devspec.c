/* SPDX-License-Identifier: MIT */
/*
 * The cases of Nova's nova/tests/unit/pci/test_devspec.py (Zed), as our own
 * vectors: the same specs and devices, the same verdicts, Nova's messages
 * where Nova's tests check them (and Nova's exception text, which the
 * differential test confirms, where they check only the class). Nova mocks
 * utils.is_physical_function / get_function_by_ifname / the remote_managed
 * sysfs reads; we point the rooted sysfs layer at a fake tree instead.
 *
 * PhysicalPciAddress built from a dict is not reachable through a
 * device_spec (only the devname path builds one, from a string), so
 * test_init_by_dict* are asserted through the string forms below.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sriov/nova.h>
#include <sriov/root.h>

enum { NOROOT, PFROOT };
#define MATCH "=match"
#define NOMATCH "=nomatch"
#define PARSES "=parses"

struct vec {
	const char *name; /* Nova's test */
	int root;
	const char *spec;
	const char *dev; /* NULL: only the parse is checked */
	const char *want; /* MATCH, NOMATCH, PARSES, or the error message;
			   * a message ending in '*' is a prefix */
};

#define DEV                                                \
	"{\"vendor_id\":\"8086\",\"product_id\":\"5057\"," \
	"\"address\":\"0000:0a:00.5\",\"parent_addr\":\"0000:0a:00.0\"}"
#define DEVA(a) \
	"{\"vendor_id\":\"8086\",\"product_id\":\"5057\",\"address\":\"" a "\"}"
#define RMDEV                                                     \
	"{\"vendor_id\":\"8086\",\"product_id\":\"5057\","        \
	"\"address\":\"0000:0a:00.0\",\"capabilities\":{\"vpd\":" \
	"{\"card_serial_number\":\"MT2113X00000\"}}}"
#define CFG "Invalid [pci]device_spec config: "
#define WRONG(a) "The PCI address " a " has an incorrect format."
#define BIG(p, v, m)             \
	CFG "property " p " (" v \
	    ") is greater than the maximum allowable value (" m ")."
/* PciDeviceInvalidPFRemoteManaged(address) passes the address as the
 * exception's message, so Nova's text is the bare address, not its
 * msg_fmt (checked against Nova 26.2.2) */
#define RM_PF "0000:0a:00.0"
#define RMSPEC(v, p, rm)                                         \
	"{\"vendor_id\":\"" v "\",\"address\":\"0000:0a:00.0\"," \
	"\"product_id\":\"" p "\",\"physical_network\":\"hr_net\"" rm "}"
/* The same through devname: Nova's mocks stand for a PF it can read, and
 * only the devname path gives it one (see below). */
#define RMNAME(v, p, rm)                                 \
	"{\"vendor_id\":\"" v "\",\"devname\":\"eth0\"," \
	"\"product_id\":\"" p "\",\"physical_network\":\"hr_net\"" rm "}"
#define NOTFOUND "PCI device <nova.pci.devspec.PciAddressGlobSpec object at 0x*"
#define RM_T ",\"remote_managed\":\"true\""
#define RM_F ",\"remote_managed\":\"false\""

static const struct vec vecs[] = {
	/* PhysicalPciAddressTestCase: the device side of a match */
	{ "test_init_by_string", NOROOT, "{\"address\":\"0000:0a:00.5\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "test_init_by_string_invalid_values", NOROOT, "{}",
	  DEVA("65536:0a:00.5"), BIG("domain", "65536", "FFFF") },
	{ "test_init_by_string_invalid_values", NOROOT, "{}",
	  DEVA("0000:256:00.5"), BIG("bus", "256", "FF") },
	{ "test_init_by_string_invalid_values", NOROOT, "{}",
	  DEVA("0000:0a:32.5"), BIG("slot", "32", "1F") },
	{ "test_init_by_string_invalid_values", NOROOT, "{}",
	  DEVA("0000:0a:00.8"), BIG("func", "8", "7") },
	{ "test_init_by_string_missing_values", NOROOT, "{}",
	  DEVA("00:0000:0a:00.5"), WRONG("00:0000:0a:00.5") },
	{ "test_init_by_string_missing_values", NOROOT, "{}", DEVA("0a:00.5"),
	  WRONG("0a:00.5") },
	{ "test_init_by_string_missing_values", NOROOT, "{}", DEVA("0000:00.5"),
	  WRONG("0000:00.5") },
	{ "test_match", NOROOT, "{\"address\":\"0000:0a:00.5\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "test_false_match", NOROOT, "{\"address\":\"0000:0a:00.5\"}",
	  DEVA("0010:0a:00.5"), NOMATCH },
	{ "test_false_match", NOROOT, "{\"address\":\"0000:0a:00.5\"}",
	  DEVA("0000:0b:00.5"), NOMATCH },
	{ "test_false_match", NOROOT, "{\"address\":\"0000:0a:00.5\"}",
	  DEVA("0000:0a:01.5"), NOMATCH },
	{ "test_false_match", NOROOT, "{\"address\":\"0000:0a:00.5\"}",
	  DEVA("0000:0a:00.4"), NOMATCH },
	/* PciAddressGlobSpecTestCase */
	{ "glob test_init", NOROOT, "{\"address\":\"0000:0a:00.5\"}", NULL,
	  PARSES },
	{ "glob test_init_invalid_address", NOROOT,
	  "{\"address\":\"00:0000:0a:00.5\"}", NULL, WRONG("00:0000:0a:00.5") },
	{ "glob test_init_invalid_values", NOROOT,
	  "{\"address\":\"65536:0a:00.5\"}", NULL,
	  BIG("domain", "65536", "FFFF") },
	{ "glob test_init_invalid_values", NOROOT,
	  "{\"address\":\"0000:256:00.5\"}", NULL, BIG("bus", "256", "FF") },
	{ "glob test_init_invalid_values", NOROOT,
	  "{\"address\":\"0000:0a:32.5\"}", NULL, BIG("slot", "32", "1F") },
	{ "glob test_init_invalid_values", NOROOT,
	  "{\"address\":\"0000:0a:00.8\"}", NULL, BIG("func", "8", "7") },
	{ "glob test_match", NOROOT, "{\"address\":\"0000:0a:00.5\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "glob test_match", NOROOT, "{\"address\":\"*:0a:00.5\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "glob test_match", NOROOT, "{\"address\":\"0000:*:00.5\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "glob test_match", NOROOT, "{\"address\":\"0000:0a:*.5\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "glob test_match", NOROOT, "{\"address\":\"0000:0a:00.*\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "glob test_false_match", NOROOT, "{\"address\":\"0010:0a:00.5\"}",
	  DEVA("0000:0a:00.5"), NOMATCH },
	{ "glob test_false_match", NOROOT, "{\"address\":\"0000:0b:00.5\"}",
	  DEVA("0000:0a:00.5"), NOMATCH },
	{ "glob test_false_match", NOROOT, "{\"address\":\"*:0a:01.5\"}",
	  DEVA("0000:0a:00.5"), NOMATCH },
	{ "glob test_false_match", NOROOT, "{\"address\":\"0000:0a:*.4\"}",
	  DEVA("0000:0a:00.5"), NOMATCH },
	/* PciAddressRegexSpecTestCase */
	{ "regex test_init", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\"02\",\"slot\":\"01\",\"function\":\"[0-2]\"}}",
	  NULL, PARSES },
	{ "regex test_init_invalid_address", NOROOT,
	  "{\"address\":{\"domain\":\"*\",\"bus\":\"02\",\"slot\":\"01\",\"function\":\"[0-2]\"}}",
	  NULL,
	  WRONG("{'domain': '*', 'bus': '02', 'slot': '01', 'function': '[0-2]'}") },
	{ "regex test_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\"0a\",\"slot\":\"00\",\"function\":\"[5-6]\"}}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "regex test_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\"0a\",\"slot\":\".*\",\"function\":\"[4-5]\"}}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "regex test_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\"0a\",\"slot\":\"[0-3]\",\"function\":\".*\"}}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "regex test_false_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\"0a\",\"slot\":\"00\",\"function\":\"[5-6]\"}}",
	  DEVA("0000:0b:00.5"), NOMATCH },
	{ "regex test_false_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\"02\",\"slot\":\".*\",\"function\":\"[4-5]\"}}",
	  DEVA("0000:0b:00.5"), NOMATCH },
	{ "regex test_false_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\"02\",\"slot\":\"[0-3]\",\"function\":\".*\"}}",
	  DEVA("0000:0b:00.5"), NOMATCH },
	/* PciAddressTestCase */
	{ "test_wrong_address", NOROOT,
	  "{\"vendor_id\":\"8086\",\"address\":\"*: *: *.6\",\"product_id\":\"5057\",\"physical_network\":\"hr_net\"}",
	  DEV, NOMATCH },
	{ "test_address_too_big", NOROOT,
	  "{\"address\":\"0000:0a:0b:00.5\",\"physical_network\":\"hr_net\"}",
	  NULL, WRONG("0000:0a:0b:00.5") },
	{ "test_address_invalid_character", NOROOT,
	  "{\"address\":\"0000:h4.12:6\",\"physical_network\":\"hr_net\"}",
	  NULL, CFG "property func ('12:6') does not parse as a hex number." },
	{ "test_max_func", NOROOT,
	  "{\"address\":\"0000:0a:00.8\",\"physical_network\":\"hr_net\"}",
	  NULL, BIG("func", "8", "7") },
	{ "test_max_domain", NOROOT,
	  "{\"address\":\"10000:0a:00.5\",\"physical_network\":\"hr_net\"}",
	  NULL, BIG("domain", "10000", "FFFF") },
	{ "test_max_bus", NOROOT,
	  "{\"address\":\"0000:100:00.5\",\"physical_network\":\"hr_net\"}",
	  NULL, BIG("bus", "100", "FF") },
	{ "test_max_slot", NOROOT,
	  "{\"address\":\"0000:0a:20.5\",\"physical_network\":\"hr_net\"}",
	  NULL, BIG("slot", "20", "1F") },
	{ "test_address_is_undefined", NOROOT,
	  "{\"vendor_id\":\"8086\",\"product_id\":\"5057\"}", DEV, MATCH },
	{ "test_partial_address", NOROOT,
	  "{\"address\":\":0a:00.\",\"physical_network\":\"hr_net\"}",
	  "{\"vendor_id\":\"1137\",\"product_id\":\"0071\",\"address\":\"0000:0a:00.5\",\"parent_addr\":\"0000:0a:00.0\"}",
	  MATCH },
	{ "test_partial_address_func", NOROOT,
	  "{\"address\":\".5\",\"physical_network\":\"hr_net\"}",
	  "{\"vendor_id\":\"1137\",\"product_id\":\"0071\",\"address\":\"0000:0a:00.5\",\"phys_function\":\"0000:0a:00.0\"}",
	  MATCH },
	{ "test_address_is_pf", PFROOT,
	  "{\"address\":\"0000:0a:00.0\",\"physical_network\":\"hr_net\"}", DEV,
	  MATCH },
	/* the same spec without a PF at that address: the VF is not
	 * included (the other half of the mocked fact) */
	{ "test_address_is_pf (not a PF)", NOROOT,
	  "{\"address\":\"0000:0a:00.0\",\"physical_network\":\"hr_net\"}", DEV,
	  NOMATCH },
	{ "test_address_pf_no_parent_addr", PFROOT,
	  "{\"address\":\"0000:0a:00.5\",\"physical_network\":\"hr_net\"}",
	  DEVA("0000:0a:00.5"), MATCH },
	{ "test_spec_regex_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\".*\",\"slot\":\"00\",\"function\":\"[5-6]\"},\"physical_network\":\"hr_net\"}",
	  DEV, MATCH },
	{ "test_spec_regex_no_match", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\".*\",\"slot\":\"00\",\"function\":\"[6-7]\"},\"physical_network\":\"hr_net\"}",
	  DEV, NOMATCH },
	{ "test_spec_invalid_regex", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\".*\",\"slot\":\"00\",\"function\":\"[6[-7]\"},\"physical_network\":\"hr_net\"}",
	  NULL,
	  WRONG("{'domain': '.*', 'bus': '.*', 'slot': '00', 'function': '[6[-7]'}") },
	{ "test_spec_invalid_regex2", NOROOT,
	  "{\"address\":{\"domain\":\"*\",\"bus\":\"*\",\"slot\":\"00\",\"function\":\"[6-7]\"},\"physical_network\":\"hr_net\"}",
	  NULL,
	  WRONG("{'domain': '*', 'bus': '*', 'slot': '00', 'function': '[6-7]'}") },
	{ "test_spec_partial_bus_regex", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"slot\":\"00\",\"function\":\"[5-6]\"},\"physical_network\":\"hr_net\"}",
	  DEV, MATCH },
	{ "test_spec_partial_address_regex", NOROOT,
	  "{\"address\":{\"domain\":\".*\",\"bus\":\".*\",\"slot\":\"00\"},\"physical_network\":\"hr_net\"}",
	  DEV, MATCH },
	{ "test_spec_invalid_address", NOROOT,
	  "{\"address\":[\".*\",\".*\",\"00\",\"[6-7]\"],\"physical_network\":\"hr_net\"}",
	  NULL, WRONG("['.*', '.*', '00', '[6-7]']") },
	{ "test_address_is_pf_regex", PFROOT,
	  "{\"address\":{\"domain\":\"0000\",\"bus\":\"0a\",\"slot\":\"00\",\"function\":\"0\"},\"physical_network\":\"hr_net\"}",
	  DEV, MATCH },
	/* PciDevSpecTestCase */
	{ "test_spec_match", NOROOT,
	  "{\"vendor_id\":\"8086\",\"address\":\"*: *: *.5\",\"product_id\":\"5057\",\"physical_network\":\"hr_net\"}",
	  DEV, MATCH },
	{ "test_invalid_vendor_id", NOROOT,
	  "{\"vendor_id\":\"8087\",\"address\":\"*: *: *.5\",\"product_id\":\"5057\",\"physical_network\":\"hr_net\"}",
	  DEV, NOMATCH },
	{ "test_vendor_id_out_of_range", NOROOT,
	  "{\"vendor_id\":\"80860\",\"address\":\"*:*:*.5\",\"product_id\":\"5057\",\"physical_network\":\"hr_net\"}",
	  NULL, BIG("vendor_id", "80860", "FFFF") },
	{ "test_invalid_product_id", NOROOT,
	  "{\"vendor_id\":\"8086\",\"address\":\"*: *: *.5\",\"product_id\":\"5056\",\"physical_network\":\"hr_net\"}",
	  DEV, NOMATCH },
	{ "test_product_id_out_of_range", NOROOT,
	  "{\"vendor_id\":\"8086\",\"address\":\"*:*:*.5\",\"product_id\":\"50570\",\"physical_network\":\"hr_net\"}",
	  NULL, BIG("product_id", "50570", "FFFF") },
	{ "test_devname_and_address", NOROOT,
	  "{\"devname\":\"eth0\",\"vendor_id\":\"8086\",\"address\":\"*:*:*.5\",\"physical_network\":\"hr_net\"}",
	  NULL,
	  "Invalid PCI Whitelist: The PCI whitelist can specify devname or address, but not both" },
	/* every address field '*': any address matches */
	{ "test_blank_devname", NOROOT,
	  "{\"devname\":\"\",\"physical_network\":\"hr_net\"}",
	  DEVA("1234:56:1f.7"), MATCH },
	{ "test_by_name", PFROOT,
	  "{\"devname\":\"eth0\",\"physical_network\":\"hr_net\"}", DEV,
	  MATCH },
	{ "test_invalid_name", PFROOT,
	  "{\"devname\":\"lo\",\"physical_network\":\"hr_net\"}", DEV,
	  NOMATCH },
	{ "test_pci_obj", NOROOT,
	  "{\"vendor_id\":\"8086\",\"address\":\"*:*:*.5\",\"product_id\":\"5057\",\"physical_network\":\"hr_net\"}",
	  "{\"address\":\"0000:00:00.5\",\"product_id\":\"5057\",\"vendor_id\":\"8086\",\"parent_addr\":null}",
	  MATCH },
	/* PciDevSpecRemoteManagedTestCase */
	{ "test_remote_managed_unknown_raises", PFROOT,
	  "{\"devname\":\"nonexdev0\",\"physical_network\":\"hr_net\"" RM_T "}",
	  NULL,
	  "Invalid PCI Whitelist: A device specified as \"remote_managed\" is not actually present on the host" },
	/*
	 * With a PF *address*, unmocked Nova reads sysfs at the str() of its
	 * glob object ("<nova.pci.devspec.PciAddressGlobSpec object at
	 * 0x...>/sriov_vf_device"), so every such spec fails with
	 * PciDeviceNotFoundById; we do what Nova does, and assert the facts
	 * Nova's mocked tests state through devname, where the address is a
	 * real one.
	 */
	{ "test_remote_managed_pf_raises (address)", PFROOT,
	  RMSPEC("8086", "5057", RM_T), NULL, NOTFOUND },
	{ "test_remote_managed_vf_by_pf (address)", PFROOT,
	  RMSPEC("8086", "5058", RM_T), NULL, NOTFOUND },
	{ "test_remote_managed_pf_raises", PFROOT, RMNAME("8086", "5057", RM_T),
	  NULL, RM_PF },
	{ "test_remote_managed_vf_by_pf", PFROOT, RMNAME("8086", "5058", RM_T),
	  NULL, PARSES },
	{ "test_remote_managed_vf_by_pf", PFROOT, RMNAME("*", "*", RM_T), NULL,
	  RM_PF },
	{ "test_remote_managed_vf_by_pf", PFROOT, RMNAME("8086", "*", RM_T),
	  NULL, RM_PF },
	{ "test_remote_managed_vf_by_pf", PFROOT, RMNAME("*", "5058", RM_T),
	  NULL, PARSES },
	{ "test_remote_managed_vf_by_pf_raises", PFROOT,
	  RMNAME("8080", "5050", RM_T), NULL, CFG "*" },
	{ "test_remote_managed_vf_by_pf_raises", PFROOT,
	  RMNAME("8086", "5050", RM_T), NULL, CFG "*" },
	{ "test_remote_managed_vf_by_pf_raises", PFROOT,
	  RMNAME("8080", "5058", RM_T), NULL, CFG "*" },
	{ "test_not_remote_managed_pf_match", PFROOT,
	  RMSPEC("8086", "5057", RM_F), RMDEV, MATCH },
	{ "test_no_remote_managed_specified_pf_match", PFROOT,
	  RMSPEC("8086", "5057", ""), RMDEV, MATCH },
	{ "test_remote_managed_specified_vf_match", NOROOT,
	  RMSPEC("8086", "5057", RM_T), RMDEV, MATCH },
	{ "test_remote_managed_specified_no_serial_vf_no_match", NOROOT,
	  RMSPEC("8086", "5057", RM_T), DEVA("0000:0a:00.0"), NOMATCH },
	{ "test_remote_managed_specified_empty_serial_vf_no_match", NOROOT,
	  RMSPEC("8086", "5057", RM_T),
	  "{\"vendor_id\":\"8086\",\"product_id\":\"5057\",\"address\":\"0000:0a:00.0\","
	  "\"capabilities\":{\"vpd\":{\"card_serial_number\":\"\"}}}",
	  NOMATCH },
	{ "test_not_remote_managed_vf_match", NOROOT,
	  RMSPEC("8086", "5057", RM_F), RMDEV, MATCH },
	{ "test_no_remote_managed_specified_vf_match", NOROOT,
	  RMSPEC("8086", "5057", ""), RMDEV, MATCH },
	{ "test_remote_managed_vf_match_by_pci_obj", NOROOT,
	  "{\"vendor_id\":\"8086\",\"address\":\"0000:0a:00.2\",\"product_id\":\"5057\",\"physical_network\":\"hr_net\"" RM_T
	  "}",
	  "{\"address\":\"0000:0a:00.2\",\"vendor_id\":\"8086\",\"product_id\":\"5057\","
	  "\"capabilities\":{\"vpd\":{\"card_serial_number\":\"MT2113X00000\"}},\"parent_addr\":\"0000:0a:00.1\"}",
	  MATCH },
	{ "test_remote_managed_vf_no_match_by_pci_obj", NOROOT,
	  RMSPEC("8086", "5057", RM_T),
	  "{\"address\":\"0000:0a:00.2\",\"vendor_id\":\"8086\",\"product_id\":\"5057\",\"parent_addr\":\"0000:0a:00.1\"}",
	  NOMATCH },
};

static char tree[64];

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void link_to(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* What Nova's mocks return, as a kernel would show it: PFs 0000:0a:00.0
 * (ids 8086:5057, VF product 5058) and 0000:0a:00.5, netdev eth0 on the
 * first (drivers/pci/pci-sysfs.c, drivers/pci/iov.c). */
static int setup(void **state)
{
	snprintf(tree, sizeof(tree), "/tmp/nova-devspec.XXXXXX");
	assert_non_null(mkdtemp(tree));
	dir("bus");
	dir("bus/pci");
	dir("bus/pci/devices");
	dir("class");
	dir("class/net");
	dir("class/net/eth0");
	dir("0000:0a:00.0");
	put("0000:0a:00.0/sriov_totalvfs", "8\n");
	put("0000:0a:00.0/sriov_vf_device", "5058\n");
	put("0000:0a:00.0/vendor", "0x8086\n");
	put("0000:0a:00.0/product", "0x5057\n");
	dir("0000:0a:00.5");
	put("0000:0a:00.5/sriov_totalvfs", "2\n");
	link_to("../../../0000:0a:00.0", "bus/pci/devices/0000:0a:00.0");
	link_to("../../../0000:0a:00.5", "bus/pci/devices/0000:0a:00.5");
	link_to("../../../0000:0a:00.0", "class/net/eth0/device");
	struct sriov_root *root = NULL;
	assert_int_equal(sriov_root_open(tree, tree, &root, NULL), 0);
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	sriov_root_free(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	return system(cmd) == 0 ? 0 : -1;
}

static void check(const struct vec *v, struct sriov_root *pfroot)
{
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_error err = { 0 };
	const char *spec = v->spec;
	char got[600];
	int r = sriov_nova_whitelist_parse(v->root == PFROOT ? pfroot : NULL,
					   &spec, 1, &wl, &err);

	if (r < 0) {
		snprintf(got, sizeof(got), "%s", err.msg);
	} else if (!v->dev) {
		snprintf(got, sizeof(got), "%s", PARSES);
	} else {
		json_t *d = json_loads(v->dev, 0, NULL);
		assert_non_null(d);
		r = sriov_nova_whitelist_match(wl, d, &err);
		snprintf(got, sizeof(got), "%s",
			 r >= 0	      ? MATCH :
			 r == -ENOENT ? NOMATCH :
					err.msg);
		json_decref(d);
	}
	sriov_nova_whitelist_free(wl);
	size_t n = strlen(v->want);
	bool ok = n && v->want[n - 1] == '*' ? !strncmp(got, v->want, n - 1) :
					       !strcmp(got, v->want);
	if (!ok)
		fail_msg("%s: spec %s dev %s: want '%s', got '%s'", v->name,
			 v->spec, v->dev ? v->dev : "-", v->want, got);
}

static void test_devspec_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		check(&vecs[i], *state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devspec_vectors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
