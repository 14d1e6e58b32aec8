"""ICMP errors between jobs: conntrack calls an error that quotes a live
connection "related", whoever sends it. A job of another group forging one
(port unreachable, fragmentation needed, packet too big) must not reach the
victim; the router's own errors about its connection still do, and the same
forgery gets through under the old rule (related accepted from anyone), so
the test can fail. With br_netfilter off and on."""

import socket
import time

import frames
import jn
from jn import expect, expect_eq, test
from topology import Topology

ROUTER_PORT = 40123
JOBS = [("a1", "neta", {"group": "A"}), ("r", "netb", {"role": "router", "routes": ["A"]}),
        ("b1", "netb", {"group": "B"})]


def gateway_mac(topo, bridge):
    return topo.ns.ip_json("link", "show", "dev", bridge)[0]["address"]


def open_flow(topo, fam):
    """The router opens a UDP flow to a1's echo service: tracked, not NATed."""
    r, a1 = topo.jobs["r"], topo.jobs["a1"]
    s = jn.socket_in(r.ns, r.addr[fam], socket.SOCK_DGRAM)
    try:
        s.settimeout(1.0)
        s.bind((r.addr[fam], ROUTER_PORT))
        s.sendto(b"hello", (a1.addr[fam], 5001))
        expect(s.recv(256).startswith(b"echo:"), "no echo from a1 (IPv%d)" % fam)
    finally:
        s.close()


def quoted_reply(topo, fam, marker):
    """The packet a1 sent back to the router, as an ICMP error quotes it."""
    r, a1 = topo.jobs["r"], topo.jobs["a1"]
    if fam == 4:
        return frames.ipv4_udp(a1.addr[4], r.addr[4], 5001, ROUTER_PORT, marker)
    return frames.ipv6_udp(a1.addr[6], r.addr[6], 5001, ROUTER_PORT, marker)


def error_to_a1(topo, sender, fam, marker, too_big=False):
    """An ICMP error from sender to a1 quoting a1's reply to the router."""
    a1 = topo.jobs["a1"]
    quoted = quoted_reply(topo, fam, marker)
    if fam == 4:
        kind, code, rest = (3, 4, 1280) if too_big else (3, 3, 0)
        packet = frames.icmp4_error(sender.addr[4], a1.addr[4], kind, code, quoted, rest)
        ethertype = frames.ETH_P_IP
    else:
        kind, code, rest = (2, 0, 1280) if too_big else (1, 4, 0)
        packet = frames.icmp6_error(sender.addr[6], a1.addr[6], kind, code, quoted, rest)
        ethertype = frames.ETH_P_IPV6
    frames.send(sender.ns, "eth0", frames.ethernet(gateway_mac(topo, "jobnet1"), sender.mac, ethertype, packet))


class IcmpTrap:
    """Every ICMP (or ICMPv6) packet a1's kernel receives, raw."""

    def __init__(self, job):
        self.socks = []
        for fam, proto in ((socket.AF_INET, socket.IPPROTO_ICMP), (socket.AF_INET6, socket.IPPROTO_ICMPV6)):
            with jn.entered(job.ns.path):
                s = socket.socket(fam, socket.SOCK_RAW, proto)
            s.setblocking(False)
            self.socks.append(s)
        self.seen = []

    def got(self, marker, wait=0.5):
        deadline = time.time() + wait
        while True:
            for s in self.socks:
                try:
                    while True:
                        self.seen.append(s.recv(4096))
                except BlockingIOError:
                    pass
            if any(marker in p for p in self.seen) or time.time() >= deadline:
                return any(marker in p for p in self.seen)
            time.sleep(0.02)

    def close(self):
        for s in self.socks:
            s.close()


def forged_errors(env, br_netfilter):
    topo = Topology(env, jobs=JOBS, br_netfilter=br_netfilter)
    r, b1 = topo.jobs["r"], topo.jobs["b1"]
    trap = IcmpTrap(topo.jobs["a1"])
    env.defer(trap.close)
    for fam in (4, 6):
        open_flow(topo, fam)
        for too_big in (False, True):
            tag = b"%d-%s" % (fam, b"big" if too_big else b"unreach")
            error_to_a1(topo, b1, fam, b"forged-" + tag, too_big)
            error_to_a1(topo, r, fam, b"router-" + tag, too_big)
            expect(trap.got(b"router-" + tag), "the router's own error (IPv%d %s) did not reach a1" % (fam, tag))
            expect(not trap.got(b"forged-" + tag, 0.1), "b1's forged error (IPv%d %s) reached a1" % (fam, tag))
    # The old rule: related packets accepted from anyone.
    topo.node.nft("insert", "rule", "inet", "jobnet", "from_job", "ct", "state", "related", "accept")
    for fam in (4, 6):
        open_flow(topo, fam)
        error_to_a1(topo, b1, fam, b"late-%d" % fam)
        expect(trap.got(b"late-%d" % fam),
               "accepted as related, the forged error (IPv%d) should reach a1: the test cannot fail" % fam)


@test
def forged_icmp_errors_do_not_cross_groups(env):
    forged_errors(env, br_netfilter=False)


@test
def forged_icmp_errors_do_not_cross_groups_with_br_netfilter(env):
    forged_errors(env, br_netfilter=True)


def unreachables_received(topo):
    """The node's count of ICMP destination-unreachable messages taken in."""
    lines = [l.split() for l in topo.ns.run("cat", "/proc/net/snmp").stdout.splitlines() if l.startswith("IcmpMsg:")]
    counts = dict(zip(lines[0], lines[1])) if len(lines) == 2 else {}
    return int(counts.get("InType3", 0))


@test
def a_job_cannot_send_the_node_errors_about_others_connections(env):
    """The node's own flow with a1: b1 may not send errors about it."""
    topo = Topology(env, jobs=JOBS)
    a1, b1 = topo.jobs["a1"], topo.jobs["b1"]
    s = jn.socket_in(topo.ns, a1.addr[4], socket.SOCK_DGRAM)
    env.defer(s.close)
    s.settimeout(1.0)
    s.bind(("10.61.0.1", ROUTER_PORT))
    s.sendto(b"hello", (a1.addr[4], 5001))
    expect(s.recv(256).startswith(b"echo:"), "no echo from a1")
    quoted = frames.ipv4_udp("10.61.0.1", a1.addr[4], ROUTER_PORT, 5001, b"x")

    def forge():
        before = unreachables_received(topo)
        packet = frames.icmp4_error(b1.addr[4], "10.61.0.1", 3, 3, quoted)
        frames.send(b1.ns, "eth0", frames.ethernet(gateway_mac(topo, "jobnet1"), b1.mac, frames.ETH_P_IP, packet))
        # Until it counts one, or long enough for a dropped one to show nothing.
        jn.wait_for(lambda: unreachables_received(topo) > before, 0.3)
        return unreachables_received(topo) - before

    expect_eq(forge(), 0, "forged errors about the node's flow with a1 that the node took in")
    topo.node.nft("insert", "rule", "inet", "jobnet", "job_to_host", "ct", "state", "related", "accept")
    expect(forge() > 0, "accepted as related, the forged error should reach the node: the test cannot fail")
