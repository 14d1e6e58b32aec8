#!/usr/bin/env python3
"""make demo: jobnet at work in a throwaway node namespace.

Two networks: "gpu" at level 3 (FORCED_BRIDGE) and "shared" at level 2
(HOST_WHEN_POSSIBLE). A multinode pair of one run, a router for that run, a
job holding part of the instance, a lone job, and a job that shares the
node's network. For each: the decision (jobnetctl decide), then ADD; then
jobnetctl list, the nftables table and the reachability matrix; then DEL of
everything. Then two nodes on one underlay (a fabric namespace), each with
its own job subnet inside one cluster subnet: the master of a distributed
run starts on node 1, a worker on node 2 with the master as its peer, and
`jobnetctl peers` on node 1 admits the worker once its address is known.
The machine's own network namespace is never touched.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import cluster as cl  # noqa: E402
import jn  # noqa: E402

JOBS = [
    # name, network, facts, in the node's own namespace?
    ("train-0", "gpu", {"group": "run-42", "multinode": True, "blocks": 8, "totalBlocks": 8}, False),
    ("train-1", "gpu", {"group": "run-42", "multinode": True, "blocks": 8, "totalBlocks": 8}, False),
    ("router", "gpu", {"role": "router", "routes": ["run-42"]}, False),
    ("notebook", "shared", {"blocks": 2, "totalBlocks": 8}, False),
    ("lone", "gpu", {}, False),
    ("agent-job", "shared", {"group": "run-7"}, True),
]


def banner(text):
    print("\n\033[1m== %s\033[0m" % text, flush=True)


def decide_flags(facts):
    flags = []
    if facts.get("group"):
        flags += ["--group", facts["group"]]
    if facts.get("multinode"):
        flags.append("--multinode")
    if facts.get("totalBlocks"):
        flags += ["--blocks", "%d/%d" % (facts["blocks"], facts["totalBlocks"])]
    if facts.get("role"):
        flags += ["--role", facts["role"]]
    if facts.get("routes"):
        flags += ["--routes", ",".join(facts["routes"])]
    return flags


def print_elements(table):
    """Each set or map that has elements, with them (the chains are fixed)."""
    name = None
    for line in table.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("set", "map"):
            name = words[1]
        elif "elements = {" in line:
            print("%s %s" % (name, line.strip()))
        elif line.startswith("\t\t\t     "):
            print("%s %s" % (" " * len(name), line.strip()))


def write_conflist(env, conf):
    d = env.tempdir("conf")
    path = os.path.join(d, "%s.conflist" % conf["name"])
    plugin = {k: v for k, v in conf.items() if k not in ("cniVersion", "name")}
    with open(path, "w") as f:
        json.dump({"cniVersion": conf["cniVersion"], "name": conf["name"], "plugins": [plugin]}, f)
    return path


def attach_all(env, node, confs, paths):
    jobs = {}
    for name, network, facts, host in JOBS:
        decision = node.ctl("decide", "--config", paths[network], *decide_flags(facts)).stdout.strip()
        print("%-9s on %-6s decide: %s" % (name, network, decision))
        ns = node.ns if host else env.netns(name)
        runtime = {"jobnet": facts}
        if name == "train-0":
            runtime["portMappings"] = [{"hostPort": 0, "containerPort": 22, "hostIP": "127.0.0.1"}]
        r = node.add(ns, name, conf=dict(confs[network], runtimeConfig=runtime)).expect_ok()
        ips = ", ".join(ip["address"] for ip in r.json["ips"]) or "no interface: it shares the node's network"
        print("%-9s ADD -> %s" % ("", ips))
        jobs[name] = (ns, network)
    return jobs


def probe_line(label, src, dst, port=cl.JOB_TCP):
    outcome, seen = jn.tcp_probe(src.ns, dst.addr[4], port)[:2]
    detail = " (it sees %s)" % seen if outcome == "reached" else ""
    print("  %-44s %s%s" % (label, outcome, detail))


def across_nodes(env):
    """A torchrun-shaped launch over two nodes: master first, worker after."""
    two = cl.Cluster(env, nodes=2)
    n1, n2 = two.node(1), two.node(2)
    banner("across nodes: node 1 %s, node 2 %s, underlay %s" % (n1.ns.name, n2.ns.name, two.fabric.name))
    master = n1.add("master", 10, {"group": "run-9", "multinode": True}, conf=n1.conf(networkMode=3))
    worker = n2.add("worker", 20, {"group": "run-9", "multinode": True,
                                   "peers": [cl.host_prefix(a) for a in master.addr.values()]},
                    conf=n2.conf(networkMode=3))
    other = n2.add("other", 21, {"group": "run-5"}, conf=n2.conf(networkMode=3))
    for job in (master, worker, other):
        print("%-7s on node %d: %s" % (job.name, job.node.k, ", ".join(job.addr.values())))
    print("before node 1 knows the worker:")
    probe_line("worker (node 2) -> master (node 1)", worker, master)
    added = ",".join(cl.host_prefix(a) for a in worker.addr.values())
    print("$ jobnetctl peers run-9 --add %s   (on node 1)" % added)
    n1.ctl("peers", "run-9", "--add", added)
    probe_line("worker (node 2) -> master (node 1)", worker, master)
    probe_line("master (node 1) -> worker (node 2)", master, worker)
    probe_line("other (node 2, another run) -> master", other, master)
    outcome = jn.tcp_probe(two.host, master.addr[4], cl.JOB_TCP)[0]
    print("  %-44s %s" % ("a host of the underlay -> master", outcome))
    banner("DEL on both nodes")
    for job in (worker, other):
        n2.node.delete(job.name, conf=n2.conf(networkMode=3)).expect_ok()
    n1.node.delete(master.name, conf=n1.conf(networkMode=3)).expect_ok()
    print("node 1: %d attachment(s), node 2: %d" % (len(n1.node.records()), len(n2.node.records())))


def main():
    root = os.path.dirname(HERE)
    build = os.environ.get("BUILD", os.path.join(root, "build"))
    plugin = jn.Plugin(os.path.join(build, "jobnet"), os.path.join(build, "jobnetctl"))
    env = jn.Env(plugin, None)
    try:
        node = env.node(name="gpu")
        confs = {
            "gpu": node.conf(name="gpu", bridge="jobnet0", subnet="10.88.0.0/24", subnet6="fd88::/64", networkMode=3),
            "shared": node.conf(name="shared", bridge="jobnet1", subnet="10.89.0.0/24", networkMode=2,
                                hostServices={"allow": ["udp/53"]}),
        }
        paths = {name: write_conflist(env, conf) for name, conf in confs.items()}
        banner("a throwaway node namespace %s, state in %s" % (node.ns.name, node.state_dir))
        jobs = attach_all(env, node, confs, paths)
        banner("jobnetctl list")
        print(node.ctl("list").stdout, end="")
        banner("nft list table inet jobnet (the sets with elements)")
        print_elements(node.nft("list", "table", "inet", "jobnet").stdout)
        banner("jobnetctl matrix")
        print(node.ctl("matrix").stdout, end="")
        banner("jobnetctl verify")
        print(node.ctl("verify").stdout, end="")
        banner("DEL everything")
        for name, (_, network) in jobs.items():
            node.delete(name, conf=confs[network]).expect_ok()
        print(node.ctl("list").stdout, end="")
        across_nodes(env)
    finally:
        problems = env.close()
    if problems:
        print("cleanup problems: %s" % problems)
        return 1
    banner("done: the namespaces, processes and state are gone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
