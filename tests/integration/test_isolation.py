"""Isolation: who reaches whom, probed with TCP, UDP and ICMP over
IPv4 and IPv6, with br_netfilter off and on; the route_localnet hole; what
DEL leaves behind; what the table says; coexistence with other tables."""

import re
import socket

import jn
from jn import expect, expect_eq, test
from topology import (HOST_SERVICES, JOB_TCP, JOB_UDP, METADATA4, METADATA6, NODENET, NODENET_OTHER, NODENET_PEER,
                      OUTSIDE_NODE4, OUTSIDE_NODE6, OUTSIDE_PEER4, OUTSIDE_PEER6, Matrix, Topology, may_talk)

PROTOS = [("tcp", JOB_TCP), ("udp", JOB_UDP), ("icmp", None)]


def build_matrix(topo):
    m = Matrix()
    jobs = list(topo.jobs.values())
    for src in jobs:
        for dst in jobs:
            if src is dst:
                continue
            for fam in (4, 6):
                for proto, port in PROTOS:
                    m.expect("%s -> %s %s/v%d" % (src.name, dst.name, proto, fam), may_talk(src, dst), src.ns, proto,
                             dst.addr[fam], port)
    for dst in jobs:
        for fam in (4, 6):
            for proto, port in PROTOS:
                # Rule 5: the node reaches every job; the outside none directly.
                m.expect("node -> %s %s/v%d" % (dst.name, proto, fam), True, topo.ns, proto, dst.addr[fam], port)
                m.expect("outside -> %s %s/v%d" % (dst.name, proto, fam), False, topo.outside, proto, dst.addr[fam],
                         port)
    for src in jobs:
        world = {4: OUTSIDE_PEER4, 6: OUTSIDE_PEER6}
        metadata = {4: METADATA4, 6: METADATA6}
        for fam in (4, 6):
            for proto, port in (("tcp", 80), ("udp", 53), ("icmp", None)):
                # Rule 4: anywhere else; rule 3: never the metadata endpoints.
                m.expect("%s -> world %s/v%d" % (src.name, proto, fam), True, src.ns, proto, world[fam], port)
                m.expect("%s -> metadata %s/v%d" % (src.name, proto, fam), False, src.ns, proto, metadata[fam], port)
        is_peer = NODENET_PEER + "/32" in src.peers
        for proto, port in (("tcp", 80), ("udp", 53), ("icmp", None)):
            m.expect("%s -> node network peer %s" % (src.name, proto), is_peer, src.ns, proto, NODENET_PEER, port)
            m.expect("%s -> node network other %s" % (src.name, proto), False, src.ns, proto, NODENET_OTHER, port)
        # Rule 2: no service of the node, on any of its addresses, but those allowed.
        for fam, addrs in topo.node_addresses().items():
            for addr in addrs:
                for proto, port in HOST_SERVICES + [("icmp", None)]:
                    allowed = proto == "udp" and port == 53 and src.network == "neta"
                    m.expect("%s -> node %s %s/%s" % (src.name, addr, proto, port), allowed, src.ns, proto, addr, port)
    return m


def masquerade_is_seen(topo):
    for job in topo.jobs.values():
        expect_eq(jn.tcp_probe(job.ns, OUTSIDE_PEER4, 80, 1.0), ("reached", OUTSIDE_NODE4),
                  "%s reaching the world, as the world sees it" % job.name)
        expect_eq(jn.tcp_probe(job.ns, OUTSIDE_PEER6, 80, 1.0), ("reached", OUTSIDE_NODE6),
                  "%s reaching the world over IPv6, as the world sees it" % job.name)


@test
def reachability_matrix_without_br_netfilter(env):
    topo = Topology(env, br_netfilter=False)
    expect_eq(topo.ns.run("sysctl", "-n", "net.bridge.bridge-nf-call-iptables").stdout.strip(), "0", "br_netfilter")
    n = build_matrix(topo).run()
    expect(n > 300, "only %d probes" % n)
    masquerade_is_seen(topo)
    # The test can fail: without jobnet's forward rules, b1 reaches a1 (on
    # another bridge) and lone reaches a1 (on the same one).
    a1, b1, lone = topo.jobs["a1"], topo.jobs["b1"], topo.jobs["lone"]
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP)[0], "timeout", "b1 -> a1 with jobnet's rules")
    topo.node.nft("flush", "chain", "inet", "jobnet", "forward")
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP)[0], "reached", "b1 -> a1 once forward is flushed")
    expect_eq(jn.tcp_probe(lone.ns, a1.addr[6], JOB_TCP)[0], "reached", "lone -> a1 once forward is flushed")


@test
def reachability_matrix_with_br_netfilter(env):
    topo = Topology(env, br_netfilter=True)
    expect_eq(topo.ns.run("sysctl", "-n", "net.bridge.bridge-nf-call-iptables").stdout.strip(), "1", "br_netfilter")
    n = build_matrix(topo).run()
    expect(n > 300, "only %d probes" % n)
    masquerade_is_seen(topo)


@test
def the_route_localnet_hole_stays_closed(env):
    topo = Topology(env, jobs=[])
    # Make the node accept 127.0.0.0/8 from outside (what route_localnet=1
    # does, as kube-proxy sets it), and the outside send there.
    topo.ns.sysctl("net.ipv4.conf.all.route_localnet", 1)
    topo.ns.sysctl("net.ipv4.conf.up0.route_localnet", 1)
    topo.outside.sysctl("net.ipv4.conf.all.route_localnet", 1)
    topo.outside.sysctl("net.ipv4.conf.wan0.route_localnet", 1)
    topo.outside.ip("addr", "del", "127.0.0.1/8", "dev", "lo")
    topo.outside.ip("route", "add", "127.0.0.1/32", "via", OUTSIDE_NODE4, "src", OUTSIDE_PEER4)
    # Any job ADD loads the tables; then the probe from outside must fail.
    topo.add_job("x", "neta", {})
    expect_eq(jn.tcp_probe(topo.outside, "127.0.0.1", 8080, 1.0)[0], "timeout", "outside -> node 127.0.0.1:8080")
    # The test can fail: without rule 7 the packet gets through.
    topo.node.nft("flush", "chain", "inet", "jobnet", "prerouting")
    expect_eq(jn.tcp_probe(topo.outside, "127.0.0.1", 8080, 1.0)[0], "reached", "the same without rule 7")


@test
def a_dnat_to_a_host_address_is_still_the_host(env):
    topo = Topology(env, jobs=[("a1", "neta", {"group": "A"})])
    a1 = topo.jobs["a1"]
    # Another program's rule sends an address to the node's own sshd.
    topo.ns.run("nft", "-f", "-", input="""table ip other {
        chain prerouting {
            type nat hook prerouting priority dstnat; policy accept;
            ip daddr 198.18.0.1 tcp dport 22 dnat to 10.61.0.1:22
            ip daddr 198.18.0.1 udp dport 53 dnat to 10.61.0.1:53
        }
    }""")
    expect_eq(jn.tcp_probe(a1.ns, "198.18.0.1", 22, 1.0)[0], "timeout", "a1 -> node sshd through a DNAT")
    expect_eq(jn.udp_probe(a1.ns, "198.18.0.1", 53, 1.0)[0], "reached", "a1 -> allowed udp/53 through a DNAT")


def all_elements(node):
    """Every element of jobnet's two tables, as text."""
    return ["%s %s: %s" % (table.split()[0], name, text) for table, name, _, text in node.elements()]


@test
def delete_removes_every_element_and_connection(env):
    topo = Topology(env)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    # Flows that leave conntrack entries: a long TCP connection and UDP.
    held = jn.socket_in(a1.ns, OUTSIDE_PEER4, socket.SOCK_STREAM)
    held.connect((OUTSIDE_PEER4, 80))
    expect_eq(jn.udp_probe(a1.ns, a2.addr[4], JOB_UDP)[0], "reached", "a1 -> a2 udp")
    expect_eq(jn.udp_probe(topo.ns, a1.addr[6], JOB_UDP)[0], "reached", "node -> a1 udp/v6")

    def entries(addr):
        out = topo.ns.run("conntrack", "-L", "-f", "ipv6" if ":" in addr else "ipv4", check=False).stdout
        return [l for l in out.splitlines() if re.search(r"=%s(\s|$)" % re.escape(addr), l)]

    expect(entries(a1.addr[4]) and entries(a1.addr[6]), "no conntrack entry to begin with: %r" % entries(a1.addr[4]))
    before = all_elements(topo.node)
    mine = [e for e in before if a1.addr[4] in e or a1.addr[6] in e or a1.veth in e or a1.mac in e]
    expect(len(mine) >= 10, "a1 has too few elements: %s" % mine)
    topo.delete_job("a1")
    held.close()
    after = all_elements(topo.node)
    topo.node.expect_clean("a1")
    # Only a1's went: everything else is still listed.
    expect_eq(sorted(after), sorted(e for e in before if e not in mine), "elements of the others after DEL")
    expect_eq(entries(a1.addr[4]) + entries(a1.addr[6]), [], "conntrack entries of a1 after DEL")
    # The pairs of the others are intact: a2 still reaches a3.
    expect_eq(jn.tcp_probe(a2.ns, topo.jobs["a3"].addr[4], JOB_TCP)[0], "reached", "a2 -> a3 after a1's DEL")


def flows_of(topo, addr):
    out = topo.ns.run("conntrack", "-L", "-f", "ipv6" if ":" in addr else "ipv4", check=False).stdout
    return [l for l in out.splitlines() if re.search(r"=%s(\s|$)" % re.escape(addr), l)]


def flow_count(topo):
    return int(topo.ns.run("conntrack", "-C").stdout.strip())


@test
def delete_finds_a_jobs_flows_among_many(env):
    """DEL reads every flow of the node in one dump while they are few, and
    asks the kernel for the job's alone (two filtered dumps per address)
    once there are more than 1/64 of the conntrack hash's buckets (README,
    Performance). Past that point too, the job's flows go and no other."""
    topo = Topology(env)
    a1 = topo.jobs["a1"]
    buckets = int(open("/proc/sys/net/netfilter/nf_conntrack_buckets").read())
    held = jn.socket_in(a1.ns, OUTSIDE_PEER4, socket.SOCK_STREAM)
    held.connect((OUTSIDE_PEER4, 80))
    expect_eq(jn.udp_probe(topo.ns, a1.addr[6], JOB_UDP)[0], "reached", "node -> a1 udp/v6")
    # a1 has two addresses: four filtered walks, or one dump when the node
    # has at most 3/64 of the buckets in flows. Make more: unanswered
    # datagrams from the outside to a closed port of the node, one flow
    # each (for 30 s).
    threshold = 3 * (buckets // 64)
    with jn.entered(topo.outside.path):
        for port in range(10000, 10000 + threshold + 1000):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((OUTSIDE_PEER4, port))
            u.sendto(b"x", (OUTSIDE_NODE4, 9))
            u.close()
    before = flow_count(topo)
    expect(before > threshold, "only %d flows in the node (%d buckets)" % (before, buckets))
    expect(flows_of(topo, a1.addr[4]) and flows_of(topo, a1.addr[6]), "a1 has no flow to begin with")
    topo.delete_job("a1")
    held.close()
    expect_eq(flows_of(topo, a1.addr[4]) + flows_of(topo, a1.addr[6]), [], "conntrack entries of a1 after DEL")
    expect(flow_count(topo) >= before - 10, "DEL took other flows too: %d of %d left" % (flow_count(topo), before))


@test
def a_peer_range_opens_exactly_that_range(env):
    """Peers may be whole prefixes: the job's element spans the prefix (its
    first and last address), in both families, and DEL removes it."""
    topo = Topology(env, jobs=[("w", "neta", {"group": "A", "peers": [NODENET, "2001:db8:ff::/120"]}),
                               ("v", "neta", {"group": "A"})])
    w, v = topo.jobs["w"], topo.jobs["v"]
    v4 = topo.node.nft("list", "set", "inet", "jobnet", "job_peers4").stdout
    v6 = topo.node.nft("list", "set", "inet", "jobnet", "job_peers6").stdout
    expect("%s . %s" % (w.addr[4], NODENET) in v4, "job_peers4 lacks w's range:\n" + v4)
    expect("%s . 2001:db8:ff::/120" % w.addr[6] in v6, "job_peers6 lacks w's range:\n" + v6)
    for addr, want_w in ((NODENET_PEER, "reached"), (NODENET_OTHER, "reached"), (METADATA4, "timeout")):
        expect_eq(jn.tcp_probe(w.ns, addr, 80)[0], want_w, "w -> %s" % addr)
        expect_eq(jn.tcp_probe(v.ns, addr, 80)[0], "timeout", "v (no peers) -> %s" % addr)
    # Inside the range, outside the protected network: the outside peer.
    expect_eq(jn.tcp_probe(w.ns, OUTSIDE_PEER6, 80)[0], "reached", "w -> the outside over IPv6")
    topo.delete_job("w")
    left = topo.node.nft("list", "set", "inet", "jobnet", "job_peers4").stdout + \
        topo.node.nft("list", "set", "inet", "jobnet", "job_peers6").stdout
    expect(w.addr[4] not in left and w.addr[6] not in left, "w's ranges outlive its DEL:\n" + left)


@test
def the_table_says_whose_address_and_why(env):
    topo = Topology(env)
    text = topo.node.nft("list", "table", "inet", "jobnet").stdout
    a1, a2, r = topo.jobs["a1"], topo.jobs["a2"], topo.jobs["r"]
    expect("%s comment \"job a1 group A network neta\"" % a1.addr[4] in text, "a1's address comment:\n%s" % text)
    expect("%s . %s comment \"group A: a1 -> a2\"" % (a1.addr[4], a2.addr[4]) in text, "the a1 -> a2 pair")
    expect("%s . %s comment \"router r routes A: r -> a1\"" % (r.addr[4], a1.addr[4]) in text, "the r -> a1 pair")
    expect("%s . %s comment" % (a1.addr[4], r.addr[4]) not in text, "a pair from a member to the router")
    bridge = topo.node.nft("list", "table", "bridge", "jobnet").stdout
    expect("\"%s\" . %s comment \"job a1" % (a1.veth, a1.mac) in bridge, "a1's MAC in the bridge table")
    # No rule per job: the ruleset has as many rules with 6 jobs as with none.
    rules = len(re.findall(r"^\t\t(?!type |elements|comment|flags)\S.*$", text, re.M))
    empty = Topology(env, jobs=[])
    empty.add_job("only", "neta", {})
    text1 = empty.node.nft("list", "table", "inet", "jobnet").stdout
    expect_eq(len(re.findall(r"^\t\t(?!type |elements|comment|flags)\S.*$", text1, re.M)), rules, "rules")


@test
def check_finds_a_missing_pair(env):
    topo = Topology(env)
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    conf = dict(topo.confs["neta"], runtimeConfig={"jobnet": {"group": "A", "peers": [NODENET_PEER + "/32"]}})
    topo.node.check(a1.ns, "a1", a1.result.json, conf=conf).expect_ok()
    topo.node.nft("delete", "element", "inet", "jobnet", "job_talk4", "{ %s . %s }" % (a1.addr[4], a2.addr[4]))
    topo.node.check(a1.ns, "a1", a1.result.json, conf=conf).expect_error(108, "element")
    topo.node.check(a2.ns, "a2", a2.result.json, conf=topo.confs["neta"]).expect_ok()
    topo.node.nft("delete", "element", "bridge", "jobnet", "port_ip4", '{ "%s" . %s }' % (a2.veth, a2.addr[4]))
    topo.node.check(a2.ns, "a2", a2.result.json, conf=topo.confs["neta"]).expect_error(108, "element")


@test
def other_tables_are_left_alone(env):
    node = env.node()
    others = """table ip filter {
        chain FORWARD {
            type filter hook forward priority filter; policy accept;
            counter
        }
    }
    table inet firewalld {
        set trusted { type ipv4_addr; elements = { 192.0.2.1 }; }
        chain filter_INPUT {
            type filter hook input priority filter + 10; policy accept;
            ip saddr @trusted accept
        }
    }
    table ip nat {
        chain POSTROUTING {
            type nat hook postrouting priority srcnat; policy accept;
            oifname "docker0" masquerade
        }
    }
    """
    node.ns.run("nft", "-f", "-", input=others)
    before = node.nft("list", "ruleset").stdout
    job = env.netns("job")
    r = node.add(job, "c1").expect_ok()
    env.remember("c1", r)
    node.nft("delete", "table", "inet", "jobnet")  # forces a rebuild on the next ADD
    job2 = env.netns("job2")
    env.remember("c2", node.add(job2, "c2").expect_ok())
    node.delete("c1").expect_ok()
    node.delete("c2").expect_ok()
    after = node.nft("list", "ruleset").stdout
    for table in ("table ip filter", "table inet firewalld", "table ip nat"):
        part = lambda text: text[text.index(table):].split("\n}\n")[0]
        expect_eq(part(after), part(before), "%s after jobnet's ADD, rebuild and DEL" % table)
    expect("meta mark" not in after and "ct mark" not in after, "jobnet set a mark")


@test
def protect_and_host_services_are_validated(env):
    node = env.node()
    job = env.netns("job")
    node.add(job, "c1", conf=node.conf(protect=["10.0.0.1/8"])).expect_error(7, "protect")
    node.add(job, "c1", conf=node.conf(protect="10.0.0.0/8")).expect_error(7, "protect")
    node.add(job, "c1", conf=node.conf(hostServices={"allow": ["dns"]})).expect_error(7, "hostServices.allow", "dns")
    node.add(job, "c1", conf=node.conf(hostServices={"allow": ["tcp/70000"]})).expect_error(7, "tcp/70000")
    node.add(job, "c1", conf=node.conf(hostServices={"deny": []})).expect_error(2, "hostServices.deny")
    # A peer may open a protected network, never a protected host such as
    # the metadata endpoint.
    for peers in (["0.0.0.0/0"], ["169.254.0.0/16"], ["::/0"]):
        conf = node.conf(runtimeConfig={"jobnet": {"group": "g", "peers": peers}})
        node.add(job, "c1", conf=conf).expect_error(7, "peers", "protected")
    expect_eq(node.records(), [], "records after refused ADDs")
