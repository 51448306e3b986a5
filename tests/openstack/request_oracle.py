#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""oracle.neutron-request: what sriovd makes of Neutron's device details
and QoS policies, against what Debian's neutron-sriov-nic-agent sets for the
same input, run as its own code (python3-neutron):

- the link state and spoof check: SriovNicSwitchAgent.treat_device with the
  arguments treat_devices_added_updated takes from the details, through
  ESwitchManager/EmbSwitch and PciDeviceIPWrapper.set_vf_state /
  set_vf_spoofcheck down to the ip link values (the ip command mocked);
- the rates: EmbSwitch.set_device_rate (kbps to Mbps, its rounding) down to
  PciDeviceIPWrapper.set_vf_rate.

    request_oracle.py NEUTRON_REQUEST GOLDEN_DIR [--cases N] [--seed S]

The cases are the golden details recorded from a real neutron-server,
varied: admin_state_up, propagate_uplink_status, port_security_enabled
(true, false, absent), the policy's egress max_kbps and min_kbps (edges
around 0, 1000 and each half Mbps, and random ones). Exit 77 without
python3-neutron, unless CI or SRIOV_LAB_STRICT=1.
"""
import argparse
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
from unittest import mock

try:
    from neutron.plugins.ml2.drivers.mech_sriov.agent import eswitch_manager
    from neutron.plugins.ml2.drivers.mech_sriov.agent import pci_lib
    from neutron.plugins.ml2.drivers.mech_sriov.agent import sriov_nic_agent
    from neutron.agent import rpc as agent_rpc
except ImportError as e:
    print('#' * 64, file=sys.stderr)
    print('oracle.neutron-request: CANNOT RUN: %s' % e, file=sys.stderr)
    print('oracle.neutron-request: scripts/install-deps openstack',
          file=sys.stderr)
    print('#' * 64, file=sys.stderr)
    sys.exit(1 if os.environ.get('CI') or
             os.environ.get('SRIOV_LAB_STRICT') == '1' else 77)

LINK = {0: 'auto', 1: 'enable', 2: 'disable'}


def neutron_link_and_spoof(details):
    """What the stock agent writes with ip link for these details."""
    feats = []
    wrapper = pci_lib.PciDeviceIPWrapper('eth0')
    dev = mock.Mock()
    dev.link.set_vf_feature.side_effect = feats.append
    emb = eswitch_manager.EmbSwitch.__new__(eswitch_manager.EmbSwitch)
    emb.pci_dev_wrapper = wrapper
    emb._get_vf_index = lambda slot: 0
    emb.pci_slot_map = {details['profile'].get('pci_slot'): 0}
    mgr = mock.Mock()
    mgr.device_exists.return_value = True
    mgr.set_device_spoofcheck.side_effect = \
        lambda mac, slot, en: emb.set_device_spoofcheck(slot, en)
    mgr.set_device_state.side_effect = \
        lambda mac, slot, st, prop: emb.set_device_state(slot, st, prop)
    agent = sriov_nic_agent.SriovNicSwitchAgent.__new__(
        sriov_nic_agent.SriovNicSwitchAgent)
    agent.eswitch_mgr = mgr
    # as treat_devices_added_updated reads them
    info = agent_rpc.DeviceInfo(details['mac_address'],
                                details['profile'].get('pci_slot'))
    spoofcheck = details.get('port_security_enabled', True)
    with mock.patch.object(wrapper, 'device', return_value=dev):
        ok = agent.treat_device(info, details['admin_state_up'], spoofcheck,
                                details['propagate_uplink_status'])
    assert ok, 'treat_device refused'
    out = {}
    for f in feats:
        if 'link_state' in f:
            out['link_state'] = LINK[f['link_state']]
        if 'spoofchk' in f:
            out['spoofchk'] = bool(f['spoofchk'])
    return out


def neutron_rates(max_kbps, min_kbps):
    """EmbSwitch.set_device_rate's Mbps for both rates."""
    got = {}
    emb = eswitch_manager.EmbSwitch.__new__(eswitch_manager.EmbSwitch)
    emb._get_vf_index = lambda slot: 0
    emb.pci_dev_wrapper = mock.Mock()
    emb.pci_dev_wrapper.set_vf_rate.side_effect = \
        lambda idx, rates: got.update(rates)
    emb.set_device_rate('0000:41:00.1', {'max_tx_rate': max_kbps,
                                         'min_tx_rate': min_kbps})
    return got['max_tx_rate'], got['min_tx_rate']


def policy_with(golden, max_kbps, min_kbps):
    p = copy.deepcopy(golden)
    for r in p['versioned_object.data']['rules']:
        d = r['versioned_object.data']
        if d.get('direction', 'egress') != 'egress':
            continue
        if 'max_kbps' in d:
            d['max_kbps'] = max_kbps
        if 'min_kbps' in d:
            d['min_kbps'] = min_kbps
    return p


def kbps(rng):
    edges = [0, 1, 499, 500, 501, 999, 1000, 1001, 1499, 1500, 1501, 2500,
             3500, 20500, 10 ** 7, 10 ** 8 + 500]
    return rng.choice(edges) if rng.random() < 0.5 else \
        rng.randrange(0, 10 ** 7)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('tool')
    ap.add_argument('golden')
    ap.add_argument('--cases', type=int, default=400)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    def load(name):
        with open(os.path.join(a.golden, name)) as f:
            return json.load(f)

    bases = [('details-vlan.json', 'direct'), ('details-flat.json', 'direct'),
             ('details-macvtap.json', 'macvtap')]
    golden_policy = load('policy.json')
    tmp = tempfile.mkdtemp(prefix='request-oracle.')
    conf = os.path.join(tmp, 'sriovd.yaml')
    with open(conf, 'w') as f:
        f.write('physnets:\n  physnet1: [eth0]\n')
    bad = 0
    compared = {'link_state': 0, 'spoofchk': 0, 'rates': 0}
    for i in range(a.cases):
        name, vnic = bases[i % len(bases)]
        dt = load(name)
        dt['admin_state_up'] = rng.random() < 0.5
        dt['propagate_uplink_status'] = rng.random() < 0.3
        ps = rng.choice([True, False, None])
        if ps is None:
            dt.pop('port_security_enabled', None)
        else:
            dt['port_security_enabled'] = ps
        policy = None
        mx = mn = None
        if rng.random() < 0.6:
            mx, mn = kbps(rng), kbps(rng)
            policy = policy_with(golden_policy, mx, mn)
        r = subprocess.run([a.tool, conf, vnic, '0'],
                           input=json.dumps({'details': dt,
                                             'policy': policy}),
                           capture_output=True, text=True)
        ours = json.loads(r.stdout) if r.returncode == 0 else \
            {'error': r.stderr}
        want = neutron_link_and_spoof(dt)
        why = []
        if policy is not None:
            wmax, wmin = neutron_rates(mx, mn)
            if wmax and wmin > wmax:
                # the kernel refuses min above max: sriovd refuses it first
                if 'minimum' not in ours.get('error', ''):
                    why.append('min %d > max %d not refused' % (wmin, wmax))
                else:
                    compared['rates'] += 1
                if why:
                    bad += 1
                    print('case %d (%s): %s: ours %s' % (i, name,
                                                        '; '.join(why), ours))
                continue
            if (ours.get('max_tx_rate'), ours.get('min_tx_rate')) != \
                    (wmax, wmin):
                why.append('rates kbps %s/%s: neutron %s/%s Mbps' % (
                    mx, mn, wmax, wmin))
            compared['rates'] += 1
        if 'error' in ours:
            why.append('refused')
        for k in ('link_state', 'spoofchk'):
            if ours.get(k) != want.get(k):
                why.append('%s: neutron %s' % (k, want.get(k)))
            compared[k] += 1
        if why:
            bad += 1
            print('case %d (%s): %s: ours %s' % (i, name, '; '.join(why),
                                                ours))
    print('%d cases, %d differ; compared %s' % (a.cases, bad, compared))
    return 1 if bad or not all(compared.values()) else 0


if __name__ == '__main__':
    sys.exit(main())
