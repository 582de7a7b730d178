#!/bin/sh
# Helper for the flow_restore_wait integration target: private OVS daemons.
#   ovs.sh BASE start|stop|start-vswitchd|kill-vswitchd|rich-table|bigger-table|canon|ofports|flag|pid
# Every daemon keeps its state under BASE (run, db, log, etc); nothing touches /var/run/openvswitch.
set -eu
BASE=$1; shift
export OVS_RUNDIR="$BASE/run" OVS_DBDIR="$BASE/db" OVS_LOGDIR="$BASE/log" OVS_SYSCONFDIR="$BASE/etc"
export LANG=C LC_ALL=C
DB=unix:$OVS_RUNDIR/db.sock
CTL=/usr/share/openvswitch/scripts/ovs-ctl
vsctl() { ovs-vsctl --db="$DB" --timeout=20 "$@"; }
of() { br=$1; shift; cmd=$1; shift; ovs-ofctl -O OpenFlow15 --timeout=20 "$cmd" "unix:$OVS_RUNDIR/$br.mgmt" "$@"; }

case $1 in
start)
    mkdir -p "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR" "$OVS_SYSCONFDIR/openvswitch"
    "$CTL" --system-id=random --no-mlockall --no-monitor start >/dev/null 2>&1
    vsctl show >/dev/null ;;
start-vswitchd)
    "$CTL" --no-ovsdb-server --no-mlockall --no-monitor start >/dev/null 2>&1 ;;
restart-vswitchd)
    # Clean exit through the control socket, then a plain start (whatever the flag says).
    pid=$(cat "$OVS_RUNDIR/ovs-vswitchd.pid")
    ovs-appctl -t "$OVS_RUNDIR/ovs-vswitchd.$pid.ctl" --timeout=10 exit
    for _ in $(seq 1000); do [ -e "$OVS_RUNDIR/ovs-vswitchd.pid" ] || break; sleep 0.01; done
    "$CTL" --no-ovsdb-server --no-mlockall --no-monitor start >/dev/null 2>&1 ;;
kill-during-restore)
    # Waits (at most ~30 s) for a vswitchd other than pid $2 whose frw-int already has its
    # meters back (the module adds them just before the flow bundle), then kills it with -9.
    old=$2
    for _ in $(seq 3000); do
        pid=$(cat "$OVS_RUNDIR/ovs-vswitchd.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && [ "$pid" != "$old" ] &&
           ovs-ofctl -O OpenFlow15 --timeout=1 dump-meters "unix:$OVS_RUNDIR/frw-int.mgmt" 2>/dev/null | grep -q '^meter=1 '; then
            kill -9 "$pid"; echo "killed $pid" > "$BASE/killed"; exit 0
        fi
        sleep 0.005
    done
    echo "no new vswitchd with meters seen" > "$BASE/killed" ;;
stop)
    # --cleanup: vswitchd removes its datapath and the tap devices of internal ports.
    for d in ovs-vswitchd ovsdb-server; do
        cleanup=; [ "$d" = ovs-vswitchd ] && cleanup=yes
        [ -e "$OVS_RUNDIR/$d.pid" ] || continue
        pid=$(cat "$OVS_RUNDIR/$d.pid")
        ovs-appctl -t "$OVS_RUNDIR/$d.$pid.ctl" --timeout=10 exit ${cleanup:+--cleanup} 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
    done ;;
pid)
    cat "$OVS_RUNDIR/ovs-vswitchd.pid" 2>/dev/null || echo 0 ;;
flag)
    vsctl --if-exists get Open_vSwitch . other_config:flow-restore-wait ;;
ofports)
    vsctl --format=csv --no-headings --columns=name,ofport list Interface | sort ;;
rich-table)
    # frw-int: secure, OpenFlow13+15, 3 tables, 2100 generated + special flows, select/all/indirect
    # groups (select chains to all, indirect chains to select), 2 meters, TLV map, tun_metadata0 match.
    vsctl -- add-br frw-int -- set bridge frw-int datapath_type=netdev fail_mode=secure protocols=OpenFlow13,OpenFlow15 \
          -- add-port frw-int frw-p1 -- set interface frw-p1 type=internal ofport_request=1 \
          -- add-port frw-int frw-p7 -- set interface frw-p7 type=internal ofport_request=7 \
          -- add-port frw-int frw-p9 -- set interface frw-p9 type=internal \
          -- add-br frw-ex -- set bridge frw-ex datapath_type=netdev \
          -- add-port frw-ex frw-ex1 -- set interface frw-ex1 type=internal
    of frw-int add-tlv-map "{class=0xffff,type=0x80,len=4}->tun_metadata0,{class=0x102,type=0x1,len=8}->tun_metadata1"
    of frw-int add-meter "meter=1 kbps burst stats bands=type=drop rate=1000 burst_size=100"
    of frw-int add-meter "meter=2 pktps bands=type=drop rate=500"
    of frw-int add-group "group_id=2,type=all,bucket=output:1,bucket=output:7"
    of frw-int add-group "group_id=1,type=select,selection_method=hash,fields(ip_src),bucket=bucket_id:0,weight:50,actions=group:2,bucket=bucket_id:1,weight:50,actions=output:7"
    of frw-int add-group "group_id=3,type=indirect,bucket=actions=group:1"
    {
        echo "table=0,priority=1000,tun_metadata0=0x1234,actions=meter:1,goto_table:1"
        echo "table=0,priority=900,in_port=1,ip,nw_src=10.0.0.0/8,actions=write_metadata:0x5/0xff,goto_table:1"
        echo "cookie=0xabc,table=0,priority=800,in_port=7,actions=meter:2,group:1"
        echo "table=0,priority=10,idle_timeout=3600,hard_timeout=7200,importance=5,send_flow_rem,arp,actions=NORMAL"
        echo "table=0,priority=5,ipv6,ipv6_dst=fd00::/64,actions=ct(commit,zone=5),output:7"
        echo "table=1,priority=100,udp,tp_dst=53,actions=learn(table=2,idle_timeout=30,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,2)"
        echo "table=1,priority=90,tun_metadata1=0x1,actions=group:3"
        echo "cookie=0x77,table=2,priority=7,hard_timeout=7200,check_overlap,reset_counts,ip,nw_ttl=1,actions=controller(reason=invalid_ttl)"
        echo "table=2,priority=0,actions=drop"
        awk 'BEGIN { for (i = 0; i < 2100; i++) { t = i % 3; a = int(i / 250); b = i % 250;
            printf "cookie=0x%x,table=%d,priority=%d,ip,nw_dst=10.%d.%d.%d,actions=mod_dl_dst:02:00:00:00:%02x:%02x,output:%d\n",
                   i + 1, t, 100 + i % 50, t, a, b + 1, a, b, (i % 2) ? 1 : 7 } }'
    } > "$BASE/rich.flows"
    of frw-int add-flows "$BASE/rich.flows"
    of frw-ex add-flow "table=0,priority=50,dl_type=0x88cc,actions=drop" ;;
bigger-table)
    # 20000 more flows in table 3, so that a restore takes long enough to be interrupted.
    awk 'BEGIN { for (i = 0; i < 20000; i++) printf "table=3,priority=10,udp,tp_src=%d,tp_dst=%d,actions=drop\n", i % 60000 + 1, int(i / 60000) + 1 }' > "$BASE/big.flows"
    of frw-int add-flows "$BASE/big.flows" ;;
canon)
    # Canonical dump of flows, groups, meters and TLV maps of every bridge, written independently
    # of the module: sorted ovs-ofctl text without reply headers and statistics.
    for br in $(vsctl list-br); do
        echo "== $br"
        of "$br" dump-flows --no-names --no-stats | { grep -v '^[A-Z]' || true; } | sort
        of "$br" dump-groups | { grep -v '^[A-Z]' || true; } | sort
        of "$br" dump-meters | { grep -v '^[A-Z]' || true; }
        of "$br" dump-tlv-map | { grep -v '^[A-Z]' || true; }
    done ;;
counts)
    for br in $(vsctl list-br); do
        printf '%s %s\n' "$br" "$(of "$br" dump-flows --no-stats | grep -vc '^[A-Z]')"
    done ;;
*)
    echo "unknown command $1" >&2; exit 2 ;;
esac
