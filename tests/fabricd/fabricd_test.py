#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sriov-fabricd against a real 3-member etcd (run it through tests/cluster/run).

usage: fabricd_test.py BUILD_DIR watch|failover|held|quorum|bad|cli|place

Bindings are written into the store by tests/fabricd/bindings (the schema
module, as any tool could); what is expected in partitions.conf is worked
out here from those bindings, never from sriov-fabricd's code.

  watch     a new binding is in the file within a second; an explicit unbind
            (key deleted, lease alive) leaves at once; a port whose lease
            expired, or was revoked, stays through --grace and leaves after
            it; a port whose host comes back within the grace stays
  failover  two controllers: the leader is killed (-9) during a render, the
            other takes over within the lease TTL; a leader stopped (SIGSTOP)
            during a render past its lease never writes after its successor;
            the file's history and the status's revisions never go back
  held      a lost port that cannot be held (etcd refuses leases) stays
            in the file; the leader retries every 0.5 s, not in a loop
  quorum    2 of 3 members down: nothing is written, then it resumes
  bad       garbage, a huge value, a bad P-key, GUID, key, and a port of an
            unknown fabric: each named in the status, nothing else
            disturbed; a static intent that fails is refused, the file kept
  cli       sriovctl cluster status|hosts|ports|guids read back what was
            written, bad values listed under problems; exit codes
  place     sriovctl cluster place against Nova's own PciDeviceStats
            (python3-nova, tests/nova/oracle.py) on the same inventory
"""
import base64
import ctypes
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BUILD = sys.argv[1]
FABRICD = os.path.join(BUILD, "src/fabricd/sriov-fabricd")
SRIOVCTL = os.path.join(BUILD, "src/cli/sriovctl")
BINDINGS = os.path.join(BUILD, "tests/fabricd/bindings")
EP = os.environ["ETCD_ENDPOINTS"]
CTL = os.environ["ETCD_CTL"]
ROOT = "/sriov/v1/"
failures = []


def check(cond, what):
    print("%s: %s" % ("PASS" if cond else "FAIL", what), flush=True)
    if not cond:
        failures.append(what)
    return cond


def etcdctl(*args, check_rc=True, stdin=None):
    env = dict(os.environ, ETCDCTL_API="3")
    p = subprocess.run(["etcdctl", "--endpoints", EP, "--command-timeout=3s"]
                       + list(args), capture_output=True, text=True,
                       env=env, input=stdin, timeout=30)
    if check_rc and p.returncode:
        raise RuntimeError("etcdctl %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


def bindings(*args, check_rc=True):
    p = subprocess.run([BINDINGS, EP] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=60)
    if check_rc and p.returncode:
        raise RuntimeError("bindings %s: %s" % (" ".join(map(str, args)),
                                                p.stderr))
    return p.stdout.strip()


def lease(ttl):
    return int(bindings("lease", ttl))


def get(key):
    out = etcdctl("get", key, "-w", "json", check_rc=False)
    try:
        kvs = json.loads(out).get("kvs", [])
    except ValueError:
        return None
    return base64.b64decode(kvs[0]["value"]).decode() if kvs else None


def status(fabric="fab0"):
    v = get(ROOT + "fabrics/%s/status" % fabric)
    return json.loads(v) if v else None


def parse_conf(path):
    """{pkey: {member: membership}} and the header's revision and leader."""
    try:
        text = open(path).read()
    except OSError:
        return None, None, None
    m = re.search(r"from store revision (\d+) \(leader (\S+), term", text)
    parts = {}
    for stmt in re.finditer(r"^(\w+)=(0x[0-9a-f]{4})[^:]*:(.*?);", text,
                            re.M | re.S):
        mem = {}
        for line in stmt.group(3).split(","):
            line = line.strip()
            if line:
                who, _, ms = line.partition("=")
                mem[who] = ms
        parts[stmt.group(2)] = mem
    return parts, int(m.group(1)) if m else None, m.group(2) if m else None


def members(path):
    return parse_conf(path)[0] or {}


def wait_for(pred, timeout, step=0.02):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(step)
    return None


STATIC = """partitions:
  - name: Default
    pkey: 0x7fff
    members:
      - {group: ALL, membership: full}
  - name: storage
    pkey: 0x0a01
    ipoib: true
    members:
      - {guid: 0x0002c90300000011, membership: full}
"""


class Fabricd:
    def __init__(self, d, name, *extra, env=None, static=None,
                 partitions=None):
        self.log = os.path.join(d, "fabricd-%s.log" % name)
        self.static = static or os.path.join(d, "static.yaml")
        if not os.path.exists(self.static):
            open(self.static, "w").write(STATIC)
        self.partitions = partitions or os.path.join(d, "partitions.conf")
        self.args = [FABRICD, "--etcd", EP, "--fabric", "fab0",
                     "--static", self.static, "--partitions",
                     self.partitions, "--id", name, "--no-verify",
                     "--etcd-timeout", "500"] + list(extra)
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                  stderr=open(self.log, "w"), env=e)

    def text(self):
        return open(self.log).read()

    def wait_log(self, pattern, timeout, start=0):
        r = re.compile(pattern)
        ok = wait_for(lambda: r.search(self.text()[start:]), timeout, 0.01)
        return ok is not None

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, signal.SIGCONT)
            except OSError:
                pass
            self.p.send_signal(sig)
            try:
                return self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                return self.p.wait()
        return self.p.returncode


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def guid(n):
    return "0x0002c903%08x" % n


# ---- scenarios ----

def scenario_watch(d):
    mport = free_port()
    f = Fabricd(d, "a", "--grace", "4", "--lease-ttl", "3",
                "--metrics-listen", "127.0.0.1:%d" % mport)
    conf = f.partitions
    check(wait_for(lambda: status() is not None, 15) is not None,
          "the controller writes its status")
    check(members(conf).get("0x7fff") == {"ALL": "full"} and
          members(conf).get("0x0a01") == {guid(0x11): "full"},
          "the static partitions are in the file")

    # A new binding, no lease: in the file within a second.
    t0 = time.monotonic()
    bindings("bind", "p1", "fab0", "0x0b02", "full", guid(0x21))
    el = wait_for(lambda: members(conf).get("0x0b02", {}).get(guid(0x21))
                  == "full", 5)
    check(el is not None and el < 1.0,
          "a new binding is in the file %.3f s after its write" %
          (el if el is not None else -1))

    # Explicit unbind while the host's lease lives: gone at once.
    l2 = lease(60)
    bindings("bind", "--lease", l2, "p2", "fab0", "0x0b02", "limited",
             guid(0x22))
    wait_for(lambda: guid(0x22) in members(conf).get("0x0b02", {}), 5)
    t0 = time.monotonic()
    bindings("unbind", "p2", "fab0", "0x0b02", "limited", guid(0x22))
    el = wait_for(lambda: guid(0x22) not in members(conf).get("0x0b02", {}),
                  5)
    check(el is not None and el < 1.0,
          "an explicit unbind leaves the file %.3f s after the delete" %
          (el if el is not None else -1))
    check(get(ROOT + "fabrics/fab0/held/p2") is None,
          "an unbound port is not held")

    # A host lost: its lease expires (2 s, no keepalive).
    def lost_case(what, port, g, end_lease):
        end_lease()
        gone = wait_for(lambda: get(ROOT + "ports/" + port) is None, 10)
        t_gone = time.monotonic()
        check(gone is not None, "%s: the port key went with its lease" % what)
        samples, present = 0, 0
        while time.monotonic() - t_gone < 4 - 0.6:
            samples += 1
            present += guid(g) in members(conf).get("0x0c03", {})
            time.sleep(0.05)
        check(samples > 10 and present == samples,
              "%s: the member stays through the grace period (%d/%d samples)"
              % (what, present, samples))
        held = get(ROOT + "fabrics/fab0/held/" + port)
        check(held is not None and json.loads(held)["guid"] == guid(g),
              "%s: held in the store as fabrics/fab0/held/%s" % (what, port))
        el = wait_for(lambda: guid(g) not in members(conf).get("0x0c03", {}),
                      10)
        check(el is not None,
              "%s: the member leaves after the grace (%.1f s after the key)"
              % (what, time.monotonic() - t_gone))
        check(get(ROOT + "fabrics/fab0/held/" + port) is None,
              "%s: the held key ended with its lease" % what)

    l3 = lease(2)
    bindings("bind", "--lease", l3, "p3", "fab0", "0x0c03", "full",
             guid(0x31))
    wait_for(lambda: guid(0x31) in members(conf).get("0x0c03", {}), 5)
    lost_case("lease expired", "p3", 0x31, lambda: None)

    l4 = lease(60)
    bindings("bind", "--lease", l4, "p4", "fab0", "0x0c03", "full",
             guid(0x41))
    wait_for(lambda: guid(0x41) in members(conf).get("0x0c03", {}), 5)
    lost_case("lease revoked", "p4", 0x41,
              lambda: etcdctl("lease", "revoke", "%x" % l4))

    # The agent restarts within the grace: the port never leaves.
    l5 = lease(2)
    bindings("bind", "--lease", l5, "p5", "fab0", "0x0c03", "full",
             guid(0x51))
    wait_for(lambda: guid(0x51) in members(conf).get("0x0c03", {}), 5)
    wait_for(lambda: get(ROOT + "ports/p5") is None, 10)
    time.sleep(1)
    l6 = lease(60)
    bindings("bind", "--lease", l6, "p5", "fab0", "0x0c03", "full",
             guid(0x51))
    t0 = time.monotonic()
    present = True
    while time.monotonic() - t0 < 5:
        present &= guid(0x51) in members(conf).get("0x0c03", {})
        time.sleep(0.05)
    check(present, "a host back within the grace keeps its member throughout")
    check(wait_for(lambda: get(ROOT + "fabrics/fab0/held/p5") is None, 5)
          is not None, "its held key is removed once the port is back")

    st = status()
    check(st and st["leader"] == "a" and st["verify"] == "skipped",
          "status: leader a, verify skipped (--no-verify)")
    parts, rev, leader = parse_conf(conf)
    check(st and st["revision"] >= rev and leader == "a",
          "status revision %s >= the file's %s" % (st and st["revision"], rev))
    r = subprocess.run([SRIOVCTL, "fabric", "check", conf],
                       capture_output=True, text=True)
    check(r.returncode == 0, "the file passes sriovctl fabric check")

    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport,
                                  timeout=5).read().decode()
    check('sriov_fabricd_leader{fabric="fab0"} 1' in body and
          re.search(r'sriov_fabricd_members\{fabric="fab0",pkey="0x0c03"\} 1',
                    body) and
          re.search(r'sriov_fabricd_renders_total\{fabric="fab0",'
                    r'result="written"\} [1-9]', body) and
          re.search(r'sriov_fabricd_port_departures_total\{fabric="fab0",'
                    r'cause="unbind"\} 1\b', body) and
          re.search(r'sriov_fabricd_port_departures_total\{fabric="fab0",'
                    r'cause="lost"\} 3\b', body) and
          "sriov_fabricd_convergence_seconds_bucket" in body,
          "metrics: leader, members per P-key, renders, departures, "
          "convergence")
    rc = f.stop()
    check(rc == 0, "SIGTERM: exit %s" % rc)
    check(get(ROOT + "fabrics/fab0/leader") is None,
          "a stopped leader resigns (the election key is gone)")


class History(threading.Thread):
    """Every version of the file, as inotify sees it renamed into place."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.seen = []
        self.stop = False
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK)
        IN_MOVED_TO, IN_CLOSE_WRITE = 0x80, 0x8
        libc.inotify_add_watch(self.fd, os.path.dirname(path).encode(),
                               IN_MOVED_TO | IN_CLOSE_WRITE)

    def run(self):
        name = os.path.basename(self.path).encode()
        while not self.stop:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                time.sleep(0.005)
                continue
            off = 0
            while off < len(buf):
                _, mask, _, ln = struct.unpack_from("iIII", buf, off)
                n = buf[off + 16:off + 16 + ln].rstrip(b"\0")
                off += 16 + ln
                if n == name and mask & 0x80:
                    _, rev, leader = parse_conf(self.path)
                    if rev is not None:
                        self.seen.append((rev, leader))


class StatusLog(threading.Thread):
    """Every status value, from an etcd watch."""

    def __init__(self):
        super().__init__(daemon=True)
        env = dict(os.environ, ETCDCTL_API="3")
        self.p = subprocess.Popen(
            ["etcdctl", "--endpoints", EP, "watch",
             ROOT + "fabrics/fab0/status"], stdout=subprocess.PIPE,
            text=True, env=env)
        self.revs = []

    def run(self):
        for line in self.p.stdout:
            if line.startswith("{"):
                try:
                    self.revs.append(json.loads(line)["revision"])
                except ValueError:
                    pass


def interleaved(seq):
    """Writers in the order they first wrote; True if one came back."""
    order = []
    for w in seq:
        if order and order[-1] == w:
            continue
        if w in order:
            return True
        order.append(w)
    return False


def scenario_failover(d):
    conf = os.path.join(d, "partitions.conf")
    hist = History(conf)
    hist.start()
    slog = StatusLog()
    slog.start()
    pause = {"SRIOV_FABRICD_TEST_PAUSE_MS": "700"}
    a = Fabricd(d, "a", "--lease-ttl", "3", "--grace", "0", env=pause)
    check(a.wait_log("leading fabric fab0", 15), "a leads")
    b = Fabricd(d, "b", "--lease-ttl", "3", "--grace", "0", env=pause)
    check(b.wait_log("following", 15) and
          get(ROOT + "fabrics/fab0/leader") == "a", "b stands by, a leads")
    written = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            try:
                bindings("bind", "q%d" % i, "fab0", "0x0b02", "full",
                         guid(0x1000 + i))
                written.append(i)
            except RuntimeError:
                pass
            i += 1
            time.sleep(0.15)

    wt = threading.Thread(target=writer, daemon=True)
    wt.start()
    # Kill a in the middle of a render (its pause before the install).
    n = len(a.text())
    check(a.wait_log("test pause", 15, n), "a is rendering")
    a.p.send_signal(signal.SIGKILL)
    t_kill = time.monotonic()
    a.p.wait()
    el = wait_for(lambda: get(ROOT + "fabrics/fab0/leader") == "b", 10, 0.02)
    took = el if el is not None else -1
    check(el is not None and el <= 3 + 1.0,
          "b leads %.2f s after a was killed (lease TTL 3 s)" % took)
    time.sleep(2)
    stop.set()
    wt.join()
    last = set(guid(0x1000 + i) for i in written)
    el = wait_for(lambda: last <= set(members(conf).get("0x0b02", {})), 15)
    check(el is not None, "every one of the %d bindings is in b's file"
          % len(written))

    # b stopped in a render for longer than its lease: c takes over; b,
    # continued, must not write again.
    n = len(b.text())
    bindings("bind", "r0", "fab0", "0x0b02", "full", guid(0x2000))
    check(b.wait_log("test pause", 15, n), "b is rendering")
    os.kill(b.p.pid, signal.SIGSTOP)
    time.sleep(4.5)
    c = Fabricd(d, "c", "--lease-ttl", "3", "--grace", "0")
    check(c.wait_log("leading fabric fab0", 15), "c leads while b is stopped")
    bindings("bind", "r1", "fab0", "0x0b02", "full", guid(0x2001))
    check(wait_for(lambda: guid(0x2001) in members(conf).get("0x0b02", {}),
                   10) is not None, "c writes the file")
    nb = len(b.text())
    os.kill(b.p.pid, signal.SIGCONT)
    time.sleep(3)
    bt = b.text()[nb:]
    check("wrote " not in bt and ("no longer leading" in bt or
                                  "not replacing" in bt),
          "b, continued after its lease ran out, does not write: %s" %
          bt.strip().replace("\n", " | ")[:300])
    time.sleep(0.5)
    hist.stop = True
    revs = [r for r, _ in hist.seen]
    writers = [w for _, w in hist.seen]
    check(len(hist.seen) >= 3 and revs == sorted(revs),
          "the file's %d versions have non-decreasing revisions" % len(revs))
    check(not interleaved(writers) and writers[-1] == "c",
          "no two writers interleave: %s" % " ".join(
              w for i, w in enumerate(writers)
              if i == 0 or writers[i - 1] != w))
    slog.p.terminate()
    slog.join(5)
    check(len(slog.revs) >= 3 and slog.revs == sorted(slog.revs),
          "the status's %d revisions never go backwards" % len(slog.revs))
    for x in (b, c):
        x.stop()


def checksum(path):
    try:
        return open(path, "rb").read()
    except OSError:
        return None


def scenario_quorum(d):
    f = Fabricd(d, "a", "--lease-ttl", "3")
    conf = f.partitions
    bindings("bind", "p1", "fab0", "0x0b02", "full", guid(0x21))
    check(wait_for(lambda: guid(0x21) in members(conf).get("0x0b02", {}),
                   10) is not None, "p1 is in the file")
    before = checksum(conf)
    st0 = status()
    subprocess.run(CTL + " kill 1", shell=True, check=True)
    subprocess.run(CTL + " kill 2", shell=True, check=True)
    # A change the controller must render: a new static partition.
    open(f.static, "a").write(
        "  - name: mgmt\n    pkey: 0x0c0c\n    members:\n"
        "      - {group: SELF, membership: full}\n")
    n = len(f.text())
    f.p.send_signal(signal.SIGHUP)
    check(f.wait_log("static intent .* reloaded", 5, n), "the new intent is read")
    t0 = time.monotonic()
    same = True
    while time.monotonic() - t0 < 8:
        same &= checksum(conf) == before
        time.sleep(0.1)
    check(same, "without quorum nothing is written for 8 s (lease TTL 3 s)")
    check(f.p.poll() is None, "the controller keeps running")
    check(re.search(r"not rendering|not replacing|no endpoint answered",
                    f.text()[n:]) is not None,
          "it says why it does not render")
    subprocess.run(CTL + " start 1", shell=True, check=True)
    subprocess.run(CTL + " start 2", shell=True, check=True)
    el = wait_for(lambda: "0x0c0c" in members(conf), 30)
    check(el is not None,
          "with quorum back the pending change is written (%.1f s)" %
          (el if el is not None else -1))
    bindings("bind", "p2", "fab0", "0x0b02", "full", guid(0x22))
    check(wait_for(lambda: guid(0x22) in members(conf).get("0x0b02", {}),
                   10) is not None, "and new bindings are served again")
    st = status()
    check(st and st0 and st["revision"] > st0["revision"],
          "the status moved on (%s -> %s)" % (st0 and st0["revision"],
                                              st and st["revision"]))
    f.stop()


def scenario_bad(d):
    f = Fabricd(d, "a")
    conf = f.partitions
    bindings("bind", "p1", "fab0", "0x0b02", "full", guid(0x21))
    check(wait_for(lambda: guid(0x21) in members(conf).get("0x0b02", {}),
                   10) is not None, "p1 is in the file")
    good = ('{"port":"%s","host":"h1","physnet":"ib","vnic_type":"direct",'
            '"vf":"0000:41:00.1","state":"bound","vlan":null,'
            '"fabric":"%s","pkey":"%s","membership":"full","guid":"%s"}')
    bad = {
        "ports/garbage": ("{not json", "invalid JSON"),
        "ports/huge": ('{"port":"huge","pad":"' + "x" * 70000 + '"}',
                       "over the 65536 bytes"),
        "ports/badpkey": (good % ("badpkey", "fab0", "0x8b02", guid(0x51)),
                          "'pkey' is '0x8b02', with the membership bit"),
        "ports/badguid": (good % ("badguid", "fab0", "0x0b02",
                                  "0x0000000000000000"), "'guid'"),
        "ports/unknownfab": (good % ("unknownfab", "nowhere", "0x0b02",
                                     guid(0x53)),
                             "names fabric 'nowhere', which no controller"),
        "ports/a/b": (good % ("b", "fab0", "0x0b02", guid(0x54)),
                      "is not of schema"),
    }
    for k, (v, _) in bad.items():
        etcdctl("put", ROOT + k, stdin=v)
    bindings("bind", "p2", "fab0", "0x0b02", "limited", guid(0x22))

    def all_named():
        st = status()
        if not st:
            return False
        rej = {r["key"]: r["error"] for r in st.get("rejected", [])}
        return all(ROOT + k in rej for k in bad)
    check(wait_for(all_named, 10) is not None, "every bad key is in the status")
    st = status()
    rej = {r["key"]: r["error"] for r in st.get("rejected", [])}
    for k, (_, msg) in bad.items():
        e = rej.get(ROOT + k, "")
        check(e.startswith(ROOT + k) and msg in e,
              "%s: refused with an error naming it: %s" % (k, e[:160]))
    mem = members(conf)
    check(mem.get("0x0b02") == {guid(0x21): "full", guid(0x22): "limited"},
          "the good ports are served, none of the bad ones: %s" % mem)
    r = subprocess.run([SRIOVCTL, "fabric", "check", conf],
                       capture_output=True, text=True)
    check(r.returncode == 0, "the file passes sriovctl fabric check")

    # A static intent that fails is refused; the last good file stays.
    before = checksum(conf)
    good_static = open(f.static).read()
    for bad_static, why in (
            ("partitions:\n  - {name: storage, pkey: 0x0a01, members: "
             "[{group: ALL, membership: full}]}\n", "no Default (0x7fff)"),
            ("partitions:\n  - {name: Default, pkey: 0x7fff, members: "
             "[{group: ALL, membership: full}]}\n  - {name: 'x y', pkey: "
             "0x0a05, members: [{group: SELF}]}\n", "cannot be written")):
        open(f.static, "w").write(bad_static)
        n = len(f.text())
        f.p.send_signal(signal.SIGHUP)
        check(f.wait_log("static intent not reloaded", 5, n),
              "a bad static intent is refused (%s)" % why)
        ok = wait_for(lambda: why in (status() or {}).get("error", ""), 5)
        check(ok is not None and f.static in status()["error"],
              "the status names the intent and why: %s" %
              (status() or {}).get("error", "")[:200])
        check(checksum(conf) == before, "the last good file is kept")
    bindings("bind", "p3", "fab0", "0x0b02", "full", guid(0x23))
    check(wait_for(lambda: guid(0x23) in members(conf).get("0x0b02", {}),
                   10) is not None and
          members(conf).get("0x0a01") == {guid(0x11): "full"},
          "ports are still served, with the static partitions last read")
    open(f.static, "w").write(good_static)
    n = len(f.text())
    f.p.send_signal(signal.SIGHUP)
    check(f.wait_log("static intent .* reloaded", 5, n) and
          wait_for(lambda: "error" not in (status() or {"error": 1}), 5)
          is not None, "a good intent again clears the error")
    f.stop()
    # Starting on a bad intent: refused at once, nothing written.
    bad_path = os.path.join(d, "bad.yaml")
    open(bad_path, "w").write("partitions: [\n")
    other = os.path.join(d, "other.conf")
    p = subprocess.run([FABRICD, "--etcd", EP, "--fabric", "fab0", "--static",
                        bad_path, "--partitions", other, "--once",
                        "--no-verify"], capture_output=True, text=True)
    check(p.returncode == 1 and bad_path + ":" in p.stderr and
          not os.path.exists(other),
          "a bad intent at start: exit %d, %s" % (p.returncode,
                                                  p.stderr.strip()[:160]))
    # A FIFO nobody writes to as the intent: refused, not waited on.
    fifo = os.path.join(d, "fifo.yaml")
    os.mkfifo(fifo)
    try:
        p = subprocess.run([FABRICD, "--etcd", EP, "--fabric", "fab0",
                            "--static", fifo, "--partitions", other,
                            "--once", "--no-verify"], capture_output=True,
                           text=True, timeout=10)
        rc, err = p.returncode, p.stderr.strip()
    except subprocess.TimeoutExpired:
        rc, err = None, "still waiting after 10 s"
    check(rc == 1 and fifo + ": is not a regular file (a FIFO)" in err,
          "a FIFO as the intent: exit %s, %s" % (rc, err[:160]))


def gateway(path, body):
    req = urllib.request.Request(EP.split(",")[0] + path,
                                 json.dumps(body).encode())
    return json.loads(urllib.request.urlopen(req, timeout=5).read())


def nospace(on):
    """etcd's NOSPACE alarm: lease grants and puts refused, the rest works."""
    mid = gateway("/v3/maintenance/status", {})["header"]["member_id"]
    gateway("/v3/maintenance/alarm", {"action": "ACTIVATE" if on else
                                      "DEACTIVATE", "memberID": mid,
                                      "alarm": "NOSPACE"})


def cpu_seconds(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def scenario_held(d):
    f = Fabricd(d, "a", "--grace", "8", "--lease-ttl", "3")
    conf = f.partitions
    l1 = lease(60)
    bindings("bind", "--lease", l1, "p1", "fab0", "0x0b02", "full",
             guid(0x21))
    check(wait_for(lambda: guid(0x21) in members(conf).get("0x0b02", {}),
                   10) is not None, "p1 is in the file")
    # The host is lost while etcd refuses new leases: holding p1 fails.
    nospace(True)
    n = len(f.text())
    etcdctl("lease", "revoke", "%x" % l1)
    check(f.wait_log("p1: its lease .* is gone", 5, n) and
          f.wait_log("cannot hold lost ports", 5, n),
          "p1 is lost, and cannot be held while etcd refuses leases")
    cpu0, t0 = cpu_seconds(f.p.pid), time.monotonic()
    present = True
    while time.monotonic() - t0 < 3:
        present &= guid(0x21) in members(conf).get("0x0b02", {})
        time.sleep(0.05)
    cpu = (cpu_seconds(f.p.pid) - cpu0) / (time.monotonic() - t0)
    tries = f.text()[n:].count("cannot hold lost ports")
    check(present, "p1 stays in the file meanwhile")
    check(tries <= 12 and cpu < 0.3,
          "the leader retries holding it %d times in 3 s, at %.0f%% CPU "
          "(every 0.5 s, no spinning)" % (tries, cpu * 100))
    nospace(False)
    check(wait_for(lambda: get(ROOT + "fabrics/fab0/held/p1") is not None,
                   5) is not None, "with the alarm gone p1 is held")
    el = wait_for(lambda: guid(0x21) not in members(conf).get("0x0b02", {}),
                  10)
    check(el is not None, "and leaves after the grace")
    f.stop()


def sriovctl(*args):
    p = subprocess.run([SRIOVCTL] + list(args), capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def scenario_cli(d):
    bindings("hosts", 20, 4)
    etcdctl("put", ROOT + "hosts/broken", stdin="{\"host\": 1}")
    l1 = lease(60)
    bindings("bind", "--lease", l1, "--host", "compute-00001", "p1", "fab0",
             "0x0b02", "full", guid(0x21))
    bindings("bind", "--host", "compute-00002", "--pf-guid", guid(0x99),
             "p2", "fab0", "0x0c03", "limited", guid(0x22))
    eth = ('{"port":"e1","host":"compute-00003","physnet":"physnet1",'
           '"vnic_type":"direct","vf":"0000:3b:01.0","state":"bound",'
           '"vlan":100}')
    etcdctl("put", ROOT + "ports/e1", stdin=eth)
    etcdctl("put", ROOT + "ports/junk", stdin="[1,2")
    etcdctl("put", ROOT + "guids/0x0002c90300000777",
            stdin='{"port":"gone","host":"compute-00009"}')
    f = Fabricd(d, "a")
    check(wait_for(lambda: status() is not None, 15) is not None,
          "a controller wrote a status")
    f.stop()

    rc, out, err = sriovctl("-j", "cluster", "status", "--etcd", EP)
    st = json.loads(out) if rc == 0 else {}
    check(rc == 0 and st["hosts"] == 21 and st["ports"] == 4 and
          st["guids"] == 3, "status: 21 host keys, 4 ports, 3 claims (%s)" %
          {k: st.get(k) for k in ("hosts", "ports", "guids")})
    fab = st.get("fabrics", [{}])[0]
    mine = status()
    check(fab.get("fabric") == "fab0" and fab.get("leader") is None and
          fab.get("written_by") == "a" and
          fab.get("revision") == mine["revision"] and
          fab.get("checksum") == mine["checksum"] and
          fab.get("rejected_total") == 1,
          "status: fab0 as its controller left it (no leader now)")
    rc, out, err = sriovctl("cluster", "status", "--etcd", EP)
    check(rc == 0 and "fabric fab0: no leader, revision %d" %
          mine["revision"] in out, "status, text: %s" % out.strip()[:200])

    rc, out, err = sriovctl("-j", "cluster", "hosts", "--etcd", EP)
    h = json.loads(out)
    names = [x["host"] for x in h["hosts"]]
    check(rc == 0 and len(names) == 20 and names == sorted(names),
          "hosts: 20 in key order")
    raw = json.loads(get(ROOT + "hosts/compute-00005"))
    h5 = [x for x in h["hosts"] if x["host"] == "compute-00005"][0]
    check([p["vfs"] for p in h5["pfs"]] == [p["vfs"] for p in raw["pfs"]] and
          [p["vf_product_id"] for p in h5["pfs"]] ==
          [p["vf_product_id"] for p in raw["pfs"]] and
          h5["pfs"][1]["fabric"] is None,
          "hosts: compute-00005 as written")
    check([x["key"] for x in h["problems"]] == [ROOT + "hosts/broken"] and
          h["problems"][0]["error"].startswith(ROOT + "hosts/broken:"),
          "hosts: the broken host is a problem, named: %s" % h["problems"])

    rc, out, err = sriovctl("-j", "cluster", "ports", "--etcd", EP)
    pt = json.loads(out)
    by = {x["port"]: x for x in pt["ports"]}
    check(rc == 0 and sorted(by) == ["e1", "p1", "p2"],
          "ports: the three that parse")
    check(by["p1"]["guid"] == guid(0x21) and by["p1"]["pkey"] == "0x0b02" and
          by["p1"]["membership"] == "full" and by["p1"]["lease"] == l1 and
          by["p1"]["pf_guid"] is None and by["p2"]["pf_guid"] == guid(0x99) and
          by["e1"]["vlan"] == 100 and by["e1"]["guid"] is None,
          "ports: fields as written")
    check([x["key"] for x in pt["problems"]] == [ROOT + "ports/junk"],
          "ports: the junk value is a problem")

    rc, out, err = sriovctl("-j", "cluster", "guids", "--etcd", EP)
    gs = {x["guid"]: x for x in json.loads(out)["guids"]}
    check(rc == 0 and gs[guid(0x21)]["state"] == "in-use" and
          gs[guid(0x21)]["port"] == "p1" and
          gs["0x0002c90300000777"]["state"] == "unused",
          "guids: p1's claim in use, the orphan unused")

    rc, _, err = sriovctl("cluster", "status")
    check(rc == 2 and "--etcd" in err, "no --etcd: exit 2 (%s)" % err.strip())
    rc, _, err = sriovctl("cluster", "ports", "--etcd",
                          "http://127.0.0.1:%d" % free_port())
    check(rc == 1 and "no endpoint answered" in err,
          "no store: exit 1 (%s)" % err.strip()[:120])
    rc, _, err = sriovctl("cluster", "status", "--etcd", "ftp://x")
    check(rc == 2, "a bad endpoint: exit 2 (%s)" % err.strip()[:120])


def scenario_place(d):
    try:
        subprocess.run(["/usr/bin/python3", "-c", "import nova.pci.stats"],
                       check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError):
        print("SKIP: python3-nova is not installed (scripts/install-deps "
              "nova)")
        sys.exit(77)
    bindings("hosts", 60, 8)
    etcdctl("put", ROOT + "hosts/old", stdin=json.dumps({
        "host": "old", "updated": 1, "pfs": [{
            "name": "ib0", "address": "0000:41:00.0", "link": "infiniband",
            "physnet": "ibnet", "fabric": "fab0", "numa_node": 0,
            "vfs": {"total": 8, "free": 8, "bound": 0, "quarantined": 0}}]}))
    spec = os.path.join(d, "spec.txt")
    open(spec, "w").write(
        '{"address": "*:41:*.*", "physical_network": "ibnet"}\n'
        '{"vendor_id": "8086", "product_id": "154c", '
        '"physical_network": "physnet1", "trusted": "true"}\n'
        '{"vendor_id": "8086", "product_id": "1572"}\n')
    alias = os.path.join(d, "alias.txt")
    open(alias, "w").write(
        '{"name": "ib", "vendor_id": "15b3", "product_id": "1018", '
        '"device_type": "type-VF"}\n'
        '{"name": "eth", "vendor_id": "8086", "product_id": "154c", '
        '"device_type": "type-VF", "numa_policy": "required"}\n'
        '{"name": "pf", "vendor_id": "8086", "product_id": "1572", '
        '"device_type": "type-PF"}\n')
    reqs = [{"alias": "ib:2"}, {"alias": "ib:7"}, {"alias": "eth:3"},
            {"alias": "ib:1,eth:1"}, {"alias": "pf:1"},
            {"alias": "eth:2", "numa_cells": [0]},
            {"alias": "eth:2", "numa_cells": [1]},
            {"spec": [{"physical_network": "ibnet"}], "count": 5},
            {"spec": [{"physical_network": "physnet1", "trusted": "true"}],
             "count": 1, "numa_policy": "preferred", "numa_cells": [0]},
            {"alias": "nosuch:1"}]
    rf = os.path.join(d, "reqs.json")
    json.dump(reqs, open(rf, "w"))
    rc, out, err = sriovctl("-j", "cluster", "place", "--etcd", EP,
                            "--device-spec", spec, "--alias", alias, rf)
    check(rc == 0, "place: exit %d %s" % (rc, err.strip()[:200]))
    ours = json.loads(out)["requests"] if rc == 0 else []
    # The same inventory, as Nova's libvirt driver would report it.
    hosts = {}
    for kv in json.loads(etcdctl("get", "--prefix", ROOT + "hosts/", "-w",
                                 "json"))["kvs"]:
        h = json.loads(base64.b64decode(kv["value"]))
        devs, cells = [], []
        for pf in h["pfs"]:
            n = pf.get("numa_node")
            if n is not None and {"id": n, "socket": None} not in cells:
                cells.append({"id": n, "socket": None})
            if not pf.get("vendor_id"):
                continue
            for a in pf.get("free_vfs", []) if pf.get("vf_product_id") else []:
                devs.append({"address": a, "vendor_id": pf["vendor_id"],
                             "product_id": pf["vf_product_id"],
                             "dev_type": "type-VF",
                             "parent_addr": pf["address"], "numa_node": n})
            if pf.get("product_id") and not pf["vfs"]["bound"] and \
                    not pf["vfs"]["quarantined"]:
                devs.append({"address": pf["address"],
                             "vendor_id": pf["vendor_id"],
                             "product_id": pf["product_id"],
                             "dev_type": "type-PF", "numa_node": n})
        hosts[h["host"]] = {"devices": devs, "numa_cells": cells}
    hf = os.path.join(d, "hosts.json")
    json.dump(hosts, open(hf, "w"))
    oracle = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "nova", "oracle.py")
    p = subprocess.run(["/usr/bin/python3", oracle, "fit", "--device-spec",
                        spec, "--alias", alias, hf, rf], capture_output=True,
                       text=True, timeout=600)
    check(p.returncode == 0, "Nova's filter ran: %s" % p.stderr[-300:])
    nova = json.loads(p.stdout) if p.returncode == 0 else []
    for i, (o, n) in enumerate(zip(ours, nova)):
        if "error" in n:
            check(o.get("error") == n["error"],
                  "request %d: Nova's error '%s', ours '%s'" %
                  (i, n["error"], o.get("error")))
            continue
        check(sorted(o.get("hosts", [])) == sorted(n["hosts"]),
              "request %d %s: %d host(s), as Nova (%d)" %
              (i, json.dumps(reqs[i]), len(o.get("hosts", [])),
               len(n["hosts"])))
    check(len(ours) == len(reqs) and len(nova) == len(reqs),
          "an answer per request")
    check(any(0 < len(x.get("hosts", [])) < 61 for x in ours),
          "the requests tell hosts apart")
    rc, out, err = sriovctl("cluster", "place", "--etcd", EP,
                            "--device-spec", spec, rf)
    check(rc == 0 and "request 1:" in out, "place, text: %s" %
          out.splitlines()[:1])
    bad = os.path.join(d, "bad.txt")
    open(bad, "w").write('{"vendor_id": "15b3", "nonsense": "x"\n')
    rc, out, err = sriovctl("cluster", "place", "--etcd", EP,
                            "--device-spec", bad, rf)
    check(rc == 2 and err.strip(), "a bad device_spec: exit 2 with Nova's "
          "message (%s)" % err.strip()[:120])


def main():
    scen = sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="fabricd-test.") as d:
        try:
            globals()["scenario_" + scen](d)
        finally:
            for log in sorted(os.listdir(d)):
                if log.endswith(".log") and failures:
                    print("---- %s ----" % log)
                    print(open(os.path.join(d, log)).read()[-3000:])
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: fabricd %s" % scen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
