module cni-ovs-lab/pause

go 1.22
