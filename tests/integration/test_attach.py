"""The bridge attachment on the real kernel: ADD, DEL, CHECK, failures that
must leave nothing behind, parallel ADDs and traffic through the masquerade."""

import json
import os
import re
import subprocess
import time

import jn
from jn import expect, expect_eq, icmp_probe, in_parallel, tcp_probe, test, udp_probe, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULESET_ID = re.search(r'comment "(jobnet ruleset [^"]+)"',
                       open(os.path.join(ROOT, "nft-templates", "jobnet-inet.nft")).read()).group(1)
OUTSIDE_NODE = "203.0.113.1"
OUTSIDE_PEER = "203.0.113.2"


def make_outside(env, node):
    """A namespace routed through the node, standing for the world."""
    outside = env.netns("outside")
    node.ns.ip("link", "add", "up0", "type", "veth", "peer", "name", "wan0", "netns", outside.name)
    node.ns.sysctl("net.ipv6.conf.up0.accept_dad", 0)
    outside.sysctl("net.ipv6.conf.wan0.accept_dad", 0)
    node.ns.ip("addr", "add", OUTSIDE_NODE + "/24", "dev", "up0")
    node.ns.ip("addr", "add", "2001:db8:ff::1/64", "dev", "up0", "nodad")
    node.ns.ip("link", "set", "up0", "up")
    outside.ip("addr", "add", OUTSIDE_PEER + "/24", "dev", "wan0")
    outside.ip("addr", "add", "2001:db8:ff::2/64", "dev", "wan0", "nodad")
    outside.ip("link", "set", "wan0", "up")
    # Neighbour discovery on a link that just came up can lose the first
    # probe; settle it before a test measures anything.
    wait_for(lambda: icmp_probe(node.ns, "2001:db8:ff::2", 1)[0] == "reached", timeout=5)
    return outside


@test
def dual_stack_attachment_is_complete(env):
    node = env.node()
    job = env.netns("job")
    conf = node.conf(subnet6="fd77::/64", mtu=1400, dns={"nameservers": ["10.77.0.1"], "search": ["jobs"]})
    r = node.add(job, "c1", conf=conf).expect_ok()
    env.remember("c1", r)
    ifaces = r.json["interfaces"]
    expect_eq([i["name"] for i in ifaces][0], "jobnet0", "first interface")
    expect(ifaces[1]["name"].startswith("jn") and len(ifaces[1]["name"]) == 14, "host veth name %r" % ifaces[1])
    expect_eq(ifaces[2]["sandbox"], job.path, "sandbox")
    expect_eq(r.json["dns"], conf["dns"], "dns passed through")
    link = job.ip_json("link", "show", "dev", "eth0")[0]
    expect_eq(link["address"], ifaces[2]["mac"], "MAC in the job")
    expect_eq(link["mtu"], 1400, "MTU in the job")
    expect_eq(sorted(a for a in job.addresses("eth0") if not a.startswith("fe80")), ["10.77.0.2/24", "fd77::2/64"],
              "addresses")
    flags = json.dumps(job.ip_json("-6", "addr", "show", "dev", "eth0"))
    expect("tentative" not in flags, "IPv6 address still tentative (DAD): %s" % flags)
    routes = job.ip_json("route", "show", "default")
    expect_eq([(x["gateway"], x["dev"]) for x in routes], [("10.77.0.1", "eth0")], "IPv4 default route")
    routes6 = job.ip_json("-6", "route", "show", "default")
    expect_eq([x["gateway"] for x in routes6], ["fd77::1"], "IPv6 default route")
    # Usable at once: no wait for duplicate address detection (the node may
    # reach a job; a job may not open connections to the node).
    expect_eq(icmp_probe(node.ns, "fd77::2")[0], "reached", "the node pings the job's IPv6 address right after ADD")
    expect_eq(icmp_probe(node.ns, "10.77.0.2")[0], "reached", "the node pings the job's IPv4 address")
    bridge = node.ns.ip_json("-d", "link", "show", "dev", "jobnet0")[0]
    expect_eq(bridge["linkinfo"]["info_kind"], "bridge", "bridge kind")
    expect_eq(sorted(node.ns.addresses("jobnet0"))[:2], ["10.77.0.1/24", "fd77::1/64"], "gateway addresses")
    # A bridge port has no address of its own, link-local included.
    expect_eq(node.ns.addresses(ifaces[1]["name"]), [], "addresses of the host veth")
    port = node.ns.ip_json("-d", "link", "show", "dev", ifaces[1]["name"])[0]
    expect(port["linkinfo"]["info_slave_data"]["hairpin"] is True, "the port is not in hairpin mode: %s" % port)
    expect_eq(node.ns.run("sysctl", "-n", "net.ipv4.ip_forward").stdout.strip(), "1", "ip_forward")
    expect_eq(node.nft_set("job_addrs4"), ["10.77.0.2"], "job_addrs4 elements")
    expect_eq(node.nft_set("job_addrs6"), ["fd77::2"], "job_addrs6 elements")
    node.check(job, "c1", r.json, conf=conf).expect_ok()
    node.delete("c1", conf=conf, job=job).expect_ok()
    node.expect_clean("c1")
    expect(not job.link_exists("eth0"), "eth0 is still in the job after DEL")


@test
def ipv4_only_and_ipv6_only(env):
    node = env.node()
    job4, job6 = env.netns("job4"), env.netns("job6")
    r = node.add(job4, "v4").expect_ok()
    env.remember("v4", r)
    expect_eq([ip["address"] for ip in r.json["ips"]], ["10.77.0.2/24"], "IPv4-only result")
    conf6 = node.conf(subnet=None, subnet6="fd78::/64", name="v6net")
    r = node.plugin.run(node, "ADD", conf6, cid="v6", ifname="eth0", netns=job6.path).expect_ok()
    env.remember("v6", r)
    expect_eq([ip["address"] for ip in r.json["ips"]], ["fd78::2/64"], "IPv6-only result")
    expect_eq([a for a in job6.addresses("eth0") if not a.startswith("fe80")], ["fd78::2/64"], "IPv6-only address")
    expect_eq(icmp_probe(node.ns, "fd78::2")[0], "reached", "the node reaches the IPv6-only job")
    node.plugin.run(node, "DEL", conf6, cid="v6", ifname="eth0").expect_ok()
    node.expect_clean("v6", network="v6net")
    node.delete("v4").expect_ok()
    node.expect_clean("v4")


@test
def jobs_reach_the_outside_through_the_masquerade(env):
    node = env.node()
    outside = make_outside(env, node)
    job = env.netns("job")
    env.listener.tcp(outside, OUTSIDE_PEER, 8080)
    env.listener.udp(outside, OUTSIDE_PEER, 5353)
    env.listener.tcp(outside, "2001:db8:ff::2", 8080)
    conf = node.conf(subnet6="fd77::/64")
    env.remember("c1", node.add(job, "c1", conf=conf).expect_ok())
    status, peer = tcp_probe(job, OUTSIDE_PEER, 8080)
    expect_eq((status, peer), ("reached", OUTSIDE_NODE), "TCP to the outside, seen from there")
    status, peer = udp_probe(job, OUTSIDE_PEER, 5353)
    expect_eq((status, peer), ("reached", OUTSIDE_NODE), "UDP to the outside, seen from there")
    status, peer = tcp_probe(job, "2001:db8:ff::2", 8080)
    expect_eq((status, peer), ("reached", "2001:db8:ff::1"), "TCP over IPv6 to the outside")
    node.delete("c1", conf=conf).expect_ok()
    # ipMasq false: the outside sees the job's own address (it routes back).
    outside.ip("route", "add", "10.81.0.0/24", "via", OUTSIDE_NODE)
    conf = node.conf(ipMasq=False, name="nomasq", bridge="jobnet1", subnet="10.81.0.0/24")
    r = node.plugin.run(node, "ADD", conf, cid="c2", ifname="eth0", netns=job.path).expect_ok()
    status, peer = tcp_probe(job, OUTSIDE_PEER, 8080)
    expect_eq((status, peer), ("reached", r.json["ips"][0]["address"].split("/")[0]), "TCP without masquerade")
    node.plugin.run(node, "DEL", conf, cid="c2", ifname="eth0").expect_ok()


@test
def delete_succeeds_in_every_case(env):
    node = env.node()
    job = env.netns("job")
    r = node.add(job, "c1").expect_ok()
    env.remember("c1", r)
    conf = node.conf()
    conf["prevResult"] = r.json
    node.delete("c1", conf=conf, job=job).expect_ok()
    node.expect_clean("c1")
    node.delete("c1", job=job).expect_ok()  # repeated
    node.delete("never-added").expect_ok()  # never added, no CNI_NETNS
    r = node.add(job, "c2").expect_ok()
    env.remember("c2", r)
    node.delete("c2").expect_ok()  # without CNI_NETNS, without prevResult
    node.expect_clean("c2")
    gone = env.netns("gone")
    r = node.add(gone, "c3").expect_ok()
    env.remember("c3", r)
    gone.delete()
    node.delete("c3", job=gone).expect_ok()  # namespace no longer exists
    node.expect_clean("c3")
    expect_eq(node.records(), [], "records after all DELs")
    expect_eq(node.reservations(), {}, "reservations after all DELs")


@test
def a_del_that_cannot_remove_the_elements_keeps_the_address(env):
    """Until a job's elements and flows are gone, its address stays reserved
    (a new job would inherit its pairs) and its record stays for the next
    DEL, which finishes."""
    node = env.node()
    conf = node.conf(runtimeConfig={"jobnet": {"group": "A"}})
    jobs = {}
    for cid in ("a1", "a2"):
        jobs[cid] = env.netns(cid)
        env.remember(cid, node.add(jobs[cid], cid, conf=conf).expect_ok())
    # The group index DEL reads to find a1's pairs, made unreadable.
    index = os.path.join(node.state_dir, "policy", "members", "A")
    os.rename(index, index + ".aside")
    open(index, "w").close()
    try:
        node.delete("a1", conf=conf, job=jobs["a1"]).expect_error(109, "members/A")
        expect("a1:eth0" in node.reservations().values(), "a1's address was released with its elements left")
        expect("a1:eth0" in node.records(), "a1's record went with its elements left")
    finally:
        os.remove(index)
        os.rename(index + ".aside", index)
    node.delete("a1", conf=conf, job=jobs["a1"]).expect_ok()
    node.expect_clean("a1")
    expect_eq(list(node.reservations().values()), ["a2:eth0"], "reservations after the second DEL")


@test
def failed_adds_leave_nothing(env):
    node = env.node()
    job = env.netns("job")

    # 101: the bridge name belongs to another kind of device.
    node.ns.ip("link", "add", "notabridge", "type", "veth", "peer", "name", "nb-peer")
    node.add(job, "c1", conf=node.conf(bridge="notabridge")).expect_error(101, "notabridge")
    # 110: the namespace does not exist.
    node.add(None, "c1", netns="/var/run/netns/does-not-exist").expect_error(110, "does-not-exist")
    # 104: the interface name is taken in the job.
    job.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer")
    node.add(job, "c1").expect_error(104, "eth0")
    job.ip("link", "del", "eth0")
    # 105: the kernel refuses (IPv6 is disabled in the node).
    node.ns.sysctl("net.ipv6.conf.all.disable_ipv6", 1)
    node.ns.sysctl("net.ipv6.conf.default.disable_ipv6", 1)
    node.add(job, "c1", conf=node.conf(subnet6="fd77::/64")).expect_error(105)
    node.ns.sysctl("net.ipv6.conf.all.disable_ipv6", 0)
    node.ns.sysctl("net.ipv6.conf.default.disable_ipv6", 0)
    expect(not node.ns.link_exists("jobnet0"), "the bridge a failed ADD created is still there")
    # 106: nftables refuses (a table of that name with sets of the wrong type).
    node.ns.run("nft", "-f", "-", input="""table bridge jobnet { comment "%s"; }
    table inet jobnet {
        comment "%s"
        set bridges { type ifname; }
        set subnets4 { type ipv4_addr; flags interval; }
        set masq_subnets4 { type ipv4_addr; flags interval; }
        set job_addrs4 { type ipv6_addr; }
    }""" % (RULESET_ID, RULESET_ID))
    node.add(job, "c1").expect_error(106, "nftables")
    node.nft("delete", "table", "inet", "jobnet")
    node.nft("delete", "table", "bridge", "jobnet")
    links = [l["ifname"] for l in node.ns.ip_json("link", "show")]
    expect(not any(n.startswith("jn") for n in links), "a veth survived a failed ADD: %s" % links)
    expect(not job.link_exists("eth0"), "eth0 survived a failed ADD")
    expect_eq(node.records(), [], "records after failed ADDs")
    expect_eq(node.reservations(), {}, "reservations after failed ADDs")
    r = node.add(job, "c1").expect_ok()  # and then it works
    env.remember("c1", r)
    node.add(job, "c1").expect_error(104, "already attached")  # ADD twice
    node.check(job, "c1", r.json).expect_ok()  # the first one is intact
    node.delete("c1").expect_ok()


@test
def a_refused_add_of_a_changed_configuration_keeps_the_network_record(env):
    """The network record says which configuration the kernel's network
    elements are of: an ADD refused after it was replaced (a host port
    another job maps) puts it back, so the next ADD of the changed
    configuration still replaces the elements (here: protects the new
    network)."""
    node = env.node()
    maps = {"portMappings": [{"hostPort": 8081, "containerPort": 80}]}
    changed = node.conf(protect=["10.99.0.0/16"])
    r = node.add(env.netns("j1"), "c1", conf=node.conf(runtimeConfig=maps)).expect_ok()
    env.remember("c1", r)
    path = os.path.join(node.state_dir, node.network, "network.json")
    before = open(path).read()
    node.add(env.netns("j2"), "c2", conf=dict(changed, runtimeConfig=maps)).expect_error(107, "already mapped")
    expect_eq(open(path).read(), before, "the network record after the refused ADD")
    r = node.add(env.netns("j3"), "c3", conf=changed).expect_ok()
    env.remember("c3", r)
    expect("jobnet0 . 10.99.0.0/16" in node.nft_set("protect4"),
           "the changed configuration's protected network: %s" % node.nft_set("protect4"))
    node.ctl("verify")
    for cid in ("c1", "c3"):
        node.delete(cid, conf=changed).expect_ok()
        node.expect_clean(cid)


@test
def a_namespace_path_that_is_no_namespace_is_refused_at_once(env):
    """A FIFO would block open(); ADD must neither hang nor hold the
    network's lock, and answers 110 for anything that is not a network
    namespace."""
    node = env.node()
    tmp = env.tempdir("netns")
    fifo, plain = os.path.join(tmp, "fifo"), os.path.join(tmp, "file")
    os.mkfifo(fifo)
    open(plain, "w").close()
    for path in (fifo, plain, tmp, "/proc/self/ns/uts", "/dev/null"):
        start = time.monotonic()
        try:
            r = node.add(None, "c1", netns=path, timeout=10)
        except subprocess.TimeoutExpired:
            raise jn.TestFailure("ADD with CNI_NETNS %s hung" % path)
        r.expect_error(110, path)
        expect(time.monotonic() - start < 5, "ADD with CNI_NETNS %s took %.1fs" % (path, time.monotonic() - start))
    expect_eq(node.records(), [], "records after the refused ADDs")
    # The network is not held up: ADDs of others go through.
    job = env.netns("job")
    node.add(job, "c2").expect_ok()
    node.delete("c2").expect_ok()


@test
def addresses_can_be_requested(env):
    node = env.node()
    jobs = [env.netns("job%d" % i) for i in range(4)]
    conf = node.conf(subnet6="fd77::/64")
    conf["runtimeConfig"] = {"ips": ["10.77.0.50/24", "fd77::50"]}
    conf["args"] = {"cni": {"ips": ["10.77.0.60"]}}
    r = node.add(jobs[0], "cap", conf=conf, args="IP=10.77.0.70").expect_ok()
    env.remember("cap", r)
    expect_eq([ip["address"] for ip in r.json["ips"]], ["10.77.0.50/24", "fd77::50/64"], "ips capability wins")
    conf = node.conf()
    conf["args"] = {"cni": {"ips": ["10.77.0.60"]}}
    r = node.add(jobs[1], "args", conf=conf, args="IP=10.77.0.70").expect_ok()
    env.remember("args", r)
    expect_eq(r.json["ips"][0]["address"], "10.77.0.60/24", "args.cni.ips wins over CNI_ARGS")
    r = node.add(jobs[2], "env", args="IP=10.77.0.70").expect_ok()
    env.remember("env", r)
    expect_eq(r.json["ips"][0]["address"], "10.77.0.70/24", "CNI_ARGS IP")
    node.add(jobs[3], "taken", args="IP=10.77.0.70").expect_error(103, "10.77.0.70", "env:eth0")
    node.add(jobs[3], "gw", args="IP=10.77.0.1").expect_error(103, "gateway")
    node.add(jobs[3], "bcast", args="IP=10.77.0.255").expect_error(103, "broadcast")
    for cid in ("cap", "args", "env"):
        node.delete(cid).expect_ok()
        node.expect_clean(cid)


@test
def an_exhausted_pool_is_error_102(env):
    node = env.node()
    conf = node.conf(subnet="10.79.0.0/29")  # 6 hosts, one is the gateway
    jobs = [env.netns("job%d" % i) for i in range(6)]
    seen = set()
    for i in range(5):
        r = node.add(jobs[i], "c%d" % i, conf=conf).expect_ok()
        env.remember("c%d" % i, r)
        seen.add(r.json["ips"][0]["address"])
    expect_eq(len(seen), 5, "distinct addresses")
    expect(not any(a.startswith(("10.79.0.0/", "10.79.0.1/", "10.79.0.7/")) for a in seen),
           "network, gateway or broadcast handed out: %s" % sorted(seen))
    before = (node.records(), node.reservations())
    node.add(jobs[5], "c5", conf=conf).expect_error(102, "10.79.0.0/29")
    expect_eq((node.records(), node.reservations()), before, "state after exhaustion")
    node.delete("c2", conf=conf).expect_ok()
    r = node.add(jobs[5], "c5", conf=conf).expect_ok()  # a freed address comes back
    env.remember("c5", r)
    for i in (0, 1, 3, 4, 5):
        node.delete("c%d" % i, conf=conf).expect_ok()


@test
def a_full_bridge_is_error_102(env):
    node = env.node()
    first, last = env.netns("first"), env.netns("last")
    r = node.add(first, "c1").expect_ok()  # makes the bridge; its port is the first
    env.remember("c1", r)
    # The kernel takes 1023 ports on one bridge: fill it with veths (this
    # kernel has no dummy driver).
    jn.sh("ip", "-n", node.ns.name, "-batch", "-",
          input="".join("link add jnt-d%d type veth peer name jnt-p%d\nlink set jnt-d%d master jobnet0\n" % (i, i, i)
                        for i in range(1022)))
    before = (node.records(), node.reservations(), node.nft_set("job_addrs4"))
    node.add(last, "c2").expect_error(102, "1023 ports", "another jobnet network")
    expect_eq((node.records(), node.reservations(), node.nft_set("job_addrs4")), before,
              "state after a refused ADD")
    expect(not last.link_exists("eth0"), "the refused ADD left eth0 in the job")
    node.delete("c1").expect_ok()
    node.expect_clean("c1")
    node.add(last, "c2").expect_ok()  # a port is free again
    node.delete("c2").expect_ok()


@test
def check_finds_each_deliberate_break(env):
    node = env.node()
    conf = node.conf(subnet6="fd77::/64")
    breaks = [
        ("address", lambda n, j, r: j.ip("addr", "del", "10.77.0.%d/24" % r, "dev", "eth0"), "address"),
        ("route", lambda n, j, r: j.ip("route", "del", "default"), "route"),
        ("link down", lambda n, j, r: j.ip("link", "set", "eth0", "down"), "down"),
        ("mtu", lambda n, j, r: j.ip("link", "set", "eth0", "mtu", "1300"), "MTU"),
        ("element", lambda n, j, r: n.nft("delete", "element", "inet", "jobnet", "job_addrs4",
                                          "{ 10.77.0.%d }" % r), "element"),
        ("reservation", lambda n, j, r: os.unlink(os.path.join(n.state_dir, n.network, "ipam", "10.77.0.%d" % r)),
         "reserved"),
        ("gateway", lambda n, j, r: n.ns.ip("addr", "del", "10.77.0.1/24", "dev", "jobnet0"), "gateway"),
        ("veth", lambda n, j, r: j.ip("link", "del", "eth0"), "missing"),
        ("table", lambda n, j, r: n.nft("delete", "table", "inet", "jobnet"), "nftables"),
        ("bridge table", lambda n, j, r: n.nft("delete", "table", "bridge", "jobnet"), "nftables"),
    ]
    for i, (_, breaker, word) in enumerate(breaks):
        job = env.netns("job%d" % i)
        cid = "c%d" % i
        r = node.add(job, cid, conf=conf).expect_ok()
        env.remember(cid, r)
        node.check(job, cid, r.json, conf=conf).expect_ok()
        last = int(r.json["ips"][0]["address"].split("/")[0].split(".")[3])
        breaker(node, job, last)
        node.check(job, cid, r.json, conf=conf).expect_error(108, word)
        node.delete(cid, conf=conf).expect_ok()
        node.expect_clean(cid)
    job = env.netns("unknown")
    node.check(job, "never-added", {"cniVersion": "1.1.0", "ips": []}, conf=conf).expect_error(3, "never-added")
    node.run("CHECK", conf, cid="x", ifname="eth0", netns=job.path).expect_error(7, "prevResult")


@test
def a_damaged_record_is_reported_and_cleaned(env):
    node = env.node()
    job = env.netns("job")
    r = node.add(job, "c1").expect_ok()
    env.remember("c1", r)
    path = os.path.join(node.state_dir, node.network, "attachments", "c1:eth0")
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text[: len(text) // 2])  # cut short
    node.check(job, "c1", r.json).expect_error(109, "corrupt")
    out = node.ctl("list", check=False)
    expect(out.returncode == 1 and "corrupt" in out.stderr, "jobnetctl list does not report the record: %r" % out.stderr)
    node.delete("c1").expect_ok()
    node.expect_clean("c1")
    expect_eq(node.reservations(), {}, "reservations after DEL of a damaged record")
    # Garbage, not JSON at all.
    r = node.add(job, "c2").expect_ok()
    env.remember("c2", r)
    with open(os.path.join(node.state_dir, node.network, "attachments", "c2:eth0"), "wb") as f:
        f.write(os.urandom(300))
    node.check(job, "c2", r.json).expect_error(109)
    node.delete("c2").expect_ok()
    node.expect_clean("c2")


@test
def an_interrupted_add_is_cleaned_by_the_next_add(env):
    node = env.node()
    job = env.netns("job")
    r = node.add(job, "c1").expect_ok()
    env.remember("c1", r)
    # Make it look like an ADD that died half-way: record not complete.
    path = os.path.join(node.state_dir, node.network, "attachments", "c1:eth0")
    rec = json.load(open(path))
    rec["complete"] = False
    json.dump(rec, open(path, "w"))
    r = node.add(job, "c1").expect_ok()
    node.check(job, "c1", r.json).expect_ok()
    expect_eq(len(node.reservations()), 1, "reservations after the second ADD")
    node.delete("c1").expect_ok()
    node.expect_clean("c1")


@test
def parallel_adds_get_distinct_addresses(env):
    node = env.node()
    conf = node.conf(subnet="10.80.0.0/24", subnet6="fd80::/64")
    jobs = [env.netns("p%d" % i) for i in range(32)]
    results = in_parallel(lambda i: node.add(jobs[i], "p%d" % i, conf=conf), 32)
    for i, r in enumerate(results):
        r.expect_ok()
        env.remember("p%d" % i, r)
    v4 = [r.json["ips"][0]["address"] for r in results]
    v6 = [r.json["ips"][1]["address"] for r in results]
    expect_eq(len(set(v4)), 32, "distinct IPv4 addresses")
    expect_eq(len(set(v6)), 32, "distinct IPv6 addresses")
    expect_eq(len(node.nft_set("job_addrs4")), 32, "job_addrs4 elements")
    for i in (0, 17, 31):
        addr = results[i].json["ips"][0]["address"].split("/")[0]
        expect_eq(icmp_probe(node.ns, addr)[0], "reached", "the node reaches job %d" % i)
    dels = in_parallel(lambda i: node.delete("p%d" % i, conf=conf), 32)
    for r in dels:
        r.expect_ok()
    expect_eq(node.records(), [], "records after parallel DELs")
    expect_eq(node.reservations(), {}, "reservations after parallel DELs")
    expect_eq(node.nft_set("job_addrs4"), [], "job_addrs4 after parallel DELs")
    expect(not any(l["ifname"].startswith("jn") for l in node.ns.ip_json("link", "show")), "veths after DELs")
