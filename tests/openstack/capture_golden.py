#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Record what a real neutron-server says to an SR-IOV agent, for unit.neutron.

    tests/openstack/services start DIR
    . DIR/env; /usr/bin/python3 -I tests/openstack/capture_golden.py "$RPC_URL" "$NEUTRON_API" tests/openstack/golden

Plays the agent with oslo.messaging itself (report_state, then the calls
sriovd makes) against networks and ports it creates through the REST API,
and writes each answer, cast and push as it came, one JSON file each:
details-*.json (get_devices_details_list entries), policy.json (pull of a
QosPolicy), by-host.json (get_ports_by_vnic_type_and_host), push-port.json
and push-port-deleted.json (Port versioned objects), cast-port-update.json.
"""
import json
import os
import sys
import time
import urllib.request

import kombu
from oslo_config import cfg
import oslo_messaging as om

URL, API, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
HOST = 'goldenhost'
cfg.CONF([], project='sriov-golden')
om.set_transport_defaults(control_exchange='neutron')
TR = om.get_rpc_transport(cfg.CONF, url=URL)
CTX = {'is_admin': True, 'user_id': None, 'project_id': None}


def client(topic, version):
    return om.get_rpc_client(TR, om.Target(topic=topic, version=version),
                             timeout=30)


def rest(method, path, body=None):
    req = urllib.request.Request(
        API + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req) as r:
        data = r.read()
    return json.loads(data) if data else {}


def save(name, obj):
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write('\n')


conn = kombu.Connection(URL.replace('rabbit:', 'amqp:'))
ch = conn.channel()
got = []
queues = []
for t in ('q-agent-notifier-port-update', 'neutron-vo-Port-1.7'):
    ex = kombu.Exchange(t + '_fanout', type='fanout', durable=False,
                        auto_delete=True)
    q = kombu.Queue('golden_' + t, exchange=ex, channel=ch, auto_delete=True)
    q.declare()
    queues.append(q)


def on_msg(body, msg):
    got.append((msg.delivery_info.get('exchange'),
                json.loads(body['oslo.message'])))
    msg.ack()


consumer = kombu.Consumer(ch, queues=queues, callbacks=[on_msg],
                          accept=['json'])
consumer.consume()


def drain(t=2.0):
    end = time.time() + t
    while time.time() < end:
        try:
            conn.drain_events(timeout=0.3)
        except Exception:
            pass


state = {'binary': 'golden', 'host': HOST, 'topic': 'N/A',
         'agent_type': 'NIC Switch agent', 'start_flag': True,
         'configurations': {'device_mappings': {'physnet1': ['eth0']},
                            'infiniband_mappings': {'ibnet': ['ib0']}},
         'resource_versions': {'Port': '1.7', 'QosPolicy': '1.10'}}


def report():
    # alive for the binding: the services' agent_down_time is 4 s
    client('q-reports-plugin', '1.2').cast(
        CTX, 'report_state', agent_state={'agent_state': state},
        time=time.strftime('%Y-%m-%dT%H:%M:%S.000000', time.gmtime()))
    time.sleep(0.5)


report()

pol = rest('POST', '/v2.0/qos/policies', {'policy': {'name': 'golden'}})
pid = pol['policy']['id']
for kind, rule in (('bandwidth_limit_rules', {'bandwidth_limit_rule': {
        'max_kbps': 20500, 'max_burst_kbps': 0, 'direction': 'egress'}}),
                   ('minimum_bandwidth_rules', {'minimum_bandwidth_rule': {
                       'min_kbps': 3500, 'direction': 'egress'}}),
                   # placement's alone: no VF setting
                   ('minimum_bandwidth_rules', {'minimum_bandwidth_rule': {
                       'min_kbps': 1000, 'direction': 'ingress'}})):
    rest('POST', '/v2.0/qos/policies/%s/%s' % (pid, kind), rule)
nets = {
    'vlan': {'provider:network_type': 'vlan',
             'provider:physical_network': 'physnet1',
             'provider:segmentation_id': 160},
    'flat': {'provider:network_type': 'flat',
             'provider:physical_network': 'physnet1'},
    'ib': {'provider:network_type': 'vlan',
           'provider:physical_network': 'ibnet',
           'provider:segmentation_id': 100},
}
ports = {}
net_ids = {}
# (port, network): the macvtap port is on the vlan network
for name, netname in (('vlan', 'vlan'), ('flat', 'flat'), ('ib', 'ib'),
                      ('macvtap', 'vlan')):
    net = nets[netname]
    if netname not in net_ids:
        net_ids[netname] = rest('POST', '/v2.0/networks', {
            'network': dict(net, name=netname)})['network']['id']
    body = {'network_id': net_ids[netname],
            'binding:vnic_type': 'macvtap' if name == 'macvtap' else 'direct'}
    if name == 'vlan':
        body.update(qos_policy_id=pid, port_security_enabled=False,
                        security_groups=[])
    if name == 'flat':
        body.update(admin_state_up=False)
    p = rest('POST', '/v2.0/ports', {'port': body})['port']
    drain(0.5)
    got.clear()
    profile = {'pci_slot': '0000:41:00.%d' % (len(ports) + 1),
               'physical_network': net['provider:physical_network'],
               'pci_vendor_info': '15b3:1004'}
    if name == 'vlan':
        profile['trusted'] = True
    report()
    rest('PUT', '/v2.0/ports/' + p['id'], {'port': {
        'binding:host_id': HOST, 'binding:profile': profile}})
    drain()
    ports[name] = p['id']
    for ex, m in got:
        if name == 'vlan' and ex == 'q-agent-notifier-port-update_fanout':
            save('cast-port-update.json', m)
        if name == 'vlan' and ex == 'neutron-vo-Port-1.7_fanout':
            save('push-port.json', m)

plugin = client('q-plugin', '1.9')
report()
for name, pid_ in ports.items():
    d = plugin.call(CTX, 'get_devices_details_list', devices=[pid_],
                    agent_id='golden', host=HOST)
    save('details-%s.json' % name, d[0])
save('details-unknown.json', plugin.call(
    CTX, 'get_devices_details_list',
    devices=['00000000-0000-4000-8000-000000000000'], agent_id='golden',
    host=HOST)[0])
save('by-host.json', plugin.call(CTX, 'get_ports_by_vnic_type_and_host',
                                 vnic_type='direct', host=HOST))
save('policy.json', client('q-plugin', '1.1').call(
    CTX, 'pull', resource_type='QosPolicy', version='1.10', resource_id=pid))
got.clear()
rest('DELETE', '/v2.0/ports/' + ports['flat'])
drain()
for ex, m in got:
    if ex == 'neutron-vo-Port-1.7_fanout':
        save('push-port-deleted.json', m)
print('golden: wrote %d files to %s' % (len(os.listdir(OUT)), OUT))
