#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/.
Records and network files are real: two jobs are added in a throwaway node
namespace and what the plugin wrote is copied. Run as root from the top of
the tree after `make`; the seeds are committed, so this is needed only to
refresh them."""

import glob
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import jn  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def conf_seeds():
    with open(os.path.join(HERE, "..", "..", "conf", "10-jobnet.conflist")) as f:
        for plugin in json.load(f)["plugins"]:
            put("netconf", json.dumps(dict(plugin, cniVersion="1.1.0", name="jobnet")))
    base = {"cniVersion": "1.1.0", "name": "jobs", "type": "jobnet", "subnet": "10.77.0.0/24"}
    variants = [
        {}, {"subnet6": "fd00:77::/64"}, {"subnet": None, "subnet6": "fd00:77::/64", "gateway6": "fd00:77::1"},
        {"bridge": "jn-br0", "mtu": 9000, "ipMasq": False, "gateway": "10.77.0.254"},
        {"networkMode": 3, "protect": ["169.254.169.254/32", "10.0.0.0/8"],
         "hostServices": {"allow": [{"port": 53, "protocol": "udp"}, {"port": 8000}]}},
        {"dns": {"nameservers": ["10.77.0.1"], "search": ["cluster"]}, "lockTimeout": 5},
        {"capabilities": {"portMappings": True, "ips": True},
         "runtimeConfig": {"ips": ["10.77.0.9/24"], "jobnet": {"group": "run-1", "blocks": 2, "totalBlocks": 8},
                           "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}},
        {"args": {"cni": {"ips": ["10.77.0.7"], "jobnet": {"role": "router", "routes": ["run-1"]}}}},
        {"prevResult": {"cniVersion": "1.1.0", "interfaces": [{"name": "eth0"}], "ips": []}},
        {"subnet": "10.77.0.0/31"}, {"mtu": 67}, {"name": "a b"}, {"bridge": "x" * 16},
        {"subnet6": "fd70:0:0:77::/64",
         "cluster": {"subnet": "10.77.0.0/16", "subnet6": "fd70::/48",
                     "routes": [{"dst": "10.77.2.0/24", "via": "192.168.77.2"},
                                {"dst": "fd70:0:0:2::/64", "via": "fd77::2"}]}},
        {"cluster": {"subnet": "10.77.0.0/16", "routes": [{"dst": "10.77.0.0/23", "via": "192.168.77.2"}]}},
        {"cluster": {"subnet6": "fd70::/48"}}, {"cluster": {"subnet": "10.0.0.0/8", "nodes": 3}},
        {"groupScope": "namespace", "runtimeConfig": {
            "portMappings": [{"HostPort": 8080, "ContainerPort": 80, "Protocol": "tcp", "HostIP": "127.0.0.1"}],
            "io.kubernetes.cri.pod-annotations": None, "jobnet": None, "ips": None}},
        {"runtimeConfig": None}, {"groupScope": "cluster"},
        {"runtimeConfig": {"portMappings": [{"hostPort": 1, "HostPort": 2, "containerPort": 3}]}},
    ]
    for v in variants:
        c = dict(base, **v)
        put("netconf", json.dumps({k: x for k, x in c.items() if x is not None}))
    for text in ["", "{", "[]", "null", '{"cniVersion":"1.1.0"}', '{"name":1}', '{"subnet":"10.0.0.0/33"}']:
        put("netconf", text)


def args_seeds():
    for text in ["", "IP=10.77.0.5", "K8S_POD_NAME=web;IgnoreUnknown=1",
                 "JOBNET_GROUP=run-1;JOBNET_BLOCKS=2;JOBNET_TOTAL_BLOCKS=8",
                 "JOBNET_ROLE=router;JOBNET_ROUTES=run-1,run-2", "JOBNET_MULTINODE=true;JOBNET_GROUP=g",
                 "JOBNET_PEERS=10.0.0.1/32,fd00::1/128", "JOBNET_ROUTERS=10.70.3.11,fd70:0:0:3::b",
                 "JOBNET_PEERS=10.70.2.0/24;JOBNET_ROUTERS=10.70.2.5", "a=b=c", ";;", "=x", "X=" + "y" * 300]:
        put("cniargs", text)
    for obj in [{"jobnet": {"group": "run-1", "multinode": True, "blocks": 8, "totalBlocks": 8}},
                {"jobnet": {"role": "router", "routes": ["a", "b"], "peers": ["10.1.0.0/16"]}},
                {"jobnet": {"group": "A", "peers": ["10.70.2.11", "10.70.2.11/32"], "routers": "10.70.3.11"}},
                {"io.kubernetes.cri.pod-annotations": {"jobnet.dev/routers": "10.70.3.0/24,fd70::/64"}},
                {"args": {"cni": {"jobnet": {"group": "g"}}}},
                {"io.kubernetes.cri.pod-annotations": {"jobnet.dstack.ai/group": "g"}},
                {"jobnet": {"blocks": 9, "totalBlocks": 8}}, {"jobnet": {"group": "../x"}}, {"jobnet": []},
                {"jobnet": {"Group": "g", "TotalBlocks": 8, "BLOCKS": 2}}, {"jobnet": {"group": "a", "Group": "b"}},
                {"jobnet": {"group": "ns:g"}}, {"io.kubernetes.cri.pod-annotations": None}]:
        put("facts", json.dumps(obj))


def render_seeds():
    fields = [
        ["c1", "jobs", "jn0123456789ab", "run-1", "", "10.77.0.2/32", "fd00:77::2/128", ""],
        ["c2", "jobs", "jn0123456789ac", "", "run-1", "10.77.0.3/32", "", "10.9.0.0/16"],
        ["c3", "jobs", "jn0123456789ad", "a\"b", "x;y", "10.77.0.4/32", "", "::/0"],
        ["c4", "jobs", "jn0123456789ae", "A", "", "10.70.1.2/32", "fd70:0:0:1::2/128", "10.70.2.11/32",
         "10.70.3.11/32", "10.70.0.0/16"],
    ]
    for f in fields:
        put("render", b"\0".join(x.encode() for x in f))


def publish_seeds():
    for text in ["8080:80", "0:22", "127.0.0.1:0:22", "127.0.0.1::22", "10.0.0.5:5353:53/udp", "[::1]:2222:22",
                 "[fd00::5]:9000:9000/sctp", "::1:80:80", "[::1]:80", "80", "8080:80/icmp", ":8080:80",
                 "1.2.3.4:80:80:80", "[127.0.0.1]:1:1"]:
        put("publish", text)


def state_seeds(plugin):
    env = jn.Env(jn.Plugin(plugin, None), None)
    try:
        node = env.node(name="jobs")
        conf = node.conf(subnet6="fd00:77::/64", capabilities={"portMappings": True})
        for cid, rc in [("c1", {"jobnet": {"group": "run-1", "multinode": True}}),
                        ("c2", {"jobnet": {"role": "router", "routes": ["run-1"], "blocks": 1, "totalBlocks": 8},
                                "portMappings": [{"hostPort": 18080, "containerPort": 80, "protocol": "tcp"},
                                                 {"hostPort": 18081, "containerPort": 81, "protocol": "udp",
                                                  "hostIP": "127.0.0.1"}]})]:
            job = env.netns(cid)
            node.add(job, cid, conf=dict(conf, runtimeConfig=rc)).expect_ok()
        for path in glob.glob(os.path.join(node.state_dir, "jobs", "attachments", "*")):
            with open(path, "rb") as f:
                put("state", f.read())
        for cid in ("c1", "c2"):
            node.delete(cid, conf=conf).expect_ok()
    finally:
        env.close()
    for text in ["", "{}", "[]", '{"containerID":"c1"}', '{"containerID":"c1","ifname":"eth0","ips":[{}]}']:
        put("state", text)


def main():
    conf_seeds()
    args_seeds()
    render_seeds()
    publish_seeds()
    state_seeds(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build", "jobnet"))


if __name__ == "__main__":
    main()
