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
# NSX-OVS"). Under KWOK the bootstrap init container never runs, so this script does on the node
# what it does to the module tree when use_nsx_ovs_kernel_module = True: the upstream OVS modules
# (the kernel's own, kernel/net/openvswitch, or what a switch put in weak-updates/openvswitch)
# are moved aside into nsx/usr-ovs-kmod-backup with an INFO file naming each one's original
# path (the "<file> <original path>" format cni.ovs.ovs_kmod_swap assumes, docs/nsx_kmod_switch.md),
# the NSX-OVS build goes into weak-updates/openvswitch, depmod. The .ko files are ELF objects with
# a real .modinfo section (modinfo reads them) and no code: this kernel has no module support.
#   nsx-bootstrap install   do it now (the lab's starting layout; Molecule prepare)
#   nsx-bootstrap boot      at every boot (unit cni-ovs-lab-nsx-bootstrap, before kubelet): read
#                           use_nsx_ovs_kernel_module from the ConfigMap nsx-system/nsx-node-agent-config
#                           through the node's kubeconfig; install when it is True. A file
#                           /etc/cni-ovs-lab/nsx-bootstrap.disabled makes it a bootstrap that
#                           fails to install (tests of the role's module-origin check).
mkdir -p /usr/local/lib/cni-ovs-lab /etc/cni-ovs-lab
cat > /usr/local/lib/cni-ovs-lab/nsx-bootstrap <<'BOOTSTRAP'
#!/bin/bash
# SIMULATED nsx-ncp-bootstrap kernel-module install: written by lab/nodes/cni/nsx.sh (see there).
set -euo pipefail
R=$(uname -r); M=/lib/modules/$R
w=$M/weak-updates/openvswitch b=$M/nsx/usr-ovs-kmod-backup k=$M/kernel/net/openvswitch
NSX_OVS_VERSION=${NSX_OVS_VERSION:-2.17.6.nsx.22917520}
VERMAGIC="$R SMP preempt mod_unload modversions"
say() { echo "nsx-bootstrap (SIMULATED): $*"; }
mk() {  # mk FILE NAME VERSION DESCRIPTION [key=value...]
  local f=$1 n=$2 v=$3 d=$4; shift 4
  /usr/local/lib/cni-ovs-lab/mkko "$f.tmp" "name=$n" ${v:+"version=$v"} "description=$d" license=GPL \
    "vermagic=$VERMAGIC" retpoline=Y "$@"
  chmod 0644 "$f.tmp" && mv -f "$f.tmp" "$f"
}
wanted() {  # prints True/False: use_nsx_ovs_kernel_module of the ConfigMap, read with the node's kubeconfig
  python3 - <<'PY'
import base64, json, os, re, ssl, sys, tempfile, time, urllib.error, urllib.request
import yaml
cfg = yaml.safe_load(open("/etc/kubernetes/kubelet.conf"))
cluster, user = cfg["clusters"][0]["cluster"], cfg["users"][0]["user"]
ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
with tempfile.TemporaryDirectory() as d:
    for key in ("client-certificate-data", "client-key-data"):
        with open(os.open(os.path.join(d, key), os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(base64.b64decode(user[key]))
    ctx.load_cert_chain(os.path.join(d, "client-certificate-data"), os.path.join(d, "client-key-data"))
url = cluster["server"] + "/api/v1/namespaces/nsx-system/configmaps/nsx-node-agent-config"
for attempt in range(30):
    try:
        cm = json.load(urllib.request.urlopen(url, context=ctx, timeout=5))
        break
    except urllib.error.HTTPError as exc:  # an answer: no such ConfigMap (yet), or not allowed
        sys.exit("cannot read %s: %s" % (url, exc))
    except OSError as exc:  # the API server may come up after the node
        err = exc
        time.sleep(2)
else:
    sys.exit("cannot read %s: %s" % (url, err))
m = re.search(r"(?m)^\s*use_nsx_ovs_kernel_module\s*=\s*(\S+)", cm["data"].get("ncp.ini", ""))
print(m.group(1) if m else "False")
PY
}
install() {
  if [ -d "$M/nsx" ]; then say "NSX-OVS already installed in $M (nsx/ exists)"; return 0; fi
  mkdir -p "$w" "$b" "$k" /etc/depmod.d
  # The kernel's own (in-tree) OVS modules, as the kernel package ships them; no lisp/stt upstream.
  local v f
  for v in openvswitch vport-geneve vport-gre vport-vxlan; do
    [ -e "$k/$v.ko" ] || [ -e "$w/$v.ko" ] || case $v in
      openvswitch) mk "$k/$v.ko" openvswitch "" "Open vSwitch switching datapath" intree=Y depends=nf_conntrack,nf_nat,libcrc32c ;;
      *) mk "$k/$v.ko" "${v/-/_}" "" "OVS: ${v#vport-} switching port" intree=Y depends=openvswitch ;;
    esac
  done
  # Move the upstream files aside, recording where each came from.
  { echo "# Upstream OVS kernel modules moved aside by nsx-ncp-bootstrap (SIMULATED, lab): <file> <original path>"
    for f in "$k"/*.ko "$w"/*.ko; do
      [ -e "$f" ] || continue
      mv -f "$f" "$b/"
      echo "$(basename "$f") $f"
    done; } > "$b/INFO.tmp"
  mv -f "$b/INFO.tmp" "$b/INFO"; chmod 0644 "$b/INFO"
  mk "$w/openvswitch.ko" openvswitch "$NSX_OVS_VERSION" "Open vSwitch switching datapath (NSX-OVS)" \
    depends=nf_conntrack,nf_nat,nf_defrag_ipv6,libcrc32c author=VMware
  for v in geneve gre lisp stt vxlan; do
    mk "$w/vport-$v.ko" "vport_$v" "$NSX_OVS_VERSION" "OVS: $v switching port (NSX-OVS)" depends=openvswitch author=VMware
  done
  # Which file of a module name wins is depmod's choice (depmod.d(5)): the backed-up upstream copies
  # under nsx/ would tie with the NSX-OVS files. The lab's bootstrap therefore says it, as a
  # depmod.d override (an assumption of the lab, like the INFO layout).
  { echo "# written by nsx-ncp-bootstrap (SIMULATED, lab): the NSX-OVS build wins over other copies"
    for v in openvswitch vport-geneve vport-gre vport-lisp vport-stt vport-vxlan; do  # file names (depmod matches them)
      echo "override $v * weak-updates/openvswitch"
    done; } > /etc/depmod.d/nsx-ovs.conf
  depmod "$R"
  say "installed NSX-OVS $NSX_OVS_VERSION in $w; upstream modules in $b (INFO)"
}
case ${1:-} in
  install) install ;;
  boot)
    if [ -e /etc/cni-ovs-lab/nsx-bootstrap.disabled ]; then
      say "disabled by /etc/cni-ovs-lab/nsx-bootstrap.disabled: plays a bootstrap that failed to install NSX-OVS"; exit 0
    fi
    want=$(wanted)
    if [ "$want" = True ]; then install; else say "use_nsx_ovs_kernel_module = $want: NSX-OVS not installed"; fi ;;
  *) echo "usage: $0 install|boot" >&2; exit 64 ;;
esac
BOOTSTRAP
chmod 0755 /usr/local/lib/cni-ovs-lab/nsx-bootstrap
cat > /etc/systemd/system/cni-ovs-lab-nsx-bootstrap.service <<'UNIT'
# SIMULATED nsx-ncp-bootstrap kernel-module install at boot (lab/nodes/cni/nsx.sh).
[Unit]
Description=SIMULATED nsx-ncp-bootstrap: NSX-OVS kernel modules when use_nsx_ovs_kernel_module = True
ConditionPathExists=/etc/kubernetes/kubelet.conf
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
