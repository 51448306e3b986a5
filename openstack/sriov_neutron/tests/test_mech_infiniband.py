# SPDX-License-Identifier: MIT
"""The sriov_infiniband driver on Neutron's own fake ML2 contexts.

The fakes and the binding checks are neutron's (neutron.tests.unit.plugins.
ml2._test_mech_agent, as the stock sriovnicswitch driver's tests use them);
the stock driver itself is run on the same agents to show that each physnet
has exactly one driver.
"""
from unittest import mock

from neutron_lib.api.definitions import portbindings
from neutron_lib.callbacks import events
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api
from oslo_config import cfg

from neutron.plugins.ml2.drivers.mech_sriov.mech_driver import mech_driver
from neutron.tests.unit.plugins.ml2 import _test_mech_agent as base

from sriov_neutron import mech_infiniband as ib

AGENT_CONF = {'device_mappings': {'physnet1': ['eth0']},
              'infiniband_mappings': {'ibnet': ['ib0']}}


def agents(alive=True):
    return [{'alive': alive, 'configurations': AGENT_CONF,
             'host': 'host', 'agent_type': constants.AGENT_TYPE_NIC_SWITCH}]


def segment(seg_id, ntype, physnet, segid):
    return {api.ID: seg_id, api.NETWORK_TYPE: ntype,
            api.PHYSICAL_NETWORK: physnet, api.SEGMENTATION_ID: segid,
            'network_id': base.NETWORK_ID}


IB_VLAN = segment('ib_vlan', 'vlan', 'ibnet', 100)
IB_FLAT = segment('ib_flat', 'flat', 'ibnet', None)
ETH_VLAN = segment('eth_vlan', 'vlan', 'physnet1', 100)


class Context(base.FakePortContext):
    def set_binding(self, segment_id, vif_type, vif_details, state=None):
        self._bound_segment_id = segment_id
        self._bound_vif_type = vif_type
        self._bound_vif_details = vif_details
        self._bound_state = state


class TestBinding(base.AgentMechanismBaseTestCase):
    def setUp(self):
        super().setUp()
        self.driver = ib.InfiniBandMechanismDriver()
        self.driver.initialize()
        self.stock = mech_driver.SriovNicSwitchMechanismDriver()
        self.stock.initialize()

    def bind(self, driver, segments, vnic=portbindings.VNIC_DIRECT,
             alive=True):
        ctx = Context(constants.AGENT_TYPE_NIC_SWITCH, agents(alive),
                      segments, vnic_type=vnic,
                      profile={'pci_slot': 'ib0:vf0'})
        driver.bind_port(ctx)
        return ctx

    def test_ib_vlan_bound_as_ib_hostdev(self):
        ctx = self.bind(self.driver, [IB_VLAN])
        self.assertEqual('ib_vlan', ctx._bound_segment_id)
        self.assertEqual('ib_hostdev', ctx._bound_vif_type)
        self.assertEqual(constants.PORT_STATUS_DOWN, ctx._bound_state)
        self.assertEqual('0x8064', ctx._bound_vif_details['pkey'])
        self.assertEqual('ibnet',
                         ctx._bound_vif_details['physical_network'])
        self.assertFalse(ctx._bound_vif_details[
            portbindings.CAP_PORT_FILTER])

    def test_first_ib_segment_of_several(self):
        ctx = self.bind(self.driver, [ETH_VLAN, IB_FLAT, IB_VLAN])
        self.assertEqual('ib_vlan', ctx._bound_segment_id)

    def test_not_bound(self):
        for segs, vnic, alive in (
                ([IB_FLAT], portbindings.VNIC_DIRECT, True),
                ([ETH_VLAN], portbindings.VNIC_DIRECT, True),
                ([IB_VLAN], portbindings.VNIC_MACVTAP, True),
                ([IB_VLAN], portbindings.VNIC_DIRECT_PHYSICAL, True),
                ([IB_VLAN], portbindings.VNIC_NORMAL, True),
                ([IB_VLAN], portbindings.VNIC_DIRECT, False)):
            ctx = self.bind(self.driver, segs, vnic, alive)
            self.assertIsNone(ctx._bound_vif_type, (segs, vnic, alive))

    def test_reserved_pkey_not_bound(self):
        cfg.CONF.set_override('reserved_pkeys', ['0x0064'],
                              'sriov_infiniband')
        driver = ib.InfiniBandMechanismDriver()
        ctx = self.bind(driver, [IB_VLAN])
        self.assertIsNone(ctx._bound_vif_type)

    def test_one_driver_per_physnet(self):
        # the stock driver binds the Ethernet physnet only
        ctx = self.bind(self.stock, [IB_VLAN])
        self.assertIsNone(ctx._bound_vif_type)
        ctx = self.bind(self.stock, [ETH_VLAN])
        self.assertEqual(portbindings.VIF_TYPE_HW_VEB, ctx._bound_vif_type)
        ctx = self.bind(self.driver, [ETH_VLAN])
        self.assertIsNone(ctx._bound_vif_type)


class NetContext(base.FakeNetworkContext):
    _plugin_context = None


class TestNetworks(base.AgentMechanismBaseTestCase):
    def setUp(self):
        super().setUp()
        cfg.CONF.set_override('physical_networks', ['ibnet'],
                              'sriov_infiniband')
        cfg.CONF.set_override('reserved_pkeys', ['0x0002', '0x0010-0x001f'],
                              'sriov_infiniband')
        self.driver = ib.InfiniBandMechanismDriver()
        self.plugin = mock.Mock()
        self.plugin.get_agents.return_value = [
            {'configurations': {'infiniband_mappings': {'ibnet2': ['ib1']}},
             'agent_type': constants.AGENT_TYPE_NIC_SWITCH}]
        p = mock.patch('neutron_lib.plugins.directory.get_plugin',
                       return_value=self.plugin)
        p.start()
        self.addCleanup(p.stop)

    def check(self, *segs):
        self.driver.create_network_precommit(NetContext(list(segs)))

    def test_accepted(self):
        self.check(segment('a', 'vlan', 'ibnet', 1))
        self.check(segment('a', 'vlan', 'ibnet', 4094))
        self.check(segment('a', 'vlan', 'ibnet2', 0x0003))
        # not InfiniBand: any segment is someone else's business
        self.check(segment('a', 'flat', 'physnet1', None))
        self.check({api.NETWORK_TYPE: 'vxlan', api.SEGMENTATION_ID: 9})

    def test_refused(self):
        for seg, why in (
                (segment('a', 'flat', 'ibnet', None), 'default partition'),
                (segment('a', 'flat', 'ibnet2', None), 'default partition'),
                (segment('a', 'vlan', 'ibnet', 2), 'reserved_pkeys'),
                (segment('a', 'vlan', 'ibnet2', 0x0017), 'reserved_pkeys'),
                (segment('a', 'vlan', 'ibnet', 0x7fff), 'is no P-key'),
                (segment('a', 'vlan', 'ibnet', 0), 'is no P-key')):
            e = self.assertRaises(ib.InvalidPkeySegment, self.check, seg)
            self.assertIn(why, str(e))
        # the update of a segment is checked as its creation
        self.assertRaises(ib.InvalidPkeySegment,
                          self.driver.update_network_precommit,
                          NetContext([segment('a', 'vlan', 'ibnet', 2)]))

    def test_mapping(self):
        self.assertEqual(0x8001, ib.pkey_of_segment(1))
        self.assertEqual(0x8ffe, ib.pkey_of_segment(4094))
        self.assertEqual(0xfffe, ib.pkey_of_segment(0x7ffe))
        for bad in (0, -1, 0x7fff, 0x8000, None, '5'):
            self.assertRaises(ValueError, ib.pkey_of_segment, bad)
        self.assertRaises(ValueError, ib.parse_reserved, ['0x20-0x10'])
        self.assertRaises(ValueError, ib.parse_reserved, ['zz'])


class TestPortErrors(base.AgentMechanismBaseTestCase):
    def setUp(self):
        super().setUp()
        self.driver = ib.InfiniBandMechanismDriver()
        self.plugin = mock.Mock()
        ports = {
            'p1': {'id': 'p1', 'status': 'DOWN', 'binding:host_id': 'h'},
            'p2': {'id': 'p2', 'status': 'ERROR', 'binding:host_id': 'h'},
            'p3': {'id': 'p3', 'status': 'DOWN', 'binding:host_id': 'x'},
        }

        def get_port(ctx, pid):
            if pid not in ports:
                raise ib.exceptions.PortNotFound(port_id=pid)
            return ports[pid]
        self.plugin.get_port.side_effect = get_port
        p = mock.patch('neutron_lib.plugins.directory.get_plugin',
                       return_value=self.plugin)
        p.start()
        self.addCleanup(p.stop)

    def report(self, state):
        payload = events.DBEventPayload(context='ctx', desired_state=state)
        self.driver._agent_reported('agent', events.AFTER_UPDATE, None,
                                    payload)

    def test_refused_ports_error(self):
        self.report({'agent_type': constants.AGENT_TYPE_NIC_SWITCH,
                     'host': 'h', 'configurations': {'port_errors': {
                         'p1': 'why', 'p2': 'why', 'p3': 'why',
                         'gone': 'why'}}})
        # p1 alone: p2 is ERROR already, p3 is another host's, gone is gone
        self.plugin.update_port_status.assert_called_once_with(
            'ctx', 'p1', constants.PORT_STATUS_ERROR, 'h')

    def test_other_agents_and_no_errors(self):
        self.report({'agent_type': 'Open vSwitch agent', 'host': 'h',
                     'configurations': {'port_errors': {'p1': 'why'}}})
        self.report({'agent_type': constants.AGENT_TYPE_NIC_SWITCH,
                     'host': 'h', 'configurations': {}})
        self.plugin.update_port_status.assert_not_called()
