"""Mode levels: the decision table through the plugin and jobnetctl decide,
the four ADD cases, malformed facts and the channels' precedence."""

import json
import os

import jn
from jn import expect, expect_eq, expect_same, test

LEVELS = [(1, "HOST_FOR_MULTINODE_ONLY"), (2, "HOST_WHEN_POSSIBLE"), (3, "FORCED_BRIDGE")]

# (level, multinode, partial) -> (decision, rule)
TABLE = {
    (1, False, False): ("bridge", "single-node-bridge"),
    (1, True, False): ("host", "multinode-host"),
    (1, False, True): ("bridge", "partial-instance"),
    (1, True, True): ("bridge", "partial-instance"),
    (2, False, False): ("host", "host-when-possible"),
    (2, True, False): ("host", "host-when-possible"),
    (2, False, True): ("bridge", "partial-instance"),
    (2, True, True): ("bridge", "partial-instance"),
    (3, False, False): ("bridge", "forced-bridge"),
    (3, True, False): ("bridge", "forced-bridge"),
    (3, False, True): ("bridge", "partial-instance"),
    (3, True, True): ("bridge", "partial-instance"),
}


def write_conflist(env, node, level):
    d = env.tempdir("conf")
    conf = node.conf(networkMode=level)
    plugin = {k: v for k, v in conf.items() if k not in ("cniVersion", "name")}
    path = os.path.join(d, "10-jobnet.conflist")
    with open(path, "w") as f:
        json.dump({"cniVersion": conf["cniVersion"], "name": conf["name"], "plugins": [plugin]}, f)
    return d, path


def plugin_decision(node, level, multinode, partial, cid):
    """ADD into the node's own namespace: host is recorded, bridge is error 100."""
    args = "JOBNET_MULTINODE=%s" % ("true" if multinode else "false")
    if partial:
        args += ";JOBNET_BLOCKS=2;JOBNET_TOTAL_BLOCKS=8"
    conf = node.conf(networkMode=level)
    r = node.add(node.ns, cid, conf=conf, args=args)
    if r.ok:
        rec = [a for a in json.loads(node.ctl("list", "--json").stdout) if a["containerID"] == cid][0]
        expect_eq(rec["mode"], "host", "mode recorded for %s" % cid)
        node.delete(cid, conf=conf).expect_ok()
        return "host", rec["rule"]
    r.expect_error(100, "policy requires bridge networking")
    rule = r.json["details"].split(":")[0].replace("rule ", "")
    return "bridge", rule


@test
def the_whole_table_agrees_between_plugin_and_jobnetctl(env):
    node = env.node()
    n = 0
    for level, name in LEVELS:
        conf_dir, path = write_conflist(env, node, name.lower() if level == 1 else level)
        for multinode in (False, True):
            for partial in (False, True):
                want = TABLE[(level, multinode, partial)]
                flags = ["decide", "--config", path] + (["--multinode"] if multinode else []) + \
                    (["--blocks", "2/8"] if partial else [])
                out = node.ctl(*flags).stdout.split()
                expect_eq((out[0], out[1]), want, "jobnetctl decide at level %d multinode=%s partial=%s" % (
                    level, multinode, partial))
                data = json.loads(node.ctl(*(flags + ["--json"])).stdout)
                expect_eq((data["decision"], data["rule"], data["level"]), want + (level,), "decide --json")
                n += 1
                got = plugin_decision(node, level, multinode, partial, "t%d" % n)
                expect_eq(got, want, "plugin at level %d multinode=%s partial=%s" % (level, multinode, partial))
        # The default configuration directory lookup finds the same file.
        out = node.ctl("decide", "--conf-dir", conf_dir).stdout.split()
        expect_eq(out[0], TABLE[(level, False, False)][0], "decide with --conf-dir")
    expect_eq(n, 12, "cases")


@test
def the_four_add_cases(env):
    node = env.node()
    job = env.netns("job")
    forced = node.conf(networkMode=3)
    # Decision bridge, node's namespace: refused, nothing changed.
    before = node.fingerprint(contents=True)
    node.add(node.ns, "c1", conf=forced).expect_error(100, "policy requires bridge networking", "forced-bridge")
    expect_same(before, node.fingerprint(contents=True), "the node after error 100")
    # Decision host, node's namespace: no interface, a host record.
    r = node.add(node.ns, "c2").expect_ok()
    expect_eq((r.json["interfaces"], r.json["ips"]), ([], []), "host-mode result")
    after = node.fingerprint()
    expect_eq(node.records(), ["c2:eth0"], "records after a host-mode ADD")
    for part in ("links", "addresses", "rules", "elements"):
        expect_eq(after[part], before[part], "%s after a host-mode ADD" % part)
    row = [l for l in node.ctl("list").stdout.splitlines() if l.startswith("c2 ")]
    expect(row and " host " in row[0] and "host-when-possible" in row[0], "list row %r" % row)
    node.check(node.ns, "c2", r.json).expect_ok()
    # Decision host, private namespace: bridged anyway, recorded as bridge.
    r = node.add(job, "c3").expect_ok()
    env.remember("c3", r)
    expect(job.link_exists("eth0"), "no interface for a bridged job")
    rec = [a for a in json.loads(node.ctl("list", "--json").stdout) if a["containerID"] == "c3"][0]
    expect_eq((rec["mode"], rec["decision"], rec["rule"]), ("bridge", "host", "host-when-possible"), "c3 record")
    # Decision bridge, private namespace: a bridge attachment.
    job2 = env.netns("job2")
    r = node.add(job2, "c4", conf=forced).expect_ok()
    env.remember("c4", r)
    rec = [a for a in json.loads(node.ctl("list", "--json").stdout) if a["containerID"] == "c4"][0]
    expect_eq((rec["mode"], rec["decision"], rec["rule"]), ("bridge", "bridge", "forced-bridge"), "c4 record")
    # DEL and GC remove host records like any other.
    node.delete("c2").expect_ok()
    expect("c2:eth0" not in node.records(), "host record after DEL")
    env.remember("c5", node.add(node.ns, "c5").expect_ok())
    conf = node.conf()
    conf["cni.dev/valid-attachments"] = [{"containerID": "c3", "ifname": "eth0"},
                                         {"containerID": "c4", "ifname": "eth0"}]
    node.run("GC", conf).expect_ok()
    expect_eq(node.records(), ["c3:eth0", "c4:eth0"], "records after GC")
    node.delete("c3").expect_ok()
    node.delete("c4", conf=forced).expect_ok()


@test
def network_mode_accepts_numbers_and_names(env):
    node = env.node()
    for value in (1, 2, 3, "FORCED_BRIDGE", "host_when_possible", "Host_For_Multinode_Only"):
        node.run("STATUS", node.conf(networkMode=value)).expect_ok()
    for value in (0, 4, "2", "bridge", True):
        r = node.run("STATUS", node.conf(networkMode=value))
        r.expect_error(7, "networkMode", "HOST_FOR_MULTINODE_ONLY", "FORCED_BRIDGE")


MALFORMED = [
    ("group", "bad group", "group"),
    ("group", "-lead", "group"),
    ("multinode", "maybe", "multinode"),
    ("blocks", "two", "blocks"),
    ("blocks", "0", "blocks"),
    ("total-blocks", "-8", "total-blocks"),
    ("role", "boss", "role"),
    ("routes", "a,bad name", "routes"),
    ("peers", "10.0.0.0/33", "peers"),
    ("peers", "10.0.0.5/16", "peers"),
    ("peers", "not-an-ip", "peers"),
]

ANNOTATION = {"group": "jobnet.dev/group", "multinode": "jobnet.dev/multinode", "blocks": "jobnet.dev/blocks",
              "total-blocks": "jobnet.dev/total-blocks", "role": "jobnet.dev/role", "routes": "jobnet.dev/routes",
              "peers": "jobnet.dev/peers"}
JSON_KEY = {"group": "group", "multinode": "multinode", "blocks": "blocks", "total-blocks": "totalBlocks",
            "role": "role", "routes": "routes", "peers": "peers"}


def with_channel(node, channel, fact, value):
    """conf and CNI_ARGS carrying one fact through one channel."""
    conf = node.conf()
    args = None
    if channel == "runtimeConfig":
        conf["runtimeConfig"] = {"jobnet": {JSON_KEY[fact]: value}}
    elif channel == "args":
        conf["args"] = {"cni": {"jobnet": {JSON_KEY[fact]: value}}}
    elif channel == "annotations":
        conf["runtimeConfig"] = {"io.kubernetes.cri.pod-annotations": {ANNOTATION[fact]: value}}
    else:
        args = "JOBNET_%s=%s" % (fact.upper().replace("-", "_"), value)
    return conf, args


@test
def malformed_facts_are_error_7_and_change_nothing(env):
    node = env.node()
    job = env.netns("job")
    before = node.fingerprint(contents=True)
    for channel in ("runtimeConfig", "args", "annotations", "CNI_ARGS"):
        for fact, value, word in MALFORMED:
            conf, args = with_channel(node, channel, fact, value)
            r = node.add(job, "c1", conf=conf, args=args)
            r.expect_error(7, word)
            expect(value in r.json["msg"], "%s via %s: message %r does not quote %r" % (fact, channel,
                                                                                       r.json["msg"], value))
    cases = [
        ("JOBNET_BLOCKS=9;JOBNET_TOTAL_BLOCKS=8", "greater"),
        ("JOBNET_BLOCKS=2", "go together"),
        ("JOBNET_ROUTES=a", "router"),
    ]
    for args, word in cases:
        node.add(job, "c1", args=args).expect_error(7, word)
    conf = node.conf(runtimeConfig={"jobnet": {"multinode": "yes"}})
    node.add(job, "c1", conf=conf).expect_error(7, "multinode")
    conf = node.conf(runtimeConfig={"jobnet": {"colour": "blue"}})
    node.add(job, "c1", conf=conf).expect_error(2, "colour")
    conf = node.conf(runtimeConfig={"io.kubernetes.cri.pod-annotations": {"jobnet.dev/colour": "x"}})
    node.add(job, "c1", conf=conf).expect_error(2, "jobnet.dev/colour")
    node.add(job, "c1", args="JOBNET_COLOUR=x").expect_error(4, "JOBNET_COLOUR")
    expect_eq(node.records(), [], "records after malformed facts")
    expect_same(before, node.fingerprint(contents=True), "the node after malformed facts")
    conf = node.conf(runtimeConfig={"jobnet": {"blocks": "2", "totalBlocks": 8}})
    node.add(job, "c1", conf=conf).expect_ok()  # a number as a string is still a number of blocks
    node.delete("c1").expect_ok()


@test
def each_channel_carries_facts_and_the_first_wins(env):
    node = env.node()
    jobs = [env.netns("j%d" % i) for i in range(6)]

    def record(cid):
        return [a for a in json.loads(node.ctl("list", "--json").stdout) if a["containerID"] == cid][0]["facts"]

    full = {"group": "g-rc", "multinode": True, "blocks": 2, "totalBlocks": 8, "role": "router",
            "routes": ["a", "b"], "peers": ["10.200.0.0/16", "fd00:200::5"]}
    conf = node.conf(runtimeConfig={"jobnet": full})
    env.remember("rc", node.add(jobs[0], "rc", conf=conf).expect_ok())
    got = record("rc")
    expect_eq((got["group"], got["multinode"], got["blocks"], got["totalBlocks"], got["role"], got["routes"],
               got["peers"]), ("g-rc", True, 2, 8, "router", ["a", "b"], ["10.200.0.0/16", "fd00:200::5/128"]),
              "facts from runtimeConfig.jobnet")
    conf = node.conf(args={"cni": {"jobnet": {"group": "g-args", "routes": "x,y", "role": "router"}}})
    env.remember("args", node.add(jobs[1], "args", conf=conf).expect_ok())
    expect_eq((record("args")["group"], record("args")["routes"]), ("g-args", ["x", "y"]), "facts from args.cni.jobnet")
    ann = {"jobnet.dev/group": "g-ann", "jobnet.dev/multinode": "true", "jobnet.dev/blocks": "1",
           "jobnet.dev/total-blocks": "4", "other/annotation": "ignored"}
    conf = node.conf(runtimeConfig={"io.kubernetes.cri.pod-annotations": ann})
    env.remember("ann", node.add(jobs[2], "ann", conf=conf).expect_ok())
    got = record("ann")
    expect_eq((got["group"], got["multinode"], got["blocks"], got["totalBlocks"]), ("g-ann", True, 1, 4),
              "facts from pod annotations")
    env.remember("env", node.add(jobs[3], "env", args="JOBNET_GROUP=g-env;JOBNET_ROLE=worker").expect_ok())
    expect_eq(record("env")["group"], "g-env", "facts from CNI_ARGS")
    # Precedence, fact by fact: every channel sets the group; lower ones add other facts.
    conf = node.conf(runtimeConfig={"jobnet": {"group": "first"},
                                    "io.kubernetes.cri.pod-annotations": {"jobnet.dev/group": "third",
                                                                          "jobnet.dev/role": "router"}},
                     args={"cni": {"jobnet": {"group": "second", "multinode": True}}})
    args = "JOBNET_GROUP=fourth;JOBNET_BLOCKS=3;JOBNET_TOTAL_BLOCKS=8"
    env.remember("prec", node.add(jobs[4], "prec", conf=conf, args=args).expect_ok())
    got = record("prec")
    expect_eq((got["group"], got["multinode"], got["role"], got["blocks"]), ("first", True, "router", 3),
              "facts merged by precedence")
    del conf["runtimeConfig"]["jobnet"]
    env.remember("prec2", node.add(jobs[5], "prec2", conf=conf, args=args).expect_ok())
    expect_eq(record("prec2")["group"], "second", "group without the first channel")
    for cid in ("rc", "args", "ann", "env", "prec", "prec2"):
        node.delete(cid).expect_ok()


@test
def capabilities_arrive_in_any_case_and_as_null(env):
    """Runtimes written in Go send what their structs hold: keys in the
    struct's spelling, a nil map or slice as null."""
    node = env.node()
    jobs = [env.netns("j%d" % i) for i in range(3)]

    def facts(cid):
        return [a for a in json.loads(node.ctl("list", "--json").stdout) if a["containerID"] == cid][0]["facts"]

    conf = node.conf(runtimeConfig={"jobnet": {"Group": "g1", "MultiNode": True, "BLOCKS": 2, "TotalBlocks": 8}})
    env.remember("caps", node.add(jobs[0], "caps", conf=conf).expect_ok())
    got = facts("caps")
    expect_eq((got["group"], got["multinode"], got["blocks"], got["totalBlocks"]), ("g1", True, 2, 8),
              "facts whose keys are spelt in another case")
    conf = node.conf(runtimeConfig={"jobnet": {"group": "a", "Group": "b"}})
    node.add(jobs[1], "twice", conf=conf).expect_error(7, "Group")
    conf = node.conf(runtimeConfig={"io.kubernetes.cri.pod-annotations": None, "portMappings": None, "ips": None,
                                    "jobnet": None})
    env.remember("null", node.add(jobs[1], "null", conf=conf).expect_ok())
    expect_eq(facts("null")["group"], "", "the group of a job whose capabilities are null")
    conf = node.conf(runtimeConfig=None)
    env.remember("none", node.add(jobs[2], "none", conf=conf).expect_ok())
    for cid in ("caps", "null", "none"):
        node.delete(cid).expect_ok()
        node.expect_clean(cid)


def _pairs(node):
    return sorted(node.nft_set("job_talk4") or [])


@test
def group_scope_namespace_makes_each_namespaces_groups_its_own(env):
    node = env.node()
    conf = node.conf(groupScope="namespace")
    pods = [("a1", "team-a", "JOBNET_GROUP=run-42"), ("a2", "team-a", "JOBNET_GROUP=run-42"),
            ("b1", "team-b", "JOBNET_GROUP=run-42"),
            ("r", "team-a", "JOBNET_GROUP=gw;JOBNET_ROLE=router;JOBNET_ROUTES=run-42")]
    ips, jobs = {}, {}
    for name, ns, facts in pods:
        jobs[name] = env.netns(name)
        args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;K8S_POD_NAME=%s;%s" % (ns, name, facts)
        r = node.add(jobs[name], name, conf=conf, args=args).expect_ok()
        env.remember(name, r)
        ips[name] = r.json["ips"][0]["address"].split("/")[0]
        env.listener.tcp(jobs[name], ips[name], 7000)
    recs = {a["containerID"]: a for a in json.loads(node.ctl("list", "--json").stdout)}
    expect_eq([recs[n]["facts"]["group"] for n in ("a1", "a2", "b1", "r")],
              ["team-a:run-42", "team-a:run-42", "team-b:run-42", "team-a:gw"], "the scoped groups")
    expect_eq(recs["r"]["facts"]["routes"], ["team-a:run-42"], "the router's scoped routes")
    want = sorted("%s . %s" % (ips[s], ips[d]) for s, d in [("a1", "a2"), ("a2", "a1"), ("r", "a1"), ("r", "a2")])
    expect_eq(_pairs(node), want, "talk pairs: one namespace's group, and its router")
    table = node.nft("list", "table", "inet", "jobnet").stdout
    expect('group team-a:run-42 network' in table, "the scoped group in the elements' comments:\n%s" % table)
    expect("team-a:run-42" in node.ctl("list").stdout, "jobnetctl list shows the scoped group")
    expect(os.path.isdir(os.path.join(node.state_dir, "policy", "members", "team-b:run-42")), "team-b's group index")
    probes = {(s, d): jn.tcp_probe(jobs[s], ips[d], 7000)[0] for s, d in
              [("a1", "a2"), ("a1", "b1"), ("b1", "a1"), ("r", "a1"), ("r", "b1")]}
    expect_eq(probes, {("a1", "a2"): "reached", ("a1", "b1"): "timeout", ("b1", "a1"): "timeout",
                       ("r", "a1"): "reached", ("r", "b1"): "timeout"}, "who reaches whom")
    # Without a namespace the scope cannot be applied: refused.
    late = env.netns("late")
    node.add(late, "late", conf=conf, args="JOBNET_GROUP=run-42").expect_error(7, "K8S_POD_NAMESPACE")
    node.add(late, "late", conf=conf, args="K8S_POD_NAMESPACE=bad:ns").expect_error(7, "K8S_POD_NAMESPACE")
    node.add(late, "late", conf=node.conf(groupScope="cluster")).expect_error(7, "groupScope")
    for name, _, _ in pods:
        node.delete(name, conf=conf).expect_ok()
        node.expect_clean(name)
    # The control: unscoped, the same group name is one group across namespaces.
    for name in ("a1", "b1"):
        args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=team-%s;JOBNET_GROUP=run-42" % name[0]
        env.remember(name, node.add(jobs[name], name, args=args).expect_ok())
    expect_eq(len(_pairs(node)), 2, "pairs of one unscoped group across two namespaces")
    for name in ("a1", "b1"):
        node.delete(name).expect_ok()
