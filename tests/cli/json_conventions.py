#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every `sriovctl -j` output against the README's JSON conventions.

usage: json_conventions.py SRIOVCTL FIXTURES_BUILD FIXTURES_SRC

README ("JSON conventions"): ids are lowercase 4-digit hex strings without
0x ("15b3"); P-keys "0xffff"; GUIDs "0x0002c90300a1b2c1"; a value the
kernel does not give is null (a NUMA node of -1 is null). Each command that
runs without a kernel (show, doctor, pf show, vf show, ib guid, ib pkeys,
fabric check) is run on every fixture host, the captured kernel
tree and the partitions corpus, and every member of its JSON is checked by
its key: a key naming a GUID, a P-key or an id holds that form or null,
an index is a number or null (not "none"), and no number is negative (the
model's "unknown", which must be null).
sriovd's answers are held to the same rules in unit.daemon.
"""
import glob
import json
import os
import re
import subprocess
import sys

failures = []
GUID = re.compile(r"^0x[0-9a-f]{16}$")
PKEY = re.compile(r"^0x[0-9a-f]{4}$")
ID = re.compile(r"^[0-9a-f]{4}$")
ID_KEYS = {"vendor", "device", "subsystem_vendor", "subsystem_device",
           "sriov_vf_device"}


quiet = False


def check(cond, what):
    if not cond:
        failures.append(what)
        if not quiet:
            print("FAIL", what)


def rule_of(key):
    """The form a member's key asks for, or None."""
    if key is None:
        return None
    if "guid" in key:
        return "guid"
    if "pkey" in key and "idx" not in key and "index" not in key:
        return "pkey"
    if key in ID_KEYS:
        return "id"
    return None


def walk(v, path, key, where):
    """Check @v, found under @key (an array's elements keep its key)."""
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, path + "." + k, k, where)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, "%s[%d]" % (path, i), key, where)
    elif isinstance(v, bool) or v is None:
        return
    elif isinstance(v, int):
        check(v >= 0, "%s: %s is %d: what the kernel does not give is null"
              % (where, path, v))
    elif isinstance(v, str):
        rule = rule_of(key)
        pat = {"guid": GUID, "pkey": PKEY, "id": ID}.get(rule)
        if pat is not None:
            check(pat.match(v), "%s: %s is %r, not a %s as the README writes it"
                  % (where, path, v, rule))
    if key and (key.endswith("_idx") or key.endswith("index")):
        check(not isinstance(v, str),
              "%s: %s is %r: an index is a number, or null for none"
              % (where, path, v))
    if key in ("numa_node", "iommu_group") and not isinstance(v, (dict, list)):
        # a negative one is caught above
        check(v is None or (isinstance(v, int) and not isinstance(v, bool)),
              "%s: %s is %r (a number or null)" % (where, path, v))


def run_json(args, where):
    """Run sriovctl -j ARGS; the document, or None when it did not run."""
    p = subprocess.run([SRIOVCTL, "-j"] + args, capture_output=True,
                       text=True, timeout=60)
    if p.returncode not in (0, 1) or not p.stdout.strip():
        return None
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        check(False, "%s: not JSON: %r" % (where, p.stdout[:80]))
        return None
    walk(doc, "$", None, where)
    return doc


def main():
    global SRIOVCTL
    SRIOVCTL, build, src = sys.argv[1], sys.argv[2], sys.argv[3]
    roots = sorted(glob.glob(os.path.join(build, "*", "sys")))
    roots += sorted(glob.glob(os.path.join(src, "captured", "*", "sys")))
    checked = set()
    for sysdir in roots:
        host = os.path.basename(os.path.dirname(sysdir))
        r = ["--root", sysdir, "--proc-root",
             os.path.join(os.path.dirname(sysdir), "proc")]
        show = run_json(r + ["show"], host + ": show")
        run_json(r + ["doctor"], host + ": doctor")
        if not show:
            continue
        checked.add("show")
        for pf in show.get("pfs", []):
            names = [n["name"] for n in pf.get("netdevs", [])]
            for dev in names or [pf["address"]]:
                for cmd in (["pf", "show", dev], ["vf", "show", dev]):
                    if run_json(r + cmd, "%s: %s" % (host, " ".join(cmd))):
                        checked.add(cmd[0] + " " + cmd[1])
            if pf.get("ib_device"):
                for vf in pf.get("vfs", []):
                    dev = names[0] if names else pf["address"]
                    for cmd in (["ib", "guid", dev, str(vf["index"])],
                                ["ib", "pkeys", pf["ib_device"], str(vf["index"])]):
                        if run_json(r + cmd, "%s: %s" % (host, " ".join(cmd))):
                            checked.add(cmd[0] + " " + cmd[1])
    for conf in sorted(glob.glob(os.path.join(src, "partitions", "*.conf"))):
        if run_json(["fabric", "check", conf], "fabric check " + os.path.basename(conf)):
            checked.add("fabric check")
    want = {"show", "pf show", "vf show", "ib guid", "ib pkeys", "fabric check"}
    check(want <= checked, "commands that gave no JSON to check: %s" %
          sorted(want - checked))
    # the walker itself can fail
    global quiet
    quiet = True
    before = len(failures)
    walk({"node_guid": "00:02:c9:03:00:a1:b2:c1", "pkeys": ["0xffff", "ffff"],
          "vendor": "0x15b3", "numa_node": -1, "pkey_idx": [0, "none"],
          "port_guid": "0x0002c90300a1b2c1", "device": "1007",
          "gid_idx": None}, "$", None, "self-test")
    caught = len(failures) - before
    del failures[before:]
    quiet = False
    check(caught == 5, "self-test: %d of 5 broken members caught" % caught)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: %s on %d trees follow the JSON conventions" %
          (", ".join(sorted(checked)), len(roots)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
