"""Across nodes, operated: jobnetctl peers for a member started later, the
cluster routes as drift and repair, DEL's cleanup, and bad cluster input."""

import json
import os
import re
import socket
import subprocess
import threading

import cluster as cl
import jn
from jn import expect, expect_eq, test

A1 = [(1, 11)]
W = [(2, 11)]
R = [(3, 11)]


def both(addrs):
    return [cl.host_prefix(cl.job_addr(k, slot, fam)) for k, slot in addrs for fam in (4, 6)]


class EchoServer:
    """Long-lived TCP connections into a job: every line comes back."""

    def __init__(self, env, ns, addr, port):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        with jn.entered(ns.path):
            self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        env.defer(self.close)

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, TimeoutError, OSError):
                continue
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn):
        conn.settimeout(30)
        with conn:
            try:
                while True:
                    data = conn.recv(256)
                    if not data:
                        return
                    conn.sendall(data)
            except OSError:
                return

    def close(self):
        self.stop.set()
        self.thread.join(1)
        self.sock.close()


def connect(ns, addr, port):
    s = jn.socket_in(ns, addr, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect((addr, port))
    return s


def echoes(s, text):
    try:
        s.settimeout(1.0)
        s.sendall(text)
        return s.recv(256) == text
    except OSError:
        return False


def elements(node):
    return ["%s %s: %s" % (table.split()[0], name, text) for table, name, _, text in node.elements()]


def flows(ns, addr):
    out = ns.run("conntrack", "-L", "-f", "ipv6" if ":" in addr else "ipv4", check=False).stdout
    return [l for l in out.splitlines() if re.search(r"=%s(\s|$)" % re.escape(addr), l)]


def record_facts(node, cid):
    path = os.path.join(node.node.state_dir, cl.NETWORK, "attachments", "%s:eth0" % cid)
    with open(path) as f:
        return json.load(f)["facts"]


@test
def peers_admits_a_member_started_later_and_cuts_it_off(env):
    c = cl.Cluster(env)
    n1, n2, n3 = c.node(1), c.node(2), c.node(3)
    # The master starts first: no peer known yet.
    a1 = n1.add("a1", 11, {"group": "A"})
    r = n3.add("r", 11, {"group": "R", "role": "router", "routes": ["A"], "peers": both(A1)})
    w = n2.add("w", 11, {"group": "A", "peers": both(A1)})
    echo = {fam: EchoServer(env, a1.ns, a1.addr[fam], 41000) for fam in (4, 6)}
    for fam in (4, 6):
        expect_eq(jn.tcp_probe(w.ns, a1.addr[fam], cl.JOB_TCP)[0], "timeout", "w -> a1 before peers v%d" % fam)
    out = n1.ctl("peers", "A", "--add", ",".join(both(W))).stdout
    expect(cl.host_prefix(w.addr[4]) in out and "a1" in out, "peers --add output: %r" % out)
    held = {}
    for fam in (4, 6):
        expect_eq(jn.tcp_probe(w.ns, a1.addr[fam], cl.JOB_TCP, 1.0), ("reached", w.addr[fam]),
                  "w -> a1 once a1 has w as its peer v%d" % fam)
        expect_eq(jn.tcp_probe(a1.ns, w.addr[fam], cl.JOB_TCP, 1.0), ("reached", a1.addr[fam]),
                  "a1 -> w v%d" % fam)
        held[fam] = connect(w.ns, a1.addr[fam], 41000)
        env.defer(held[fam].close)
        expect(echoes(held[fam], b"one\n"), "the held connection w -> a1 v%d" % fam)
    listing = json.loads(n1.ctl("peers", "A", "--json").stdout)
    expect_eq([(m["containerID"], m["peers"]) for m in listing], [("a1", both(W))], "peers --json")
    expect_eq(record_facts(n1, "a1")["peers"], both(W), "a1's record")
    n1.ctl("verify")
    # Removing the peer ends its open connections at once.
    n1.ctl("peers", "A", "--remove", ",".join(both(W)))
    for fam in (4, 6):
        expect(not echoes(held[fam], b"two\n"), "w's open connection to a1 v%d outlives its removal" % fam)
        expect_eq(jn.tcp_probe(w.ns, a1.addr[fam], cl.JOB_TCP)[0], "timeout", "w -> a1 after removal v%d" % fam)
    # A router: tracked one way; removing it deletes its flows.
    n1.ctl("peers", "A", "--routers", ",".join(both(R)))
    held_r = connect(r.ns, a1.addr[4], 41000)
    env.defer(held_r.close)
    expect(echoes(held_r, b"one\n"), "r's connection to a1")
    expect_eq(jn.tcp_probe(a1.ns, r.addr[4], cl.JOB_TCP)[0], "timeout", "a1 -> r (one way)")
    expect(flows(n1.ns, r.addr[4]), "r's flow is tracked on node 1")
    n1.ctl("peers", "A", "--routers", "")
    expect_eq(flows(n1.ns, r.addr[4]), [], "conntrack entries between a1 and the removed router")
    expect(not echoes(held_r, b"two\n"), "the removed router's open connection survives")
    expect_eq(record_facts(n1, "a1")["routers"], [], "a1's record after --routers \"\"")
    n1.ctl("verify")
    expect_eq(sorted(echo), [4, 6], "echo servers")


@test
def peers_survive_a_flushed_ruleset_and_are_shown(env):
    c = cl.Cluster(env, nodes=2)
    n1, n2 = c.node(1), c.node(2)
    a1 = n1.add("a1", 11, {"group": "A"})
    a2 = n1.add("a2", 12, {"group": "A"})
    w = n2.add("w", 11, {"group": "A", "peers": both([(1, 11), (1, 12)])})
    n1.ctl("peers", "A", "--set", ",".join(both(W)))
    n1.node.nft("flush", "ruleset")
    n1.ctl("repair")
    for job in (a1, a2):
        expect_eq(jn.tcp_probe(w.ns, job.addr[6], cl.JOB_TCP, 1.0), ("reached", w.addr[6]),
                  "w -> %s after repair" % job.name)
    show = n1.ctl("show", "a1").stdout
    expect("peers %s" % ",".join(both(W)) in show, "show lists the peers:\n" + show)
    expect("inet jobnet job_mutual4: %s . %s" % (a1.addr[4], w.addr[4]) in show,
           "show lists the pair with w:\n" + show)
    listed = json.loads(n1.ctl("list", "--json").stdout)
    expect_eq(sorted(x["facts"]["peers"] == both(W) for x in listed), [True, True], "list --json peers")
    text = n1.ctl("peers", "A").stdout
    expect_eq(len(text.strip().splitlines()), 2, "one line per member:\n" + text)


@test
def bad_peers_input_changes_nothing(env):
    c = cl.Cluster(env, nodes=2, listen=False)
    n1 = c.node(1)
    n1.add("a1", 11, {"group": "A", "peers": both(W)})
    n1.add("b1", 12, {"group": "B"})
    before = n1.node.fingerprint(contents=True)
    for args, rc, word in ((["A", "--add", "nonsense"], 2, "nonsense"),
                           (["A", "--add", "10.70.2.1/24"], 2, "10.70.2.1/24"),
                           (["A", "--set", "10.70.2.5", "--add", "10.70.2.6"], 2, "one of"),
                           (["A", "--frobnicate"], 2, "frobnicate"),
                           ([], 2, "which group"),
                           (["no-such-group"], 1, "no member"),
                           (["A", "--network", "elsewhere", "--add", "10.70.2.5"], 1, "elsewhere"),
                           (["A", "--add", "10.70.1.0/28"], 1, "this node's subnet"),
                           (["A", "--set", "10.0.0.0/8"], 1, "beyond the cluster"),
                           (["A", "--add", "169.254.0.0/16"], 1, "protected"),
                           (["A", "--add", "10.70.2.0/24"], 1, "overlap"),
                           (["A", "--routers", "10.70.1.20"], 1, "this node's subnet")):
        p = n1.ctl("peers", *args, check=False)
        expect_eq(p.returncode, rc, "jobnetctl peers %s: %s" % (" ".join(args), p.stderr))
        expect(word in p.stderr, "jobnetctl peers %s does not say %r: %s" % (" ".join(args), word, p.stderr))
        jn.expect_same(before, n1.node.fingerprint(contents=True), "the node after peers %s" % " ".join(args))


@test
def peers_changes_nothing_while_a_record_does_not_read(env):
    """A record that does not read may be a member's: peers refuses the
    change (exit 1, naming the record) rather than leave that member its
    old peers, and goes through once repair has restored the record."""
    c = cl.Cluster(env, nodes=2, listen=False)
    n1 = c.node(1)
    n1.add("a1", 11, {"group": "A"})
    n1.add("a2", 12, {"group": "A"})
    path = os.path.join(n1.node.state_dir, cl.NETWORK, "attachments", "a2:eth0")
    with open(path, "w") as f:
        f.write('{"containerID": ')
    before = n1.node.fingerprint(contents=True)
    p = n1.ctl("peers", "A", "--add", ",".join(both(W)), check=False)
    expect_eq(p.returncode, 1, "jobnetctl peers with a2's record cut short: %s" % p.stderr)
    expect("a2:eth0" in p.stderr and "group A" in p.stderr, "peers does not name the record: %s" % p.stderr)
    jn.expect_same(before, n1.node.fingerprint(contents=True), "the node after the refused change")
    n1.ctl("repair")
    n1.ctl("peers", "A", "--add", ",".join(both(W)))
    expect_eq([record_facts(n1, cid)["peers"] for cid in ("a1", "a2")], [both(W), both(W)],
              "the members' peers once the record reads")
    n1.ctl("verify")


@test
def a_deleted_cluster_route_is_drift_and_repair_restores_it(env):
    c = cl.Cluster(env, nodes=2, listen=False)
    n1, n2 = c.node(1), c.node(2)
    a1 = n1.add("a1", 11, {"group": "A", "peers": both(W)})
    w = n2.add("w", 11, {"group": "A", "peers": both(A1)})
    env.listener.tcp(w.ns, w.addr[4], cl.JOB_TCP)

    def ours():
        return sorted(l.strip() for fam in ("-4", "-6") for l in
                      n1.ns.ip(fam, "route", "show", "proto", "74").stdout.splitlines())
    routes = ours()
    expect_eq(len(routes), 2, "jobnet's routes on node 1: %s" % routes)
    n1.ctl("verify")
    n1.ns.ip("route", "del", cl.subnet(2, 4))
    expect(jn.tcp_probe(a1.ns, w.addr[4], cl.JOB_TCP)[0] != "reached", "a1 -> w without the route")
    p = n1.ctl("verify", check=False)
    expect_eq(p.returncode, 1, "verify with a route missing")
    expect("cluster route %s via %s is missing" % (cl.subnet(2, 4), cl.underlay(2, 4)) in p.stdout, p.stdout)
    out = n1.ctl("repair").stdout
    expect("cluster route %s via %s restored" % (cl.subnet(2, 4), cl.underlay(2, 4)) in out, out)
    expect_eq(ours(), routes, "jobnet's routes after repair")
    expect_eq(jn.tcp_probe(a1.ns, w.addr[4], cl.JOB_TCP, 1.0), ("reached", a1.addr[4]), "a1 -> w after repair")
    # ADD restores a missing one too.
    n1.ns.ip("-6", "route", "del", cl.subnet(2, 6))
    n1.add("a2", 12, {"group": "A"})
    expect_eq(ours(), routes, "jobnet's routes after another ADD")
    # A route of jobnet's that no network lists is drift; repair deletes it,
    # and it never touches another program's route.
    n1.ns.ip("route", "add", "10.70.8.0/24", "via", cl.underlay(2, 4), "proto", "74")
    n1.ns.ip("route", "add", "10.70.9.0/24", "via", cl.underlay(2, 4), "proto", "static")
    p = n1.ctl("verify", check=False)
    expect("cluster route 10.70.8.0/24 via %s (protocol 74) belongs to no network" % cl.underlay(2, 4) in p.stdout,
           p.stdout)
    expect("10.70.9.0" not in p.stdout, "verify reports another program's route:\n" + p.stdout)
    n1.ctl("repair")
    expect_eq(ours(), routes, "jobnet's routes after repair deleted the orphan")
    expect("10.70.9.0/24" in n1.ns.ip("route", "show", "proto", "static").stdout, "the static route survives")
    n1.ctl("verify")
    # Someone else's route to a configured destination another way: ADD
    # refuses (error 7) and changes nothing.
    n1.ns.ip("route", "del", cl.subnet(2, 4))
    n1.ns.ip("route", "add", cl.subnet(2, 4), "via", "192.168.77.7", "proto", "static")
    n1.add("a3", 13, {"group": "A"}, expect_ok=False).expect_error(7, "cluster.routes", "another program")
    expect("a3:eth0" not in n1.node.records(), "a refused ADD left a record")
    p = n1.ctl("verify", check=False)
    expect("not jobnet's: left alone" in p.stdout, p.stdout)


@test
def a_configuration_without_a_route_drops_it(env):
    c = cl.Cluster(env, nodes=3, listen=False)
    n1 = c.node(1)
    n1.add("a1", 11, {"group": "A"})
    conf = n1.conf()
    conf["cluster"]["routes"] = [r for r in conf["cluster"]["routes"] if not r["dst"].startswith("10.70.3.")]
    ns = env.netns("a2")
    env.remember("a2", n1.node.add(ns, "a2", conf=conf).expect_ok())
    text = n1.ns.ip("route", "show", "proto", "74").stdout
    expect("10.70.2.0/24" in text and "10.70.3.0/24" not in text, "jobnet's routes after the change:\n" + text)
    n1.ctl("verify")


@test
def delete_leaves_no_element_route_or_flow_of_the_job(env):
    c = cl.Cluster(env)
    n1, n2, n3 = c.node(1), c.node(2), c.node(3)
    a1 = n1.add("a1", 11, {"group": "A", "peers": both(W), "routers": both(R)})
    n1.add("a2", 12, {"group": "A", "peers": both(W)})
    w = n2.add("w", 11, {"group": "A", "peers": both([(1, 11), (1, 12)])})
    r = n3.add("r", 11, {"group": "R", "role": "router", "routes": ["A"], "peers": both(A1)})
    held = connect(r.ns, a1.addr[4], cl.JOB_TCP)
    env.defer(held.close)
    for fam in (4, 6):
        expect_eq(jn.udp_probe(w.ns, a1.addr[fam], cl.JOB_UDP, 1.0)[0], "reached", "w -> a1 udp v%d" % fam)
    expect(flows(n1.ns, a1.addr[4]), "a1 has no flow on node 1 to begin with")
    before = elements(n1.node)
    mine = [e for e in before if a1.addr[4] in e or a1.addr[6] in e or a1.veth in e or a1.mac in e]
    expect(any("job_mutual4" in e for e in mine) and any("job_inbound6" in e for e in mine),
           "a1's pairs with other nodes: %s" % mine)
    routes = n1.ns.ip("route", "show").stdout
    n1.delete("a1")
    after = elements(n1.node)
    expect_eq([e for e in after if e in mine], [], "elements of a1 after DEL")
    expect_eq(sorted(after), sorted(e for e in before if e not in mine), "the other elements after DEL")
    expect_eq(flows(n1.ns, a1.addr[4]) + flows(n1.ns, a1.addr[6]), [], "conntrack entries of a1 after DEL")
    expect_eq(n1.ns.ip("route", "show").stdout, routes, "node 1's routes after DEL (the network's stay)")
    n1.node.expect_clean("a1")
    n1.ctl("verify")
    expect_eq(jn.tcp_probe(w.ns, c.jobs["a2"].addr[4], cl.JOB_TCP, 1.0)[0], "reached", "w -> a2 after a1's DEL")


@test
def bad_cluster_input_is_error_7_and_changes_nothing(env):
    c = cl.Cluster(env, nodes=2, listen=False)
    n1 = c.node(1)
    job = env.netns("job")
    good = n1.conf()
    before = n1.node.fingerprint(contents=True)

    def conf_with(**cluster):
        conf = json.loads(json.dumps(good))
        conf["cluster"].update(cluster)
        return conf
    cases = [
        (conf_with(subnet="10.71.0.0/16", routes=[]), 7, "cluster.subnet"),
        (conf_with(subnet6="fd70::1/48"), 7, "cluster.subnet6"),
        (conf_with(routes=[{"dst": "10.70.1.0/25", "via": cl.underlay(2, 4)}]), 7, "cluster.routes[0].dst"),
        (conf_with(routes=[{"dst": "10.70.2.0/24", "via": "fd77::2"}]), 7, "cluster.routes[0].via"),
        (conf_with(routes=[{"dst": "10.70.2.0/24", "via": cl.underlay(2, 4), "metric": 5}]), 2, "metric"),
        (conf_with(nodes=2), 2, "cluster.nodes"),
    ]
    for conf, code, word in cases:
        n1.node.add(job, "c1", conf=conf).expect_error(code, word)
    for facts, word in (({"group": "A", "peers": ["10.0.0.0/8"]}, "beyond"),
                        ({"group": "A", "peers": ["10.70.1.7"]}, "this node's subnet"),
                        ({"group": "A", "routers": ["fd70:0:0:1::/120"]}, "this node's subnet"),
                        ({"group": "A", "routers": ["10.0.0.0/8"]}, "beyond"),
                        ({"group": "A", "routers": ["10.70.2.0/24"], "peers": ["10.70.2.9"]}, "overlap"),
                        ({"group": "A", "routers": "10.70.2.1/24"}, "routers")):
        n1.node.add(job, "c1", conf=dict(good, runtimeConfig={"jobnet": facts})).expect_error(7, word)
    for channel in ({"args": "IgnoreUnknown=1;JOBNET_ROUTERS=nonsense"},):
        n1.node.add(job, "c1", conf=good, **channel).expect_error(7, "routers", "CNI_ARGS")
    jn.expect_same(before, n1.node.fingerprint(contents=True), "the node after refused ADDs")
    expect_eq(n1.ns.ip("route", "show", "proto", "74").stdout.strip(), "", "routes after refused ADDs")
    # The annotation channel carries routers too.
    ann = {"io.kubernetes.cri.pod-annotations": {"jobnet.dev/group": "A",
                                                 "jobnet.dev/routers": cl.host_prefix(cl.job_addr(2, 30, 4))}}
    r = n1.node.add(job, "c1", conf=dict(good, runtimeConfig=ann)).expect_ok()
    env.remember("c1", r)
    expect_eq(record_facts(n1, "c1")["routers"], [cl.host_prefix(cl.job_addr(2, 30, 4))], "routers from annotations")


@test
def a_cluster_added_later_turns_peers_into_members_on_other_nodes(env):
    """Without a cluster, a worker's peer is one it opens connections to and
    that may call it, tracked; with one, the same peer inside it is a
    member on another node. The ADD that brings the cluster rebuilds the
    tables, so jobs attached before follow it."""
    c = cl.Cluster(env, nodes=2, listen=False)
    n1 = c.node(1)
    plain = n1.conf()
    del plain["cluster"]
    ns = env.netns("a1")
    env.remember("a1", n1.node.add(ns, "a1", conf=dict(plain, runtimeConfig={"jobnet": {"group": "A",
                                   "peers": both(W)}}), args="IP=10.70.1.11").expect_ok())
    sets = lambda: {s: [e for e in n1.node.nft_set(s) or [] if e.startswith("10.70.1.11 ")]
                    for s in ("job_mutual4", "job_inbound4")}
    expect_eq(sets(), {"job_mutual4": [], "job_inbound4": ["10.70.1.11 . 10.70.2.11"]}, "a1's pairs without a cluster")
    n1.add("a2", 12, {"group": "A"})
    expect_eq(sets(), {"job_mutual4": ["10.70.1.11 . 10.70.2.11"], "job_inbound4": []}, "a1's pairs with the cluster")
    n1.ctl("verify")
    n1.node.delete("a1", conf=n1.conf()).expect_ok()
    expect_eq(sets(), {"job_mutual4": [], "job_inbound4": []}, "a1's pairs after DEL")


ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


@test
def the_shipped_cluster_configurations_work(env):
    """The DaemonSet's conflist names the node's pod CIDR as "@POD_CIDR@";
    node-subnet.sh fills it in from the node object, and jobnet takes the
    result (jobnetctl decide parses a conflist as the plugin does)."""
    import yaml
    docs = list(yaml.safe_load_all(open(os.path.join(ROOT, "conf", "kubernetes", "jobnet-daemonset.yaml"))))
    d = env.tempdir("daemonset")
    template, cidrs, out = (os.path.join(d, n) for n in ("template", "cidrs", "out"))
    with open(template, "w") as f:
        f.write(docs[0]["data"]["10-jobnet.conflist"])
    script = os.path.join(ROOT, "conf", "kubernetes", "node-subnet.sh")
    for node_cidrs, subnet in (("10.244.7.0/24\nfd00:7::/64\n", "10.244.7.0/24"), ("10.244.9.0/24\n", "10.244.9.0/24")):
        with open(cidrs, "w") as f:
            f.write(node_cidrs)
        subprocess.run([script, template, cidrs, out], check=True)
        conf = json.load(open(out))
        plugin = conf["plugins"][0]
        expect_eq(plugin["subnet"], subnet, "the node's subnet")
        expect(plugin["cluster"]["subnet"] and plugin["cluster"]["subnet"] != subnet, "a cluster subnet")
        p = subprocess.run([env.plugin.ctl, "decide", "--config", out], capture_output=True, text=True)
        expect_eq(p.returncode, 0, "jobnetctl decide with the filled conflist: %s" % p.stderr)
    with open(cidrs, "w") as f:
        f.write("fd00:7::/64\n")
    p = subprocess.run([script, template, cidrs, out + "2"], capture_output=True, text=True)
    expect(p.returncode != 0 and "no IPv4 pod CIDR" in p.stderr, "a node without an IPv4 pod CIDR: %r" % p.stderr)
    expect(not os.path.exists(out + "2"), "a conflist was written anyway")
    # The example of node 1 of three is a configuration jobnet takes.
    example = os.path.join(ROOT, "conf", "cluster-example.conflist")
    p = subprocess.run([env.plugin.ctl, "decide", "--config", example], capture_output=True, text=True)
    expect_eq(p.returncode, 0, "jobnetctl decide with conf/cluster-example.conflist: %s" % p.stderr)
