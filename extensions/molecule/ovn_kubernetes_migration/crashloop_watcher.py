# -*- coding: utf-8 -*-
# Copyright (c) cni.ovs contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A pod that crash-loops after the network change until its node is rebooted (SIMULATED kubelet).

usage: crashloop_watcher.py KUBECONFIG NODE NAMESPACE POD [TIMEOUT_SECONDS]

Seed 001: "if pods on a node are in an error state after the reboot, reboot that node". The
lab's node hosts run KWOK, whose pods never run a container, so a crash loop cannot happen by
itself: this watcher plays the kubelet for one pod. It polls the node host's boot id (podman
exec); at the node's first reboot (the migration's cluster-wide reboot) it writes the pod's
status as a real kubelet reports a crash loop (container waiting, reason CrashLoopBackOff,
restartCount 3, Ready and ContainersReady False); at the node's second reboot (the one the role
does for pods in error) it writes the container running and ready again.  Prints one line per
step; exits 0 after the second reboot, 1 when the node did not reboot twice within the timeout.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import time

from kubernetes import client, config


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read().strip()


# A lab node host shares this machine's kernel: early in its boot, before its
# cni-ovs-lab-boot-id.service bind-mounts a fresh UUID, it shows the kernel's boot id.
KERNEL_BOOT_ID = _read('/proc/sys/kernel/random/boot_id')


def boot_id(node):
    """The node host's boot id, or '' while it cannot be read or is not set yet (rebooting)."""
    res = subprocess.run(['podman', 'exec', node, 'cat', '/proc/sys/kernel/random/boot_id'],
                         capture_output=True, text=True, check=False)
    value = res.stdout.strip() if res.returncode == 0 else ''
    return '' if value == KERNEL_BOOT_ID else value


def status(pod, crashing):
    """The pod status a kubelet writes: the first container crash-looping, or running and ready."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    ready = 'False' if crashing else 'True'
    containers = []
    for c in pod.spec.containers:
        if crashing:
            state = {'waiting': {'reason': 'CrashLoopBackOff',
                                 'message': 'back-off 40s restarting failed container=%s pod=%s' % (c.name, pod.metadata.name)}}
            last = {'terminated': {'exitCode': 1, 'reason': 'Error', 'startedAt': now, 'finishedAt': now}}
        else:
            state, last = {'running': {'startedAt': now}}, {}
        containers.append({'name': c.name, 'image': c.image, 'imageID': '', 'ready': not crashing,
                           'started': not crashing, 'restartCount': 3, 'state': state, 'lastState': last})
    conditions = [{'type': t, 'status': ready, 'lastTransitionTime': now} for t in ('Ready', 'ContainersReady')]
    return {'status': {'phase': 'Running', 'conditions': conditions, 'containerStatuses': containers}}


def main(argv):
    kubeconfig, node, namespace, name = argv[1:5]
    timeout = float(argv[5]) if len(argv) > 5 else 600.0
    api = client.CoreV1Api(api_client=config.new_client_from_config(config_file=kubeconfig))
    seen = [boot_id(node)]
    if not seen[0]:
        print('cannot read the boot id of %s' % node, file=sys.stderr)
        return 1
    print('watching %s (boot %s), pod %s/%s' % (node, seen[0], namespace, name), flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = boot_id(node)
        if now and now != seen[-1]:
            seen.append(now)
            crashing = len(seen) == 2
            for attempt in range(1, 51):  # the API server may be slow right after the node came back
                try:
                    pod = api.read_namespaced_pod(name, namespace)
                    api.patch_namespaced_pod_status(name, namespace, status(pod, crashing))
                    break
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    print('status write, attempt %d of 50: %s' % (attempt, exc), file=sys.stderr)
                    time.sleep(0.5)
            else:
                print('could not write the status of %s/%s' % (namespace, name), file=sys.stderr)
                return 1
            if crashing:
                print('reboot 1 of %s (boot %s): %s/%s crash-looping (CrashLoopBackOff)' % (node, now, namespace, name), flush=True)
            else:
                print('reboot 2 of %s (boot %s): %s/%s running and ready again' % (node, now, namespace, name), flush=True)
                return 0
        time.sleep(0.2)
    print('%s rebooted %d time(s) within %.0f s, expected 2' % (node, len(seen) - 1, timeout), file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
