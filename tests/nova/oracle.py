#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Nova's own answers for `sriovctl nova match|pools|fit` inputs.

Run with /usr/bin/python3 (Debian's python3-nova). Same arguments, same
output format and exit codes as sriovctl:

  oracle.py [--root SYSFS] match --device-spec FILE DEVICES.json
  oracle.py [--root SYSFS] pools --device-spec FILE DEVICES.json
  oracle.py [--root SYSFS] fit --device-spec FILE [--alias FILE] HOSTS REQS

Nova's classes do the work (Whitelist, PciDeviceSpec, PciDeviceStats,
request._get_alias_from_config / _translate_alias_to_requests); only
their sysfs reads are redirected below --root. fit answers on the pools
as the scheduler reads them back from the database (scheduler_stats),
consume on the compute node's own.
"""
import argparse
import builtins
import json
import logging
import os
import re
import sys
import types
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

from nova import exception  # noqa: E402
from nova import objects  # noqa: E402
from nova.objects import pci_device_pool  # noqa: E402
from nova.pci import request as pci_request  # noqa: E402
from nova.pci import stats as pci_stats  # noqa: E402
from nova.pci import utils as pci_utils  # noqa: E402
from nova.pci import whitelist  # noqa: E402

objects.register_all()


def reroot(root):
    """Point nova.pci.utils' /sys reads at root."""
    real_open = builtins.open

    def fix(p):
        if isinstance(p, str) and p.startswith("/sys/"):
            return os.path.join(root, p[len("/sys/"):])
        return p

    fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os)
                                       if not k.startswith("__")})
    fake_os.path = types.SimpleNamespace(
        **{k: getattr(os.path, k) for k in dir(os.path)
           if not k.startswith("__")})
    fake_os.path.isdir = lambda p: os.path.isdir(fix(p))
    fake_os.readlink = lambda p: os.readlink(fix(p))
    fake_os.listdir = lambda p: os.listdir(fix(p))
    pci_utils.os = fake_os
    pci_utils.open = lambda p, *a, **k: real_open(fix(p), *a, **k)


def message(exc):
    msg = str(exc)
    if isinstance(exc, KeyError):
        msg = str(exc)
    return re.sub(r" at 0x[0-9a-f]+>", " at 0x0>", msg)


def read_values(path):
    vals = []
    with open(path) as f:
        for line in f.read().split("\n"):
            line = line.rstrip("\r")
            if not line.strip(" \t") or line.lstrip(" \t").startswith("#"):
                continue
            vals.append(line)
    return vals


def load_whitelist(path):
    vals = read_values(path)
    # Keep, per spec, the index of the value it came from.
    index = []
    for i, v in enumerate(vals):
        try:
            d = json.loads(v)
        except ValueError:
            break
        n = 1 if isinstance(d, dict) else (len(d) if isinstance(d, list)
                                           else 0)
        index.extend([i] * n)
    try:
        wl = whitelist.Whitelist(vals)
    except Exception as e:  # Nova's exception, or Python's
        sys.stderr.write(message(e) + "\n")
        sys.exit(2)
    return wl, index


def do_match(wl, index, devs):
    out = []
    for d in devs:
        o = {"address": d.get("address") if isinstance(d, dict) else None,
             "spec": None, "tags": {}}
        if isinstance(d, dict):
            try:
                for i, spec in enumerate(wl.specs):
                    if spec.match(d):
                        o["spec"] = index[i]
                        o["tags"] = spec.get_tags()
                        break
            except Exception as e:
                o["error"] = message(e)
        out.append(o)
    return out


def make_stats(wl, devs, cells=None):
    topo = types.SimpleNamespace(cells=[
        types.SimpleNamespace(id=c["id"], socket=c.get("socket"))
        for c in (cells or [])])
    st = pci_stats.PciDeviceStats(topo, dev_filter=wl)
    for d in devs:
        dev = objects.PciDevice.create(None, dict(d))
        st.add_device(dev)
    return st


def scheduler_stats(wl, devs, cells=None):
    """The pools as the PciPassthroughFilter sees them: the compute node's
    PciDeviceStats, stored as the resource tracker stores them
    (ComputeNode.pci_device_pools, the pci_stats column) and read back as
    the scheduler's HostState does. Tag values come back as strings."""
    st = make_stats(wl, devs, cells)
    try:
        updates = {"pci_device_pools": st.to_device_pools_obj()}
    except (ValueError, TypeError):
        # the resource tracker raises: the node reports no pools
        stored = None
    else:
        objects.ComputeNode._convert_pci_stats_to_db_format(updates)
        stored = pci_device_pool.from_pci_stats(updates["pci_stats"])
    topo = types.SimpleNamespace(cells=[
        types.SimpleNamespace(id=c["id"], socket=c.get("socket"))
        for c in (cells or [])])
    return pci_stats.PciDeviceStats(topo, stats=stored, dev_filter=wl)


def do_pools(wl, devs):
    return list(make_stats(wl, devs))


def build_requests(e):
    policy = e.get("numa_policy")
    if isinstance(e.get("alias"), str):
        spec = e["alias"]
        if isinstance(e.get("count"), int):
            spec = "%s:%d" % (spec, e["count"])
        return pci_request._translate_alias_to_requests(spec, policy)
    reqs = []
    for q in e.get("requests", [e]):
        kw = {"count": q["count"], "spec": q["spec"],
              "numa_policy": q.get("numa_policy") or policy or "legacy"}
        reqs.append(objects.InstancePCIRequest(**kw))
    return reqs


def do_fit(wl, hosts, reqs):
    stats = []
    for name, h in hosts.items():
        devs = h if isinstance(h, list) else h.get("devices", [])
        cells = None if isinstance(h, list) else h.get("numa_cells")
        stats.append((name, scheduler_stats(wl, devs, cells)))
    out = []
    for i, e in enumerate(reqs):
        o = {"request": i}
        try:
            rs = build_requests(e)
        except Exception as ex:
            o["error"] = message(ex)
            out.append(o)
            continue
        cells = e.get("numa_cells")
        ncells = None
        if isinstance(cells, list):
            ncells = [types.SimpleNamespace(id=c) for c in cells]
        o["hosts"] = [n for n, st in stats
                      if st.support_requests(rs, ncells)]
        out.append(o)
    return out


def do_consume(wl, host, reqs):
    """Claims in order on one host, as the compute node makes them."""
    from nova.pci import manager as pci_manager
    import uuid
    devs = host if isinstance(host, list) else host.get("devices", [])
    cells = None if isinstance(host, list) else host.get("numa_cells")
    topo = types.SimpleNamespace(cells=[
        types.SimpleNamespace(id=c["id"], socket=c.get("socket"))
        for c in (cells or [])])
    st = pci_stats.PciDeviceStats(topo, dev_filter=wl)
    objs = [objects.PciDevice.create(None, dict(d)) for d in devs]
    pci_manager.PciDevTracker._build_device_tree(list(objs))
    for o in objs:
        st.add_device(o)
    claims = []
    for i, e in enumerate(reqs):
        o = {"request": i}
        claims.append(o)
        try:
            rs = build_requests(e)
        except Exception as ex:
            o["error"] = message(ex)
            continue
        ids = {}
        for k, r in enumerate(rs):
            r.request_id = str(uuid.UUID(int=k + 1))
            ids[r.request_id] = k
        c = e.get("numa_cells")
        ncells = None
        if isinstance(c, list):
            ncells = [types.SimpleNamespace(id=x) for x in c]
        try:
            got = st.consume_requests(rs, ncells)
        except exception.PciDeviceRequestFailed:
            o["devices"] = None
            continue
        o["devices"] = [{"address": d.address, "request": ids[d.request_id]}
                        for d in got]
    return {"claims": claims, "pools": list(st)}


class Exit(Exception):
    def __init__(self, rc, err):
        self.rc, self.err = rc, err


def run_case(cmd, specs, aliases, data):
    """One case: (rc, output, stderr), as sriovctl would give them."""
    import nova.conf
    nova.conf.CONF.set_override("alias", aliases or [], group="pci")
    if aliases:
        try:
            pci_request._get_alias_from_config()
        except Exception as e:
            return 2, None, message(e)
    index = []
    for i, v in enumerate(specs):
        try:
            d = json.loads(v)
        except ValueError:
            break
        n = 1 if isinstance(d, dict) else (len(d) if isinstance(d, list)
                                           else 0)
        index.extend([i] * n)
    if cmd == "check":
        bad = []
        for v in specs:
            try:
                whitelist.Whitelist([v])
                bad.append(False)
            except Exception:
                bad.append(True)
        return 0, bad, ""
    try:
        wl = whitelist.Whitelist(specs)
    except Exception as e:
        return 2, None, message(e)
    try:
        if cmd == "match":
            return 0, do_match(wl, index, data[0]), ""
        if cmd == "pools":
            return 0, do_pools(wl, data[0]), ""
        if cmd == "consume":
            return 0, do_consume(wl, data[0], data[1]), ""
        return 0, do_fit(wl, data[0], data[1]), ""
    except Exception as e:
        return 1, None, message(e)


def batch(path):
    import nova.conf
    nova.conf.CONF([], project="nova", default_config_files=[])
    out = []
    for c in json.load(open(path)):
        rc, o, err = run_case(c["cmd"], c["specs"], c.get("aliases"),
                              c["data"])
        out.append({"rc": rc, "out": o, "err": err})
    json.dump(out, sys.stdout)


def main():
    if len(sys.argv) >= 3 and sys.argv[-2] == "batch":
        if len(sys.argv) == 5 and sys.argv[1] == "--root":
            reroot(sys.argv[2])
        else:
            reroot("/nonexistent-sysfs")
        batch(sys.argv[-1])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--root")
    ap.add_argument("cmd", choices=["match", "pools", "fit"])
    ap.add_argument("--device-spec", required=True)
    ap.add_argument("--alias")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    reroot(a.root or "/nonexistent-sysfs")
    if a.alias:
        import nova.conf
        nova.conf.CONF([], project="nova", default_config_files=[])
        nova.conf.CONF.set_override("alias", read_values(a.alias),
                                    group="pci")
        try:
            pci_request._get_alias_from_config()
        except Exception as e:
            sys.stderr.write(message(e) + "\n")
            sys.exit(2)
    wl, index = load_whitelist(a.device_spec)
    data = [json.load(open(f)) for f in a.files]
    if a.cmd == "match":
        out = do_match(wl, index, data[0])
    elif a.cmd == "pools":
        out = do_pools(wl, data[0])
    else:
        out = do_fit(wl, data[0], data[1])
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
