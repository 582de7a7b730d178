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
NSX_OVS_VERSION=${NSX_OVS_VERSION:-2.17.6.nsx.22917520}
VERMAGIC="$R SMP preempt mod_unload modversions"
mk() {  # mk FILE NAME VERSION DESCRIPTION [key=value...]
  local f=$1 n=$2 v=$3 d=$4; shift 4
  [ -e "$f" ] && return 0
  /usr/local/lib/cni-ovs-lab/mkko "$f" "name=$n" ${v:+"version=$v"} "description=$d" license=GPL \
    "vermagic=$VERMAGIC" retpoline=Y "$@"
}
if [ ! -e "$M/.cni-ovs-lab-nsx" ]; then
  mkdir -p "$M/weak-updates/openvswitch" "$M/nsx/usr-ovs-kmod-backup" "$M/kernel/net/openvswitch"
  w=$M/weak-updates/openvswitch b=$M/nsx/usr-ovs-kmod-backup
  mk "$w/openvswitch.ko" openvswitch "$NSX_OVS_VERSION" "Open vSwitch switching datapath (NSX-OVS)" \
    depends=nf_conntrack,nf_nat,nf_defrag_ipv6,libcrc32c author=VMware
  for v in geneve gre lisp stt vxlan; do
    mk "$w/vport-$v.ko" "vport_$v" "$NSX_OVS_VERSION" "OVS: $v switching port (NSX-OVS)" depends=openvswitch author=VMware
  done
  # Upstream (in-tree) modules the NSX installer moved aside; no lisp/stt upstream.
  mk "$b/openvswitch.ko" openvswitch "" "Open vSwitch switching datapath" intree=Y depends=nf_conntrack,nf_nat,libcrc32c
  for v in geneve gre vxlan; do
    mk "$b/vport-$v.ko" "vport_$v" "" "OVS: $v switching port" intree=Y depends=openvswitch
  done
  cat > "$b/INFO" <<INFO
# Upstream OVS kernel modules moved aside when NSX-OVS was installed (lab layout).
kernel_release=$R
moved_from=$w
files=$(cd "$b" && printf '%s ' ./*.ko | sed 's|\./||g; s/ $//')
nsx_ovs_version=$NSX_OVS_VERSION
INFO
  chmod 0644 "$w"/*.ko "$b"/*.ko "$b/INFO"
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
nsx_kos=("$M"/weak-updates/openvswitch/*.ko) up_kos=("$M"/nsx/usr-ovs-kmod-backup/*.ko)
echo "$(hostname): nsx layout in $M (${#nsx_kos[@]} NSX-OVS modules, ${#up_kos[@]} upstream modules backed up)"
