#!/bin/sh
# Put jobnet on the node: the plugin, jobnetctl, and the conflist unless the
# operator already has one. Paths are the DaemonSet's hostPath mounts.
set -eu
cp /jobnet/lib/* /host/opt/cni/lib/jobnet/
install -m 0755 /usr/local/sbin/jobnet /host/opt/cni/bin/jobnet.new
mv /host/opt/cni/bin/jobnet.new /host/opt/cni/bin/jobnet
install -m 0755 /usr/local/sbin/jobnetctl /host/usr/local/sbin/jobnetctl
if [ ! -e /host/etc/cni/net.d/10-jobnet.conflist ]; then
	install -m 0644 /jobnet/config/10-jobnet.conflist /host/etc/cni/net.d/10-jobnet.conflist
fi
echo "jobnet installed"
