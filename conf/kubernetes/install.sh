#!/bin/sh
# Put jobnet on the node: the plugin, jobnetctl, and the conflist unless the
# operator already has one, with the node's own pod CIDR as its job subnet
# (node-subnet.sh; the pod-cidr init container wrote /work/pod-cidrs).
# Paths are the DaemonSet's mounts.
set -eu
cp /jobnet/lib/* /host/opt/cni/lib/jobnet/
install -m 0755 /usr/local/sbin/jobnet /host/opt/cni/bin/jobnet.new
mv /host/opt/cni/bin/jobnet.new /host/opt/cni/bin/jobnet
install -m 0755 /usr/local/sbin/jobnetctl /host/usr/local/sbin/jobnetctl
if [ ! -e /host/etc/cni/net.d/10-jobnet.conflist ]; then
	/jobnet/node-subnet.sh /jobnet/config/10-jobnet.conflist /work/pod-cidrs /tmp/10-jobnet.conflist
	install -m 0644 /tmp/10-jobnet.conflist /host/etc/cni/net.d/10-jobnet.conflist
fi
echo "jobnet installed"
