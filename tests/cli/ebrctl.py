#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ebrctl's command line, the requests it sends and its exit codes.

usage: ebrctl.py EBRCTL

Against a stand-in for sriovd's socket (fake_sriovd.py) that answers as a
script says: every request ebrctl sends is compared with what
docs/openstack.md says it sends, and every answer with the exit code Nova
sees (0 done or nothing to do, 1 refused or failed, 2 a mistake of the
command line). What sriovd accepts is tested against sriovd itself
(unit.daemon_bind, lab.kernel.ebrctl).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_sriovd import FakeSriovd, ok, err  # noqa: E402

EBRCTL = None
FAILS = []

MAC = "FA:16:3E:12:34:56"  # Neutron writes lower case; ebrctl takes both
ID = "ib-fa:16:3e:12:34:56"
GUID = "0xfa163e0000123456"  # eswitchd: aa:bb:cc:00:00:dd:ee:ff
UUID = "6a2e1f5c-0b6e-4d0e-9f43-0a1b2c3d4e5f"
SLOT = "0000:41:00.2"
ADD = ["add-port", MAC, UUID, "ibnet", "ib_hostdev", SLOT]


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL", what)


def run(args, fake=None, env=None, timeout=30):
    e = dict(os.environ)
    e.pop("SRIOVD_SOCKET", None)
    if env:
        e.update(env)
    sock = ["--socket", fake.path] if fake else []
    p = subprocess.run([EBRCTL] + sock + args, capture_output=True, text=True,
                       env=e, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def bound(network="ibnet", address=SLOT, guid=GUID, device=UUID,
          status="bound", pf="ib0", vf=1, pkey=None):
    settings = {"id": ID, "network": {"physnet": network}, "guid": guid}
    if device:
        settings["device_id"] = device
    if pkey:
        settings["network"]["pkey"] = pkey
    return ok(port={"id": ID, "network": network, "vnic_type": "direct",
                    "status": status, "pf": pf, "vf": vf, "address": address,
                    "settings": settings})


def script(**by_op):
    """Answers by op: a value, or a list used in turn."""
    def answer(req):
        a = by_op.get(req["op"], err("EINVAL", "unexpected op " + req["op"]))
        return a.pop(0) if isinstance(a, list) else a
    return answer


def ops(fake):
    return [r["op"] for r in fake.requests]


def test_usage():
    fake = FakeSriovd(script())
    cases = [
        ([], "a command is required"),
        (["add-port", MAC, UUID, "ibnet", "ib_hostdev"], "takes 5 arguments"),
        (ADD + ["extra"], "takes 5 arguments"),
        (["add-port", MAC, UUID, "ibnet", "hostdev", SLOT],
         "vif type 'hostdev' is not served"),
        (["del-port", "ibnet"], "takes 2 arguments"),
        (["del-port", "ibnet", "fa:16:3e:12:34"], "invalid mac 'fa:16:3e:12:34'"),
        (["frob"], "unknown command 'frob'"),
        (["--timeout", "0"] + ADD, "invalid --timeout '0'"),
        (["--bogus"] + ADD, "usage:"),
    ]
    for args, want in cases:
        rc, out, e = run(args, fake)
        check(rc == 2, "%s: exit %d, want 2 (%s)" % (args, rc, e.strip()))
        check(want in e, "%s: stderr %r lacks %r" % (args, e, want))
    for args in (["--help"], ["-h"], ["add-port", "--help"], ADD + ["-h"],
                 ["del-port", "--help"], ["--version"]):
        rc, out, e = run(args, fake)
        check(rc == 0 and out, "%s: exit %d, stdout %r" % (args, rc, out))
    check(fake.requests == [], "usage and help asked sriovd: %s" % fake.requests)
    fake.close()
    rc, out, e = run(ADD, env={"SRIOVD_SOCKET": "/nonexistent/s.sock"})
    check(rc == 1 and "cannot connect to sriovd at /nonexistent/s.sock" in e,
          "no sriovd ($SRIOVD_SOCKET): exit %d, %r" % (rc, e))


def test_add_port():
    # a new port: looked up, then bound exactly as docs/openstack.md says
    fake = FakeSriovd(script(**{
        "port.show": err("ENOENT", "no port '%s'" % ID),
        "port.bind": ok(port=ID, pf="ib0", vf=1, address=SLOT,
                        guid=GUID)}))
    rc, out, e = run(ADD, fake)
    check(rc == 0, "add-port: exit %d (%s)" % (rc, e))
    check(out == SLOT + "\n", "add-port: stdout %r, want the slot" % out)
    check(ops(fake) == ["port.show", "port.bind"], "add-port ops %s" % ops(fake))
    check(fake.requests[0] == {"op": "port.show", "id": ID},
          "show request %s" % fake.requests[0])
    check(fake.requests[1:] == [{"op": "port.bind", "port": {
        "id": ID, "network": {"physnet": "ibnet"}, "vnic_type": "direct",
        "pci_slot": SLOT, "guid_from_mac": MAC, "device_id": UUID}}],
        "bind request %s" % fake.requests[1:])
    fake.close()

    # bound already: the same port (add-port twice), or a Neutron agent's
    # first (no instance, a P-key): nothing sent but the look-up
    for name, ans in (("same", bound()),
                      ("agent first", bound(device=None, pkey="0x8001")),
                      ("slot in upper case", bound(address=SLOT))):
        fake = FakeSriovd(script(**{"port.show": ans}))
        args = ADD if name != "slot in upper case" else ADD[:5] + [SLOT.upper()]
        rc, out, e = run(args, fake)
        check(rc == 0 and out == SLOT + "\n",
              "add-port, bound %s: exit %d %r %r" % (name, rc, out, e))
        check(ops(fake) == ["port.show"], "bound %s: ops %s" % (name, ops(fake)))
        fake.close()
    # PF:vfN names the VF by its PF and index
    fake = FakeSriovd(script(**{"port.show": bound(address=None)}))
    rc, out, e = run(ADD[:5] + ["ib0:vf1"], fake)
    check(rc == 0 and out == "ib0:vf1\n", "add-port ib0:vf1: %d %r %r" % (rc, out, e))
    fake.close()

    # bound otherwise: refused, nothing sent but the look-up
    for name, ans, want in (
            ("another vf", bound(address="0000:41:00.3"), "already bound to vf 0000:41:00.3"),
            ("another index", bound(address=None, vf=2), "already bound to vf"),
            ("another network", bound(network="ib2"), "bound on network 'ib2', not 'ibnet'"),
            ("another guid", bound(guid="0x0200000000000001"), "not 0xfa163e0000123456"),
            ("another instance", bound(device="other-vm"), "bound for instance other-vm"),
            ("unbinding", bound(status="unbinding"), "is unbinding in sriovd")):
        fake = FakeSriovd(script(**{"port.show": ans}))
        args = ADD[:5] + ["ib0:vf1"] if name == "another index" else ADD
        rc, out, e = run(args, fake)
        check(rc == 1 and want in e, "add-port, bound to %s: exit %d, %r" % (name, rc, e))
        check(ops(fake) == ["port.show"], "%s: ops %s" % (name, ops(fake)))
        fake.close()

    # sriovd refuses: exit 1 with its message
    fake = FakeSriovd(script(**{
        "port.show": err("ENOENT", "no port"),
        "port.bind": err("EBUSY", "vf 0000:41:00.2 (pf ib0 vf 1) is not free: port 'x' holds it")}))
    rc, out, e = run(ADD, fake)
    check(rc == 1 and "is not free: port 'x' holds it" in e and out == "",
          "add-port refused: exit %d %r %r" % (rc, out, e))
    fake.close()
    # a concurrent add-port of the same port won: looked up again, done
    fake = FakeSriovd(script(**{
        "port.show": [err("ENOENT", "no port"), bound()],
        "port.bind": err("EEXIST", "port '%s' is already bound" % ID)}))
    rc, out, e = run(ADD, fake)
    check(rc == 0 and ops(fake) == ["port.show", "port.bind", "port.show"],
          "add-port race: exit %d, ops %s, %r" % (rc, ops(fake), e))
    fake.close()
    # a malformed MAC names no port: sent to sriovd as it came, which
    # refuses it (and logs it)
    fake = FakeSriovd(script(**{"port.bind": err(
        "EINVAL", "port: invalid guid_from_mac 'fa:16:3e:12:34'")}))
    rc, out, e = run(["add-port", "fa:16:3e:12:34"] + ADD[2:], fake)
    check(rc == 1 and "invalid guid_from_mac" in e,
          "add-port bad mac: exit %d %r" % (rc, e))
    check(ops(fake) == ["port.bind"] and
          fake.requests[0]["port"]["guid_from_mac"] == "fa:16:3e:12:34",
          "bad mac: requests %s" % fake.requests)
    fake.close()
    # a sriovd that does not answer: exit 1 after --timeout
    fake = FakeSriovd(lambda req: None)
    rc, out, e = run(["--timeout", "1"] + ADD, fake)
    check(rc == 1 and "did not answer within 1 s" in e, "hung sriovd: %d %r" % (rc, e))
    fake.close()


def test_del_port():
    for name, ans, rc_want, want in (
            ("bound", ok(port=ID, pf="ib0", vf=1, vf_state="free"), 0, ""),
            ("unknown", err("ENOENT", "no port '%s'" % ID), 0, "nothing to do"),
            ("another network", err("EINVAL", "port %s is on network 'x', not 'ibnet'" % ID), 1, "not 'ibnet'"),
            ("quarantined", ok(port=ID, pf="ib0", vf=1, vf_state="quarantined"), 1, "quarantined")):
        fake = FakeSriovd(script(**{"port.unbind": ans}))
        rc, out, e = run(["del-port", "ibnet", MAC], fake)
        check(rc == rc_want and want in e,
              "del-port, %s: exit %d (want %d), %r" % (name, rc, rc_want, e))
        check(fake.requests == [{"op": "port.unbind", "id": ID, "network": "ibnet"}],
              "del-port request %s" % fake.requests)
        fake.close()


def main():
    global EBRCTL
    EBRCTL = sys.argv[1]
    test_usage()
    test_add_port()
    test_del_port()
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("ok: ebrctl's requests and exit codes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
