"""Rule 6: a job sends only with its own addresses and MAC. Forged frames
(IP source, MAC source, ARP, neighbour advertisement) are sent from inside
a job and must not arrive or poison the node; the same frames with the
job's own identity (or with jobnet's bridge rules flushed) get through, so
each test can fail."""

import time

import frames
import jn
from jn import expect, expect_eq, test
from topology import OUTSIDE_PEER4, OUTSIDE_PEER6, Topology

SINK_PORT = 9999

TWO_JOBS = [("a1", "neta", {"group": "A"}), ("a2", "neta", {"group": "A"})]


def gateway_mac(topo):
    return topo.ns.ip_json("link", "show", "dev", "jobnet0")[0]["address"]


# A frame a test expects to be dropped gives nothing to wait for: a
# negative check either follows the arrival of a control frame sent after
# it on the same path, or waits this long, far longer than the kernel takes
# to pass a frame on.
NOTHING_COMES = 0.3


def arrived(sink, marker):
    """Senders whose datagram with marker reached the sink so far."""
    return [peer for peer, data in sink if marker in data]


def expect_arrives(sink, marker, what):
    jn.wait_for(lambda: arrived(sink, marker), timeout=2.0, what=what)


def neighbour_mac(topo, addr):
    entries = topo.ns.ip_json("neigh", "show", addr, "dev", "jobnet0")
    return entries[0].get("lladdr") if entries else None


def flush_bridge_rules(topo):
    topo.node.nft("flush", "chain", "bridge", "jobnet", "prerouting")


@test
def forged_ip_sources_are_dropped(env):
    topo = Topology(env, jobs=TWO_JOBS)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    sink4 = env.listener.sink(topo.outside, OUTSIDE_PEER4, SINK_PORT)
    sink6 = env.listener.sink(topo.outside, OUTSIDE_PEER6, SINK_PORT)
    gw = gateway_mac(topo)
    for src, tag in ((a2.addr[4], b"forged4"), ("192.0.2.66", b"bogon4"), (a1.addr[4], b"honest4")):
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IP,
                                                    frames.ipv4_udp(src, OUTSIDE_PEER4, 4000, SINK_PORT, tag)))
    for src, tag in ((a2.addr[6], b"forged6"), ("fd61::99", b"bogon6"), (a1.addr[6], b"honest6")):
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IPV6,
                                                    frames.ipv6_udp(src, OUTSIDE_PEER6, 4000, SINK_PORT, tag)))
    expect_arrives(sink4, b"honest4", "the honest IPv4 datagram (else the test is broken)")
    expect_arrives(sink6, b"honest6", "the honest IPv6 datagram (else the test is broken)")
    # The forgeries left before the honest datagrams, on the same path.
    for tag in (b"forged4", b"bogon4"):
        expect_eq(arrived(sink4, tag), [], "datagrams with a forged IPv4 source (%s)" % tag.decode())
    for tag in (b"forged6", b"bogon6"):
        expect_eq(arrived(sink6, tag), [], "datagrams with a forged IPv6 source (%s)" % tag.decode())
    flush_bridge_rules(topo)
    frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IP,
                                                frames.ipv4_udp(a2.addr[4], OUTSIDE_PEER4, 4000, SINK_PORT, b"late")))
    expect_arrives(sink4, b"late", "without the bridge rules the forgery (else the test cannot fail)")


@test
def a_forged_mac_source_is_dropped(env):
    topo = Topology(env, jobs=TWO_JOBS)
    a1 = topo.jobs["a1"]
    sink = env.listener.sink(topo.outside, OUTSIDE_PEER4, SINK_PORT)
    gw = gateway_mac(topo)
    other = "02:00:00:be:ef:01"
    frames.send(a1.ns, "eth0", frames.ethernet(gw, other, frames.ETH_P_IP,
                                                frames.ipv4_udp(a1.addr[4], OUTSIDE_PEER4, 4000, SINK_PORT, b"forged")))
    frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IP,
                                                frames.ipv4_udp(a1.addr[4], OUTSIDE_PEER4, 4000, SINK_PORT, b"honest")))
    expect_arrives(sink, b"honest", "the honest datagram (else the test is broken)")
    # The forgery left before the honest datagram, on the same path.
    expect_eq(arrived(sink, b"forged"), [], "datagrams from a forged MAC")
    # The job changing its own MAC cuts it off, too.
    a1.ns.ip("link", "set", "eth0", "address", other)
    expect_eq(jn.tcp_probe(a1.ns, OUTSIDE_PEER4, 80)[0], "timeout", "a1 with another MAC reaching the world")
    a1.ns.ip("link", "set", "eth0", "address", a1.mac)
    expect_eq(jn.tcp_probe(a1.ns, OUTSIDE_PEER4, 80, 1.0)[0], "reached", "a1 with its own MAC again")


@test
def forged_arp_does_not_poison_the_node(env):
    topo = Topology(env, jobs=TWO_JOBS)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    gw_mac, gw_ip = gateway_mac(topo), "10.61.0.1"
    expect_eq(jn.icmp_probe(topo.ns, a2.addr[4])[0], "reached", "node -> a2")
    expect_eq(neighbour_mac(topo, a2.addr[4]), a2.mac, "the node's entry for a2 before the forgery")
    time.sleep(1.1)  # past the neighbour table's locktime, so an update would stick
    # A gratuitous reply claiming a2's address with a1's MAC, and one with
    # a forged sender MAC in the ARP body only.
    garp = frames.arp_reply(a1.mac, a2.addr[4], gw_mac, a2.addr[4])
    frames.send(a1.ns, "eth0", frames.ethernet(gw_mac, a1.mac, frames.ETH_P_ARP, garp))
    body_only = frames.arp_reply("02:00:00:be:ef:02", a1.addr[4], gw_mac, gw_ip)
    frames.send(a1.ns, "eth0", frames.ethernet(gw_mac, a1.mac, frames.ETH_P_ARP, body_only))
    time.sleep(NOTHING_COMES)
    expect_eq(neighbour_mac(topo, a2.addr[4]), a2.mac, "the node's entry for a2 after a1's forged ARP")
    expect(neighbour_mac(topo, a1.addr[4]) in (None, a1.mac), "the node's entry for a1 took a forged MAC")
    expect_eq(jn.tcp_probe(topo.ns, a2.addr[4], 5000)[0], "reached", "node -> a2 still reaches a2")
    flush_bridge_rules(topo)
    time.sleep(1.1)  # the locktime again, since the entry was confirmed
    frames.send(a1.ns, "eth0", frames.ethernet(gw_mac, a1.mac, frames.ETH_P_ARP, garp))
    jn.wait_for(lambda: neighbour_mac(topo, a2.addr[4]) == a1.mac, timeout=2.0,
                what="without the bridge rules, the forged ARP winning (else the test cannot fail)")


@test
def forged_neighbour_advertisements_do_not_poison_the_node(env):
    topo = Topology(env, jobs=TWO_JOBS)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    gw_mac = gateway_mac(topo)
    expect_eq(jn.icmp_probe(topo.ns, a2.addr[6])[0], "reached", "node -> a2 over IPv6")
    expect_eq(neighbour_mac(topo, a2.addr[6]), a2.mac, "the node's entry for a2 before the forgery")
    link_local = [a.split("/")[0] for a in a1.ns.addresses("eth0") if a.startswith("fe80")][0]
    na = frames.neighbor_advert(link_local, "fd61::1", a2.addr[6], a1.mac)
    frames.send(a1.ns, "eth0", frames.ethernet(gw_mac, a1.mac, frames.ETH_P_IPV6, na))
    time.sleep(NOTHING_COMES)
    expect_eq(neighbour_mac(topo, a2.addr[6]), a2.mac, "the node's entry for a2 after a1's forged advertisement")
    # An advertisement of its own address is fine: IPv6 keeps working.
    own = frames.neighbor_advert(link_local, "fd61::1", a1.addr[6], a1.mac)
    frames.send(a1.ns, "eth0", frames.ethernet(gw_mac, a1.mac, frames.ETH_P_IPV6, own))
    expect_eq(jn.tcp_probe(a1.ns, OUTSIDE_PEER6, 80, 1.0)[0], "reached", "a1 over IPv6 after its own advertisement")
    flush_bridge_rules(topo)
    frames.send(a1.ns, "eth0", frames.ethernet(gw_mac, a1.mac, frames.ETH_P_IPV6, na))
    jn.wait_for(lambda: neighbour_mac(topo, a2.addr[6]) == a1.mac, timeout=2.0,
                what="without the bridge rules, the forged advertisement winning (else the test cannot fail)")


def direct_frames(env, br_netfilter):
    topo = Topology(env, jobs=TWO_JOBS + [("c1", "neta", {"group": "C"})], br_netfilter=br_netfilter)
    a1, a2, c1 = topo.jobs["a1"], topo.jobs["a2"], topo.jobs["c1"]
    sink_a2 = env.listener.sink(a2.ns, a2.addr[4], SINK_PORT)
    sink_c1 = env.listener.sink(c1.ns, c1.addr[4], SINK_PORT)
    # Frames a1 addresses to the others' MACs, past the node: to a member of
    # its group, to another group's job, and a broadcast.
    for dst, mac, tag in ((a2, a2.mac, b"direct-same"), (c1, c1.mac, b"direct-other"),
                          (c1, "ff:ff:ff:ff:ff:ff", b"broadcast")):
        frames.send(a1.ns, "eth0", frames.ethernet(mac, a1.mac, frames.ETH_P_IP,
                                                    frames.ipv4_udp(a1.addr[4], dst.addr[4], 4000, SINK_PORT, tag)))
    time.sleep(NOTHING_COMES)
    expect_eq(arrived(sink_a2, b"direct-same"), [], "a frame straight to a member of the group")
    expect_eq(arrived(sink_c1, b"direct-other"), [], "a frame straight to another group's job")
    expect_eq(arrived(sink_c1, b"broadcast"), [], "a broadcast frame")
    # Through the node, the group's member gets it; the other group's does not.
    expect_eq(jn.udp_probe(a1.ns, a2.addr[4], SINK_PORT + 1)[0], "refused", "a1 -> a2 through the node")
    topo.node.nft("flush", "chain", "bridge", "jobnet", "forward")
    frames.send(a1.ns, "eth0", frames.ethernet(c1.mac, a1.mac, frames.ETH_P_IP,
                                                frames.ipv4_udp(a1.addr[4], c1.addr[4], 4000, SINK_PORT, b"late")))
    if not br_netfilter:
        expect_arrives(sink_c1, b"late", "without the forward chain, the frame (else the test cannot fail)")


@test
def jobs_cannot_send_frames_to_each_other(env):
    direct_frames(env, br_netfilter=False)


@test
def jobs_cannot_send_frames_to_each_other_with_br_netfilter(env):
    direct_frames(env, br_netfilter=True)


def enslave_intruder(topo, env, name):
    """A veth named like a job's host end, put on the bridge by hand: no ADD
    listed it in the bridge table's sets. Its namespace claims a free address
    of the subnet and routes through the gateway."""
    intruder = env.netns("intruder")
    topo.ns.ip("link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", intruder.name)
    topo.ns.ip("link", "set", name, "master", "jobnet0", "up")
    intruder.ip("link", "set", "eth0", "up")
    intruder.ip("addr", "add", "10.61.0.250/24", "dev", "eth0")
    mac = intruder.ip_json("link", "show", "dev", "eth0")[0]["address"]
    return intruder, mac


@test
def a_port_no_add_listed_forwards_nothing(env):
    topo = Topology(env, jobs=TWO_JOBS)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    sink = env.listener.sink(topo.outside, OUTSIDE_PEER4, SINK_PORT)
    gw = gateway_mac(topo)
    intruder, mac = enslave_intruder(topo, env, "jnintruder0")
    expect_eq(jn.icmp_probe(topo.ns, a2.addr[4])[0], "reached", "node -> a2")
    time.sleep(1.1)  # past the neighbour table's locktime, so an update would stick
    garp = frames.arp_reply(mac, a2.addr[4], gw, a2.addr[4])
    frames.send(intruder, "eth0", frames.ethernet(gw, mac, frames.ETH_P_ARP, garp))
    # As a member of group A (a2's address), and as itself.
    for src, tag in ((a2.addr[4], b"posing"), ("10.61.0.250", b"itself")):
        frames.send(intruder, "eth0", frames.ethernet(gw, mac, frames.ETH_P_IP,
                                                      frames.ipv4_udp(src, OUTSIDE_PEER4, 4000, SINK_PORT, tag)))
    frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IP,
                                                frames.ipv4_udp(a1.addr[4], OUTSIDE_PEER4, 4000, SINK_PORT, b"honest")))
    expect_arrives(sink, b"honest", "a1's datagram (else the test is broken)")
    expect_eq(arrived(sink, b"posing"), [], "datagrams from an unlisted port posing as a member")
    expect_eq(arrived(sink, b"itself"), [], "datagrams from an unlisted port")
    expect_eq(neighbour_mac(topo, a2.addr[4]), a2.mac, "the node's entry for a2 after the unlisted port's ARP")
    # Nor is it sent anything: a listed job's unicast frame to its MAC, a
    # broadcast, and the node's own datagram.
    into = env.listener.sink(intruder, "10.61.0.250", SINK_PORT)
    for dst, tag in ((mac, b"unicast"), ("ff:ff:ff:ff:ff:ff", b"broadcast")):
        frames.send(a1.ns, "eth0", frames.ethernet(dst, a1.mac, frames.ETH_P_IP,
                                                    frames.ipv4_udp(a1.addr[4], "10.61.0.250", 4000, SINK_PORT, tag)))
    topo.ns.ip("neigh", "replace", "10.61.0.250", "lladdr", mac, "dev", "jobnet0")
    topo.ns.run("sh", "-c", "echo node | socat - UDP4-SENDTO:10.61.0.250:%d" % SINK_PORT)
    time.sleep(NOTHING_COMES)
    expect_eq([d for _, d in into], [], "what the unlisted port's namespace received")
    # Only the rule for unlisted ports stops it: without it the frame passes.
    topo.node.nft("flush", "chain", "bridge", "jobnet", "prerouting")
    topo.node.nft("add", "rule", "bridge", "jobnet", "prerouting", "iifname", "@ports", "goto", "from_job")
    frames.send(intruder, "eth0", frames.ethernet(gw, mac, frames.ETH_P_IP,
                                                  frames.ipv4_udp(a2.addr[4], OUTSIDE_PEER4, 4000, SINK_PORT, b"late")))
    expect_arrives(sink, b"late", "without the rule, the unlisted port's datagram (else the test cannot fail)")
    for chain in ("forward", "output"):
        topo.node.nft("flush", "chain", "bridge", "jobnet", chain)
    frames.send(a1.ns, "eth0", frames.ethernet(mac, a1.mac, frames.ETH_P_IP,
                                                frames.ipv4_udp(a1.addr[4], "10.61.0.250", 4000, SINK_PORT, b"late")))
    topo.ns.run("sh", "-c", "echo node-late | socat - UDP4-SENDTO:10.61.0.250:%d" % SINK_PORT)
    jn.wait_for(lambda: {peer for peer, d in into if b"late" in d} == {a1.addr[4], "10.61.0.1"}, timeout=2.0,
                what="without forward and output, a1's and the node's datagrams (else the test cannot fail)")
