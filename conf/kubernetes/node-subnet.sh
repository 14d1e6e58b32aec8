#!/bin/sh
# Fill a conflist template with this node's pod CIDRs, so each node's jobnet
# network gets its own job subnet inside the cluster subnet:
#
#   node-subnet.sh TEMPLATE POD_CIDRS OUTPUT
#
# TEMPLATE may say "@POD_CIDR@" (replaced by the node's IPv4 pod CIDR) and
# "@POD_CIDR6@" (its IPv6 one); POD_CIDRS has one CIDR a line, as
# `kubectl get node N -o jsonpath='{range .spec.podCIDRs[*]}{@}{"\n"}{end}'`
# prints them. A placeholder the node has no CIDR for is an error: a node
# must not come up with a subnet another node has.
set -eu
template=$1
cidrs=$2
output=$3
v4=$(grep -m 1 -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$' "$cidrs" || true)
v6=$(grep ':' "$cidrs" | grep -m 1 -E '^[0-9a-fA-F:]+/[0-9]+$' || true)
if grep -q '@POD_CIDR@' "$template" && [ -z "$v4" ]; then
	echo "node-subnet.sh: the conflist wants @POD_CIDR@ but the node has no IPv4 pod CIDR ($cidrs)" >&2
	exit 1
fi
if grep -q '@POD_CIDR6@' "$template" && [ -z "$v6" ]; then
	echo "node-subnet.sh: the conflist wants @POD_CIDR6@ but the node has no IPv6 pod CIDR ($cidrs)" >&2
	exit 1
fi
sed -e "s|@POD_CIDR@|$v4|g" -e "s|@POD_CIDR6@|$v6|g" "$template" >"$output.tmp"
mv "$output.tmp" "$output"
