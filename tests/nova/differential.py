#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Differential test: `sriovctl nova match|pools|fit` against Nova itself.

  differential.py SRIOVCTL [--cases N] [--seed S] [--keep DIR]

Generates N random cases (seeded) of device_spec values, devices, aliases,
hosts and requests over a fake sysfs tree, runs each through sriovctl and
through oracle.py (Nova's classes, /usr/bin/python3), and fails on any
difference: exit code, matches, tags, pools, passing hosts, and the error
message of an invalid spec or alias. Exits 77 (skip) if nova is missing.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NOVA_PY = "/usr/bin/python3"

PFS = {  # address: (totalvfs, vendor, product, vf product)
    "0000:0a:00.0": (8, "15b3", "1017", "1018"),
    "0000:0b:00.0": (4, "8086", "1572", "154c"),
}
OTHER = {"0000:0a:00.1": "0", "0000:1a:00.0": None, "0000:0a:00.2": "0"}
NETDEVS = {"ens1f0": "0000:0a:00.0", "ens2f0": "0000:0b:00.0",
           "eth5": "0000:1a:00.0", "vf0": "0000:0a:00.2"}


def make_sysfs(root):
    def mk(addr, tvfs, files=None):
        d = os.path.join(root, addr)
        os.makedirs(d, exist_ok=True)
        if tvfs is not None:
            open(os.path.join(d, "sriov_totalvfs"), "w").write(tvfs + "\n")
        for k, v in (files or {}).items():
            open(os.path.join(d, k), "w").write(v + "\n")
        os.makedirs(os.path.join(root, "bus/pci/devices"), exist_ok=True)
        os.symlink("../../../" + addr,
                   os.path.join(root, "bus/pci/devices", addr))
    for a, (n, v, p, vfp) in PFS.items():
        mk(a, str(n), {"vendor": "0x" + v, "device": "0x" + p,
                       "product": "0x" + p, "sriov_vf_device": vfp})
    for a, t in OTHER.items():
        mk(a, t)
    for name, a in NETDEVS.items():
        d = os.path.join(root, "class/net", name)
        os.makedirs(d)
        os.symlink("../../../" + a, os.path.join(d, "device"))


R = random.Random()


def pick(xs):
    return R.choice(xs)


IDS = ["8086", "15b3", "15B3", " 8086 ", "0x15b3", "*", "80860", "zz", "",
       "1", "1018", "154c", "154C", "1017", "1572", "0X1_5b3", "-1", "1_",
       "ffff", "10000", " * ", 8086, None]
GLOBS = ["*:0a:00.*", "0000:0a:00.0", "0000:0b:00.0", "0a:00.", ":0a:00.",
         "0000:0a:00", "5", ".5", "", "*: *: *.6", "0000:11:0*.*",
         "0000:0a:0b:00.5", "0000:0a:00.8", "1.2.3", "a:b:1.2", "*:*:*.*",
         "0000:0A:00.1", "0:a:0.0", "0000:0a:00.0 ", " 0b:00.0", "0000:1a:00.0",
         "0000:0a:00.*", "*:0b:*.*", "ffff:ff:1f.7", "0:0:20.0", "0x0a:0.0",
         "0000:0a:00.2", "-1:0a:00.0", ":", "..", "0000:0a:00.-1"]
RES = ["0a", "0", ".*", "[0-9a-f]{2}", "0[ab]", "(0a|0b)", "*", "[6[-7]",
       "0{1,2}", "\\d+", "a|0a", "^0a$", "0a$", "(", ")", "0+?", "[^1]",
       "\\w\\w", "0000", "00", "1", "2", "[0-2]", "0a|", "[a-", "a{2",
       "\\.", "0?a", "(0)(a)", "[]a]", "x*", "0a{1}", "{1}", "a**",
       "[^0-9]a", "\\q", "(?:0a)", "0{,2}a", ".", "[z-a]", "f+"]
DEVNAMES = ["ens1f0", "ens2f0", "eth5", "vf0", "nonexistent0", ""]
TAGS = {
    "physical_network": ["physnet1", "physnet2", "PhysNet1", None, ""],
    "trusted": ["true", "false", True, "yes", "True"],
    "remote_managed": ["true", "false", True, "1", "no", False],
    "foo": ["bar", 1, [1, 2], {"a": "b"}, 1.5],
    "numa_node": [0, "1"],
}


def gen_spec(valid_only=False):
    d = {}
    if R.random() < 0.5:
        d["vendor_id"] = pick(IDS[:4] + ["*"] if valid_only else IDS)
    if R.random() < 0.4:
        d["product_id"] = pick(["1018", "154c", "1017", "*", "154C"]
                               if valid_only else IDS)
    r = R.random()
    if r < 0.35:
        d["address"] = pick(GLOBS[:8] + ["*:0b:*.*", "0000:0a:00.*"]
                            if valid_only else GLOBS)
    elif r < 0.55:
        a = {}
        for k in ("domain", "bus", "slot", "function"):
            if R.random() < 0.5:
                a[k] = pick(["0a", "0000", "0", ".*", "[0-2]", "(0a|0b)"]
                            if valid_only else RES)
        if not valid_only and R.random() < 0.03:
            a["bus"] = 5
        d["address"] = a
    elif r < 0.65:
        d["devname"] = pick(DEVNAMES)
    elif r < 0.67 and not valid_only:
        d["address"] = pick([5, ["x"], True])
    if not valid_only and R.random() < 0.04:
        d["devname"] = pick(DEVNAMES)
    for k, vs in TAGS.items():
        p = 0.05 if k == "remote_managed" else 0.3
        if k in ("foo", "numa_node"):
            p = 0.1
        if R.random() < p:
            d[k] = pick(vs)
    return d


def gen_specs(valid_only=False):
    lines = []
    for _ in range(R.randint(0 if not valid_only else 1, 4)):
        r = R.random()
        if r < 0.6:
            lines.append(json.dumps(gen_spec(valid_only)))
        elif r < 0.9 or valid_only:
            lines.append(json.dumps([gen_spec(valid_only)
                                     for _ in range(R.randint(0, 3))]))
        else:
            lines.append(pick(['{"vendor_id": "8086"', '"abc"', '5',
                               '[{"vendor_id":"8086"}, 5]', '["x"]',
                               '[[1]]', 'null', '{"a": 1} x']))
    return lines


ADDRS = ["0000:0a:00.%d" % i for i in range(8)] + \
        ["0000:0b:00.%d" % i for i in range(4)] + \
        ["0000:1a:00.0", "0000:0A:00.3", "0000:0b:02.1"]
BAD_ADDRS = ["0000:0a:00", "bad", "10000:0a:00.0", "0000:0a:00.9", 5]


def gen_device(valid_only=False):
    a = pick(ADDRS)
    if not valid_only and R.random() < 0.04:
        a = pick(BAD_ADDRS)
    dt = pick(["type-VF", "type-VF", "type-PF", "type-PCI", "vdpa"])
    d = {"address": a,
         "vendor_id": pick(["15b3", "8086", "10de"]),
         "product_id": pick(["1018", "1017", "154c", "1572", "154C"]),
         "dev_type": dt,
         "numa_node": pick([0, 1, None, 0])}
    if dt in ("type-VF", "vdpa"):
        d["parent_addr"] = pick(["0000:0a:00.0", "0000:0b:00.0",
                                 "0000:1a:00.0"])
        if R.random() < 0.3:
            d["parent_ifname"] = pick(["ens1f0", "ens2f0"])
    if R.random() < 0.2:
        d["capabilities"] = {"vpd": {"card_serial_number":
                                     pick(["MT2113X00000", ""])}}
    if not valid_only and R.random() < 0.02:
        del d[pick(["vendor_id", "product_id"])]
    return d


def gen_alias():
    out = []
    for _ in range(R.randint(0, 3)):
        a = {"name": pick(["a1", "a2", " a1 ", "a3"])}
        if R.random() < 0.7:
            a["product_id"] = pick(["1018", "154c", "1017", "154C"])
        if R.random() < 0.5:
            a["vendor_id"] = pick(["15b3", "8086"])
        if R.random() < 0.6:
            a["device_type"] = pick(["type-VF", "type-PF", "type-PCI"])
        if R.random() < 0.3:
            a["numa_policy"] = pick(["legacy", "required", "preferred",
                                     "socket"])
        if R.random() < 0.05:
            a[pick(["device_type", "numa_policy", "vendor_id", "bogus",
                    "name"])] = pick(["bogus", 5, "0x8086", ""])
        out.append(json.dumps(a))
    return out


def gen_request():
    e = {}
    if R.random() < 0.5:
        e["alias"] = pick(["a1:1", "a1:2", "a2:1", "a1:1,a2:1", "a3:1",
                           "a1:3"])
    else:
        n = R.randint(1, 2)
        e["requests"] = []
        for _ in range(n):
            spec = {}
            for k, vs in [("physical_network", ["physnet1", "PHYSNET1",
                                                 "physnet2", None]),
                          ("dev_type", ["type-VF", "type-PF", "type-PCI",
                                        "vdpa"]),
                          ("remote_managed", ["False", "True", "false"]),
                          ("trusted", ["True", "true", "False"]),
                          ("vendor_id", ["15b3", "8086", "15B3"]),
                          ("product_id", ["1018", "154c"])]:
                if R.random() < 0.35:
                    spec[k] = pick(vs)
            q = {"count": pick([1, 1, 2, 3, 0]), "spec": [spec]}
            if R.random() < 0.2:
                q["spec"].append({"vendor_id": pick(["15b3", "8086"])})
            e["requests"].append(q)
    if R.random() < 0.5:
        e["numa_policy"] = pick(["legacy", "required", "preferred",
                                 "socket"])
    if R.random() < 0.6:
        e["numa_cells"] = pick([[0], [1], [0, 1], []])
    return e


def gen_host_tree():
    """One host: PFs with their VFs (and some vdpa), unique addresses."""
    devs = []
    for bus, (ven, pfp, vfp) in [("0a", ("15b3", "1017", "1018")),
                                 ("0b", ("8086", "1572", "154c"))]:
        numa = pick([0, 1, None])
        for f in range(pick([1, 1, 2, 0])):
            pf = "0000:%s:00.%d" % (bus, f)
            devs.append({"address": pf, "vendor_id": ven, "product_id": pfp,
                         "dev_type": "type-PF", "numa_node": numa})
            for v in range(R.randint(0, 6)):
                d = {"address": "0000:%s:%02x.%d" % (bus, 1 + f, v),
                     "vendor_id": ven, "product_id": vfp,
                     "dev_type": pick(["type-VF"] * 4 + ["vdpa"]),
                     "parent_addr": pf, "numa_node": numa}
                if R.random() < 0.2:
                    d["capabilities"] = {"vpd": {
                        "card_serial_number": "MT2113X00000"}}
                devs.append(d)
    if R.random() < 0.3:
        devs.append({"address": "0000:1a:00.0", "vendor_id": "10de",
                     "product_id": "1018", "dev_type": "type-PCI",
                     "numa_node": pick([0, 1, None])})
    R.shuffle(devs)
    return devs


CONSUME_SPECS = ['{"vendor_id": "15b3"}',
                 '{"vendor_id": "8086", "physical_network": "physnet1"}',
                 '{"address": "0000:0a:00.0"}', '{"product_id": "154c"}',
                 '{"address": "*:0b:*.*", "remote_managed": "true"}',
                 '[{"vendor_id": "10de"}, {"product_id": "1572"}]']


def gen_claim():
    if R.random() < 0.2:
        return gen_request()
    e = {"requests": []}
    for _ in range(R.randint(1, 2)):
        spec = pick([{"product_id": "1018"}, {"product_id": "154c"},
                     {"vendor_id": "15b3", "dev_type": "type-PF"},
                     {"product_id": "1572", "dev_type": "type-PF"},
                     {"dev_type": "vdpa"}, {"vendor_id": "10de"},
                     {"remote_managed": "True"},
                     {"physical_network": "physnet1"}])
        e["requests"].append({"count": pick([1, 1, 2, 3]), "spec": [spec]})
    if R.random() < 0.4:
        e["numa_policy"] = pick(["legacy", "required", "preferred",
                                 "socket"])
        e["numa_cells"] = pick([[0], [1], [0, 1]])
    return e


def gen_case(i):
    kind = pick(["match"] * 5 + ["pools"] * 2 + ["fit"] * 3 + ["consume"] * 3
                + ["check"] * 2)
    if kind == "check":
        return {"cmd": "check", "specs": [s for s in gen_specs()
                                          if "\n" not in s], "data": []}
    if kind == "consume":
        host = {"devices": gen_host_tree(),
                "numa_cells": [{"id": 0, "socket": 0},
                               {"id": 1, "socket": pick([0, 1, None])}]}
        specs = [pick(CONSUME_SPECS) for _ in range(R.randint(1, 3))]
        if R.random() < 0.2:
            specs = gen_specs(valid_only=True)
        return {"cmd": "consume", "specs": specs, "aliases": gen_alias(),
                "data": [host, [gen_claim() for _ in range(R.randint(1, 5))]]}
    if kind == "match":
        return {"cmd": "match", "specs": gen_specs(),
                "data": [[gen_device() for _ in range(R.randint(0, 8))]]}
    if kind == "pools":
        return {"cmd": "pools", "specs": gen_specs(valid_only=True),
                "data": [[gen_device(True) for _ in range(R.randint(0, 12))]]}
    hosts = {}
    for h in range(R.randint(1, 5)):
        cells = [{"id": 0, "socket": 0},
                 {"id": 1, "socket": pick([0, 1, 1, None])}]
        hosts["host%d" % h] = {
            "devices": [gen_device(True) for _ in range(R.randint(0, 10))],
            "numa_cells": cells}
    return {"cmd": "fit", "specs": gen_specs(valid_only=True),
            "aliases": gen_alias(),
            "data": [hosts, [gen_request() for _ in range(R.randint(1, 6))]]}


def run_check(sriovctl, root, case, tmp):
    """nova check on a nova.conf of the specs: which lines are errors."""
    conf = os.path.join(tmp, "nova.conf")
    with open(conf, "w") as f:
        f.write("[DEFAULT]\ndebug = true\n\n[pci]\n")
        for s in case["specs"]:
            f.write("device_spec = %s\n" % s.replace("\n", " "))
    p = subprocess.run([sriovctl, "-j", "--root", root, "nova", "check",
                        conf], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        return {"rc": p.returncode, "out": None, "err": p.stderr}
    lines = {e["line"] for e in json.loads(p.stdout)
             if e["severity"] == "error"}
    return {"rc": 0, "out": [5 + i in lines
                             for i in range(len(case["specs"]))], "err": ""}


def run_ours(sriovctl, root, case, tmp):
    if case["cmd"] == "check":
        return run_check(sriovctl, root, case, tmp)
    spec = os.path.join(tmp, "spec.txt")
    open(spec, "w").write("".join(s + "\n" for s in case["specs"]))
    argv = [sriovctl, "--root", root, "nova", case["cmd"],
            "--device-spec", spec]
    if case.get("aliases"):
        al = os.path.join(tmp, "alias.txt")
        open(al, "w").write("".join(s + "\n" for s in case["aliases"]))
        argv += ["--alias", al]
    for i, d in enumerate(case["data"]):
        f = os.path.join(tmp, "data%d.json" % i)
        json.dump(d, open(f, "w"))
        argv.append(f)
    p = subprocess.run(argv, capture_output=True, text=True)
    out = json.loads(p.stdout) if p.returncode == 0 else None
    err = p.stderr.rstrip("\n")
    return {"rc": p.returncode, "out": out, "err": err}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sriovctl")
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--keep")
    a = ap.parse_args()
    if not os.path.exists(NOVA_PY) or subprocess.run(
            [NOVA_PY, "-c", "import nova.pci.stats"],
            capture_output=True).returncode:
        print("SKIP: python3-nova is not installed (scripts/install-deps nova)")
        return 77
    R.seed(a.seed)
    tmp = a.keep or tempfile.mkdtemp(prefix="nova-diff.")
    os.makedirs(tmp, exist_ok=True)
    root = os.path.join(tmp, "sys")
    shutil.rmtree(root, ignore_errors=True)
    make_sysfs(root)
    cases = [gen_case(i) for i in range(a.cases)]
    cf = os.path.join(tmp, "cases.json")
    json.dump(cases, open(cf, "w"))
    p = subprocess.run([NOVA_PY, os.path.join(HERE, "oracle.py"), "--root",
                        root, "batch", cf], capture_output=True, text=True)
    if p.returncode:
        print(p.stderr)
        return 1
    want = json.loads(p.stdout)
    bad = 0
    stats = {"match": 0, "pools": 0, "fit": 0, "consume": 0, "check": 0,
             "errors": 0}
    for i, (c, w) in enumerate(zip(cases, want)):
        got = run_ours(a.sriovctl, root, c, tmp)
        stats[c["cmd"]] += 1
        stats["errors"] += w["rc"] != 0
        same = got["rc"] == w["rc"]
        if same and w["rc"] == 2:
            same = got["err"] == w["err"]
        if same and w["rc"] == 0:
            same = got["out"] == w["out"]
        if not same:
            bad += 1
            if bad <= 10:
                print("case %d differs:\n  input: %s\n  nova:  %s\n  ours:  %s"
                      % (i, json.dumps(c), json.dumps(w), json.dumps(got)))
    print("%d cases (%s), %d differ" % (len(cases), ", ".join(
        "%s %d" % kv for kv in stats.items()), bad))
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
