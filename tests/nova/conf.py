#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""nova.conf read by oslo.config and by us: the same files refused, at the
same line, and the same [pci] values read from the others.

  conf.py CONF_DUMP SRIOVCTL CORPUS_DIR [--cases N] [--seed S] [--keep DIR]

The files: tests/nova/conf-corpus (one quirk each) and N generated here
from fragments (sections in any case, current and deprecated option
names, continuation lines, comments, blank lines of Unicode spaces,
quotes, \\r, \\r\\n, a BOM, NUL bytes, bytes that are not UTF-8). Each is
loaded by Debian's python3-oslo.config with Nova's [pci] options
registered, as nova-compute loads it (UTF-8, the C.UTF-8 locale), and by
CONF_DUMP (tests/nova/conf_dump.c: sriov_nova_check() and
sriov_nova_conf_load()). They must agree on whether the file is refused,
on the line oslo.config names, and on CONF.pci.device_spec and
CONF.pci.alias. Refused files must make `sriovctl nova check` exit 1
naming FILE:LINE. Exits 77 when oslo.config or nova cannot be imported.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

R = random.Random()

SECTIONS = ["[pci]", "[PCI]", "[Pci]", "[DEFAULT]", "[default]", "[libvirt]",
            "[ pci ]", "[pci]  ", "[pci]\t"]
BAD_SECTIONS = ["[pci", "[]", "[pci] x", "[", "[DEFAULT"]
KEYS = ["device_spec", "passthrough_whitelist", "pci_passthrough_whitelist",
        "alias", "pci_alias", "debug", "device-spec", "DEVICE_SPEC",
        "device_spec ", "\u00a0alias", "x"]
SEPS = ["=", " = ", ":", " : ", "=:", ":=", "\t=\t"]
VALUES = ['{"vendor_id": "8086"}', '[{"address": "0000:0a:00.1"}]',
          '{"name": "a1", "product_id": "154c"}', '"quoted"', "'single'",
          '"', "", "a=b:c", "caf\u00e9", "\u00a0v\u00a0", "x\x00y",
          '{"vendor_id":', '"8086"}', "  spaced  ", "#not-a-comment",
          "trailing\u3000"]
COMMENTS = ["# a comment", "; another", "#[pci", ";x = y"]
BLANKS = ["", "   ", "\t", "\u3000", "\u00a0 ", "\x0b", "\x1c"]
CONTS = ["  more", "\tmore", '   "8086"}', " # indented", "  =x"]
GARBAGE = ["garbage", "= value", ": v", "[pci", "\u00a0x"]
EOLS = ["\n"] * 6 + ["\r\n", "\r"]
BAD_BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82",
             b"\xf4\x90\x80\x80"]


def gen_file(dirty):
    lines = []
    if R.random() < 0.6:
        lines.append(R.choice(SECTIONS[:4]))
    for _ in range(R.randint(0, 12)):
        r = R.random()
        if r < 0.15:
            lines.append(R.choice(SECTIONS))
        elif r < 0.55:
            lines.append(R.choice(KEYS) + R.choice(SEPS) + R.choice(VALUES))
        elif r < 0.65:
            lines.append(R.choice(COMMENTS))
        elif r < 0.8:
            lines.append(R.choice(BLANKS))
        elif r < 0.92 and (dirty or (lines and any(
                sep.strip() in lines[-1] for sep in SEPS))):
            # a clean file continues only what an assignment began
            lines.append(R.choice(CONTS))
        elif dirty:
            lines.append(R.choice(GARBAGE + BAD_SECTIONS))
    out = b""
    if R.random() < 0.05:
        out += b"\xef\xbb\xbf"
    for i, line in enumerate(lines):
        out += line.encode()
        if i + 1 < len(lines) or R.random() < 0.8:
            out += R.choice(EOLS).encode()
    if dirty and R.random() < 0.15:
        at = R.randint(0, len(out))
        out = out[:at] + R.choice(BAD_BYTES) + out[at:]
    return out


ORACLE = r'''
import json, re, sys, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
from oslo_config import cfg
import nova.conf.pci

def load(path):
    conf = cfg.ConfigOpts()
    nova.conf.pci.register_opts(conf)
    try:
        conf(["--config-file", path], project="nova",
             default_config_files=[], default_config_dirs=[], use_env=False)
    except cfg.ConfigFileParseError as e:
        m = re.search(r"at .*:(\d+), ", e.msg)
        return {"refused": True, "line": int(m.group(1)) if m else None}
    except UnicodeDecodeError:
        return {"refused": True, "line": None, "decode": True}
    return {"refused": False, "line": None,
            "device_spec": list(conf.pci.device_spec),
            "alias": list(conf.pci.alias)}

for path in sys.argv[1:]:
    print(json.dumps(load(path)))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("conf_dump")
    ap.add_argument("sriovctl")
    ap.add_argument("corpus")
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--keep")
    a = ap.parse_args()
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    if subprocess.run(["/usr/bin/python3", "-c",
                       "import oslo_config.cfg, nova.conf.pci"],
                      capture_output=True, env=env).returncode:
        print("SKIP: python3-oslo.config or python3-nova is missing")
        return 77
    R.seed(a.seed)
    tmp = a.keep or tempfile.mkdtemp(prefix="nova-conf.")
    os.makedirs(tmp, exist_ok=True)
    files = sorted(os.path.join(a.corpus, f) for f in os.listdir(a.corpus))
    for i in range(a.cases):
        p = os.path.join(tmp, "gen-%04d.conf" % i)
        open(p, "wb").write(gen_file(dirty=i % 2 == 1))
        files.append(p)
    p = subprocess.run(["/usr/bin/python3", "-c", ORACLE] + files,
                       capture_output=True, text=True, env=env)
    if p.returncode:
        print(p.stderr)
        return 1
    want = [json.loads(x) for x in p.stdout.splitlines()]
    p = subprocess.run([a.conf_dump] + files, capture_output=True,
                       text=True)
    if p.returncode:
        print(p.stderr)
        return 1
    got = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(want) == len(files) and len(got) == len(files)
    bad = 0
    stats = {"refused": 0, "decode": 0, "read": 0, "values": 0}
    checked = 0
    for f, w, g in zip(files, want, got):
        stats["refused"] += w["refused"]
        stats["decode"] += bool(w.get("decode"))
        stats["read"] += not w["refused"]
        same = w["refused"] == g["refused"]
        if same and w["refused"] and not w.get("decode"):
            same = w["line"] == g["line"]
        if same and not w["refused"]:
            stats["values"] += len(w["device_spec"]) + len(w["alias"])
            same = (w["device_spec"] == g["device_spec"] and
                    w["alias"] == g["alias"])
        if not same:
            bad += 1
            if bad <= 10:
                print("%s differs:\n  content: %r\n  oslo.config: %s\n"
                      "  ours: %s" % (f, open(f, "rb").read()[:300],
                                      json.dumps(w), json.dumps(g)))
            continue
        # nova check says so: exit 1, FILE:LINE
        if w["refused"] and checked < 60:
            checked += 1
            c = subprocess.run([a.sriovctl, "nova", "check", f],
                               capture_output=True, text=True)
            where = "%s:%d: error: oslo.config refuses the file: " % (
                f, g["line"])
            if c.returncode != 1 or not c.stdout.startswith(where):
                bad += 1
                print("%s: nova check exit %d, output %r" % (
                    f, c.returncode, c.stdout[:200]))
    print("%d files (%s), %d differ" % (len(files), ", ".join(
        "%s %d" % kv for kv in stats.items()), bad))
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
