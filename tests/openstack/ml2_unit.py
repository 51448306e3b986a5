#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""openstack.ml2: our ML2 driver's tests (openstack/sriov_neutron/tests) on
Debian's python3-neutron: its fake ML2 contexts, its stock sriovnicswitch
driver beside ours. Exit 77 (a skip) when neutron cannot be imported,
unless CI or SRIOV_LAB_STRICT=1 is set."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'openstack'))
try:
    import neutron.tests.unit.plugins.ml2._test_mech_agent  # noqa: F401
except ImportError as e:
    print('#' * 64, file=sys.stderr)
    print('openstack.ml2: CANNOT RUN: %s' % e, file=sys.stderr)
    print('openstack.ml2: install python3-neutron: '
          'scripts/install-deps openstack', file=sys.stderr)
    print('#' * 64, file=sys.stderr)
    strict = os.environ.get('CI') or os.environ.get('SRIOV_LAB_STRICT') == '1'
    sys.exit(1 if strict else 77)
suite = unittest.defaultTestLoader.loadTestsFromName(
    'sriov_neutron.tests.test_mech_infiniband')
if suite.countTestCases() == 0:
    sys.exit('openstack.ml2: no tests found')
res = unittest.TextTestRunner(verbosity=2).run(suite)
sys.exit(0 if res.wasSuccessful() else 1)
