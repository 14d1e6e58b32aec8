#!/usr/bin/env python3
"""make demo: jobnet at work in a throwaway node namespace.

Attaches a few jobs, shows their addresses, jobnetctl's view and the
nftables table, then removes everything it made. The machine's own network
namespace is never touched.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import jn  # noqa: E402


def banner(text):
    print("\n\033[1m== %s\033[0m" % text, flush=True)


def main():
    root = os.path.dirname(HERE)
    build = os.environ.get("BUILD", os.path.join(root, "build"))
    plugin = jn.Plugin(os.path.join(build, "jobnet"), os.path.join(build, "jobnetctl"))
    env = jn.Env(plugin, None)
    try:
        node = env.node(name="demo")
        conf = node.conf(subnet="10.88.0.0/24", subnet6="fd88::/64")
        banner("a throwaway node namespace %s, state in %s" % (node.ns.name, node.state_dir))
        jobs = {}
        for cid in ("train-a", "train-b", "notebook"):
            jobs[cid] = env.netns(cid)
            r = node.add(jobs[cid], cid, conf=conf).expect_ok()
            addrs = ", ".join(ip["address"] for ip in r.json["ips"])
            print("ADD %-9s -> %s (host side %s)" % (cid, addrs, r.json["interfaces"][1]["name"]))
        banner("jobnetctl list")
        print(node.ctl("list").stdout, end="")
        banner("nft list table inet jobnet")
        print(node.nft("list", "table", "inet", "jobnet").stdout, end="")
        banner("from train-a")
        for target, what in (("10.88.0.1", "the gateway"), ("10.88.0.3", "train-b")):
            status = jn.icmp_probe(jobs["train-a"], target)[0]
            print("ping %-10s (%s): %s" % (target, what, status))
        banner("DEL everything")
        for cid in jobs:
            node.delete(cid, conf=conf).expect_ok()
            print("DEL %s" % cid)
        print(node.ctl("list").stdout, end="")
    finally:
        problems = env.close()
    if problems:
        print("cleanup problems: %s" % problems)
        return 1
    banner("done: the namespaces and state are gone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
