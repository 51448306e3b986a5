#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every command that reads a file, handed what is not a file it may read.

usage: inputs.py SRIOVCTL SRIOVD FIXTURES_BUILD MANDIR

For each command and each file it reads: /dev/zero (a character device
that never ends), a directory, a FIFO nobody writes to (must not block), a
sparse file one byte over its limit, and one exactly at the limit. The
limits are not written here: they are read from the LIMITS sections of
the man pages, so what is documented is what is enforced. Each refusal is
exit 1 with the path and what it is, in seconds; the file at its limit is
not refused for its size.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading

failures = []
TIMEOUT = int(os.environ.get("SRIOV_INPUTS_TIMEOUT", "20"))


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20}


def limits(path):
    """The LIMITS section of a man page: [(bytes, paragraph text)], and
    its whole text."""
    text, sec = [], False
    for line in open(path, encoding="utf-8"):
        if line.startswith(".SH "):
            sec = line.strip() == ".SH LIMITS"
            continue
        if sec:
            text.append(line.rstrip("\n"))
    out, cur = [], None
    for line in text:
        if line == ".TP":
            cur = None
            continue
        m = re.match(r"^\.B (\d+) (bytes|KiB|MiB)$", line)
        if m and cur is None:
            cur = [int(m.group(1)) * UNITS[m.group(2)], ""]
            out.append(cur)
            continue
        if cur is not None:
            cur[1] += " " + re.sub(r"\\-", "-", re.sub(r"^\.\w+ ?", "", line))
    whole = re.sub(r"\\-", "-", " ".join(text))
    return [(n, re.sub(r'["\s]+', " ", t)) for n, t in out], whole


def limit_of(table, words):
    """The one limit whose paragraph says every one of @words."""
    hits = [n for n, t in table if all(w in t for w in words)]
    check(len(hits) == 1, "LIMITS: %d limits say %s" % (len(hits), words))
    return hits[0] if hits else None


def run(argv, env=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=env,
                           timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, "", "(still running after %d s)" % TIMEOUT


def sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def main():
    ctl, sriovd, fixtures, mandir = sys.argv[1:5]
    ctl_limits, ctl_text = limits(os.path.join(mandir, "sriovctl.8"))
    _, d_text = limits(os.path.join(mandir, "sriovd.8"))
    check("FIFO" in ctl_text and "directory" in ctl_text,
          "sriovctl.8 LIMITS says a directory or a FIFO is refused")
    root = os.path.join(fixtures, "igb", "sys")
    env = dict(os.environ, SRIOV_SYSFS_ROOT=root)
    tmp = tempfile.mkdtemp(prefix="sriov-inputs-")
    ok_conf = os.path.join(tmp, "ok.conf")
    with open(ok_conf, "w") as f:
        f.write("Default=0x7fff : ALL=full ;\n")
    ok_ports = os.path.join(tmp, "ok.ports")
    with open(ok_ports, "w") as f:
        f.write("CA 1 1 0x0002c90300000011 host-a\n")
    ok_intent = os.path.join(tmp, "ok.yaml")
    with open(ok_intent, "w") as f:
        f.write("partitions:\n  - name: Default\n    pkey: 0x7fff\n"
                "    members:\n      - {group: ALL, membership: full}\n")
    out = os.path.join(tmp, "out.conf")
    ok_spec = os.path.join(tmp, "spec.txt")
    with open(ok_spec, "w") as f:
        f.write('{"vendor_id": "8086", "physical_network": "physnet1"}\n')
    ok_devs = os.path.join(tmp, "devs.json")
    with open(ok_devs, "w") as f:
        f.write("[]\n")
    ok_hosts = os.path.join(tmp, "hosts.json")
    with open(ok_hosts, "w") as f:
        f.write("{}\n")

    # sriovd.8 states its one file limit in prose
    m = re.search(r"configuration must be a regular file of at most (\d+) "
                  r"(KiB|MiB)", d_text)
    check(m, "sriovd.8 LIMITS states the configuration's limit")
    d_conf = int(m.group(1)) * UNITS[m.group(2)] if m else None

    # (what, argv with {F} for the file under test, limit)
    parts = limit_of(ctl_limits, ["partitions.conf", "intent"])
    cases = [
        ("fabric check", [ctl, "fabric", "check", "{F}"], parts),
        ("fabric render", [ctl, "fabric", "render", "{F}", "-o", out], parts),
        ("fabric predict", [ctl, "fabric", "predict", "{F}", "--ports",
                            ok_ports, "--sm", "0x0002c90300000011"], parts),
        ("fabric predict --ports",
         [ctl, "fabric", "predict", ok_conf, "--ports", "{F}", "--sm",
          "0x0002c90300000011"],
         limit_of(ctl_limits, ["fabric predict --ports"])),
        ("fabric verify", [ctl, "fabric", "verify", "{F}"], parts),
        ("fabric verify --conf", [ctl, "fabric", "verify", "--conf", "{F}"],
         parts),
        ("fabric render --hup",
         [ctl, "fabric", "render", ok_intent, "-o", out, "--hup", "{F}"],
         limit_of(ctl_limits, ["pid file"])),
        ("apply", [ctl, "apply", "-n", "-f", "{F}"],
         limit_of(ctl_limits, ["host.yaml", "apply"])),
        ("render udev", [ctl, "render", "udev", "-f", "{F}"],
         limit_of(ctl_limits, ["host.yaml", "render udev"])),
        ("render systemd", [ctl, "render", "systemd", "-f", "{F}"],
         limit_of(ctl_limits, ["host.yaml", "render systemd"])),
        ("ib guid --pool",
         [ctl, "ib", "guid", "mlx4_0", "0", "--allocate", "--pool", "{F}"],
         limit_of(ctl_limits, ["GUID pool", "ib guid --pool"])),
        ("sriovd -c", [sriovd, "--check-config", "-c", "{F}"], d_conf),
        ("nova check", [ctl, "nova", "check", "{F}"],
         limit_of(ctl_limits, ["nova.conf", "nova check"])),
        ("nova match --device-spec",
         [ctl, "nova", "match", "--device-spec", "{F}", ok_devs],
         limit_of(ctl_limits, ["nova.conf", "--device-spec"])),
        ("nova fit --alias",
         [ctl, "nova", "fit", "--device-spec", ok_spec, "--alias", "{F}",
          ok_hosts, ok_devs],
         limit_of(ctl_limits, ["nova.conf", "--alias"])),
        ("cluster place --device-spec",
         [ctl, "cluster", "place", "--etcd", "http://127.0.0.1:1",
          "--device-spec", "{F}", ok_hosts],
         limit_of(ctl_limits, ["--device-spec", "cluster place"])),
        ("cluster place --alias",
         [ctl, "cluster", "place", "--etcd", "http://127.0.0.1:1",
          "--device-spec", ok_spec, "--alias", "{F}", ok_hosts],
         limit_of(ctl_limits, ["--alias", "cluster place"])),
        ("cluster place REQUEST.json",
         [ctl, "cluster", "place", "--etcd", "http://127.0.0.1:1",
          "--device-spec", ok_spec, "{F}"],
         limit_of(ctl_limits, ["REQUEST.json", "cluster place"])),
        ("nova match DEVICES.json",
         [ctl, "nova", "match", "--device-spec", ok_spec, "{F}"],
         limit_of(ctl_limits, ["JSON", "nova match"])),
    ]

    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    dirp = os.path.join(tmp, "dir")
    os.mkdir(dirp)
    big = os.path.join(tmp, "big")
    for what, argv, limit in cases:
        if limit is None:
            continue
        before = len(failures)
        bad = [("/dev/zero", "/dev/zero: is not a regular file (a character device)"),
               (dirp, dirp + ": is a directory"),
               (fifo, fifo + ": is not a regular file (a FIFO)")]
        for path, want in bad:
            rc, _, err = run([a.replace("{F}", path) for a in argv], env)
            check(rc == 1 and want in err,
                  "%s %s: exit %s, stderr %r (want exit 1 and %r)" %
                  (what, path, rc, err.strip()[-300:], want))
        sparse(big, limit + 1)
        rc, _, err = run([a.replace("{F}", big) for a in argv], env)
        want = "%s: %d bytes, larger than the limit of" % (big, limit + 1)
        check(rc == 1 and want in err and "(%d bytes)" % limit in err,
              "%s over its limit: exit %s, stderr %r (want %r)" %
              (what, rc, err.strip()[-300:], want))
        sparse(big, limit)
        rc, _, err = run([a.replace("{F}", big) for a in argv], env)
        check(rc is not None and "larger than the limit" not in err,
              "%s at its limit of %d bytes: refused for its size: %r" %
              (what, limit, err.strip()[-300:]))
        if len(failures) == before:
            print("ok: %s refuses a device, a directory, a FIFO and %d + 1 "
                  "bytes" % (what, limit))

    # sriovd's answer to a port command: a peer that never ends its line
    limit = limit_of(ctl_limits, ["answer of sriovd"])
    sock = os.path.join(tmp, "s.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(1)

    def flood():
        c, _ = srv.accept()
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(limit // len(chunk) + 2):
                c.sendall(chunk)
        except OSError:
            pass
        c.close()

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    rc, _, err = run([ctl, "port", "--socket", sock, "health"], env)
    check(rc == 1 and "larger than %d MiB" % (limit >> 20) in err,
          "port health against an endless answer: exit %s, %r" %
          (rc, err.strip()[-300:]))
    t.join(TIMEOUT)
    srv.close()
    subprocess.run(["rm", "-rf", tmp])
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("inputs: every command refuses what it may not read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
