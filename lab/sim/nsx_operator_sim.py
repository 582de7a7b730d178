# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SIMULATION of the part of VMware's nsx-container-plugin-operator that seed 000 relies on.

With the operator installed, the NCP DaemonSets are rendered from the NcpInstall
(operator.nsx.vmware.com/v1, nsx-system-operator/ncp-install): an edit of a DaemonSet is
reconciled away, and a toleration change must go into the NcpInstall instead (seed 000,
"Tolerations ... In case of the operator, edit NcpInstall").  The real operator cannot run
in the lab (it needs NSX Manager); this loop plays the piece the nsx_kmod_switch role
observes:

  * while NcpInstall nsx-system-operator/ncp-install exists and its spec has
    ``nsx-node-agent.tolerations``, the pod-template tolerations of the DaemonSets
    nsx-system/nsx-node-agent and nsx-system/nsx-ncp-bootstrap are kept equal to them (the
    operator renders that one list, NsxNodeAgentTolerations, into both DaemonSets);
    a DaemonSet edited directly is put back, as the operator reconciles it;
  * without the NcpInstall nothing is done (a cluster installed from the plain YAML).

The CRD is the lab's (lab/manifests/nsx/00-06-*); no NcpInstall exists by default.
Run: python nsx_operator_sim.py --kubeconfig FILE [--interval 1.0] [--once]
"""

from __future__ import annotations

import sys

import simloop  # lab/sim/simloop.py: the loop every lab simulation runs

NAMESPACE, NCPINSTALL_NAMESPACE, NCPINSTALL = "nsx-system", "nsx-system-operator", "ncp-install"
DAEMONSETS = ("nsx-node-agent", "nsx-ncp-bootstrap")
SECTION = "nsx-node-agent"


def desired_tolerations(ncpinstall: dict | None):
    """The tolerations the operator renders into the DaemonSets, or None (leave them alone)."""
    if not ncpinstall:
        return None
    section = (ncpinstall.get("spec") or {}).get(SECTION)
    if not isinstance(section, dict) or "tolerations" not in section:
        return None
    return list(section.get("tolerations") or [])


def needs_patch(daemonset: dict, desired) -> bool:
    """True when the DaemonSet's pod-template tolerations differ from desired (None: never)."""
    if desired is None:
        return False
    spec = ((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}
    return list(spec.get("tolerations") or []) != desired


class Sim:
    def __init__(self, api_client):
        from kubernetes import client, dynamic  # pylint: disable=import-outside-toplevel
        self.apps = client.AppsV1Api(api_client)
        self.dyn = dynamic.DynamicClient(api_client)
        self.api_exception = client.rest.ApiException
        self.res = None

    def _ncpinstall(self):
        if self.res is None:
            try:
                self.res = self.dyn.resources.get(api_version="operator.nsx.vmware.com/v1", kind="NcpInstall")
            except Exception:  # pylint: disable=broad-exception-caught
                return None  # CRD not (yet) there
        try:
            return self.res.get(name=NCPINSTALL, namespace=NCPINSTALL_NAMESPACE).to_dict()
        except self.api_exception as e:
            if e.status == 404:
                return None
            raise

    def step(self) -> list[str]:
        desired = desired_tolerations(self._ncpinstall())
        did = []
        if desired is None:
            return did
        for name in DAEMONSETS:
            try:
                # the API's own (camelCase, no nulls) form, as in the NcpInstall
                ds = self.apps.api_client.sanitize_for_serialization(self.apps.read_namespaced_daemon_set(name, NAMESPACE))
            except self.api_exception as e:
                if e.status == 404:
                    continue
                raise
            if needs_patch(ds, desired):
                body = {"spec": {"template": {"spec": {"tolerations": desired}}}}
                self.apps.patch_namespaced_daemon_set(name, NAMESPACE, body)
                did.append("DaemonSet %s/%s tolerations from NcpInstall %s/%s: %s"
                           % (NAMESPACE, name, NCPINSTALL_NAMESPACE, NCPINSTALL, desired))
        return did


def main(argv: list[str]) -> int:
    return simloop.run(argv, 'nsx_operator_sim.py', 'nsx-operator-sim', "the nsx-container-plugin-operator's NcpInstall tolerations", Sim)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
