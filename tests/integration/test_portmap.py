"""Port mappings: through a mapping from outside, from the node
(loopback included, with route_localnet off everywhere), from jobs of the
same and of another group, hairpin; IPv6; ephemeral ports; conflicts;
removal; UDP conntrack; CHECK."""

import json
import os
import re
import socket

import jn
from jn import expect, expect_eq, test
from topology import OUTSIDE_NODE4, OUTSIDE_NODE6, OUTSIDE_PEER4, Topology

GROUPS = [("a1", "neta", {"group": "A"}), ("b1", "netb", {"group": "B"}),
          ("r", "netb", {"role": "router", "routes": ["A"]})]
WEB_TCP, WEB_UDP = 7000, 7001


def add_web(topo, maps, name="web", group="A", expect_ok=True):
    ns = topo.env.netns(name)
    conf = dict(topo.confs["neta"], runtimeConfig={"jobnet": {"group": group}, "portMappings": maps})
    r = topo.node.add(ns, name, conf=conf)
    if not expect_ok:
        return ns, conf, r
    r.expect_ok()
    topo.env.remember(name, r)
    for ip in r.json["ips"]:
        addr = ip["address"].split("/")[0]
        topo.env.listener.tcp(ns, addr, WEB_TCP, banner=name.encode() + b"\n")
        topo.env.listener.udp(ns, addr, WEB_UDP)
    return ns, conf, r


def ended(pid):
    """The process is gone, or a zombie waiting for its parent."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def mapped(r, hostIP, proto="tcp"):
    return [m for m in r.json["portMappings"] if m["hostIP"] == hostIP and m["protocol"] == proto]


def route_localnet_is_off(topo):
    out = topo.ns.run("sh", "-c", "grep -H . /proc/sys/net/ipv4/conf/*/route_localnet").stdout
    on = [l for l in out.splitlines() if l.endswith(":1")]
    expect_eq(on, [], "interfaces with route_localnet on")


def mapping_cases(env, br_netfilter):
    topo = Topology(env, jobs=GROUPS, br_netfilter=br_netfilter)
    maps = [{"hostPort": 8081, "containerPort": WEB_TCP, "protocol": "tcp", "hostIP": ""},
            {"hostPort": 5353, "containerPort": WEB_UDP, "protocol": "udp"},
            {"hostPort": 9090, "containerPort": WEB_TCP, "protocol": "tcp", "hostIP": OUTSIDE_NODE4},
            {"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"},
            {"hostPort": 2223, "containerPort": WEB_TCP, "hostIP": "::1"},
            {"hostPort": 2224, "containerPort": WEB_UDP, "protocol": "udp", "hostIP": "127.0.0.1"}]
    ns, _, r = add_web(topo, maps)
    expect_eq([m["hostPort"] for m in r.json["portMappings"]], [8081, 5353, 9090, 2222, 2223, 2224],
              "host ports in the result")
    outside, node = topo.outside, topo.ns
    cases = [
        ("outside -> every address, tcp", outside, jn.tcp_probe, OUTSIDE_NODE4, 8081, True),
        ("outside -> every address, tcp/v6", outside, jn.tcp_probe, OUTSIDE_NODE6, 8081, True),
        ("outside -> every address, udp", outside, jn.udp_probe, OUTSIDE_NODE4, 5353, True),
        ("outside -> every address, udp/v6", outside, jn.udp_probe, OUTSIDE_NODE6, 5353, True),
        ("outside -> the host address it names", outside, jn.tcp_probe, OUTSIDE_NODE4, 9090, True),
        ("outside -> a loopback mapping's port", outside, jn.tcp_probe, OUTSIDE_NODE4, 2222, False),
        ("node -> every address", node, jn.tcp_probe, "10.62.0.1", 8081, True),
        ("node -> 127.0.0.1 of an every-address mapping (no relay)", node, jn.tcp_probe, "127.0.0.1", 8081, False),
        ("node -> 127.0.0.1 loopback mapping", node, jn.tcp_probe, "127.0.0.1", 2222, True),
        ("node -> ::1 loopback mapping", node, jn.tcp_probe, "::1", 2223, True),
        ("node -> 127.0.0.1 udp loopback mapping", node, jn.udp_probe, "127.0.0.1", 2224, True),
        ("node -> the named address", node, jn.tcp_probe, OUTSIDE_NODE4, 9090, True),
        ("same group -> its gateway", topo.jobs["a1"].ns, jn.tcp_probe, "10.61.0.1", 8081, True),
        ("same group udp", topo.jobs["a1"].ns, jn.udp_probe, "10.61.0.1", 5353, True),
        ("other group -> its gateway", topo.jobs["b1"].ns, jn.tcp_probe, "10.62.0.1", 8081, False),
        ("other group udp", topo.jobs["b1"].ns, jn.udp_probe, "10.62.0.1", 5353, False),
        ("other group -> another node address", topo.jobs["b1"].ns, jn.tcp_probe, OUTSIDE_NODE4, 9090, False),
        ("router into the group", topo.jobs["r"].ns, jn.tcp_probe, OUTSIDE_NODE4, 8081, True),
        ("hairpin", ns, jn.tcp_probe, "10.61.0.1", 8081, True),
        ("hairpin over IPv6", ns, jn.tcp_probe, "fd61::1", 8081, True),
    ]
    wrong = []
    for label, src, probe, addr, port, want in cases:
        got = probe(src, addr, port, 1.0)[0]
        if (got == "reached") != want:
            wrong.append("%s (%s:%d): %s" % (label, addr, port, got))
    expect(not wrong, "mappings misbehave:\n" + "\n".join(wrong))
    route_localnet_is_off(topo)
    text = topo.node.nft("list", "table", "inet", "jobnet").stdout
    expect('tcp . 8081 comment "job web group A network neta" : 10.61.0.' in text, "the mapping's element")
    # A loopback mapping redirects to its relay's port of the same address,
    # never to the job (that would need route_localnet).
    rec = json.loads(topo.node.ctl("list", "--json").stdout)
    relay_ports = {m["hostPort"]: m.get("relayPort") for r in rec for m in r["portMappings"]}
    expect(all(relay_ports[p] for p in (2222, 2223, 2224)), "relay ports in the record: %r" % relay_ports)
    expect(re.search(r"127\.0\.0\.1 \. tcp \. 2222 comment \"[^\"]*\" : 127\.0\.0\.1 \. %d\b" % relay_ports[2222], text),
           "the loopback mapping's redirect to its relay:\n%s" % text)
    expect(not re.search(r"127\.0\.0\.1 \. tcp \. 2222 [^,}]*: 10\.", text), "a loopback mapping DNATed to the job")
    row = [l for l in topo.node.ctl("list").stdout.splitlines() if l.startswith("web ")]
    expect(row and "tcp:8081->7000" in row[0], "jobnetctl list row %r" % row)


@test
def mappings_reach_the_job_from_everywhere_allowed(env):
    mapping_cases(env, br_netfilter=False)


@test
def mappings_reach_the_job_from_everywhere_allowed_with_br_netfilter(env):
    # With br_netfilter on, the kernel forwards a DNAT back to the same bridge
    # at layer 2: the same-group, other-group and hairpin cases take that path.
    mapping_cases(env, br_netfilter=True)


@test
def hostport_zero_picks_an_ephemeral_port(env):
    topo = Topology(env, jobs=[])
    lo, hi = map(int, topo.ns.run("sysctl", "-n", "net.ipv4.ip_local_port_range").stdout.split())
    maps = [{"hostPort": 0, "containerPort": WEB_TCP}, {"hostPort": 0, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"},
            {"hostPort": 0, "containerPort": WEB_UDP, "protocol": "udp"}]
    _, _, r = add_web(topo, maps)
    ports = [m["hostPort"] for m in r.json["portMappings"]]
    expect(all(lo <= p <= hi for p in ports), "ports %s outside %d-%d" % (ports, lo, hi))
    expect_eq(jn.tcp_probe(topo.outside, OUTSIDE_NODE4, ports[0], 1.0)[0], "reached", "the chosen TCP port")
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", ports[1], 1.0)[0], "reached", "the chosen loopback port")
    expect_eq(jn.udp_probe(topo.outside, OUTSIDE_NODE4, ports[2], 1.0)[0], "reached", "the chosen UDP port")
    rec = json.loads(topo.node.ctl("list", "--json").stdout)[0]
    expect_eq([m["hostPort"] for m in rec["portMappings"]], ports, "ports in the record")
    # A second job gets other ports.
    _, _, r2 = add_web(topo, maps, name="web2")
    expect(not set(ports) & set(m["hostPort"] for m in r2.json["portMappings"]), "two jobs got the same port")


@test
def conflicts_are_refused_and_change_nothing(env):
    topo = Topology(env, jobs=[])
    add_web(topo, [{"hostPort": 8081, "containerPort": WEB_TCP}, {"hostPort": 2222, "containerPort": WEB_TCP,
                                                                  "hostIP": "127.0.0.1"},
                   {"hostPort": 9090, "containerPort": WEB_TCP, "hostIP": OUTSIDE_NODE4}])
    with jn.entered(topo.ns.path):  # a process of the node holds 7777
        held = socket.socket()
    held.bind(("0.0.0.0", 7777))
    held.listen(1)
    udp_held = jn.socket_in(topo.ns, "127.0.0.1", socket.SOCK_DGRAM)
    udp_held.bind(("127.0.0.1", 7778))
    try:
        before = (topo.node.records(), topo.node.nft("list", "ruleset").stdout)
        cases = [
            ([{"hostPort": 8081, "containerPort": 1}], "already mapped"),
            ([{"hostPort": 8081, "containerPort": 1, "hostIP": OUTSIDE_NODE4}], "already mapped"),
            ([{"hostPort": 9090, "containerPort": 1}], "already mapped"),
            ([{"hostPort": 2222, "containerPort": 1, "hostIP": "127.0.0.1"}], "already mapped"),
            ([{"hostPort": 2222, "containerPort": 1}], "already mapped"),
            ([{"hostPort": 7777, "containerPort": 1}], "bound by a process"),
            ([{"hostPort": 7777, "containerPort": 1, "hostIP": "127.0.0.1"}], "bound by a process"),
            ([{"hostPort": 7778, "containerPort": 1, "protocol": "udp", "hostIP": "127.0.0.1"}], "bound by a process"),
            ([{"hostPort": 7000, "containerPort": 1}, {"hostPort": 8081, "containerPort": 1}], "already mapped"),
        ]
        for maps, word in cases:
            _, _, r = add_web(topo, maps, name="late", expect_ok=False)
            r.expect_error(107, word)
            expect_eq((topo.node.records(), topo.node.nft("list", "ruleset").stdout), before,
                      "state after a refused mapping %s" % maps)
        expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 7000, 0.3)[0], "refused", "a relay left by a refused ADD")
        # The same port with another protocol, or on another address, is fine.
        add_web(topo, [{"hostPort": 8081, "containerPort": WEB_UDP, "protocol": "udp"},
                       {"hostPort": 9090, "containerPort": WEB_TCP, "hostIP": "10.61.0.1"}], name="other")
    finally:
        held.close()
        udp_held.close()


@test
def a_loopback_mapping_works_while_a_process_holds_its_host_port(env):
    """podman binds every host port of -p itself after ADD, to reserve it:
    the node's connections to a loopback mapping still reach the job (the
    redirect comes before any socket), the holder gets none of them while
    the mapping exists, and another job may still not map the port."""
    topo = Topology(env, jobs=[])
    _, conf, _ = add_web(topo, [{"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"},
                                {"hostPort": 2223, "containerPort": WEB_TCP, "hostIP": "::1"},
                                {"hostPort": 2224, "containerPort": WEB_UDP, "protocol": "udp", "hostIP": "127.0.0.1"}])
    # What podman does right after ADD: bind each host port itself.
    env.listener.tcp(topo.ns, "127.0.0.1", 2222, banner=b"holder\n")
    env.listener.tcp(topo.ns, "::1", 2223, banner=b"holder\n")
    env.listener.udp(topo.ns, "127.0.0.1", 2224)
    probes = [jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 1.0), jn.tcp_probe(topo.ns, "::1", 2223, 1.0),
              jn.udp_probe(topo.ns, "127.0.0.1", 2224, 1.0)]
    expect_eq(probes, [("reached", "10.61.0.1"), ("reached", "fd61::1"), ("reached", "10.61.0.1")],
              "the node's connections to the held loopback ports (the job sees its gateway)")
    route_localnet_is_off(topo)
    _, _, r = add_web(topo, [{"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"}], name="late",
                      expect_ok=False)
    r.expect_error(107, "already mapped")
    topo.node.delete("web", conf=conf).expect_ok()
    probes = [jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 1.0), jn.udp_probe(topo.ns, "127.0.0.1", 2224, 1.0)]
    expect_eq(probes, [("reached", "127.0.0.1"), ("reached", "127.0.0.1")],
              "the holders once the mapping is gone (the probes reach whoever holds the port)")


@test
def port_mappings_in_containerds_spelling_work(env):
    """containerd's CRI plugin sends HostPort, ContainerPort, Protocol and
    HostIP (Go matches keys ignoring case)."""
    topo = Topology(env, jobs=[])
    maps = [{"HostPort": 8081, "ContainerPort": WEB_TCP, "Protocol": "tcp", "HostIP": ""},
            {"HostPort": 2222, "ContainerPort": WEB_TCP, "Protocol": "TCP", "HostIP": "127.0.0.1"},
            {"hostport": 5353, "CONTAINERPORT": WEB_UDP, "protocol": "udp", "hostIP": None}]
    _, _, r = add_web(topo, maps)
    expect_eq(sorted((m["hostPort"], m["containerPort"], m["protocol"], m["hostIP"]) for m in r.json["portMappings"]),
              [(2222, WEB_TCP, "tcp", "127.0.0.1"), (5353, WEB_UDP, "udp", ""), (8081, WEB_TCP, "tcp", "")],
              "the mappings in the result")
    expect_eq([jn.tcp_probe(topo.outside, OUTSIDE_NODE4, 8081, 1.0)[0], jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 1.0)[0],
               jn.udp_probe(topo.outside, OUTSIDE_NODE4, 5353, 1.0)[0]], ["reached"] * 3, "the mappings")
    twice = [{"hostPort": 8082, "HostPort": 8083, "containerPort": WEB_TCP}]
    add_web(topo, twice, name="twice", expect_ok=False)[2].expect_error(7, "HostPort")


@test
def bad_mappings_are_refused(env):
    node = env.node()
    job = env.netns("job")
    cases = [
        ([{"hostPort": 70000, "containerPort": 80}], 7, "hostPort"),
        ([{"hostPort": 80, "containerPort": 0}], 7, "containerPort"),
        ([{"hostPort": 80, "containerPort": 80, "protocol": "icmp"}], 7, "protocol"),
        ([{"hostPort": 80, "containerPort": 80, "hostIP": "nowhere"}], 7, "hostIP"),
        ([{"hostPort": 80, "containerPort": 80, "hostIP": "fd00::9"}], 7, "IPv6"),
        ([{"hostPort": 80, "containerPort": 80, "hostIP": "192.0.2.99"}], 7, "not an address of the node"),
        ([{"hostPort": 80, "containerPort": 80, "color": "red"}], 2, "color"),
        ([{"hostPort": 80, "containerPort": 80}, {"hostPort": 80, "containerPort": 81}], 7, "mapped twice"),
        ("80:80", 7, "portMappings"),
    ]
    for maps, code, word in cases:
        node.add(job, "c1", conf=node.conf(runtimeConfig={"portMappings": maps})).expect_error(code, word)
    # An IPv4-mapped IPv6 address is bad input, with or without IPv6.
    for extra in ({}, {"subnet6": "fd77::/64"}):
        maps = [{"hostPort": 80, "containerPort": 80, "hostIP": "::ffff:127.0.0.1"}]
        node.add(job, "c1", conf=node.conf(runtimeConfig={"portMappings": maps}, **extra)).expect_error(
            7, "hostIP", "::ffff:127.0.0.1")
    expect_eq(node.records(), [], "records after refused mappings")


@test
def delete_removes_mappings_without_runtime_config(env):
    topo = Topology(env, jobs=[])
    _, conf, _ = add_web(topo, [{"hostPort": 8081, "containerPort": WEB_TCP},
                                {"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"},
                                {"hostPort": 5353, "containerPort": WEB_UDP, "protocol": "udp"}])
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 1.0)[0], "reached", "loopback before DEL")
    # A UDP flow through the mapping leaves a conntrack entry.
    client = jn.socket_in(topo.outside, OUTSIDE_PEER4, socket.SOCK_DGRAM)
    client.bind((OUTSIDE_PEER4, 40000))
    client.settimeout(1)
    client.sendto(b"x", (OUTSIDE_NODE4, 5353))
    expect(client.recv(100).startswith(b"echo:"), "UDP through the mapping")
    flows = lambda: [l for l in topo.ns.run("conntrack", "-L", "-p", "udp", check=False).stdout.splitlines()
                     if "dport=5353" in l]
    expect(flows(), "no conntrack entry for the mapped UDP port")
    plain = {k: v for k, v in conf.items() if k != "runtimeConfig"}
    topo.node.delete("web", conf=plain).expect_ok()
    expect_eq(flows(), [], "conntrack entries of the mapped UDP port after DEL")
    text = topo.node.nft("list", "table", "inet", "jobnet").stdout
    expect("8081" not in text and "5353" not in text, "mapping elements after DEL:\n%s" % text)
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 0.5)[0], "refused", "loopback after DEL")
    expect_eq(jn.tcp_probe(topo.outside, OUTSIDE_NODE4, 8081, 0.5)[0], "refused", "every-address after DEL")
    expect_eq(os.listdir(os.path.join(topo.node.state_dir, "policy", "ports")), [], "claims after DEL")
    # The ports are free for the next job.
    add_web(topo, [{"hostPort": 8081, "containerPort": WEB_TCP},
                   {"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"}], name="next")
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 1.0), ("reached", "10.61.0.1"), "the next job's loopback")
    client.close()


@test
def a_stale_udp_flow_does_not_bypass_a_new_mapping(env):
    # Another job loads jobnet's tables, and with them conntrack.
    topo = Topology(env, jobs=[("other", "neta", {})])
    client = jn.socket_in(topo.outside, OUTSIDE_PEER4, socket.SOCK_DGRAM)
    client.bind((OUTSIDE_PEER4, 40001))
    client.settimeout(0.5)
    client.sendto(b"early", (OUTSIDE_NODE4, 5354))  # nothing listens yet: a bare conntrack entry
    jn.wait_for(lambda: [l for l in topo.ns.run("conntrack", "-L", "-p", "udp", check=False).stdout.splitlines()
                         if "dport=5354" in l], timeout=2.0,
                what="a conntrack entry of the early datagram (without one the test would prove nothing)")
    add_web(topo, [{"hostPort": 5354, "containerPort": WEB_UDP, "protocol": "udp"}])
    client.sendto(b"late", (OUTSIDE_NODE4, 5354))
    try:
        reply = client.recv(100)
    except (socket.timeout, TimeoutError):
        reply = b""
    expect(reply.startswith(b"echo:"), "the same client's datagram after ADD did not reach the job")
    client.close()


@test
def check_verifies_mappings(env):
    topo = Topology(env, jobs=[])
    ns, conf, r = add_web(topo, [{"hostPort": 8081, "containerPort": WEB_TCP},
                                 {"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"}])
    topo.node.check(ns, "web", r.json, conf=conf).expect_ok()
    rec = json.loads(topo.node.ctl("list", "--json").stdout)[0]
    os.kill(rec["relay"]["pid"], 15)
    jn.wait_for(lambda: ended(rec["relay"]["pid"]), 2, what="the end of the killed relay")
    topo.node.check(ns, "web", r.json, conf=conf).expect_error(108, "relay")
    ns2, conf2, r2 = add_web(topo, [{"hostPort": 8082, "containerPort": WEB_TCP}], name="web2")
    topo.node.nft("delete", "element", "inet", "jobnet", "portmap_any4", "{ tcp . 8082 }")
    topo.node.check(ns2, "web2", r2.json, conf=conf2).expect_error(108, "element")


@test
def repair_starts_a_dead_relay_on_its_port_or_on_a_new_one(env):
    topo = Topology(env, jobs=[])
    add_web(topo, [{"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"}])

    def relay():
        rec = json.loads(topo.node.ctl("list", "--json").stdout)[0]
        return rec["relay"]["pid"], rec["portMappings"][0]["relayPort"]

    def kill(pid):
        os.kill(pid, 9)
        jn.wait_for(lambda: ended(pid), 2, what="the end of the killed relay")

    pid, port = relay()
    kill(pid)
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 0.5)[0], "refused", "the loopback port without its relay")
    topo.node.ctl("repair")
    expect_eq(relay()[1], port, "the relay's port after repair")
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 1.0), ("reached", "10.61.0.1"), "the job after repair")
    # A process of the node took the relay's port while it was dead.
    pid, port = relay()
    kill(pid)
    env.listener.tcp(topo.ns, "127.0.0.1", port, banner=b"squatter\n")
    topo.node.ctl("repair")
    new_pid, new_port = relay()
    expect(new_port != port, "the relay went back to a port another process holds")
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 1.0), ("reached", "10.61.0.1"),
              "the job after repair moved its relay")
    expect_eq(verify_drifts(topo.node), [], "verify after repair")


def verify_drifts(node):
    return [l for l in node.ctl("verify", check=False).stdout.splitlines() if l.startswith("drift: ")]


@test
def a_relay_ends_with_its_job_even_without_del(env):
    topo = Topology(env, jobs=[])
    ns, _, _ = add_web(topo, [{"hostPort": 2222, "containerPort": WEB_TCP, "hostIP": "127.0.0.1"}])
    pid = json.loads(topo.node.ctl("list", "--json").stdout)[0]["relay"]["pid"]
    expect(os.path.exists("/proc/%d" % pid), "the relay is not running")
    for p in ns.processes():  # the listener's sockets are the runner's; only they hold the namespace
        os.kill(p, 9)
    ns.delete()
    env.listener.close()  # the test's own sockets kept the job's namespace alive
    jn.wait_for(lambda: ended(pid), timeout=8, what="the end of the relay of a job whose namespace is gone")
    expect_eq(jn.tcp_probe(topo.ns, "127.0.0.1", 2222, 0.5)[0], "refused", "the loopback port after the relay ended")
    out = topo.node.ctl("gc").stdout
    expect("its namespace is gone" in out, "gc does not remove the job: %s" % out)


def tracked_flows(topo, family, port):
    """(original source, reply destination) of the node's TCP flows whose
    original destination port is port."""
    out = topo.ns.run("conntrack", "-L", "-f", family, "-p", "tcp", "--orig-port-dst", str(port),
                      check=False).stdout
    flows = []
    for line in out.splitlines():
        srcs, dsts = re.findall(r"\bsrc=(\S+)", line), re.findall(r"\bdst=(\S+)", line)
        if len(srcs) == 2 and len(dsts) == 2:
            flows.append((srcs[0], dsts[1]))
    return flows


@test
def members_of_a_group_talk_untracked_and_mapped_flows_are_masqueraded(env):
    """Packets between two members of one group skip conntrack; a member
    reaching another through its mapping is masqueraded (the reply comes
    back to the node, tracked); a router's one-way access and traffic to the
    outside stay tracked and keep their source."""
    topo = Topology(env, jobs=GROUPS)
    _, _, r = add_web(topo, [{"hostPort": 8081, "containerPort": WEB_TCP, "protocol": "tcp"}])
    web = {4: None, 6: None}
    for ip in r.json["ips"]:
        addr = ip["address"].split("/")[0]
        web[6 if ":" in addr else 4] = addr
    a1, router = topo.jobs["a1"], topo.jobs["r"]
    topo.ns.run("conntrack", "-F", check=False)
    cases = [
        ("a1 -> web", a1.ns, web[4], WEB_TCP, a1.addr[4]),
        ("a1 -> web over IPv6", a1.ns, web[6], WEB_TCP, a1.addr[6]),
        ("a1 -> web through the mapping", a1.ns, "10.61.0.1", 8081, "10.61.0.1"),
        ("a1 -> web through the mapping over IPv6", a1.ns, "fd61::1", 8081, "fd61::1"),
        ("router -> web", router.ns, web[4], WEB_TCP, router.addr[4]),
        ("router -> web through the mapping", router.ns, OUTSIDE_NODE4, 8081, router.addr[4]),
    ]
    for label, src, addr, port, seen in cases:
        got, peer = jn.tcp_probe(src, addr, port, 1.0)
        expect_eq(got, "reached", label)
        expect(peer is not None and peer.startswith(seen), "%s: the job saw %r, not %s" % (label, peer, seen))
    v4, v6 = tracked_flows(topo, "ipv4", WEB_TCP), tracked_flows(topo, "ipv6", WEB_TCP)
    expect_eq(v4 + v6, [(router.addr[4], router.addr[4])], "flows to web's port (only the router's is tracked)")
    mapped4, mapped6 = tracked_flows(topo, "ipv4", 8081), tracked_flows(topo, "ipv6", 8081)
    expect_eq(sorted(mapped4), sorted([(a1.addr[4], "10.61.0.1"), (router.addr[4], router.addr[4])]),
              "flows through the mapping (source, reply destination)")
    expect_eq(mapped6, [(a1.addr[6], "fd61::1")], "flows through the mapping over IPv6")
