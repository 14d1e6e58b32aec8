"""Rule 6 at the link layer, as an attacker inside a job would try it, with
br_netfilter off and on: neighbour discovery split into fragments, link-layer
address options naming a neighbour's MAC, and the node's frames to a job
whose MAC has left the bridge's forwarding table. Each test also shows the
attack working once the chain that stops it is flushed, so it can fail."""

import socket
import time

import frames
import jn
from jn import expect, expect_eq, test
from topology import Topology

SINK_PORT = 9998
JOBS = [("a1", "neta", {"group": "A"}), ("a2", "neta", {"group": "A"}), ("c1", "neta", {"group": "C"})]
NONCE_OPTION = bytes([14, 1, 1, 2, 3, 4, 5, 6])
NOTHING_COMES = 0.3  # how long a dropped frame is given to show an effect


def gateway_mac(topo):
    return topo.ns.ip_json("link", "show", "dev", "jobnet0")[0]["address"]


def neighbour_mac(topo, addr):
    entries = topo.ns.ip_json("neigh", "show", addr, "dev", "jobnet0")
    return entries[0].get("lladdr") if entries else None


def link_local(job):
    return [a.split("/")[0] for a in job.ns.addresses("eth0") if a.startswith("fe80")][0]


def flush(topo, chain):
    topo.node.nft("flush", "chain", "bridge", "jobnet", chain)


def known_neighbours(topo, *jobs):
    for job in jobs:
        expect_eq(jn.icmp_probe(topo.ns, job.addr[6], 1.0)[0], "reached", "node -> %s over IPv6" % job.name)
        expect_eq(neighbour_mac(topo, job.addr[6]), job.mac, "the node's entry for %s before the attack" % job.name)


def fragmented_advertisement(env, br_netfilter):
    topo = Topology(env, jobs=JOBS, br_netfilter=br_netfilter)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    gw = gateway_mac(topo)
    known_neighbours(topo, a2)
    # a1 claims a2's address, the advertisement cut after the first 8 bytes
    # of its ICMPv6 header: the target and the option are in the second
    # fragment.
    na = frames.neighbor_advert(link_local(a1), "fd61::1", a2.addr[6], a1.mac)
    for frag in frames.fragments6(na, 8):
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IPV6, frag), count=1)
    time.sleep(NOTHING_COMES)  # nothing is to change
    expect_eq(neighbour_mac(topo, a2.addr[6]), a2.mac, "the node's entry for a2 after a1's fragmented advertisement")
    expect_eq(jn.udp_probe(topo.ns, a2.addr[6], 5001, 1.0)[0], "reached", "node -> a2 after the attack")
    flush(topo, "prerouting")
    for frag in frames.fragments6(na, 8, ident=0x4A0B1C2E):
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IPV6, frag), count=1)
    if br_netfilter:
        jn.wait_for(lambda: neighbour_mac(topo, a2.addr[6]) == a1.mac, 2.0,
                    "without the bridge rules the fragmented advertisement winning (else the test cannot fail)")
    else:
        # The node's own IPv6 layer reassembles and refuses fragmented
        # neighbour discovery: the kernel stops this one by itself.
        time.sleep(NOTHING_COMES)  # nothing is to change
        expect_eq(neighbour_mac(topo, a2.addr[6]), a2.mac, "the kernel's refusal of fragmented ND")


@test
def fragmented_neighbour_advertisements_do_not_poison_the_node(env):
    fragmented_advertisement(env, br_netfilter=False)


@test
def fragmented_neighbour_advertisements_do_not_poison_the_node_with_br_netfilter(env):
    fragmented_advertisement(env, br_netfilter=True)


def lladdr_options(env, br_netfilter):
    topo = Topology(env, jobs=JOBS, br_netfilter=br_netfilter)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    gw, own = gateway_mac(topo), a1.addr[6]
    known_neighbours(topo, a1, a2)
    attacks = [
        ("an advertisement of its own address naming a2's MAC",
         frames.neighbor_advert(own, "fd61::1", own, a2.mac)),
        ("a solicitation from its own address naming a2's MAC",
         frames.neighbor_solicit(own, "fd61::1", "fd61::1", frames.lladdr_option(1, a2.mac))),
        ("an advertisement whose option naming a2's MAC follows another option",
         frames.neighbor_advert_with(own, "fd61::1", own, NONCE_OPTION + frames.lladdr_option(2, a2.mac))),
        ("an advertisement with two target options, a2's MAC first",
         frames.neighbor_advert_with(own, "fd61::1", own, frames.lladdr_option(2, a2.mac) +
                                     frames.lladdr_option(2, a1.mac))),
    ]
    for what, packet in attacks:
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IPV6, packet))
        time.sleep(NOTHING_COMES)  # nothing is to change
        expect_eq(neighbour_mac(topo, own), a1.mac, "the node's entry for a1 after %s" % what)
    # Its own MAC in the options is fine: IPv6 keeps working.
    for packet in (frames.neighbor_advert(own, "fd61::1", own, a1.mac),
                   frames.neighbor_solicit(own, "fd61::1", "fd61::1", frames.lladdr_option(1, a1.mac))):
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IPV6, packet))
    expect_eq(jn.udp_probe(topo.ns, own, 5001, 1.0)[0], "reached", "node -> a1 after its honest messages")
    flush(topo, "prerouting")
    for what, packet in attacks[:2]:
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IPV6, packet))
        jn.wait_for(lambda: neighbour_mac(topo, own) == a2.mac, 2.0,
                    "without the bridge rules %s winning (else the test cannot fail)" % what)
        frames.send(a1.ns, "eth0", frames.ethernet(gw, a1.mac, frames.ETH_P_IPV6,
                                                    frames.neighbor_advert(own, "fd61::1", own, a1.mac)))
        jn.wait_for(lambda: neighbour_mac(topo, own) == a1.mac, 2.0, "a1's own advertisement restoring its entry")


@test
def link_layer_options_name_only_the_senders_mac(env):
    lladdr_options(env, br_netfilter=False)


@test
def link_layer_options_name_only_the_senders_mac_with_br_netfilter(env):
    lladdr_options(env, br_netfilter=True)


def send_from_node(topo, addr, port, data):
    s = jn.socket_in(topo.ns, addr, socket.SOCK_DGRAM)
    try:
        s.sendto(data, (addr, port))
    finally:
        s.close()


def forget_port(topo, job):
    """The bridge forgets where job's MAC is, as when it ages out (again if
    the job's own traffic, a neighbour probe say, taught it back at once)."""
    def forgotten():
        topo.ns.run("bridge", "fdb", "del", job.mac, "dev", job.veth, "master", check=False)
        return job.mac not in topo.ns.run("bridge", "fdb", "show", "dev", job.veth).stdout
    jn.wait_for(forgotten, 2.0, "the bridge forgetting %s's MAC" % job.name)


def frames_to_a_quiet_job(env, br_netfilter):
    topo = Topology(env, jobs=JOBS, br_netfilter=br_netfilter)
    a2, c1 = topo.jobs["a2"], topo.jobs["c1"]
    sinks = {fam: env.listener.sink(a2.ns, a2.addr[fam], SINK_PORT) for fam in (4, 6)}
    capture = frames.Capture(c1.ns, "eth0")
    env.defer(capture.close)
    for fam in (4, 6):
        expect_eq(jn.icmp_probe(topo.ns, a2.addr[fam], 1.0)[0], "reached", "node -> a2 (IPv%d)" % fam)
    for fam in (4, 6):
        marker = b"for-a2-only-%d" % fam
        forget_port(topo, a2)
        send_from_node(topo, a2.addr[fam], SINK_PORT, marker)
        jn.wait_for(lambda: any(marker in d for _, d in sinks[fam]), 2.0,
                    "a2 getting the node's datagram (IPv%d; else the test is broken)" % fam)
        expect(not capture.seen(marker, 0.2), "c1's port saw the node's datagram to a2 (IPv%d)" % fam)
    flush(topo, "output")
    forget_port(topo, a2)
    send_from_node(topo, a2.addr[4], SINK_PORT, b"flooded")
    expect(capture.seen(b"flooded"), "without the output chain the flood should reach c1: the test cannot fail")


@test
def the_nodes_frames_to_a_job_reach_no_other_job(env):
    frames_to_a_quiet_job(env, br_netfilter=False)


@test
def the_nodes_frames_to_a_job_reach_no_other_job_with_br_netfilter(env):
    frames_to_a_quiet_job(env, br_netfilter=True)


@test
def a_mapped_flow_the_bridge_floods_reaches_no_other_job_with_br_netfilter(env):
    """With br_netfilter on, what a port mapping sends to a job on the same
    bridge is forwarded by the bridge (packet type host); flooded when the
    job's MAC has left the forwarding table, it must not reach another job."""
    topo = Topology(env, jobs=JOBS, br_netfilter=True)
    a1, c1 = topo.jobs["a1"], topo.jobs["c1"]
    ns = env.netns("web")
    maps = [{"hostPort": 9400, "containerPort": SINK_PORT, "protocol": "udp"}]
    r = topo.node.add(ns, "web", conf=dict(topo.confs["neta"], runtimeConfig={"jobnet": {"group": "A"},
                                                                              "portMappings": maps})).expect_ok()
    env.remember("web", r)
    addr = [ip["address"].split("/")[0] for ip in r.json["ips"] if ":" not in ip["address"]][0]

    class Web:
        name, mac, veth = "web", r.json["interfaces"][2]["mac"], r.json["interfaces"][1]["name"]
    sink = env.listener.sink(ns, addr, SINK_PORT)
    capture = frames.Capture(c1.ns, "eth0")
    env.defer(capture.close)
    expect_eq(jn.icmp_probe(topo.ns, addr, 1.0)[0], "reached", "node -> web")

    def through_the_mapping(marker):
        forget_port(topo, Web)
        s = jn.socket_in(a1.ns, "10.61.0.1", socket.SOCK_DGRAM)
        try:
            s.sendto(marker, ("10.61.0.1", 9400))
        finally:
            s.close()
        jn.wait_for(lambda: any(marker in d for _, d in sink), 2.0, "a1's datagram reaching web through the mapping")

    through_the_mapping(b"mapped-for-web")
    expect(not capture.seen(b"mapped-for-web", NOTHING_COMES), "c1's port saw a1's datagram to web")
    flush(topo, "forward")
    through_the_mapping(b"flooded")
    expect(capture.seen(b"flooded"), "without the forward chain the flood should reach c1: the test cannot fail")
