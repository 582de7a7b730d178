#!/bin/sh
# SIMULATION (lab): Kube-OVN's kube-ovn-controller is not part of the lab (the roles never
# talk to it); this container only stands for its pods and ends on SIGTERM.
echo "kube-ovn-controller (lab stand-in, SIMULATION): not run in the lab; waiting"
trap 'echo "kube-ovn-controller (lab stand-in): terminating"; exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
