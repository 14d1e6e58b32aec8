"""jobnetctl attach and detach: ADD and DEL run as a runtime runs them, with
the real plugin (addresses, facts, mappings, cache, cleanup, gc after the
namespace died, errors passed through) and with a recording stand-in plugin
(exactly what a plugin receives: environment, configuration, runtimeConfig,
prevResult)."""

import json
import os
import re
import signal
import subprocess
import time

import jn
from jn import expect, expect_eq, test

FAKE_RESULT = {"cniVersion": "1.1.0", "interfaces": [{"name": "eth0", "sandbox": "/x"}],
               "ips": [{"address": "10.99.0.7/24", "gateway": "10.99.0.1", "interface": 0}],
               "portMappings": [{"hostPort": 40001, "containerPort": 22, "protocol": "tcp", "hostIP": "127.0.0.1"}]}

# A stand-in plugin: appends what it was given to LOG, answers as REPLY says.
FAKE_PLUGIN = r'''#!/usr/bin/env python3
import json, os, sys
entry = {"env": {k: v for k, v in os.environ.items() if k.startswith("CNI_")}, "stdin": json.load(sys.stdin)}
with open(%(log)r, "a") as f:
    f.write(json.dumps(entry) + "\n")
reply = json.load(open(%(reply)r))
mine = reply.get(os.environ["CNI_COMMAND"], {"status": 0, "out": ""})
sys.stdout.write(mine["out"])
sys.exit(mine["status"])
'''


class Ctl:
    """jobnetctl attach/detach against a conf dir, plugin dir and cache of the test's own."""

    def __init__(self, env, node, plugin_entry=None, bin_dir=None, others=()):
        self.env, self.node = env, node
        self.conf_dir = env.tempdir("netd")
        self.cache = os.path.join(env.tempdir("cache"), "sub", "cache")  # made by attach
        self.bin_dir = bin_dir or os.path.dirname(env.plugin.path)
        entry = plugin_entry if plugin_entry is not None else self.jobnet_entry()
        conflist = {"cniVersion": "1.1.0", "name": node.network, "plugins": list(others) + [entry]}
        with open(os.path.join(self.conf_dir, "10-test.conflist"), "w") as f:
            json.dump(conflist, f)

    def jobnet_entry(self, **extra):
        entry = {k: v for k, v in self.node.conf().items() if k not in ("cniVersion", "name")}
        entry["capabilities"] = {"portMappings": True, "jobnet": True}
        entry.update(extra)
        return entry

    def run(self, *args, env=None, global_conf_dir=False):
        """With global_conf_dir, --conf-dir comes before the command (jobnetctl's global option)."""
        cmd = self.env.plugin.command(self.node, self.env.plugin.ctl) + ["--state-dir", self.node.state_dir]
        conf = ["--conf-dir", self.conf_dir]
        cmd += (conf if global_conf_dir else []) + list(args) + ([] if global_conf_dir else conf)
        cmd += ["--cni-bin-dir", self.bin_dir, "--cache-dir", self.cache]
        # The run's marker, so that the runner tells this run's relays.
        env = dict(env if env is not None else os.environ, **{jn.RUN_MARKER: jn._run_id})
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            expect(marker not in proc.stderr, "jobnetctl: sanitizer report:\n%s" % proc.stderr[-4000:])
        return proc

    def ok(self, *args, **kw):
        proc = self.run(*args, **kw)
        expect(proc.returncode == 0, "jobnetctl %s failed (%d): %s %s" % (" ".join(args), proc.returncode,
                                                                          proc.stdout, proc.stderr))
        return proc

    def entry(self, cid, ifname="eth0"):
        path = os.path.join(self.cache, self.node.network, "%s:%s" % (cid, ifname))
        return json.load(open(path)) if os.path.exists(path) else None


class FakePlugin:
    def __init__(self, env):
        self.dir = env.tempdir("fakebin")
        self.log = os.path.join(self.dir, "calls.log")
        self.reply = os.path.join(self.dir, "reply.json")
        self.answer(ADD={"status": 0, "out": json.dumps(FAKE_RESULT) + "\n"})
        path = os.path.join(self.dir, "jobnet")
        with open(path, "w") as f:
            f.write(FAKE_PLUGIN % {"log": self.log, "reply": self.reply})
        os.chmod(path, 0o755)

    def answer(self, **replies):
        with open(self.reply, "w") as f:
            json.dump(replies, f)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(l) for l in open(self.log)]


def remember(env, cid, result_json):
    class R:
        json = result_json
    env.remember(cid, R())


def lines(text, word):
    return [l.split() for l in text.splitlines() if l.split()[:1] == [word]]


@test
def attach_then_detach_leaves_nothing(env):
    node = env.node()
    ctl = Ctl(env, node)
    job = env.netns("job")
    env.listener.tcp(job, "0.0.0.0", 80, banner=b"web\n")
    out = ctl.ok("attach", "web", "--netns", job.path, "--group", "g1", "--publish", "127.0.0.1:0:80",
                 "--publish", "0:80").stdout
    expect(out.startswith("attached web to network %s as eth0\n" % node.network), "attach said %r" % out)
    expect_eq(lines(out, "ip"), [["ip", "10.77.0.2/24", "gateway", "10.77.0.1"]], "ip lines")
    ports = lines(out, "port")
    expect(len(ports) == 2 and ports[0][2].startswith("127.0.0.1:") and ports[1][2].startswith("*:"),
           "port lines %r" % ports)
    loop_port, any_port = int(ports[0][2].split(":")[1]), int(ports[1][2].split(":")[1])
    expect(loop_port > 0 and any_port > 0, "host ports chosen: %r" % ports)
    expect("10.77.0.2/24" in job.addresses("eth0"), "the job's addresses %r" % job.addresses("eth0"))
    rec = json.loads(node.ctl("list", "--json").stdout)
    expect_eq([(a["containerID"], a["facts"]["group"]) for a in rec], [("web", "g1")], "recorded facts")
    entry = ctl.entry("web")
    expect(entry is not None and entry["result"]["ips"][0]["address"] == "10.77.0.2/24", "cache %r" % entry)
    expect_eq([m["hostPort"] for m in entry["result"]["portMappings"]], [loop_port, any_port], "cached ports")
    remember(env, "web", entry["result"])
    expect_eq(jn.tcp_probe(node.ns, "127.0.0.1", loop_port, 2.0)[0], "reached", "node -> 127.0.0.1 mapping")
    expect_eq(jn.tcp_probe(node.ns, "10.77.0.1", any_port, 2.0)[0], "reached", "node -> every-address mapping")
    out = ctl.ok("detach", "web").stdout
    expect_eq(out, "detached web (eth0) from network %s\n" % node.network, "detach said")
    node.expect_clean("web")
    expect_eq(ctl.entry("web"), None, "cache entry after detach")
    expect_eq(jn.tcp_probe(node.ns, "127.0.0.1", loop_port)[0], "refused", "loopback mapping after detach")
    # Idempotent, like DEL: again, and for a container never attached.
    for cid in ("web", "never"):
        out = ctl.ok("detach", cid, "--json").stdout
        expect_eq(json.loads(out), {"containerID": cid, "ifname": "eth0", "network": node.network,
                                    "cached": False}, "detach --json of %s" % cid)
    expect_eq(node.records(), [], "records after the detaches")


@test
def attach_by_pid_and_gc_after_the_namespace_died(env):
    node = env.node()
    ctl = Ctl(env, node)
    holder = subprocess.Popen(["nsenter", "--net=" + node.ns.path, "unshare", "-n", "sleep", "120"])
    env.defer(lambda: (holder.kill(), holder.wait()))
    sandbox = "/proc/%d/ns/net" % holder.pid
    others = {os.readlink("/proc/self/ns/net"), "net:[%d]" % os.stat(node.ns.path).st_ino}
    expect(jn.wait_for(lambda: os.readlink(sandbox) not in others), "the holder never got a namespace of its own")
    res = json.loads(ctl.ok("attach", "job1", "--pid", str(holder.pid), "--json").stdout)
    expect_eq(res["interfaces"][2]["sandbox"], sandbox, "the namespace ADD was given")
    expect_eq(res, ctl.entry("job1")["result"], "--json prints the result the cache keeps")
    remember(env, "job1", res)
    expect_eq(jn.icmp_probe(node.ns, "10.77.0.2", 2.0)[0], "reached", "node -> the job")
    holder.kill()
    holder.wait()
    out = node.ctl("gc").stdout
    expect("job1:eth0 (its namespace is gone)" in out, "gc said %r" % out)
    node.expect_clean("job1")
    # The agent's detach afterwards is a no-op that drops the cache entry.
    ctl.ok("detach", "job1")
    expect_eq(ctl.entry("job1"), None, "cache entry after detach")


@test
def plugin_errors_pass_through(env):
    node = env.node()
    ctl = Ctl(env, node)
    job = env.netns("job")
    ctl.ok("attach", "web", "--netns", job.path)
    cached = ctl.entry("web")
    remember(env, "web", cached["result"])
    proc = ctl.run("attach", "web", "--netns", job.path, "--json")
    expect_eq(proc.returncode, 1, "exit code of a second attach (jobnet's own)")
    err = json.loads(proc.stdout)
    expect_eq((err["code"], sorted(err)), (104, ["cniVersion", "code", "details", "msg"]), "error object")
    expect("already attached" in err["msg"], "error message %r" % err["msg"])
    expect("error 104" in proc.stderr and "already attached" in proc.stderr, "stderr %r" % proc.stderr)
    expect_eq(node.records(), ["web:eth0"], "records after the refused attach")
    expect_eq(ctl.entry("web"), cached, "the cache after the refused attach")
    proc = ctl.run("attach", "web", "--netns", job.path)
    expect_eq((proc.returncode, proc.stdout), (1, ""), "text mode: nothing on stdout")
    # A plugin's own exit status and error object, byte for byte.
    fake = FakePlugin(env)
    fctl = Ctl(env, node, bin_dir=fake.dir)
    obj = '{"cniVersion":"1.1.0","code":11,"msg":"busy, try later","details":"lock held"}'
    fake.answer(ADD={"status": 3, "out": obj + "\n"}, DEL={"status": 5, "out": ""})
    proc = fctl.run("attach", "c9", "--netns", job.path, "--json")
    expect_eq((proc.returncode, proc.stdout), (3, obj + "\n"), "the plugin's status and object")
    expect("busy, try later (error 11): lock held" in proc.stderr, "stderr %r" % proc.stderr)
    expect_eq(fctl.entry("c9"), None, "no cache entry for a failed ADD")
    proc = fctl.run("detach", "c9")
    expect_eq(proc.returncode, 5, "exit status of a DEL that failed without an error object")
    expect("exited with status 5 and no error object" in proc.stderr, "stderr %r" % proc.stderr)
    ctl.ok("detach", "web")
    node.expect_clean("web")


@test
def json_results_stay_json_whatever_the_namespace_path(env):
    node = env.node()
    ctl = Ctl(env, node)
    job = env.netns("job")
    # A namespace path the plugin takes and puts in its result as it is.
    link = os.path.join(env.tempdir("ns"), "caf\u00e9\x7f")
    os.symlink(job.path, link)
    proc = ctl.ok("attach", "web", "--netns", link, "--json")
    expect(all(" " <= c <= "~" or c == "\n" for c in proc.stdout), "stdout not plain ASCII: %r" % proc.stdout)
    res = json.loads(proc.stdout)
    expect_eq(res["interfaces"][2]["sandbox"], link, "the namespace in the result")
    expect_eq(res, ctl.entry("web")["result"], "--json prints the result the cache keeps")
    remember(env, "web", res)
    proc = ctl.run("attach", "web", "--netns", link, "--json")
    expect_eq(proc.returncode, 1, "exit code of a second attach")
    expect_eq(json.loads(proc.stdout)["code"], 104, "the error object of a second attach")
    ctl.ok("detach", "web", "--netns", link)
    node.expect_clean("web")


@test
def bad_invocations_exit_2_and_run_nothing(env):
    node = env.node()
    fake = FakePlugin(env)
    ctl = Ctl(env, node, bin_dir=fake.dir)
    ns = "/var/run/netns/whatever"
    cases = [
        (("attach",), "missing the container ID"),
        (("attach", "c1"), "missing --netns"),
        (("attach", "c1", "--netns", "rel/path"), '"rel/path"'),
        (("attach", "c1", "--netns", ns, "--pid", "12"), "give one"),
        (("attach", "c1", "--pid", "12x"), '"12x"'),
        (("attach", "c1", "--pid", "0"), '"0"'),
        (("attach", "c1", "--netns", ns, "--publish", "80"), '"80"'),
        (("attach", "c1", "--netns", ns, "--publish", "1.2.3.4:70000:80"), "70000"),
        (("attach", "c1", "--netns", ns, "--publish", "::1:80:80"), "brackets"),
        (("attach", "c1", "--netns", ns, "--publish", "[::1]:80"), "[::1]:80"),
        (("attach", "c1", "--netns", ns, "--publish", "80:0"), "container port"),
        (("attach", "c1", "--netns", ns, "--publish", "8080:80/icmp"), "protocol"),
        (("attach", "c1", "--netns", ns, "--publish", "host:8080:80"), "host address"),
        (("attach", "c1", "--netns", ns, "--group", "bad group"), "bad group"),
        (("attach", "c1", "--netns", ns, "--blocks", "9/8"), "greater than"),
        (("attach", "c1", "--netns", ns, "--blocks", "9"), "N/M"),
        (("attach", "c1", "--netns", ns, "--role", "king"), "king"),
        (("attach", "c1", "--netns", ns, "--routes", "g1"), "routes"),
        (("attach", "c1", "--netns", ns, "--peers", "10.0.0.1/8"), "10.0.0.1/8"),
        (("attach", "c1", "--netns", ns, "--routers", "10.0.0.2/8"), "10.0.0.2/8"),
        (("attach", "c1", "--netns", ns, "--multinode=maybe"), "maybe"),
        (("attach", "c1", "--netns", ns, "--ifname", "a/b"), "a/b"),
        (("attach", "bad id!", "--netns", ns), "bad id!"),
        (("attach", "c1", "c2", "--netns", ns), "unexpected argument \"c2\""),
        (("attach", "c1", "--netns", ns, "--frobnicate"), "--frobnicate"),
        (("attach", "c1", "--netns", ns, "--cache-dir", ""), "--cache-dir"),
        (("detach",), "missing the container ID"),
        (("detach", "c1", "--pid", "x"), '"x"'),
        (("detach", "c1", "extra"), "unexpected argument"),
        (("detach", "c1", "--group", "g1"), "--group"),
    ]
    for args, word in cases:
        proc = ctl.run(*args)
        what = "jobnetctl %s" % " ".join(args)
        expect_eq(proc.returncode, 2, "exit code of %s" % what)
        expect(word in proc.stderr and "usage: jobnetctl" in proc.stderr, "%s: stderr %r lacks %r" % (
            what, proc.stderr, word))
        expect_eq(proc.stdout, "", "%s: stdout" % what)
    expect_eq(fake.calls(), [], "plugin runs for bad invocations")
    expect(not os.path.exists(ctl.cache), "a bad invocation made the cache")


@test
def what_the_plugin_receives(env):
    node = env.node()
    fake = FakePlugin(env)
    other = {"type": "portmap", "capabilities": {"portMappings": True}}
    ctl = Ctl(env, node, bin_dir=fake.dir, others=[other])
    job = env.netns("job")
    inherited = dict(os.environ, CNI_ARGS="FOO=bar", CNI_NETNS="/bogus", CNI_COMMAND="VERSION")
    out = ctl.ok("attach", "c1", "--netns", job.path, "--ifname", "net1", "--group", "g1", "--multinode",
                 "--blocks", "2/8", "--peers", "10.0.3.0/24,fd00:3::/64", "--routers", "10.0.4.9",
                 "--publish", "127.0.0.1:0:22",
                 "--publish", "[::1]:2200:22/udp", env=inherited).stdout
    expect_eq(lines(out, "port"), [["port", "tcp", "127.0.0.1:40001", "->", "22"]], "ports printed from the result")
    add, = fake.calls()
    expect_eq(add["env"], {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_IFNAME": "net1",
                           "CNI_NETNS": job.path, "CNI_PATH": fake.dir}, "ADD's environment")
    conf = add["stdin"]
    expect_eq((conf["name"], conf["cniVersion"], conf["type"]), (node.network, "1.1.0", "jobnet"),
              "name, cniVersion and type")
    expect_eq(conf["runtimeConfig"], {
        "portMappings": [{"hostPort": 0, "containerPort": 22, "protocol": "tcp", "hostIP": "127.0.0.1"},
                         {"hostPort": 2200, "containerPort": 22, "protocol": "udp", "hostIP": "::1"}],
        "jobnet": {"group": "g1", "multinode": True, "blocks": 2, "totalBlocks": 8,
                   "peers": ["10.0.3.0/24", "fd00:3::/64"], "routers": ["10.0.4.9/32"]}}, "runtimeConfig")
    expect("args" not in conf and "prevResult" not in conf, "ADD got args or prevResult: %r" % conf)
    expect_eq(ctl.entry("c1", "net1")["result"], FAKE_RESULT, "cached result")
    ctl.ok("detach", "c1", "--ifname", "net1", env=inherited)
    dele = fake.calls()[1]
    expect_eq(dele["env"], {"CNI_COMMAND": "DEL", "CNI_CONTAINERID": "c1", "CNI_IFNAME": "net1",
                            "CNI_PATH": fake.dir}, "DEL's environment (no namespace given)")
    expect_eq(dele["stdin"]["prevResult"], FAKE_RESULT, "DEL's prevResult")
    expect_eq(dele["stdin"]["runtimeConfig"], conf["runtimeConfig"], "DEL's runtimeConfig")
    expect_eq(ctl.entry("c1", "net1"), None, "cache entry after detach")
    # Without the capabilities: facts as args.cni.jobnet, --publish refused.
    bare = {k: v for k, v in ctl.jobnet_entry().items() if k != "capabilities"}
    ctl2 = Ctl(env, node, plugin_entry=bare, bin_dir=fake.dir)
    ctl2.ok("attach", "c2", "--pid", "1", "--role", "router", "--routes", "g1,g2", global_conf_dir=True)
    conf = fake.calls()[2]["stdin"]
    expect_eq(conf.get("args"), {"cni": {"jobnet": {"role": "router", "routes": ["g1", "g2"]}}}, "args.cni.jobnet")
    expect("runtimeConfig" not in conf, "runtimeConfig without capabilities: %r" % conf)
    expect_eq(fake.calls()[2]["env"]["CNI_NETNS"], "/proc/1/ns/net", "--pid as CNI_NETNS")
    proc = ctl2.run("attach", "c3", "--pid", "1", "--publish", "8080:80")
    expect_eq(proc.returncode, 1, "--publish without the capability")
    expect("\"portMappings\" capability" in proc.stderr, "stderr %r" % proc.stderr)
    expect_eq(len(fake.calls()), 3, "plugin runs after the refused --publish")


@test
def an_add_whose_result_cannot_be_kept_is_undone(env):
    node = env.node()
    ctl = Ctl(env, node)
    job = env.netns("job")
    blocker = os.path.join(env.tempdir("blocker"), "file")
    open(blocker, "w").close()
    ctl.cache = os.path.join(blocker, "cache")  # under a regular file: cannot be made
    proc = ctl.run("attach", "web", "--netns", job.path, "--publish", "127.0.0.1:0:80")
    expect_eq(proc.returncode, 1, "exit code when the cache cannot be written")
    expect("undoing the ADD" in proc.stderr and blocker in proc.stderr, "stderr %r" % proc.stderr)
    expect_eq(proc.stdout, "", "stdout of the undone attach")
    expect_eq((node.records(), node.reservations()), ([], {}), "state after the undone attach")
    expect_eq([l["ifname"] for l in node.ns.ip_json("link", "show") if l["ifname"].startswith("jn")], [],
              "veths after the undone attach")
    expect(not job.link_exists("eth0"), "the job's interface after the undone attach")
    # A stand-in that prints no JSON: undone the same way.
    fake = FakePlugin(env)
    fake.answer(ADD={"status": 0, "out": "not json\n"})
    proc = Ctl(env, node, bin_dir=fake.dir).run("attach", "c1", "--netns", job.path)
    expect_eq(proc.returncode, 1, "exit code for a result that is not JSON")
    expect_eq([c["env"]["CNI_COMMAND"] for c in fake.calls()], ["ADD", "DEL"], "ADD then the undoing DEL")


@test
def missing_plugin_or_configuration(env):
    node = env.node()
    ctl = Ctl(env, node, bin_dir=env.tempdir("emptybin"))
    proc = ctl.run("attach", "c1", "--pid", "1")
    expect_eq(proc.returncode, 1, "exit code without a plugin")
    expect("no executable plugin \"jobnet\" in " + ctl.bin_dir in proc.stderr, "stderr %r" % proc.stderr)
    os.unlink(os.path.join(ctl.conf_dir, "10-test.conflist"))
    for cmd in ("attach", "detach"):
        proc = ctl.run(cmd, "c1", "--pid", "1")
        expect_eq(proc.returncode, 1, "%s exit code without a configuration" % cmd)
        expect("no configuration in %s" % ctl.conf_dir in proc.stderr, "stderr %r" % proc.stderr)
