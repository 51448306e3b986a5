#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Nova's own VIF driver builds the ebrctl calls, and takes their exit codes.

  ebrctl.py EBRCTL                          the oracle test (CTest)
  ebrctl.py --record MAC UUID PHYSNET SLOT  print the argv Nova runs, as
                                            {"plug": [...], "unplug": [...]}
                                            (lab.kernel.ebrctl replays it)

python3-nova's nova.virt.libvirt.vif.LibvirtGenericVIFDriver plugs and
unplugs a VIF of type ib_hostdev. nova.privsep.libvirt's functions run
in-process (the privsep context in client mode off, as Nova's own tests
do), with processutils.execute first replaced by a recorder: the argv is
what nova/privsep/libvirt.py builds, checked against the VIF's address,
physical network and pci_slot and the instance's uuid. Then the same plug
and unplug with oslo's real processutils.execute running our ebrctl
(PATH) against a stand-in for sriovd's socket (tests/cli/fake_sriovd.py):
each answer's exit code must be what Nova expects of it: a bind done
plugs silently; a refused bind (exit 1) is what the driver logs as
"Failed while plugging ib hostdev vif"; an unplug of an unknown port is 0
(nothing logged), a refused one logged "Failed while unplugging".

Run with /usr/bin/python3 (Debian's python3-nova); exits 77 only when
nova cannot be imported.
"""
import json
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
FAILS = []

try:
    import nova.privsep
    import nova.privsep.libvirt as privsep_libvirt
    from nova.network import model
    from nova.virt.libvirt import vif as libvirt_vif
    from oslo_concurrency import processutils
except ImportError as e:
    print("SKIP: python3-nova cannot be imported (%s): "
          "scripts/install-deps nova" % e, file=sys.stderr)
    sys.exit(77)

REAL_EXECUTE = processutils.execute


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what, file=sys.stderr)


def vif_of(mac, physnet, slot):
    net = model.Network(id="a5d1b7e4-8f0e-4d39-9f57-6c1e2d3b4a50",
                        bridge=None, meta={"physical_network": physnet})
    return model.VIF(id="9c4f0b62-3e1d-4a7b-8c55-2f6e1d0a9b31",
                     address=mac, network=net,
                     type=model.VIF_TYPE_IB_HOSTDEV,
                     vnic_type=model.VNIC_TYPE_DIRECT,
                     profile={"pci_slot": slot,
                              "physical_network": physnet})


def drive(execute, mac, uuid, physnet, slot):
    """Nova's plug then unplug of the VIF, with @execute as processutils'."""
    privsep_libvirt.processutils.execute = execute
    nova.privsep.sys_admin_pctxt.set_client_mode(False)
    try:
        driver = libvirt_vif.LibvirtGenericVIFDriver()
        instance = {"uuid": uuid}
        vif = vif_of(mac, physnet, slot)
        driver.plug(instance, vif)
        driver.unplug(instance, vif)
    finally:
        privsep_libvirt.processutils.execute = REAL_EXECUTE


def record(mac, uuid, physnet, slot):
    calls = []

    def recorder(*argv, **kw):
        calls.append(list(argv))
        return "", ""
    drive(recorder, mac, uuid, physnet, slot)
    return calls


class Logged(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, rec):
        if rec.levelno >= logging.ERROR:
            self.lines.append(rec.getMessage())


def main_record(args):
    calls = record(*args)
    print(json.dumps({"plug": calls[0], "unplug": calls[1]}))
    return 0


def main(ebrctl):
    from fake_sriovd import FakeSriovd, ok, err

    mac, uuid = "fa:16:3e:5b:2c:01", "6a2e1f5c-0b6e-4d0e-9f43-0a1b2c3d4e5f"
    physnet, slot = "ibnet", "0000:41:00.2"
    calls = record(mac, uuid, physnet, slot)
    check(calls == [["ebrctl", "add-port", mac, uuid, physnet,
                     model.VIF_TYPE_IB_HOSTDEV, slot],
                    ["ebrctl", "del-port", physnet, mac]],
          "Nova's argv: %s" % calls)
    check(model.VIF_TYPE_IB_HOSTDEV == "ib_hostdev",
          "Nova's VIF type is %r, ebrctl serves ib_hostdev"
          % model.VIF_TYPE_IB_HOSTDEV)

    # the same calls through oslo's processutils, running our ebrctl
    os.environ["PATH"] = os.path.dirname(os.path.abspath(ebrctl)) + ":" + \
        os.environ.get("PATH", "")
    log = Logged()
    logging.getLogger("nova.virt.libvirt.vif").addHandler(log)
    port_id = "ib-" + mac
    guid_mac = mac
    cases = [
        # (name, answers by op, errors Nova must log)
        ("bound and unbound",
         {"port.show": err("ENOENT", "no port"),
          "port.bind": ok(port=port_id, address=slot),
          "port.unbind": ok(port=port_id, vf_state="free")}, []),
        ("bind refused, unplug of a port never bound",
         {"port.show": err("ENOENT", "no port"),
          "port.bind": err("EBUSY", "vf %s is not free" % slot),
          "port.unbind": err("ENOENT", "no port")},
         ["Failed while plugging ib hostdev vif"]),
        ("unbind refused",
         {"port.show": err("ENOENT", "no port"),
          "port.bind": ok(port=port_id, address=slot),
          "port.unbind": err("EINVAL", "port on another network")},
         ["Failed while unplugging ib hostdev vif"]),
    ]
    for name, answers, want_logged in cases:
        fake = FakeSriovd(lambda req: answers[req["op"]])
        os.environ["SRIOVD_SOCKET"] = fake.path
        log.lines = []
        try:
            drive(REAL_EXECUTE, mac, uuid, physnet, slot)
        except Exception as e:  # Nova's driver must not raise for these
            check(False, "%s: Nova's driver raised %r" % (name, e))
        fake.close()
        check(log.lines == want_logged,
              "%s: Nova logged %s, want %s" % (name, log.lines, want_logged))
        bind = [r for r in fake.requests if r["op"] == "port.bind"]
        check(len(bind) == 1 and bind[0]["port"] == {
            "id": port_id, "network": {"physnet": physnet},
            "vnic_type": "direct", "pci_slot": slot,
            "guid_from_mac": guid_mac, "device_id": uuid},
            "%s: the bind sent %s" % (name, bind))
        unbind = [r for r in fake.requests if r["op"] == "port.unbind"]
        check(unbind == [{"op": "port.unbind", "id": port_id,
                          "network": physnet}],
              "%s: the unbind sent %s" % (name, unbind))

    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("ok: Nova's ib_hostdev plug/unplug argv runs our ebrctl with the "
          "exit codes it expects")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--record":
        sys.exit(main_record(sys.argv[2:]))
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
