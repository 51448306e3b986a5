#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sriovctl's conventions, command by command (README "The CLI by example").

usage: conventions.py SRIOVCTL FIXTURES_BUILD

Every command and subcommand is found by walking `sriovctl --help` (so a
new one is covered without editing this file), then:
- `-h` and `--help`, alone or after other arguments, print that command's
  usage and exit 0, and nothing is acted upon (`capture DIR --help` makes
  no folder);
- the exit code rule: 2 for a mistake of the command line (an unknown word,
  a missing argument, a malformed or out-of-range value), 1 for a failure
  of a well-formed command, on a fixture host;
- abbreviations: a unique prefix selects, an ambiguous one is refused;
- `-p` implies `-j`.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def run(args, env=None):
    p = subprocess.run([SRIOVCTL] + args, capture_output=True, text=True,
                       env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def commands_of(path):
    """The subcommands a group's --help lists, or None for a leaf."""
    rc, out, err = run(path + ["--help"])
    check(rc == 0, "%s --help: exit %d (%s)" % (" ".join(path), rc, err.strip()))
    if not out or "COMMAND [ARGS...]" not in out.splitlines()[0]:
        return None
    names = []
    section = False
    for line in out.splitlines():
        if line == "commands:":
            section = True
            continue
        if section:
            m = re.match(r"^  (\S+)\s", line)
            if not m:
                break
            names.append(m.group(1))
    return names


def walk(path, leaves):
    subs = commands_of(path)
    if subs is None:
        leaves.append(path)
        return
    check(subs, "%s --help lists no commands" % " ".join(path))
    for s in subs:
        walk(path + [s], leaves)


def main():
    global SRIOVCTL
    SRIOVCTL, fixtures = sys.argv[1], sys.argv[2]
    igb = ["--root", os.path.join(fixtures, "igb", "sys"),
           "--proc-root", os.path.join(fixtures, "igb", "proc")]

    leaves = []
    walk([], leaves)
    check(len(leaves) >= 30, "only %d commands found" % len(leaves))
    for leaf in leaves:
        name = " ".join(leaf)
        for h in ("-h", "--help"):
            rc, out, err = run(leaf + [h])
            check(rc == 0 and out.startswith("usage: sriovctl " + name),
                  "%s %s: exit %d, output %r" % (name, h, rc, out[:80]))
            check(err == "", "%s %s wrote to stderr: %r" % (name, h, err))
        # --help after arguments still only helps
        rc, out, _ = run(leaf + ["x", "y", "--help"])
        check(rc == 0 and out.startswith("usage: sriovctl " + name),
              "%s x y --help: exit %d" % (name, rc))
        # and "help NAME..." says the same
        rc, out2, _ = run(["help"] + leaf)
        check(rc == 0 and out2 == out, "help %s differs from --help" % name)

    with tempfile.TemporaryDirectory() as d:
        target = os.path.join(d, "snap")
        rc, _, _ = run(igb + ["capture", target, "--help"])
        check(rc == 0 and not os.path.exists(target),
              "capture DIR --help acted (exit %d, folder made: %s)" %
              (rc, os.path.exists(target)))
        rc, _, _ = run(["capture", "--help"])
        check(not os.path.exists("--help"), "capture --help made a folder '--help'")

        # exit 2: mistakes of the command line
        usage = [
            ["frobnicate"],
            ["fabric"],
            ["fabric", "s"],  # show, set-pkey: ambiguous
            ["fabric", "check"],
            ["fabric", "check", "--table-size", "0", "x.conf"],
            ["fabric", "check", "--nope", "x.conf"],
            ["vf", "set"],
            igb + ["vf", "set", "enp2s0f0", "0", "mac", "zz"],
            igb + ["vf", "set", "enp2s0f0", "0", "vlan", "5000"],
            igb + ["vf", "set", "enp2s0f0", "0", "frob", "1"],
            igb + ["vf", "set", "enp2s0f0", "9", "vlan", "1"],
            igb + ["vf", "set", "enp2s0f0", "0", "driver", "e1000"],
            igb + ["vf", "show", "enp2s0f0", "x"],
            igb + ["pf", "set", "enp2s0f0", "numvfs", "many"],
            igb + ["pf", "set", "enp2s0f0"],
            ["render", "nova"],
            ["render", "udev"],
            ["nova", "fit"],
            ["ib", "pkeys"],
            ["ib", "guid", "x", "0", "nonsense"],
            ["port", "--frob", "list"],
            ["port", "bind"],
            ["apply"],
            ["capture"],
            ["-Q"],
        ]
        for args in usage:
            rc, _, err = run(args)
            check(rc == 2, "%s: exit %d, want 2 (%s)" %
                  (" ".join(args), rc, err.strip()[:120]))
            check(err.strip() != "", "%s: exit 2 without a word on stderr" % " ".join(args))

        # exit 1: well-formed commands that fail
        missing = os.path.join(d, "missing.conf")
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write("Default=0xzzzz : ALL=full ;\n")
        fail = [
            ["fabric", "check", missing],
            ["fabric", "check", bad],
            igb + ["pf", "show", "nosuchdev"],
            igb + ["vf", "show", "nosuchdev"],
            ["port", "--socket", os.path.join(d, "none.sock"), "list"],
        ]
        for args in fail:
            rc, _, err = run(args)
            check(rc == 1, "%s: exit %d, want 1 (%s)" %
                  (" ".join(args), rc, err.strip()[:120]))

    # abbreviations: one rule everywhere
    rc, out, _ = run(igb + ["-j", "sh"])
    check(rc == 0 and "pfs" in json.loads(out), "'sh' does not select show")
    rc, out, _ = run(["fabric", "ch", "--help"])
    check(rc == 0 and out.startswith("usage: sriovctl fabric check"),
          "'fabric ch' does not select check")
    rc, out, _ = run(["ib", "guid", "--help"])
    check(rc == 0 and out.startswith("usage: sriovctl ib guid "),
          "'ib guid' (also a prefix of guids) is not guid")

    # -p implies -j
    rc, out, _ = run(igb + ["-p", "show"])
    try:
        doc = json.loads(out)
        check(rc == 0 and "pfs" in doc and "\n  " in out,
              "-p show is not indented JSON")
    except ValueError:
        check(False, "-p show is not JSON: %r" % out[:80])

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: %d commands, their help, exit codes, abbreviations, -p" %
          len(leaves))
    return 0


if __name__ == "__main__":
    sys.exit(main())
