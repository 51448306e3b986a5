#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`sriovctl render nova|neutron` output read by Nova's and Neutron's parsers.

  render.py SRIOVCTL FIXTURES_BUILD_DIR FIXTURES_SOURCE_DIR

For the fixture hosts (mlx5-cx6-ib, e810-vfio, igb; fake sysfs trees built
from tests/fixtures/hosts/*.json) and two hosts made here from variants of
those descriptions, with several --physnet-map choices:

* render nova's text is loaded as a nova.conf by oslo.config; Nova's
  Whitelist takes CONF.pci.device_spec and _get_alias_from_config() the
  aliases. The devices of the host, built from the host *description*
  (not from sriovctl), plus decoys, are matched by Nova
  (Whitelist.device_assignable, first spec's tags) and by `sriovctl nova
  match`: both must select exactly the VFs of the mapped PFs (and the PFs
  with --include-pf) with the mapped physical_network. Each alias, sized
  to the host, must fit per Nova's PciDeviceStats and one more must not.
* render neutron's text is loaded by oslo.config with Neutron's
  [sriov_nic] options and parsed by Neutron's SriovNicAgentConfigParser
  (neutron_lib's parse_mappings and the agent's parse_exclude_devices,
  plus its consistency check); the result must equal the map.
* -j gives the same values; bad input fails with the entry named.

Run with /usr/bin/python3 (Debian's python3-nova and python3-neutron).
Exits 77 only when those cannot be imported.
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def hex4(s):
    return "%04x" % int(s, 16)


def host_devices(desc):
    """Nova's device dicts, from the host description (mkhost.py input)."""
    devs = []
    for d in desc["pci"]:
        numa = d.get("numa_node", -1)
        numa = None if numa is None or numa < 0 else numa
        s = d.get("sriov")
        devs.append({"address": d["address"], "vendor_id": hex4(d["vendor"]),
                     "product_id": hex4(d["device"]),
                     "dev_type": "type-PF" if s else "type-PCI",
                     "numa_node": numa})
        for vf in d.get("vfs", []):
            devs.append({"address": vf["address"],
                         "vendor_id": hex4(vf.get("vendor", d["vendor"])),
                         "product_id": hex4(vf.get("device",
                                                   s["vf_device"])),
                         "dev_type": "type-VF",
                         "parent_addr": d["address"],
                         "numa_node": numa})
    # Decoys: a VF of the same product under a PF that is not on this host,
    # and a device of another product under a real PF.
    for d in desc["pci"]:
        s = d.get("sriov")
        if not s:
            continue
        devs.append({"address": "0000:99:%02x.1" % len(devs),
                     "vendor_id": hex4(d["vendor"]),
                     "product_id": hex4(s["vf_device"]),
                     "dev_type": "type-VF", "parent_addr": "0000:99:00.0",
                     "numa_node": None})
        devs.append({"address": "0000:98:%02x.1" % len(devs),
                     "vendor_id": hex4(d["vendor"]), "product_id": "fffe",
                     "dev_type": "type-VF", "parent_addr": d["address"],
                     "numa_node": None})
    return devs


def sriov_pfs(desc):
    return [d for d in desc["pci"] if d.get("sriov")]


def dev_name(pf, by_addr):
    if by_addr or not pf.get("net"):
        return pf["address"]
    return pf["net"][0]["name"]


def expected_matches(desc, mapping, include_pf):
    """address -> physnet, from the description."""
    exp = {}
    for pf in sriov_pfs(desc):
        if pf["address"] not in mapping:
            continue
        net = mapping[pf["address"]]
        if include_pf:
            exp[pf["address"]] = net
        for vf in pf.get("vfs", []):
            exp[vf["address"]] = net
    return exp


def expected_policy(desc, pfs):
    """The documented rule: preferred when the devices of an alias sit on
    some of the host's NUMA nodes only, legacy otherwise."""
    def nodes(ds):
        return {d.get("numa_node", -1) for d in ds
                if d.get("numa_node", -1) >= 0}
    mine, every = nodes(pfs), nodes(sriov_pfs(desc))
    return "preferred" if mine and mine != every else "legacy"


NOVA_PART = r"""
import json, sys, types, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
sys.path.insert(0, sys.argv[1])
import oracle
from nova.pci import whitelist, request
import nova.conf
CONF = nova.conf.CONF
results = []
for root, conf, devs_path in json.load(open(sys.argv[2])):
    oracle.reroot(root)
    try:
        CONF(["--config-file", conf], project="nova", default_config_files=[])
        specs = list(CONF.pci.device_spec)
        wl = whitelist.Whitelist(specs)
        aliases = request._get_alias_from_config()
    except Exception as e:
        results.append({"error": "%s: %s" % (type(e).__name__, e)})
        continue
    devs = json.load(open(devs_path))
    match = {}
    for d in devs:
        if wl.device_assignable(d):
            tags = None
            for s in wl.specs:
                if s.match(d):
                    tags = s.get_tags()
                    break
            match[d["address"]] = tags
    fits = {}
    for name in aliases:
        pol, sp = aliases[name]
        want = sum(1 for d in devs if d["address"] in match and
                   all(d.get("vendor_id") == x.get("vendor_id") and
                       d.get("product_id") == x.get("product_id") and
                       d.get("dev_type") == x.get("dev_type") for x in sp))
        st = oracle.make_stats(wl, devs)
        ok = [st.support_requests(
            request._translate_alias_to_requests("%s:%d" % (name, n)))
            for n in (want, want + 1)]
        fits[name] = {"policy": pol, "specs": sp, "count": want, "fit": ok}
    results.append({"specs": specs, "match": match, "aliases": fits})
json.dump(results, sys.stdout)
"""

NEUTRON_PART = r"""
import json, sys, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
from oslo_config import cfg
from neutron.plugins.ml2.drivers.mech_sriov.agent import sriov_nic_agent
results = []
for ini in json.load(open(sys.argv[1])):
    cfg.CONF(["--config-file", ini], project="neutron",
             default_config_files=[])
    p = sriov_nic_agent.SriovNicAgentConfigParser()
    try:
        p.parse()
    except ValueError as e:
        results.append({"error": str(e)})
        continue
    results.append({
        "mappings": p.device_mappings,
        "exclude": {k: sorted(v) for k, v in p.exclude_devices.items()},
        "raw": [cfg.CONF.SRIOV_NIC.physical_device_mappings,
                cfg.CONF.SRIOV_NIC.exclude_devices]})
json.dump(results, sys.stdout)
"""


class Batch:
    """Jobs for one oracle process each (importing Nova takes seconds)."""

    def __init__(self, tmp):
        self.tmp, self.jobs, self.checks = tmp, [], []

    def dir(self):
        d = os.path.join(self.tmp, "job%d" % (len(self.jobs)))
        os.makedirs(d)
        return d

    def add(self, job, check):
        self.jobs.append(job)
        self.checks.append(check)

    def run(self, code, *args):
        if not self.jobs:
            return
        jf = os.path.join(self.tmp, "jobs.json")
        json.dump(self.jobs, open(jf, "w"))
        rc, out, err = run(["/usr/bin/python3", "-c", code] + list(args) +
                           [jf])
        if rc != 0:
            return fail("oracle process failed:\n" + err[-3000:])
        for check, res in zip(self.checks, json.loads(out)):
            check(res)


def check_nova(batch, sriovctl, name, root, desc, mapping, by_addr,
               include_pf, extra=()):
    args = ",".join("%s=%s" % (net, dev_name(pf, by_addr))
                    for pf in sriov_pfs(desc)
                    for a, net in mapping.items() if a == pf["address"])
    label = "%s render nova --physnet-map %s%s%s" % (
        name, args, " --include-pf" if include_pf else "",
        "".join(" " + x for x in extra))
    cmd = [sriovctl, "--root", root, "render", "nova", "--physnet-map", args]
    if include_pf:
        cmd.append("--include-pf")
    cmd += list(extra)
    rc, out, err = run(cmd)
    if rc != 0:
        return fail("%s: exit %d: %s" % (label, rc, err))
    tmp = batch.dir()
    conf = os.path.join(tmp, "nova.conf")
    open(conf, "w").write(out)
    devs = host_devices(desc)
    dp = os.path.join(tmp, "devices.json")
    json.dump(devs, open(dp, "w"))
    rc, jout, _ = run(cmd[:1] + ["-j"] + cmd[1:])
    j = json.loads(jout) if rc == 0 else {}

    def check(nova):
        if "error" in nova:
            return fail("%s: Nova rejects the output:\n%s\n%s" % (
                label, out, nova["error"]))
        exp = expected_matches(desc, mapping, include_pf)
        got = {a: t.get("physical_network")
               for a, t in nova["match"].items()}
        if got != exp:
            fail("%s: Nova's Whitelist selects %s, expected %s" % (
                label, got, exp))
        # ours, on the values oslo.config read
        sf = os.path.join(tmp, "spec.txt")
        open(sf, "w").write("\n".join(nova["specs"]) + "\n")
        rc, mout, merr = run([sriovctl, "--root", root, "nova", "match",
                              "--device-spec", sf, dp])
        if rc != 0:
            return fail("%s: nova match: exit %d %s" % (label, rc, merr))
        ours = {m["address"]: m["tags"].get("physical_network")
                for m in json.loads(mout) if m["spec"] is not None}
        if ours != exp:
            fail("%s: nova match selects %s, expected %s" % (label, ours,
                                                              exp))
        # aliases: one per distinct product of the mapped PFs
        want = {}
        for pf in sriov_pfs(desc):
            if pf["address"] not in mapping:
                continue
            v = hex4(pf["vendor"])
            keys = [(v, hex4(pf["sriov"]["vf_device"]), "type-VF")]
            if include_pf:
                keys.append((v, hex4(pf["device"]), "type-PF"))
            for k in keys:
                want.setdefault(k, []).append(pf)
        have = {}
        for aname, a in nova["aliases"].items():
            if len(a["specs"]) != 1:
                fail("%s: alias %s has %d specs" % (label, aname,
                                                    len(a["specs"])))
                continue
            s = a["specs"][0]
            k = (s.get("vendor_id"), s.get("product_id"), s.get("dev_type"))
            have[k] = aname
            if k not in want:
                continue
            pol = expected_policy(desc, want[k])
            if "--numa-policy" in extra:
                pol = extra[list(extra).index("--numa-policy") + 1]
            if a["policy"] != pol:
                fail("%s: alias %s: numa_policy %s, expected %s" % (
                    label, aname, a["policy"], pol))
            if "--alias-prefix" in extra and not aname.startswith(
                    extra[list(extra).index("--alias-prefix") + 1]):
                fail("%s: alias %s without the prefix" % (label, aname))
            if a["fit"] != [True, False]:
                fail("%s: alias %s: Nova's support_requests for %d, %d "
                     "devices: %s, expected [True, False]" % (
                         label, aname, a["count"], a["count"] + 1,
                         a["fit"]))
        if set(have) != set(want):
            fail("%s: aliases for %s, expected %s" % (label, sorted(have),
                                                      sorted(want)))
        # -j: the same values
        if [json.loads(s) for s in nova["specs"]] != j.get("device_spec"):
            fail("%s: -j device_spec differs from the text" % label)
        if len(j.get("alias", [])) != len(nova["aliases"]):
            fail("%s: -j alias differs from the text" % label)
        print("ok: %s (%d devices selected, %d aliases)" % (label, len(exp),
                                                            len(have)))
    batch.add([root, conf, dp], check)


def check_neutron(batch, sriovctl, name, root, desc, mapping, by_addr,
                  excludes):
    pfs = {pf["address"]: pf for pf in sriov_pfs(desc)}
    args = ",".join("%s=%s" % (net, dev_name(pfs[a], by_addr))
                    for a, net in mapping.items())
    cmd = [sriovctl, "--root", root, "render", "neutron", "--physnet-map",
           args]
    exp_ex = {}
    for dev, addrs in excludes:
        cmd += ["--exclude", "%s:%s" % (dev, ";".join(addrs))]
        ifname = dev
        if dev in pfs:
            ifname = pfs[dev]["net"][0]["name"]
        exp_ex.setdefault(ifname, set()).update(addrs)
    exp_ex = {k: sorted(v) for k, v in exp_ex.items()}
    label = "%s %s" % (name, " ".join(cmd[3:]))
    rc, out, err = run(cmd)
    if rc != 0:
        return fail("%s: exit %d: %s" % (label, rc, err))
    ini = os.path.join(batch.dir(), "sriov_agent.ini")
    open(ini, "w").write(out)
    rc, jout, _ = run(cmd[:1] + ["-j"] + cmd[1:])
    j = json.loads(jout)["sriov_nic"] if rc == 0 else {}

    def check(n):
        if "error" in n:
            return fail("%s: Neutron rejects:\n%s%s" % (label, out,
                                                         n["error"]))
        exp_map = {}
        for a, net in mapping.items():
            exp_map.setdefault(net, []).append(pfs[a]["net"][0]["name"])
        if n["mappings"] != exp_map:
            fail("%s: Neutron reads mappings %s, expected %s" % (
                label, n["mappings"], exp_map))
        if n["exclude"] != exp_ex:
            fail("%s: Neutron reads exclude_devices %s, expected %s" % (
                label, n["exclude"], exp_ex))
        if [j.get("physical_device_mappings"), j.get("exclude_devices")] != [
                ",".join(n["raw"][0]), ",".join(n["raw"][1])]:
            fail("%s: -j differs from the text: %s" % (label, j))
        print("ok: %s" % label)
    batch.add(ini, check)


def check_error(sriovctl, root, kind, args, want_rc, want_text):
    rc, out, err = run([sriovctl, "--root", root, "render", kind] + args)
    label = "render %s %s" % (kind, " ".join(args))
    if rc != want_rc or want_text not in err or out:
        fail("%s: exit %d, stderr %r; expected exit %d naming %r" % (
            label, rc, err, want_rc, want_text))
    else:
        print("ok: %s -> exit %d: %s" % (label, rc, err.strip()))


def mkhost(src_dir, tmp, name, desc):
    path = os.path.join(tmp, name + ".json")
    json.dump(desc, open(path, "w"))
    out = os.path.join(tmp, name)
    subprocess.run([sys.executable, os.path.join(src_dir, "mkhost.py"), path,
                    out], check=True)
    return os.path.join(out, "sys")


def main():
    sriovctl, build_dir, src_dir = sys.argv[1:4]
    try:
        subprocess.run(["/usr/bin/python3", "-c",
                        "import nova.pci.whitelist, neutron_lib.utils."
                        "helpers, neutron.plugins.ml2.drivers.mech_sriov."
                        "agent.sriov_nic_agent"],
                       check=True, capture_output=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        print("SKIP: /usr/bin/python3 cannot import nova and neutron "
              "(scripts/install-deps nova)", file=sys.stderr)
        return 77
    tmp = tempfile.mkdtemp(prefix="render-test.")
    hosts = {}
    for name in ("mlx5-cx6-ib", "e810-vfio", "igb"):
        desc = json.load(open(os.path.join(src_dir, "hosts", name + ".json")))
        hosts[name] = (os.path.join(build_dir, name, "sys"), desc)
    # Two PFs on NUMA nodes 0 and 1; and a PF whose driver has no netdev.
    e810 = hosts["e810-vfio"][1]
    two = copy.deepcopy(e810)
    two["pci"][1]["numa_node"] = 1
    two["pci"][1]["sriov"]["numvfs"] = 2
    two["pci"][1]["vfs"] = [
        {"index": 0, "address": "0000:3b:11.0", "driver": "iavf"},
        {"index": 1, "address": "0000:3b:11.1", "driver": "vfio-pci"}]
    hosts["two-numa"] = (mkhost(src_dir, tmp, "two-numa", two), two)
    nonet = copy.deepcopy(e810)
    del nonet["pci"][0]["net"]
    nonet["pci"][0]["driver"] = "vfio-pci"
    nonet_root = mkhost(src_dir, tmp, "no-netdev", nonet)
    hosts["no-netdev"] = (nonet_root, nonet)

    nova = Batch(os.path.join(tmp, "nova"))
    neutron = Batch(os.path.join(tmp, "neutron"))
    for name, (root, desc) in hosts.items():
        pfs = sriov_pfs(desc)
        full = {pf["address"]: "physnet%d" % (i + 1)
                for i, pf in enumerate(pfs)}
        first = {pfs[0]["address"]: "physnet1"}
        for mapping in ([full, first] if len(pfs) > 1 else [full]):
            for by_addr in (False, True):
                for inc in (False, True):
                    check_nova(nova, sriovctl, name, root, desc, mapping,
                               by_addr, inc)
        check_nova(nova, sriovctl, name, root, desc, first, False, False,
                   ("--numa-policy", "required", "--alias-prefix", "x-"))
        if name == "no-netdev":
            continue
        for by_addr in (False, True):
            check_neutron(neutron, sriovctl, name, root, desc, full,
                          by_addr, [])
        pf = pfs[0]
        vfs = [vf["address"] for vf in pf.get("vfs", [])][:2]
        if vfs:
            check_neutron(neutron, sriovctl, name, root, desc, full, False,
                          [(pf["net"][0]["name"], vfs[:1]),
                           (pf["address"], vfs)])

    nova.run(NOVA_PART, HERE)
    neutron.run(NEUTRON_PART)

    root = hosts["e810-vfio"][0]
    for kind in ("nova", "neutron"):
        check_error(sriovctl, root, kind, ["--physnet-map", "physnet1=ens9"],
                    1, "physnet1=ens9")
        check_error(sriovctl, root, kind,
                    ["--physnet-map", "physnet1=ens2f0,physnet2=ens2f0v2"], 1,
                    "physnet2=ens2f0v2")
        check_error(sriovctl, root, kind,
                    ["--physnet-map", "physnet1=ens2f0,physnet2"], 2,
                    "'physnet2'")
        check_error(sriovctl, root, kind,
                    ["--physnet-map", "physnet1:ens2f0"], 2,
                    "'physnet1:ens2f0'")
        check_error(sriovctl, root, kind,
                    ["--physnet-map", "physnet1=ens2f0,physnet2=0000:3b:00.0"],
                    1, "physnet2=0000:3b:00.0")
        check_error(sriovctl, root, kind, [], 2, "--physnet-map")
    check_error(sriovctl, hosts["igb"][0], "nova",
                ["--physnet-map", "physnet1=0000:00:19.0"], 1,
                "physnet1=0000:00:19.0")
    check_error(sriovctl, root, "neutron",
                ["--physnet-map", "physnet1=ens2f0", "--exclude",
                 "ens2f1:0000:3b:01.0"], 1, "ens2f1")
    check_error(sriovctl, root, "neutron",
                ["--physnet-map", "physnet1=ens2f0", "--exclude",
                 "ens2f0:0000:3b:1.0.0"], 2, "0000:3b:1.0.0")
    check_error(sriovctl, nonet_root, "neutron",
                ["--physnet-map", "physnet1=0000:3b:00.0"], 1,
                "physnet1=0000:3b:00.0")
    check_error(sriovctl, root, "nova",
                ["--physnet-map", "physnet1=ens2f0", "--alias-prefix", "a:b"],
                2, "'a:b'")
    shutil.rmtree(tmp)
    if FAILS:
        print("%d failures" % len(FAILS), file=sys.stderr)
        return 1
    print("all render checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
