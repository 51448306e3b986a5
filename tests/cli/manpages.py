#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Each program's --help against its man page (docs/man/*.8).

usage: manpages.py SRIOVCTL SRIOVD MANDIR [EBRCTL [SRIOV-FABRICD]]

Both ways: every command of sriovctl (walked from --help), every option
and keyword its help lists, every environment variable and signal a help
names, must be in the man page; and every --option the man page names must
be one some --help lists (a page that documents what is gone fails too).
ebrctl likewise: its commands, each command's usage and options.
"""
import os
import re
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def helptext(prog, args):
    p = subprocess.run([prog] + args + ["--help"], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0, "%s %s --help: exit %d" %
          (prog, " ".join(args), p.returncode))
    return p.stdout


def clean(line):
    line = re.sub(r'^\.(B|I|BI|IB|BR|RB|IR|RI|TP|TQ|RS|RE|PP|TH|nf|fi|br)\b ?',
                  '', line)
    line = line.replace('\\-', '-').replace('\\(dq', '"')
    line = re.sub(r'\\f[BIRP]', '', line).replace('\\\\', '\\')
    return line.replace('"', ' ')


def man_text(path):
    """The page's words as a reader sees them (roff requests and escapes
    turned into plain text, whitespace folded), whole and by section."""
    sections, cur = {}, ""
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith('.\\"'):
            continue
        if line.startswith(".SH "):
            cur = line[4:].strip().strip('"')
            continue
        sections.setdefault(cur, []).append(clean(line))
    sections = {k: re.sub(r"\s+", " ", " ".join(v)) for k, v in sections.items()}
    return " ".join(sections.values()), sections


OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
ENV = re.compile(r"\$?\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b")


def walk(prog, path, leaves, texts):
    t = helptext(prog, path)
    texts.append(t)
    lines = t.splitlines()
    if lines and "COMMAND [ARGS...]" in lines[0]:
        sec = False
        for l in lines:
            if l == "commands:":
                sec = True
                continue
            if sec:
                m = re.match(r"^  (\S+)\s", l)
                if not m:
                    break
                walk(prog, path + [m.group(1)], leaves, texts)
    else:
        leaves.append((path, t))


def main():
    sriovctl, sriovd, mandir = sys.argv[1:4]

    # sriovctl
    page, secs = man_text(mandir + "/sriovctl.8")
    leaves, texts = [], []
    walk(sriovctl, [], leaves, texts)
    known = set()
    for t in texts:
        known.update(OPT.findall(t))
    for path, t in leaves:
        name = " ".join(path)
        check(name in page, "sriovctl.8 lacks the command '%s'" % name)
        for o in set(OPT.findall(t)):
            check(o in page, "sriovctl.8 lacks %s of '%s'" % (o, name))
        # keywords of key-value commands (vf set): "  mac ADDR   ..."
        for m in re.finditer(r"^  ([a-z_]+) [A-Za-z|.0-9]+ ", t, re.M):
            check(m.group(1) in page,
                  "sriovctl.8 lacks the keyword %s of '%s'" % (m.group(1), name))
    env = secs.get("ENVIRONMENT", "")
    for t in texts:
        for v in set(ENV.findall(t)):
            check(v in env, "sriovctl.8 ENVIRONMENT lacks %s" % v)
    for o in set(OPT.findall(page)):
        check(o in known, "sriovctl.8 names %s, which no --help lists" % o)

    # the daemons: sriovd, sriov-fabricd
    for prog in [sriovd] + sys.argv[5:6]:
        name = os.path.basename(prog)
        page, secs = man_text("%s/%s.8" % (mandir, name))
        t = helptext(prog, [])
        opts = set(OPT.findall(t))
        for o in opts:
            check(o in page, "%s.8 lacks %s" % (name, o))
        env = secs.get("ENVIRONMENT", "")
        for v in set(ENV.findall(t)):
            check(v in env, "%s.8 ENVIRONMENT lacks %s" % (name, v))
        sigs = secs.get("SIGNALS", "")
        for s in set(re.findall(r"\bSIG[A-Z]+\b", t)):
            check(s in sigs, "%s.8 SIGNALS lacks %s" % (name, s))
        for o in set(OPT.findall(page)):
            check(o in opts, "%s.8 names %s, which %s --help does not list" %
                  (name, o, name))

    # ebrctl: its commands (the "commands:" list of --help), their usage
    # lines and every option of any of its helps, both ways
    if len(sys.argv) > 4:
        ebrctl = sys.argv[4]
        page, secs = man_text(mandir + "/ebrctl.8")
        t = helptext(ebrctl, [])
        cmds = re.findall(r"^  ([a-z][a-z-]+)\s", t.split("commands:", 1)[-1]
                          .split("options:", 1)[0], re.M)
        check(len(cmds) == 2, "ebrctl --help lists %d commands" % len(cmds))
        texts = [t]
        for c in cmds:
            ct = helptext(ebrctl, [c])
            texts.append(ct)
            usage = ct.splitlines()[0].split(" " + c, 1)[-1].strip()
            check(c in page, "ebrctl.8 lacks the command '%s'" % c)
            for word in usage.split():
                check(word in page, "ebrctl.8 lacks %s of '%s'" % (word, c))
        opts = set()
        for x in texts:
            opts.update(OPT.findall(x))
        for o in opts:
            check(o in page, "ebrctl.8 lacks %s" % o)
        for o in set(OPT.findall(page)):
            check(o in opts, "ebrctl.8 names %s, which no ebrctl --help lists" % o)
        env = secs.get("ENVIRONMENT", "")
        for x in texts:  # $NAME: its usage words are upper case too
            for v in set(re.findall(r"\$([A-Z][A-Z0-9_]+)", x)):
                check(v in env, "ebrctl.8 ENVIRONMENT lacks %s" % v)

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: %d sriovctl commands and the daemons' options match their man "
          "pages" % len(leaves))
    return 0


if __name__ == "__main__":
    sys.exit(main())
