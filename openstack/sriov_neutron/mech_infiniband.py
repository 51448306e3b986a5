# SPDX-License-Identifier: MIT
"""ML2 mechanism driver for InfiniBand VF ports served by sriovd.

sriovd is the host's SR-IOV agent (agent type "NIC Switch agent", the one
the stock sriovnicswitch driver binds Ethernet ports for). It reports its
Ethernet physnets as configurations.device_mappings and its InfiniBand ones
as configurations.infiniband_mappings, so each physnet has one driver:

- sriovnicswitch binds direct and macvtap ports on device_mappings (hw_veb);
- this driver binds direct ports on infiniband_mappings, vif type
  ib_hostdev (Nova then plugs the VF through ebrctl, which sriovd serves),
  on VLAN segments only: the segmentation id is the partition's P-key.

The P-key of a segment (docs/neutron.md): segmentation id N is P-key N,
the VF a full member (0x8000 | N). Every VLAN id is such a P-key; what an
InfiniBand network is refused when it is created (or its segment changed):
a flat segment (it would be the default partition, every tenant's), a
segmentation id outside 1..0x7ffe, and the P-keys the fabric keeps for
itself ([sriov_infiniband] reserved_pkeys).

Besides, for every port of a sriovd host: what sriovd refused (its report's
configurations.port_errors, port id -> why) sets the port's status to
ERROR, which Nova hears as a failed network-vif-plugged.
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib.callbacks import events
from neutron_lib.callbacks import registry
from neutron_lib.callbacks import resources
from neutron_lib import constants
from neutron_lib import exceptions
from neutron_lib.plugins import directory
from neutron_lib.plugins.ml2 import api
from oslo_config import cfg
from oslo_log import log

from neutron.plugins.ml2.drivers import mech_agent

LOG = log.getLogger(__name__)

VIF_TYPE_IB_HOSTDEV = 'ib_hostdev'  # Nova's network_model.VIF_TYPE_IB_HOSTDEV
MAPPINGS = 'infiniband_mappings'  # in sriovd's report
PORT_ERRORS = 'port_errors'
PKEY_MAX = 0x7ffe  # 0x7fff: the default partition
# Nova's network_model.VIF_DETAILS_PHYSICAL_NETWORK
VIF_DETAILS_PHYSICAL_NETWORK = 'physical_network'

OPTS = [
    cfg.ListOpt('physical_networks', default=[],
                help='Physnets that are InfiniBand fabrics, besides those '
                     'a sriovd agent reports (infiniband_mappings): their '
                     'networks are checked when created, before any host '
                     'has reported.'),
    cfg.ListOpt('reserved_pkeys', default=[],
                help='P-keys (0xNNNN) or ranges (0xNNNN-0xNNNN) the fabric '
                     'keeps for itself (storage, management): no network '
                     'may have their segmentation id.'),
]
cfg.CONF.register_opts(OPTS, 'sriov_infiniband')


def list_opts():
    return [('sriov_infiniband', OPTS)]


class InvalidPkeySegment(exceptions.InvalidInput):
    pass


def parse_reserved(values):
    """[(low, high), ...] of the reserved_pkeys option."""
    out = []
    for v in values:
        v = v.strip()
        if not v:
            continue
        lo, _, hi = v.partition('-')
        try:
            lo = int(lo, 16)
            hi = int(hi, 16) if hi else lo
        except ValueError:
            raise ValueError('[sriov_infiniband] reserved_pkeys: invalid '
                             '%r (expected 0xNNNN or 0xNNNN-0xNNNN)' % v)
        lo &= 0x7fff
        hi &= 0x7fff
        if lo > hi:
            raise ValueError('[sriov_infiniband] reserved_pkeys: %r is an '
                             'empty range' % v)
        out.append((lo, hi))
    return out


def pkey_of_segment(segmentation_id, reserved=()):
    """The P-key a VF of the segment gets (full membership), or ValueError."""
    if (not isinstance(segmentation_id, int) or
            not 1 <= segmentation_id <= PKEY_MAX):
        raise ValueError('segmentation id %s is no P-key (an InfiniBand '
                         'network\'s segmentation id is its P-key, 1..%d; '
                         '0x7fff is the default partition\'s)'
                         % (segmentation_id, PKEY_MAX))
    for lo, hi in reserved:
        if lo <= segmentation_id <= hi:
            raise ValueError('segmentation id %d is P-key 0x%04x, which '
                             '[sriov_infiniband] reserved_pkeys keeps for '
                             'the fabric' % (segmentation_id,
                                             segmentation_id))
    return 0x8000 | segmentation_id


class InfiniBandMechanismDriver(mech_agent.SimpleAgentMechanismDriverBase):
    """Binds direct ports on the InfiniBand physnets of sriovd hosts."""

    def __init__(self):
        super().__init__(constants.AGENT_TYPE_NIC_SWITCH,
                         VIF_TYPE_IB_HOSTDEV,
                         {portbindings.CAP_PORT_FILTER: False},
                         supported_vnic_types=[portbindings.VNIC_DIRECT])
        self.reserved = parse_reserved(
            cfg.CONF.sriov_infiniband.reserved_pkeys)

    def initialize(self):
        for event in (events.AFTER_CREATE, events.AFTER_UPDATE):
            registry.subscribe(self._agent_reported, resources.AGENT, event)

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def get_allowed_network_types(self, agent=None):
        return (constants.TYPE_VLAN,)

    def get_mappings(self, agent):
        return agent['configurations'].get(MAPPINGS, {})

    def get_standard_device_mappings(self, agent):
        return self.get_mappings(agent)

    def get_vif_details(self, context, agent, segment):
        details = dict(self.vif_details)
        # Nova's ib_hostdev plug passes it to ebrctl as the fabric
        details[VIF_DETAILS_PHYSICAL_NETWORK] = segment[api.PHYSICAL_NETWORK]
        details['pkey'] = '0x%04x' % pkey_of_segment(
            segment[api.SEGMENTATION_ID], self.reserved)
        return details

    def try_to_bind_segment_for_agent(self, context, segment, agent):
        if not self.check_segment_for_agent(segment, agent):
            return False
        try:
            details = self.get_vif_details(context, agent, segment)
        except ValueError as e:
            LOG.warning('Port %s not bound on segment %s: %s',
                        context.current['id'], segment[api.ID], e)
            return False
        context.set_binding(segment[api.ID], self.vif_type, details,
                            constants.PORT_STATUS_DOWN)
        return True

    # -- the networks of InfiniBand physnets --

    def _ib_physnets(self, plugin_context):
        physnets = set(cfg.CONF.sriov_infiniband.physical_networks)
        plugin = directory.get_plugin()
        if plugin is not None and hasattr(plugin, 'get_agents'):
            agents = plugin.get_agents(
                plugin_context,
                filters={'agent_type': [constants.AGENT_TYPE_NIC_SWITCH]})
            for agent in agents:
                physnets.update(self.get_mappings(agent))
        return physnets

    def _check_segments(self, context):
        ib = None
        for seg in context.network_segments:
            physnet = seg.get(api.PHYSICAL_NETWORK)
            if not physnet:
                continue
            if ib is None:
                ib = self._ib_physnets(context._plugin_context)
            if physnet not in ib:
                continue
            ntype = seg.get(api.NETWORK_TYPE)
            if ntype != constants.TYPE_VLAN:
                raise InvalidPkeySegment(error_message=(
                    'physnet %s is InfiniBand: its networks are vlan, the '
                    'segmentation id being the P-key (%s would be the '
                    'default partition)' % (physnet, ntype)))
            try:
                pkey_of_segment(seg.get(api.SEGMENTATION_ID), self.reserved)
            except ValueError as e:
                raise InvalidPkeySegment(error_message=(
                    'physnet %s is InfiniBand: %s' % (physnet, e)))

    def create_network_precommit(self, context):
        self._check_segments(context)

    def update_network_precommit(self, context):
        self._check_segments(context)

    # -- sriovd's refusals as port status --

    def _agent_reported(self, resource, event, trigger, payload):
        state = payload.desired_state or {}
        if state.get('agent_type') != constants.AGENT_TYPE_NIC_SWITCH:
            return
        errors = (state.get('configurations') or {}).get(PORT_ERRORS)
        if not errors or not isinstance(errors, dict):
            return
        host = state.get('host')
        plugin = directory.get_plugin()
        ctx = payload.context
        for port_id, why in errors.items():
            try:
                port = plugin.get_port(ctx, port_id)
            except exceptions.PortNotFound:
                continue
            if (port.get(portbindings.HOST_ID) != host or
                    port['status'] == constants.PORT_STATUS_ERROR):
                continue
            LOG.warning('sriovd on %s refused port %s: %s', host, port_id,
                        why)
            plugin.update_port_status(ctx, port_id,
                                      constants.PORT_STATUS_ERROR, host)
