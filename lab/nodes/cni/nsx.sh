#!/usr/bin/env bash
# VMware NSX (NCP) host set-up, run inside a lab node by nodes.sh (bash -s).
# Lays out what seeds 000 and 004 touch on a node:
#  - /lib/modules/$(uname -r)/weak-updates/openvswitch/*.ko   the NSX-OVS kernel modules
#  - /lib/modules/$(uname -r)/nsx/usr-ovs-kmod-backup/*.ko + INFO   upstream modules NSX saved
#    The .ko files are ELF objects with a real .modinfo section (modinfo reads them) and no
#    code: this kernel has no module support, so nothing could load them anyway.
#  - /etc/openvswitch/conf.db (the running OVS's DB, the host-original-ovs-db mount source),
#    /etc/apparmor.d, /etc/cni/net.d with a pre-existing loopback, /opt/cni/bin.
# Idempotent: existing files are left as they are (a role may have switched them).
set -euo pipefail
R=$(uname -r)
M=/lib/modules/$R
# SIMULATED nsx-ncp-bootstrap kernel-module install (seed 000's "the bootstrap container installs
# NSX-OVS"): /usr/local/lib/cni-ovs-lab/nsx-bootstrap, copied here by nodes.sh from
# lab/nodes/pod-images/nsx/nsx-bootstrap (its header says what it does). Under KWOK the bootstrap
# init container never runs, so the unit below runs it at every boot; with real kubelets
# (DAEMONS_IN_PODS=1) the nsx-ncp-bootstrap pod runs it and the unit stays off (its condition).
test -x /usr/local/lib/cni-ovs-lab/nsx-bootstrap
cat > /etc/systemd/system/cni-ovs-lab-nsx-bootstrap.service <<'UNIT'
# SIMULATED nsx-ncp-bootstrap kernel-module install at boot (lab/nodes/cni/nsx.sh).
[Unit]
Description=SIMULATED nsx-ncp-bootstrap: NSX-OVS kernel modules when use_nsx_ovs_kernel_module = True
ConditionPathExists=/etc/kubernetes/kubelet.conf
# LAB_KUBELET=real: the nsx-ncp-bootstrap pod does it (lab/nodes/nodes.sh writes this marker)
ConditionPathExists=!/etc/cni-ovs-lab/ovs-in-pods
After=network-online.target
Before=kubelet.service

[Service]
Type=oneshot
ExecStart=/usr/local/lib/cni-ovs-lab/nsx-bootstrap boot

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sf ../cni-ovs-lab-nsx-bootstrap.service /etc/systemd/system/multi-user.target.wants/cni-ovs-lab-nsx-bootstrap.service
if [ "${DAEMONS_IN_PODS:-0}" = 1 ]; then
  # LAB_KUBELET=real: Open vSwitch runs in the nsx-ovs container of this node's nsx-node-agent
  # pod; nodes.sh waited for it before running this script.
  # The nsx-ncp-bootstrap pod installed NSX-OVS (the ConfigMap starts with True) before the
  # rollouts nodes.sh waited for were complete.
  test -d "$M/nsx" || { echo "$(hostname): the nsx-ncp-bootstrap pod did not install NSX-OVS in $M" >&2; exit 1; }
  touch "$M/.cni-ovs-lab-nsx"
fi
# The lab's starting layout: NSX-OVS installed (the ConfigMap starts with True). Only once per node:
# a role may have switched the node since.
if [ ! -e "$M/.cni-ovs-lab-nsx" ]; then
  /usr/local/lib/cni-ovs-lab/nsx-bootstrap install
  touch "$M/.cni-ovs-lab-nsx"
fi
# SIMULATED grubby (RHEL's boot loader tool; seed 000's kernel step): the lab's nodes share the
# host's kernel and have no boot loader. The stand-in keeps the default entry in
# /boot/.cni-ovs-lab-grubby-default, refuses a kernel image that does not exist (as grubby does)
# and logs every --set-default with the boot id it ran in to /var/log/cni-ovs-lab-grubby.log.
# /boot/vmlinuz-<running release> is an empty stand-in for the kernel image.
mkdir -p /boot
[ -e "/boot/vmlinuz-$R" ] || : > "/boot/vmlinuz-$R"
[ -e /boot/.cni-ovs-lab-grubby-default ] || echo "/boot/vmlinuz-$R" > /boot/.cni-ovs-lab-grubby-default
cat > /usr/local/sbin/grubby <<'GRUBBY'
#!/bin/sh
# SIMULATED grubby: lab stand-in written by lab/nodes/cni/nsx.sh (no boot loader in a lab node).
f=/boot/.cni-ovs-lab-grubby-default
case "$1" in
  --default-kernel) cat "$f" ;;
  --set-default|--set-default=*)
    k=${1#--set-default}; k=${k#=}; [ -n "$k" ] || k=$2
    [ -f "$k" ] || { echo "The param $k is incorrect" >&2; exit 1; }
    echo "$k" > "$f.tmp" && mv "$f.tmp" "$f"
    echo "$(cat /proc/sys/kernel/random/boot_id) set-default $k" >> /var/log/cni-ovs-lab-grubby.log ;;
  *) echo "grubby (lab stand-in): unsupported arguments: $*" >&2; exit 64 ;;
esac
GRUBBY
chmod 0755 /usr/local/sbin/grubby
# OVS DB at the default path (the running ovsdb-server's file).
test -s /etc/openvswitch/conf.db
mkdir -p /etc/apparmor.d /etc/cni/net.d /opt/cni/bin /var/log/nsx-ujo
[ -e /etc/cni/net.d/99-loopback.conf ] || cat > /etc/cni/net.d/99-loopback.conf <<'CONF'
{"cniVersion": "0.3.1", "name": "lo", "type": "loopback"}
CONF
# SIMULATED nsx-ncp-bootstrap: under KWOK the bootstrap container does not run, so the files it
# installs on the host (seed 004) are laid out here: the CNI plugin, 10-nsx.conflist with its
# nsxBuildVersion, and the ncp-apparmor profile file. Its move of IPs/routes between br-int and
# node-if is not simulated (the node's address stays on eth0, the uplink).
NSX_BUILD_VERSION=${NSX_BUILD_VERSION:-4.1.2.23315412}
# First, as the bootstrap container does, the NSX CNI an earlier release installed as a package
# leaves the package database (dpkg --purge removes the files it owns; they are laid out below).
if dpkg-query -W -f='${db:Status-Status}' nsx-cni 2>/dev/null | grep -qx installed; then
  echo "$(hostname): removing the package-installed NSX CNI (nsx-cni), as nsx-ncp-bootstrap does"
  dpkg --purge nsx-cni >/dev/null
  mkdir -p /etc/cni/net.d /opt/cni/bin  # dpkg removes the directories it created once empty
fi
if [ ! -e /opt/cni/bin/nsx ]; then
  printf '#!/bin/sh\n# lab stand-in for the NSX CNI plugin (simulated nsx-ncp-bootstrap)\necho "{\\"cniVersion\\": \\"0.4.0\\"}"\n' > /opt/cni/bin/nsx
  chmod 0755 /opt/cni/bin/nsx
fi
[ -e /etc/cni/net.d/10-nsx.conflist ] || cat > /etc/cni/net.d/10-nsx.conflist <<CONF
{"cniVersion": "0.4.0", "name": "nsx-cni", "nsxBuildVersion": "$NSX_BUILD_VERSION",
 "plugins": [{"type": "nsx", "nsxBuildVersion": "$NSX_BUILD_VERSION"}]}
CONF
[ -e /etc/apparmor.d/ncp-apparmor ] || cat > /etc/apparmor.d/ncp-apparmor <<'PROFILE'
# lab stand-in for NCP's ncp-apparmor (simulated nsx-ncp-bootstrap; this kernel has no AppArmor)
profile node-agent-apparmor flags=(attach_disconnected,mediate_deleted) {
  mount,
  umount,
}
PROFILE
ovs-vsctl --timeout=10 set open_vswitch . external_ids:nsx-node=true "external_ids:hostname=$(hostname)"
# The NSX uplink (ncp.ini ovs_uplink_port = eth1): a second interface that nothing in the lab
# configures. Podman gives a node only eth0 (and sets its address at every start), and this kernel
# has no dummy driver, so eth1 is one end of a veth pair (peer eth1-peer). A lab node's reboot keeps
# the container's network namespace (a real reboot loses every runtime address and route), so the
# pair is deleted and made anew, empty, at every boot before networking.service: an address or route
# on eth1 survives a reboot only when the node's own network stack (ifupdown,
# /etc/network/interfaces) re-applies it, which is what seed 004 must persist. Its MAC address stays
# the one it got first (/etc/cni-ovs-lab/eth1.mac), as a real NIC's does: a NetworkManager profile
# the role writes is bound to it.
cat > /etc/systemd/system/cni-ovs-lab-uplink.service <<'UNIT'
# lab/nodes/cni/nsx.sh: the NSX uplink eth1 (veth, peer eth1-peer), made anew without any address
# or route at every boot (as a real reboot leaves an interface).
[Unit]
Description=lab NSX uplink eth1 (a veth re-created empty at boot)
DefaultDependencies=no
Before=network-pre.target networking.service
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip link del eth1 2>/dev/null; mac=$$(cat /etc/cni-ovs-lab/eth1.mac 2>/dev/null); ip link add eth1 $${mac:+address $$mac} type veth peer name eth1-peer && ip link set eth1-peer up'

[Install]
WantedBy=sysinit.target
UNIT
mkdir -p /etc/systemd/system/sysinit.target.wants
ln -sf ../cni-ovs-lab-uplink.service /etc/systemd/system/sysinit.target.wants/cni-ovs-lab-uplink.service
# systemd-networkd (netplan's renderer) waits for udev to initialise a link: udev runs on nsx nodes
# (masked in the image; its default link policy stays masked there, lab/nodes/image/Containerfile).
systemctl unmask systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-udev-trigger.service >/dev/null 2>&1
systemctl start systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-udevd.service
ip link show eth1 >/dev/null 2>&1 || ip link add eth1 type veth peer name eth1-peer
ip link set eth1-peer up
mkdir -p /etc/cni-ovs-lab
[ -s /etc/cni-ovs-lab/eth1.mac ] || cat /sys/class/net/eth1/address > /etc/cni-ovs-lab/eth1.mac
nsx_kos=("$M"/weak-updates/openvswitch/*.ko) up_kos=("$M"/nsx/usr-ovs-kmod-backup/*.ko)
echo "$(hostname): nsx layout in $M (${#nsx_kos[@]} NSX-OVS modules, ${#up_kos[@]} upstream modules backed up)"
