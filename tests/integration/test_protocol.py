"""The CNI protocol: versions, commands, and every error code with the input
that causes it. Each failing call must leave the kernel and the state as
they were."""

import json
import os

import jn
from jn import expect, expect_eq, expect_same, hold_lock, test

VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]


@test
def version_lists_supported_versions(env):
    node = env.node()
    for stdin in ['{"cniVersion":"1.0.0"}', "", '{"cniVersion":"9.9.9"}']:
        r = node.run("VERSION", stdin).expect_ok()
        expect_eq(r.json["supportedVersions"], VERSIONS, "supportedVersions")
        want = "1.0.0" if "1.0.0" in stdin else "1.1.0"
        expect_eq(r.json["cniVersion"], want, "VERSION cniVersion for %r" % stdin)


@test
def add_and_del_in_every_version(env):
    node = env.node()
    for i, version in enumerate(VERSIONS):
        job = env.netns("job%d" % i)
        conf = node.conf(cniVersion=version, subnet6="fd77::/64")
        r = node.add(job, "c%d" % i, conf=conf).expect_ok()
        env.remember("c%d" % i, r)
        expect_eq(r.json["cniVersion"], version, "result cniVersion")
        has_version = "version" in r.json["ips"][0]
        expect_eq(has_version, version < "1.0.0", "ips[].version present in %s" % version)
        has_mtu = "mtu" in r.json["interfaces"][2]
        expect_eq(has_mtu, version == "1.1.0", "interfaces[].mtu present in %s" % version)
        expect_eq(sorted(a.split("/")[0] for a in job.addresses("eth0") if not a.startswith("fe80")),
                  sorted(ip["address"].split("/")[0] for ip in r.json["ips"]), "addresses in the job")
        if version >= "0.4.0":
            node.check(job, "c%d" % i, r.json, conf=conf).expect_ok()
        else:
            node.check(job, "c%d" % i, r.json, conf=conf).expect_error(1, "0.4.0")
        node.delete("c%d" % i, conf=conf, job=job).expect_ok()
        node.expect_clean("c%d" % i)


@test
def bad_environment_is_error_4_naming_the_variable(env):
    node = env.node()
    job = env.netns("job")
    before = node.fingerprint(contents=True)
    for extra, word in [({"CNI_COMMAND": ""}, "CNI_COMMAND"), ({"CNI_COMMAND": "JUMP"}, "JUMP")]:
        node.plugin.run(node, "ADD", node.conf(), env=extra).expect_error(4, word)
    node.run("ADD", cid=None, ifname="eth0", netns=job.path).expect_error(4, "CNI_CONTAINERID")
    node.run("ADD", cid="c1", ifname=None, netns=job.path).expect_error(4, "CNI_IFNAME")
    node.run("ADD", cid="c1", ifname="eth0", netns=None).expect_error(4, "CNI_NETNS")
    node.run("ADD", cid="c1", ifname="eth0", netns="relative/path").expect_error(4, "CNI_NETNS")
    r = node.run("ADD", cid="", ifname="", netns="")
    r.expect_error(4, "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS")
    for bad_id in ["-starts-with-dash", "has space", "semi;colon", "x" * 256, "quote\"d"]:
        node.add(job, bad_id).expect_error(4, "CNI_CONTAINERID")
    for bad_if in ["a" * 16, ".", "..", "a/b", "a:b", "a b"]:
        node.add(job, "c1", ifname=bad_if).expect_error(4, "CNI_IFNAME")
    node.delete("c1", ifname="x" * 16).expect_error(4, "CNI_IFNAME")
    expect_same(before, node.fingerprint(contents=True), "rejected environments")


@test
def bad_config_gets_the_right_code_and_changes_nothing(env):
    node = env.node()
    job = env.netns("job")
    before = node.fingerprint(contents=True)
    base = node.conf()
    cases = [
        ("{not json", 6, "JSON"),
        ('["a list"]', 6, "object"),
        (dict(base, cniVersion="0.2.0"), 1, "0.2.0"),
        (dict(base, colour="blue"), 2, "colour"),
        (dict(base, ipam={"type": "host-local"}), 2, "ipam"),
        (dict(base, subnet="10.0.0.0/33"), 7, "subnet"),
        (dict(base, subnet=24), 7, "subnet"),
        (dict(base, mtu="big"), 7, "mtu"),
        (dict(base, name="bad name"), 7, "name"),
        (dict(base, bridge="x" * 16), 7, "bridge"),
        (dict(base, gateway="10.9.9.9"), 7, "gateway"),
        (dict(base, dns={"nameservers": ["not-an-ip"]}), 7, "nameservers"),
        (dict(base, ipMasq="yes"), 7, "ipMasq"),
        ({k: v for k, v in base.items() if k != "subnet"}, 7, "subnet"),
    ]
    for conf, code, word in cases:
        node.add(job, "c1", conf=conf).expect_error(code, word)
    r = node.add(job, "c1", conf=dict(base, cniVersion="0.2.0"))
    versions = node.run("VERSION", conf=base).expect_ok().json["supportedVersions"]
    expect(", ".join(versions) in r.json["details"],
           "error 1 details do not list the supported versions %s: %r" % (versions, r.json))
    expect_same(before, node.fingerprint(contents=True), "rejected configurations")


def refused_inputs(node):
    """Every input ADD refuses that still names the network and the state:
    (label, configuration, CNI_ARGS, the code ADD answers)."""
    base = node.conf()
    rc = lambda **caps: dict(base, runtimeConfig=caps)
    cases = [(label, conf, None, code) for conf, code, label in [
        (dict(base, cniVersion="0.2.0"), 1, "an unsupported cniVersion"),
        ({k: v for k, v in base.items() if k != "cniVersion"}, 7, "no cniVersion"),
        (dict(base, colour="blue"), 2, "an unknown key"),
        (dict(base, ipam={"type": "host-local"}), 2, "an ipam section"),
        (dict(base, subnet="10.0.0.0/33"), 7, "a bad subnet"),
        ({k: v for k, v in base.items() if k != "subnet"}, 7, "no subnet"),
        (dict(base, mtu="big"), 7, "a bad mtu"),
        (dict(base, bridge="x" * 16), 7, "a bad bridge"),
        (dict(base, gateway="10.9.9.9"), 7, "a gateway outside the subnet"),
        (dict(base, lockTimeout=0), 7, "a bad lockTimeout"),
        (dict(base, logFile="relative.log"), 7, "a bad logFile"),
        (dict(base, groupScope="cluster"), 7, "a bad groupScope"),
        (dict(base, runtimeConfig="all of it"), 7, "a runtimeConfig that is not an object"),
        (rc(portMappings=[{"hostPort": 80, "containerPort": 80, "colour": "red"}]), 2, "an unknown key in a capability"),
        (rc(portMappings=[{"hostPort": "eighty", "containerPort": 80}]), 7, "a bad port mapping"),
        (rc(ips=["10.99.0.5"]), 7, "a requested address outside the subnet"),
        (rc(jobnet={"blocks": "lots", "totalBlocks": 8}), 7, "a bad fact"),
        (rc(jobnet={"colour": "blue"}), 2, "an unknown fact"),
        (rc(**{"io.kubernetes.cri.pod-annotations": {"jobnet.dev/colour": "blue"}}), 2, "an unknown annotation"),
        (dict(base, args={"cni": {"jobnet": {"role": "chief"}}}), 7, "a bad fact in args"),
    ]]
    cases += [("CNI_ARGS with an unknown key", base, "FOO=bar", 4), ("a bad CNI_ARGS IP", base, "IP=nowhere", 7),
              ("a bad fact in CNI_ARGS", base, "JOBNET_BLOCKS=lots;JOBNET_TOTAL_BLOCKS=8", 7)]
    return cases


@test
def del_and_gc_remove_what_add_made_whatever_else_their_input_says(env):
    """DEL and GC carry the runtime's input of the day, which may be what ADD
    would refuse now (containerd sends DEL with the ADD's input, refused or
    not): they use what names the attachment and warn about the rest."""
    node = env.node()
    log = os.path.join(env.tempdir("log"), "jobnet.log")
    for i, (label, conf, args, code) in enumerate(refused_inputs(node)):
        job = env.netns("job%d" % i)
        bad = dict(conf, logFile=conf.get("logFile", log)) if isinstance(conf, dict) else conf
        node.add(job, "refused", conf=bad, args=args).expect_error(code)
        cid = "c%d" % i
        r = node.add(job, cid, conf=node.conf(runtimeConfig={"portMappings": [
            {"hostPort": 18500 + i, "containerPort": 80}, {"hostPort": 18600 + i, "containerPort": 80,
                                                           "hostIP": "127.0.0.1"}]}),
                     args="JOBNET_GROUP=g").expect_ok()
        env.remember(cid, r)
        d = node.delete(cid, conf=bad, args=args)
        expect(d.ok, "DEL with %s: %s" % (label, d.stdout + d.stderr))
        node.expect_clean(cid)
        expect(not jn.relays(), "DEL with %s left a relay" % label)
        if "fact" not in label and "annotation" not in label:  # facts are ADD's alone: DEL does not read them
            expect("not needed here, ignored" in d.stderr, "DEL with %s does not warn: %r" % (label, d.stderr))
    expect_eq(node.records(), [], "records after every DEL")
    # GC too, with the list it needs.
    keep, stale = env.netns("keep"), env.netns("stale")
    env.remember("keep", node.add(keep, "keep").expect_ok())
    env.remember("stale", node.add(stale, "stale").expect_ok())
    for label, conf, args, _ in refused_inputs(node):
        if conf.get("cniVersion") != "1.1.0":
            continue  # GC needs its version
        g = dict(conf, **{"cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"}]})
        r = node.run("GC", g, args=args)
        expect(r.ok, "GC with %s: %s" % (label, r.stdout + r.stderr))
    expect_eq(node.records(), ["keep:eth0"], "records after GC")
    node.expect_clean("stale")
    node.delete("keep").expect_ok()
    node.expect_clean("keep")


@test
def bad_cni_args_are_rejected(env):
    node = env.node()
    job = env.netns("job")
    before = node.fingerprint(contents=True)
    for args, word in [("FOO=bar", "FOO"), ("IP", "IP"), ("A=1;;B=2", "\"\""), ("IgnoreUnknown=perhaps", "perhaps")]:
        node.add(job, "c1", args=args).expect_error(4, "CNI_ARGS", word)
    node.add(job, "c1", args="IP=not-an-address").expect_error(7, "not-an-address")
    node.add(job, "c1", args="IP=10.99.0.5").expect_error(7, "outside")
    expect_same(before, node.fingerprint(contents=True), "rejected CNI_ARGS")
    r = node.add(job, "c1", args="IgnoreUnknown=1;FOO=bar;K8S_POD_NAME=web").expect_ok()
    env.remember("c1", r)
    node.delete("c1").expect_ok()


@test
def unreadable_stdin_is_error_5(env):
    node = env.node()
    job = env.netns("job")
    fd = os.open(node.state_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        r = node.plugin.run(node, "ADD", "", cid="c1", ifname="eth0", netns=job.path, stdin=fd)
    finally:
        os.close(fd)
    r.expect_error(5, "stdin")
    # More than the limit (1 MiB) is refused, naming it, and changes nothing.
    before = node.fingerprint(contents=True)
    huge = json.dumps(dict(node.conf(), padding="x" * (1 << 20)))
    node.add(job, "c1", conf=huge).expect_error(5, "stdin", "larger than 1048576 bytes")
    expect_same(before, node.fingerprint(contents=True), "an oversized configuration")


@test
def locked_network_is_error_11(env):
    node = env.node()
    job = env.netns("job")
    conf = node.conf(lockTimeout=1)
    node.run("STATUS", conf).expect_ok()  # makes the state directory
    held = hold_lock(os.path.join(node.state_dir, node.network, "lock"))
    try:
        node.add(job, "c1", conf=conf).expect_error(11, "lock")
    finally:
        held.close()
    expect(node.records() == [], "a record was written while the lock was held")
    r = node.add(job, "c1", conf=conf).expect_ok()
    env.remember("c1", r)
    node.delete("c1", conf=conf).expect_ok()


@test
def status_reports_readiness(env):
    node = env.node()
    node.run("STATUS").expect_ok()
    node.run("STATUS", node.conf(cniVersion="1.0.0")).expect_error(1, "1.1.0")
    # A state directory that cannot exist: a path under a regular file.
    blocker = os.path.join(node.state_dir, "file")
    open(blocker, "w").close()
    node.run("STATUS", node.conf(stateDir=blocker + "/state")).expect_error(50, "state")
    # A pool with no free address left.
    tiny = node.conf(subnet="10.78.0.0/30")
    job = env.netns("job")
    r = node.add(job, "c1", conf=tiny).expect_ok()
    env.remember("c1", r)
    node.run("STATUS", tiny).expect_error(50, "no free address")
    # Attachments exist but jobnet's table is gone: limited connectivity.
    node.nft("delete", "table", "inet", "jobnet")
    node.run("STATUS", tiny).expect_error(51, "repair")
    node.delete("c1", conf=tiny).expect_ok()
    node.run("STATUS", tiny).expect_ok()


@test
def gc_removes_what_is_not_listed(env):
    node = env.node()
    jobs = {}
    for cid in ("keep1", "keep2", "stale1", "stale2"):
        jobs[cid] = env.netns(cid)
        env.remember(cid, node.add(jobs[cid], cid).expect_ok())
    # A reservation whose owner has no record at all.
    os.symlink("ghost:eth0", os.path.join(node.state_dir, node.network, "ipam", "10.77.0.200"))
    conf = node.conf()
    conf["cni.dev/valid-attachments"] = [{"containerID": "keep1", "ifname": "eth0"},
                                         {"containerID": "keep2", "ifname": "eth0"}]
    node.run("GC", conf).expect_ok()
    expect_eq(node.records(), ["keep1:eth0", "keep2:eth0"], "records after GC")
    node.expect_clean("stale1")
    node.expect_clean("stale2")
    expect("10.77.0.200" not in node.reservations(), "the orphan reservation survived GC")
    expect(sorted(node.reservations().values()) == ["keep1:eth0", "keep2:eth0"], "reservations after GC")
    for cid in ("keep1", "keep2"):
        expect(jobs[cid].link_exists("eth0"), "GC removed the interface of %s" % cid)
    # The older key works too, and GC needs a list at all.
    conf = node.conf()
    conf["cni.dev/attachments"] = [{"containerID": "keep1", "ifname": "eth0"}]
    node.run("GC", conf).expect_ok()
    expect_eq(node.records(), ["keep1:eth0"], "records after GC with cni.dev/attachments")
    node.run("GC").expect_error(7, "valid-attachments")
    node.run("GC", node.conf(cniVersion="1.0.0")).expect_error(1, "1.1.0")


@test
def log_file_gets_every_error_parse_errors_included(env):
    node = env.node()
    job = env.netns("job")
    log = os.path.join(env.tempdir("log"), "jobnet.log")
    cases = [(node.conf(logFile=log, mtu="big"), None, {}, 7, "mtu"),
             (node.conf(logFile=log, colour="blue"), None, {}, 2, "colour"),
             (node.conf(logFile=log, cniVersion="0.2.0"), None, {}, 1, "0.2.0"),
             (node.conf(logFile=log), "FOO=bar", {}, 4, "FOO"),
             (node.conf(logFile=log), None, {"CNI_IFNAME": "a" * 16}, 4, "CNI_IFNAME")]
    for conf, args, extra, code, word in cases:
        node.plugin.run(node, "ADD", conf, cid="c1", ifname="eth0", netns=job.path, args=args,
                        env=extra).expect_error(code, word)
        lines = [l for l in open(log).read().splitlines() if "(code %d)" % code in l]
        expect(lines and word in lines[-1], "error %d naming %s is not in logFile: %r" % (code, word, lines))
    expect_eq(node.records(), [], "records after refused ADDs")


@test
def log_file_gets_the_diagnostics(env):
    node = env.node()
    job = env.netns("job")
    log = os.path.join(env.tempdir("log"), "jobnet.log")
    conf = node.conf(logFile=log)
    r = node.add(job, "c1", conf=conf).expect_ok()
    env.remember("c1", r)
    node.add(job, "c1", conf=conf).expect_error(104)
    text = open(log).read()
    expect("ADD c1/eth0" in text and "attached" in text, "no ADD line in the log: %r" % text)
    expect("already attached" in text, "the error is not in the log: %r" % text)
    node.delete("c1", conf=conf).expect_ok()
