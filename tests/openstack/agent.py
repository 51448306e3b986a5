#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""openstack.agent: sriovd as the SR-IOV agent of a real neutron-server.

    agent.py SRIOVD SRIOVCTL FIXTURES_BUILD SERVICES_DIR

SERVICES_DIR is where tests/openstack/services started RabbitMQ, MariaDB
and neutron-server (ML2: sriovnicswitch and our sriov_infiniband). sriovd
runs on a copy of the mlx4-seed fixture (a ConnectX-3, port 1 Ethernet on
physnet1, port 2 InfiniBand on ibnet); a fake tree takes no netlink
writes, so its VFs are quarantined at start and every bind is refused
after the VF is chosen: what this test shows is the conversation with
Neutron, each side's own code, and what sriovd refuses (the kernel lab
shows the VF settings). Through Neutron's REST API and its own RPC client
classes (AgentNotifierApi), checked in Neutron's agent table, its ports and
sriovd's log and store:

- report_state: agent type "NIC Switch agent", binary sriovd, the host,
  device_mappings and infiniband_mappings from sriovd's physnets; alive;
- the stock driver binds a direct port on physnet1 (hw_veb), ours one on
  ibnet (ib_hostdev, the P-key of its segment), and refuses an IB network
  whose id is a reserved P-key or which is flat;
- sriovd hears of a bound port (the server's push), asks its details,
  binds the VF of its binding profile or refuses it by name (quarantined,
  excluded, of another physnet, not managed, malformed pci_slot), reports
  it down, and its port_errors make the port ERROR; a port whose binding
  failed costs no loop of messages; nothing is left in sriovd's store;
- port_delete / network_update casts from Neutron's AgentNotifierApi;
- messages that are not JSON, not an envelope, or over 4 MiB are dropped
  and logged, and sriovd serves on;
- kill -9: the agent is dead for Neutron, alive again after a restart,
  which resyncs; the broker killed and revived: sriovd reconnects and
  resyncs.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SRIOVD, SRIOVCTL, FIXTURES, SVC = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
HOST = 'sriovd-test'
failed = []


def check(cond, what):
    print(('ok: ' if cond else 'FAIL: ') + what, flush=True)
    if not cond:
        failed.append(what)
    return cond


def env():
    out = {}
    with open(os.path.join(SVC, 'env')) as f:
        for line in f:
            k, _, v = line.strip().partition('=')
            out[k] = v
    return out


if not os.path.exists(os.path.join(SVC, 'env')):
    print('openstack.agent: CANNOT RUN: no services in %s '
          '(tests/openstack/services start skipped or failed)' % SVC,
          file=sys.stderr)
    sys.exit(1 if os.environ.get('CI') or
             os.environ.get('SRIOV_LAB_STRICT') == '1' else 77)
ENV = env()
API = ENV['NEUTRON_API']
URL = ENV['RPC_URL']


def rest(method, path, body=None):
    req = urllib.request.Request(
        API + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            data = r.read()
            return r.status, json.loads(data) if data else {}
    except urllib.error.HTTPError as e:
        data = e.read()
        return e.code, json.loads(data) if data else {}


def wait(pred, timeout, step=0.25):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


def agent():
    s, a = rest('GET', '/v2.0/agents?host=' + HOST)
    agents = a.get('agents', []) if s == 200 else []
    return agents[0] if agents else None


class Sriovd:
    def __init__(self, tmp):
        self.tmp = tmp
        self.log = os.path.join(tmp, 'sriovd.log')
        self.conf = os.path.join(tmp, 'sriovd.yaml')
        self.sock = os.path.join(tmp, 'sriovd.sock')
        self.proc = None
        with open(self.conf, 'w') as f:
            f.write('physnets:\n  physnet1: [enp65s0]\n  ibnet: [ib0]\n'
                    'exclude_devices: ["enp65s0:0000:41:00.2"]\n'
                    'state_dir: %s/state\nsocket: %s\n'
                    'vf_driver: {direct: none}\n'
                    'neutron:\n  transport_url: "%s"\n  host: %s\n'
                    '  report_interval: 1\n  rpc_timeout: 10\n'
                    % (tmp, self.sock, URL, HOST))

    def start(self):
        self.logf = open(self.log, 'a')
        self.proc = subprocess.Popen(
            [SRIOVD, '-c', self.conf, '--root', self.tmp + '/sys'],
            stdout=self.logf, stderr=subprocess.STDOUT)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)
        self.logf.close()

    def text(self):
        with open(self.log) as f:
            return f.read()

    def logged(self, *words, timeout=20):
        return wait(lambda: any(all(w in line for w in words)
                                for line in self.text().splitlines()),
                    timeout)

    def sent(self):
        r = subprocess.run([SRIOVCTL, 'port', '--socket', self.sock,
                            'metrics'], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.startswith('sriovd_neutron_messages_total{direction='
                               '"sent"}'):
                return int(line.split()[-1])
        return -1

    def ports(self):
        r = subprocess.run([SRIOVCTL, '-j', 'port', '--socket', self.sock,
                            'list'], capture_output=True, text=True)
        return json.loads(r.stdout) if r.returncode == 0 else None


def neutron_rpc():
    """Neutron's own notifier, as ML2 casts to agents."""
    from oslo_config import cfg
    from neutron_lib import rpc as n_rpc
    from neutron_lib.agent import topics
    from neutron_lib import context
    from neutron.plugins.ml2 import rpc as ml2_rpc

    conf = os.path.join(tempfile.mkdtemp(prefix='openstack-agent-rpc.'),
                        'neutron.conf')
    with open(conf, 'w') as f:
        f.write('[DEFAULT]\ntransport_url = %s\n' % URL)
    cfg.CONF(['--config-file', conf], project='neutron')
    n_rpc.init(cfg.CONF)
    return ml2_rpc.AgentNotifierApi(topics.AGENT), \
        context.get_admin_context()


def raw_publish(body, exchange='q-agent-notifier-port-update_fanout'):
    """A message as a broken server would send it: kombu only."""
    import kombu
    with kombu.Connection(URL.replace('rabbit://', 'amqp://', 1)) as c:
        p = c.Producer()
        p.publish(body, exchange=exchange, routing_key='',
                  content_type='application/json',
                  content_encoding='utf-8', serializer=None)


def main():
    tmp = tempfile.mkdtemp(prefix='openstack-agent.')
    for part in ('sys', 'netlink', 'proc'):
        src = os.path.join(FIXTURES, 'mlx4-seed', part)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(tmp, part), symlinks=True)
    d = Sriovd(tmp)
    d.start()
    try:
        run(d)
    finally:
        d.kill(signal.SIGTERM)
        if failed:
            print('--- sriovd log (%s)' % d.log)
            print(d.text()[-6000:])
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print('%d failed' % len(failed) if failed else 'all ok')
    return 1 if failed else 0


def port(net, vnic, profile):
    s, p = rest('POST', '/v2.0/ports', {'port': {
        'network_id': net, 'binding:host_id': HOST,
        'binding:vnic_type': vnic, 'binding:profile': profile}})
    check(s == 201, 'port on %s created (%s)' % (net, s))
    return p.get('port', {})


def status_of(pid, want, timeout=20):
    return wait(lambda: rest('GET', '/v2.0/ports/' + pid)[1]
                .get('port', {}).get('status') == want, timeout)


def run(d):
    # --- report_state reaches neutron-server's agent table
    a = wait(lambda: (agent() or {}).get('alive') and agent(), 30)
    if not check(bool(a), 'neutron-server lists sriovd alive'):
        return
    conf = a['configurations']
    check(a['agent_type'] == 'NIC Switch agent' and a['binary'] == 'sriovd'
          and a['host'] == HOST,
          'agent type NIC Switch agent, binary sriovd, host %s' % HOST)
    check(conf.get('device_mappings') == {'physnet1': ['enp65s0']},
          'device_mappings: %s' % conf.get('device_mappings'))
    check(conf.get('infiniband_mappings') == {'ibnet': ['ib0']},
          'infiniband_mappings: %s' % conf.get('infiniband_mappings'))
    check(d.logged('neutron: resync: 0 ports'), 'sriovd resynced at start')

    # --- networks: our driver refuses what is no P-key
    for seg, ntype, why in ((2, 'vlan', 'reserved_pkeys'),
                            (None, 'flat', 'default partition')):
        body = {'name': 'ib-bad', 'provider:network_type': ntype,
                'provider:physical_network': 'ibnet'}
        if seg is not None:
            body['provider:segmentation_id'] = seg
        s, r = rest('POST', '/v2.0/networks', {'network': body})
        check(s == 400 and why in json.dumps(r),
              'ibnet %s %s refused at create: %s' % (ntype, seg, s))
    nets = {}
    for name, physnet, seg in (('eth', 'physnet1', 100), ('ib', 'ibnet', 100)):
        s, r = rest('POST', '/v2.0/networks', {'network': {
            'name': name, 'provider:network_type': 'vlan',
            'provider:physical_network': physnet,
            'provider:segmentation_id': seg}})
        check(s == 201, 'network %s created' % name)
        nets[name] = r['network']['id']
        s, _ = rest('POST', '/v2.0/subnets', {'subnet': {
            'network_id': nets[name], 'ip_version': 4,
            'cidr': '10.%d.0.0/24' % len(nets)}})

    # --- a direct port on each: bound by the right driver; sriovd takes
    # the VF the profile names, refuses it (quarantined on a fake tree),
    # says so in its log, and the port goes ERROR through port_errors
    eth = port(nets['eth'], 'direct', {'pci_slot': '0000:41:00.1',
                                        'physical_network': 'physnet1',
                                        'pci_vendor_info': '15b3:1004'})
    check(eth.get('binding:vif_type') == 'hw_veb',
          'sriovnicswitch bound the physnet1 port: %s'
          % eth.get('binding:vif_type'))
    ib = port(nets['ib'], 'direct', {'pci_slot': '0000:41:00.2',
                                      'physical_network': 'ibnet',
                                      'pci_vendor_info': '15b3:1004'})
    check(ib.get('binding:vif_type') == 'ib_hostdev' and
          ib.get('binding:vif_details', {}).get('pkey') == '0x8064',
          'sriov_infiniband bound the ibnet port, P-key 0x8064: %s %s'
          % (ib.get('binding:vif_type'), ib.get('binding:vif_details')))
    check(d.logged('port %s refused' % eth['id'],
                   'vf 0000:41:00.1 (pf enp65s0 vf 0) is not free'),
          'sriovd chose the VF of the profile and refused it, by name')
    check(d.logged('port %s refused (as ib-%s)' % (ib['id'],
                                                   ib['mac_address']),
                   'vf 0000:41:00.2 (pf ib0 vf 1) is not free'),
          'sriovd: the ibnet port, as ebrctl\'s ib-MAC, on the VF of its '
          'profile, refused')
    check(status_of(eth['id'], 'ERROR') and status_of(ib['id'], 'ERROR'),
          'both ports ERROR (sriovd\'s port_errors, our driver)')
    a = agent()
    check(eth['id'] in a['configurations'].get('port_errors', {}),
          'the refusal is in the agent\'s configurations.port_errors')

    # --- bad binding profiles: refused by name, nothing stored
    bad = port(nets['eth'], 'direct', {'pci_slot': '0000:99:00.1',
                                        'physical_network': 'physnet1'})
    check(d.logged('port %s refused' % bad['id'], '0000:99:00.1'),
          'a pci_slot no managed VF has: refused naming it')
    excl = port(nets['eth'], 'direct', {'pci_slot': '0000:41:00.2',
                                         'physical_network': 'physnet1'})
    check(d.logged('port %s refused' % excl['id'], '0000:41:00.2',
                   'excluded'),
          'a VF exclude_devices names: refused naming it')
    rest('DELETE', '/v2.0/ports/' + excl['id'])
    other = port(nets['eth'], 'direct', {'pci_slot': 'ib0:vf1',
                                          'physical_network': 'physnet1'})
    check(d.logged('port %s refused' % other['id'],
                   "pf 'ib0' is not a pf of network 'physnet1'"),
          'a VF of another physnet (ibnet\'s, for a physnet1 port): refused')
    rest('DELETE', '/v2.0/ports/' + other['id'])
    junk = port(nets['eth'], 'direct', {'pci_slot': 'zz:zz',
                                         'physical_network': 'physnet1'})
    check(d.logged('port %s refused' % junk['id'], "invalid pci_slot 'zz:zz'"),
          'a malformed pci_slot: refused naming it')
    # a port whose binding failed (no agent maps physnet2): nothing to
    # ask; asking would make the server bind and push it again, a loop
    s, r = rest('POST', '/v2.0/networks', {'network': {
        'name': 'p2', 'provider:network_type': 'flat',
        'provider:physical_network': 'physnet2'}})
    failed_port = port(r['network']['id'], 'direct',
                       {'pci_slot': '0000:41:00.1',
                        'physical_network': 'physnet2'})
    check(failed_port.get('binding:vif_type') == 'binding_failed',
          'a physnet2 port: binding_failed')
    sent0 = d.sent()
    time.sleep(5)
    sent = d.sent() - sent0
    check(sent <= 12, 'a failed binding: no loop (%d messages sent in 5 s, '
          'reports included)' % sent)
    check(d.ports() == [] or d.ports() == {'ports': []},
          'nothing half-applied: sriovd holds no port (%s)' % d.ports())

    # --- Neutron's own notifier: port_delete, network_update, port_update
    notifier, ctx = neutron_rpc()
    rest('DELETE', '/v2.0/ports/' + bad['id'])
    check(d.logged('port %s was deleted' % bad['id']),
          'a deleted port: port_delete (or the push) heard')
    notifier.port_delete(ctx, junk['id'])
    check(d.logged('port %s was deleted' % junk['id']),
          'AgentNotifierApi.port_delete heard')
    n_before = d.text().count('port %s refused' % eth['id'])
    notifier.network_update(ctx, {'id': nets['eth']})
    check(wait(lambda: d.text().count('port %s refused' % eth['id'])
               > n_before, 20),
          'AgentNotifierApi.network_update: its ports asked again')
    notifier.port_update(ctx, {'id': 'not-a-uuid'}, 'vlan', 100,
                         'physnet1')
    check(d.logged("port_update: a port without a valid 'id'"),
          'a port_update without a valid port id: logged, ignored')

    # --- RPC messages that are no messages: dropped and logged
    drops = d.text().count('a message was refused')
    raw_publish(b'{not json')
    raw_publish(json.dumps({'oslo.version': '2.0'}).encode())
    raw_publish(json.dumps({'oslo.version': '2.0', 'oslo.message':
                            'x' * (5 << 20)}).encode())
    check(wait(lambda: d.text().count('a message was refused') >= drops + 3,
               20), 'three bad messages dropped and logged: %s' %
          [line for line in d.text().splitlines()
           if 'a message was refused' in line][-3:])
    check(d.proc.poll() is None and
          wait(lambda: (agent() or {}).get('alive'), 10),
          'sriovd serves on after them')

    # --- kill -9: dead for Neutron; restart: alive, resynced
    refusals = d.text().count('port %s refused' % eth['id'])
    d.kill()
    check(wait(lambda: agent() and not agent()['alive'], 30),
          'kill -9: neutron-server lists the agent dead')
    resyncs = d.text().count('neutron: resync:')
    d.start()
    check(wait(lambda: (agent() or {}).get('alive'), 30),
          'restarted: alive again')
    check(wait(lambda: d.text().count('neutron: resync:') > resyncs, 20),
          'restarted: resynced (%s)' % [line for line in d.text().splitlines()
                                        if 'resync:' in line][-1:])
    check(wait(lambda: d.text().count('port %s refused' % eth['id'])
               > refusals, 20),
          'restarted: the port Neutron binds here asked again')

    # --- the broker goes and comes back: reconnect, resync
    resyncs = d.text().count('neutron: resync:')
    subprocess.run([os.path.join(HERE, 'services'), 'kill-broker', SVC],
                   check=True)
    check(d.logged('neutron:', 'next attempt in', timeout=30),
          'broker gone: sriovd says so and retries')
    subprocess.run([os.path.join(HERE, 'services'), 'revive-broker', SVC],
                   check=True)
    check(d.logged('again; resyncing', timeout=90),
          'broker back: sriovd reconnected')
    check(wait(lambda: d.text().count('neutron: resync:') > resyncs, 30),
          'broker back: resynced')
    check(wait(lambda: (agent() or {}).get('alive'), 60),
          'broker back: alive for Neutron')


if __name__ == '__main__':
    sys.exit(main())
