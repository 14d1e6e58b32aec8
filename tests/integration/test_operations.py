"""jobnetctl show, verify, repair, gc and matrix, with drift made
on purpose: a deleted veth, a deleted element, a flushed ruleset, a deleted
table, a stale reservation, a record cut short; the demo; the conf files."""

import json
import os
import re
import subprocess

import jn
from jn import expect, expect_eq, test
from topology import JOB_TCP, Job, Topology

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def verify(node):
    proc = node.ctl("verify", check=False)
    drifts = [l for l in proc.stdout.splitlines() if l.startswith("drift: ")]
    return proc.returncode, drifts


def jobnet_state(node):
    """The node's rules and elements, comparable across rebuilds."""
    return node.fingerprint(parts=("rules", "elements"))


@test
def show_tells_everything_of_one_attachment(env):
    topo = Topology(env, jobs=[("a1", "neta", {"group": "A"}), ("a2", "neta", {"group": "A"})])
    out = topo.node.ctl("show", "a1").stdout
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    for word in ("container:  a1", "group A", a1.veth, a1.mac, "rule host-when-possible",
                 "inet jobnet job_addrs4: %s comment" % a1.addr[4],
                 "inet jobnet job_talk4: %s . %s comment \"group A: a1 -> a2\"" % (a1.addr[4], a2.addr[4]),
                 "bridge jobnet port_mac: \"%s\" . %s" % (a1.veth, a1.mac)):
        expect(word in out, "jobnetctl show a1 lacks %r:\n%s" % (word, out))
    topo.node.nft("delete", "element", "inet", "jobnet", "job_addrs4", "{ %s }" % a1.addr[4])
    out = topo.node.ctl("show", "a1").stdout
    expect("MISSING inet jobnet job_addrs4 { %s }" % a1.addr[4] in out, "a missing element in show:\n%s" % out)
    data = json.loads(topo.node.ctl("show", "a", "--json").stdout)
    expect_eq(sorted(d["containerID"] for d in data), ["a1", "a2"], "show by prefix")
    expect(any("job_talk4" in e for e in data[0]["elements"]), "elements in show --json")
    proc = topo.node.ctl("show", "zz", check=False)
    expect(proc.returncode == 1 and "no attachment" in proc.stderr, "show of an unknown container: %r" % proc.stderr)
    for args in (("show",), ("show", "a1", "b1")):
        expect_eq(topo.node.ctl(*args, check=False).returncode, 2, "exit code of jobnetctl %s" % " ".join(args))


@test
def verify_finds_each_drift_and_repair_fixes_it(env):
    topo = Topology(env)
    node = topo.node
    expect_eq(verify(node), (0, []), "verify on a fresh node")
    a1, a2, a3, b1 = (topo.jobs[n] for n in ("a1", "a2", "a3", "b1"))
    before = jobnet_state(node)
    # Five kinds of drift at once.
    node.ns.ip("link", "del", a1.veth)
    node.nft("delete", "element", "inet", "jobnet", "job_talk4", "{ %s . %s }" % (a2.addr[4], a3.addr[4]))
    node.nft("delete", "element", "bridge", "jobnet", "port_ip4", '{ "%s" . %s }' % (b1.veth, b1.addr[4]))
    os.symlink("ghost:eth0", os.path.join(node.state_dir, "neta", "ipam", "10.61.0.200"))
    record = os.path.join(node.state_dir, "netb", "attachments", "b1:eth0")
    text = open(record).read()
    with open(record, "w") as f:
        f.write(text[: len(text) // 3])
    rc, drifts = verify(node)
    expect_eq(rc, 1, "verify's exit code with drift")
    wanted = ["host veth \"%s\" is missing" % a1.veth, "job_talk4 { %s . %s }" % (a2.addr[4], a3.addr[4]),
              "10.61.0.200 is reserved by ghost:eth0", "netb/b1:eth0: record", "corrupt"]
    for w in wanted:
        expect(any(w in d for d in drifts), "verify does not report %r:\n%s" % (w, "\n".join(drifts)))
    out = node.ctl("repair").stdout
    for w in ("veth %s recreated" % a1.veth, "record restored from its copy", "10.61.0.200 released"):
        expect(w in out, "repair does not say %r:\n%s" % (w, out))
    expect_eq(verify(node), (0, []), "verify after repair")
    expect_eq(jobnet_state(node), before, "rules and elements after repair")
    # The repaired pieces work: a1 talks to a2 again, a2 to a3, b1 is fenced.
    for src, dst in ((a1, a2), (a2, a3), (topo.jobs["r"], a1)):
        expect_eq(jn.tcp_probe(src.ns, dst.addr[4], JOB_TCP, 1.0)[0], "reached", "%s -> %s after repair" % (
            src.name, dst.name))
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP)[0], "timeout", "b1 -> a1 after repair")
    again = node.ctl("repair").stdout
    expect("0 repair(s), 0 failure(s)" in again, "a second repair still repaired:\n%s" % again)


@test
def repair_brings_back_a_flushed_ruleset(env):
    topo = Topology(env)
    node = topo.node
    before = jobnet_state(node)
    a1, b1 = topo.jobs["a1"], topo.jobs["b1"]
    node.nft("flush", "ruleset")
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP, 1.0)[0], "reached", "b1 -> a1 with no ruleset")
    rc, drifts = verify(node)
    expect(rc == 1 and any("tables" in d for d in drifts), "verify after a flush:\n%s" % "\n".join(drifts))
    out = node.ctl("repair").stdout
    expect("nftables tables, rebuilt from the state" in out, "repair after a flush:\n%s" % out)
    expect_eq(jobnet_state(node), before, "rules and elements after flush and repair")
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP)[0], "timeout", "b1 -> a1 after repair")
    expect_eq(verify(node), (0, []), "verify after repair")


@test
def add_restores_a_deleted_table(env):
    topo = Topology(env, jobs=[("a1", "neta", {"group": "A"}), ("a2", "neta", {"group": "A"}),
                               ("b1", "netb", {"group": "B"})])
    node = topo.node
    before = jobnet_state(node)
    node.nft("delete", "table", "inet", "jobnet")
    topo.add_job("late", "neta", {"group": "A"})
    after = jobnet_state(node)
    expect_eq(after["rules"], before["rules"], "rules after an ADD rebuilt the table")
    missing = [e for e in before["elements"] if e not in after["elements"]]
    expect_eq(missing, [], "elements of earlier jobs after an ADD rebuilt the table")
    a1, b1, late = topo.jobs["a1"], topo.jobs["b1"], topo.jobs["late"]
    expect_eq(jn.tcp_probe(late.ns, a1.addr[4], JOB_TCP, 1.0)[0], "reached", "late -> a1 (same group)")
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP)[0], "timeout", "b1 -> a1 after the rebuild")


@test
def gc_removes_what_has_no_namespace(env):
    topo = Topology(env, jobs=[("a1", "neta", {"group": "A"}), ("a2", "neta", {"group": "A"})])
    node = topo.node
    a1, a2 = topo.jobs["a1"], topo.jobs["a2"]
    a1.ns.delete()
    # A leftover: named like a veth of jobnet's, on neta's bridge, in no record.
    node.ns.ip("link", "add", "jn0123456789ab", "master", "jobnet0", "type", "veth", "peer", "name", "jnorphanpeer")
    os.makedirs(os.path.join(node.state_dir, "policy", "ports", "tcp-4444"))
    os.symlink("neta:gone:eth0", os.path.join(node.state_dir, "policy", "ports", "tcp-4444", "any"))
    out = node.ctl("gc").stdout
    for w in ("neta/a1:eth0 (its namespace is gone)", "link jn0123456789ab", "host port tcp-4444/any"):
        expect(w in out, "gc does not say %r:\n%s" % (w, out))
    expect_eq(node.records(), ["a2:eth0"], "records after gc")
    expect(not node.ns.link_exists(a1.veth) and not node.ns.link_exists("jn0123456789ab"), "links after gc")
    expect(a1.addr[4] not in json.dumps(jobnet_state(node)), "a1's elements after gc")
    expect(node.ns.link_exists(a2.veth), "gc removed a live job's veth")
    expect_eq(verify(node), (0, []), "verify after gc")
    expect("0 removed" in node.ctl("gc").stdout, "a second gc removed something")


def _links_in(path):
    proc = subprocess.run(["nsenter", "--net=" + path, "ip", "-j", "link", "show"], capture_output=True, text=True)
    return sorted(l["ifname"] for l in json.loads(proc.stdout or "[]"))


@test
def a_reused_pid_does_not_make_a_strangers_namespace_the_jobs(env):
    """CNI_NETNS=/proc/<pid>/ns/net (as ctr gives it): once the job's process
    dies and its PID goes to a process in another namespace, the path names
    that stranger's namespace. CHECK, repair and gc must not take it for the
    job's: the job's namespace is gone."""
    node = env.node()
    pids = env.pid_namespace()
    pid = pids.spawn()  # in a namespace of its own, which dies with it
    path = pids.path(pid)
    r = node.add(None, "c1", netns=path).expect_ok()
    env.remember("c1", r)
    expect_eq(_links_in(path), ["eth0", "lo"], "the job's links")
    rec = json.loads(node.ctl("list", "--json").stdout)[0]
    expect_eq((rec["netns"], rec["netnsInode"]), (path, os.stat(path).st_ino), "the record's namespace")
    expect(rec["netnsCookie"] > 0, "the record has no cookie of the namespace: %r" % rec)
    node.check(None, "c1", r.json, netns=path).expect_ok()
    pids.kill(pid)
    stranger = env.netns("stranger")
    expect_eq(pids.spawn(stranger.path, pid=pid), pid, "a process of another namespace taking the dead job's PID")
    expect_eq(os.stat(path).st_ino, os.stat(stranger.path).st_ino, "what the job's path names now")
    node.check(None, "c1", r.json, netns=path).expect_error(108)
    _, drifts = verify(node)
    expect(any("names another namespace now" in d for d in drifts), "verify's drifts: %s" % drifts)
    out = node.ctl("repair", check=False).stdout
    expect_eq(_links_in(stranger.path), ["lo"],
              "links of the stranger's namespace after repair:\n%s" % out)
    expect(not node.ns.link_exists(r.json["interfaces"][1]["name"]), "repair recreated the dead job's veth")
    out = node.ctl("gc").stdout
    expect("c1:eth0 (its namespace is gone)" in out, "gc does not count the job as gone:\n%s" % out)
    expect_eq(node.records(), [], "records after gc")
    node.expect_clean("c1")
    expect_eq(_links_in(stranger.path), ["lo"], "links of the stranger's namespace after gc")


@test
def gc_keeps_a_job_whose_namespace_it_cannot_open(env):
    """A namespace path that fails to open for another reason than being
    gone (here EACCES: gc runs without CAP_SYS_PTRACE, the job's process is
    nobody's) says nothing of the namespace: gc keeps the job, names the
    failure and exits 1."""
    node = env.node()
    job = env.netns("job")
    holder = subprocess.Popen(["ip", "netns", "exec", job.name, "setpriv", "--reuid=65534", "--regid=65534",
                               "--clear-groups", "sleep", "600"])
    env.defer(holder.wait)
    env.defer(holder.kill)
    path = "/proc/%d/ns/net" % holder.pid
    jn.wait_for(lambda: os.path.exists(path) and os.stat(path).st_ino == os.stat(job.path).st_ino,
                what="the holder in the job's namespace")
    r = node.add(None, "c1", netns=path).expect_ok()
    env.remember("c1", r)
    veth = r.json["interfaces"][0]["name"]
    proc = subprocess.run(["nsenter", "--net=" + node.ns.path, "setpriv", "--bounding-set", "-sys_ptrace",
                           node.plugin.ctl, "--state-dir", node.state_dir, "gc"],
                          capture_output=True, text=True, timeout=60)
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        expect(marker not in proc.stderr, "jobnetctl gc: sanitizer report:\n%s" % proc.stderr[-4000:])
    expect_eq(proc.returncode, 1, "exit code of gc that cannot open a job's namespace:\n%s%s" %
              (proc.stdout, proc.stderr))
    expect("c1:eth0 kept" in proc.stdout + proc.stderr and "cannot open network namespace" in proc.stdout + proc.stderr,
           "gc does not name the job it kept and why:\n%s%s" % (proc.stdout, proc.stderr))
    expect_eq(node.records(), ["c1:eth0"], "records after gc")
    expect(node.ns.link_exists(veth), "gc removed the veth of a job it could not judge")
    expect("0 removed, 0 failure(s)" in node.ctl("gc").stdout, "gc with the capability removed something")
    node.delete("c1").expect_ok()
    node.expect_clean("c1")


def _rewrite_record(node, key, **fields):
    """The record and its copy with these fields (None: without it)."""
    d = os.path.join(node.state_dir, node.network, "attachments")
    for name in (key, ".%s.copy" % key):
        with open(os.path.join(d, name)) as f:
            rec = json.load(f)
        rec.update(fields)
        with open(os.path.join(d, name), "w") as f:
            json.dump({k: v for k, v in rec.items() if v is not None}, f)


@test
def a_namespace_that_took_a_dead_ones_inode_number_is_told_apart(env):
    """The kernel gives the inode number of a namespace that died to the next
    one it makes: the record's cookie of the namespace (never given twice)
    tells them apart. Shown with a record whose cookie is another's; records
    without the identity are judged by their path, as before."""
    node = env.node()
    job = env.netns("job")
    r = node.add(job, "c1").expect_ok()
    env.remember("c1", r)
    rec = json.loads(node.ctl("list", "--json").stdout)[0]
    expect_eq((rec["netnsInode"], verify(node)), (os.stat(job.path).st_ino, (0, [])), "the record and verify")
    _rewrite_record(node, "c1:eth0", netnsCookie=rec["netnsCookie"] + 1000)
    _, drifts = verify(node)
    expect(any("names another namespace now" in d for d in drifts), "verify's drifts: %s" % drifts)
    out = node.ctl("repair", check=False).stdout
    expect("is gone (the path names another one now)" in out, "repair does not leave the namespace alone:\n%s" % out)
    # A record written before the identity was kept: the path alone.
    _rewrite_record(node, "c1:eth0", netnsDev=None, netnsInode=None, netnsCookie=None)
    expect_eq(verify(node), (0, []), "verify of a record without the namespace's identity")
    expect("0 removed" in node.ctl("gc").stdout, "gc removed a job whose record has no identity")
    _rewrite_record(node, "c1:eth0", netnsDev=rec["netnsDev"], netnsInode=rec["netnsInode"],
                    netnsCookie=rec["netnsCookie"] + 1000)
    out = node.ctl("gc").stdout
    expect("c1:eth0 (its namespace is gone)" in out, "gc keeps a job whose namespace is another's:\n%s" % out)
    node.expect_clean("c1")
    expect_eq(job.ip_json("-o", "link", "show", "type", "veth"), [], "the job's veth after gc")


def _state_of(topo, jobs):
    """What gc must leave of these jobs: veths, table elements, port claims."""
    node = topo.node
    text = json.dumps(jobnet_state(node))
    ports = os.path.join(node.state_dir, "policy", "ports")
    claims = sorted("%s/%s -> %s" % (d, f, os.readlink(os.path.join(ports, d, f)))
                    for d in (os.listdir(ports) if os.path.isdir(ports) else [])
                    for f in os.listdir(os.path.join(ports, d)))
    return ([j.veth for j in jobs if node.ns.link_exists(j.veth)],
            [j.addr[4] for j in jobs if j.addr[4] in text], claims)


def _two_networks_and_a_mapped_job(env, host_port):
    """a1 on neta, b1 on netb, and web on netb behind host_port (a claim)."""
    topo = Topology(env, jobs=[("a1", "neta", {"group": "A"}), ("b1", "netb", {"group": "B"})])
    conf = dict(topo.confs["netb"], runtimeConfig={"jobnet": {"group": "B"},
                                                   "portMappings": [{"hostPort": host_port, "containerPort": JOB_TCP,
                                                                     "protocol": "tcp"}]})
    r = topo.node.add(env.netns("web"), "web", conf=conf).expect_ok()
    env.remember("web", r)
    return topo, Job("web", "netb", {"group": "B"}, None, r)


@test
def gc_with_the_wrong_state_dir_removes_nothing_of_the_live_jobs(env):
    """gc run on an empty directory, or on another network's state, finds
    no record of the node's live jobs: it must not take their veths for
    leftovers, nor rebuild the tables without their elements, nor drop
    their port claims. A leftover on a bridge of the state it read still
    goes."""
    topo, web = _two_networks_and_a_mapped_job(env, 4556)
    node = topo.node
    live = [topo.jobs["a1"], topo.jobs["b1"], web]
    # Another network with a state directory of its own, and one job.
    other = env.tempdir("other-state")
    netc = node.conf(name="netc", bridge="jobnet2", subnet="10.63.0.0/24", subnet6="fd63::/64", stateDir=other)
    rc = node.add(env.netns("c1"), "c1", conf=netc).expect_ok()
    env.remember("c1", rc)
    c1 = Job("c1", "netc", {}, None, rc)
    before = _state_of(topo, live)
    expect_eq(before[:2], ([j.veth for j in live], [j.addr[4] for j in live]), "the jobs before gc")
    expect(any("netb:web:eth0" in c for c in before[2]), "web's port claim: %r" % before[2])
    # Leftovers named like jobnet's veths: one on netc's bridge, one on no bridge.
    node.ns.ip("link", "add", "jn0123456789ab", "master", "jobnet2", "type", "veth", "peer", "name", "jnorphanpeer")
    node.ns.ip("link", "add", "jn0123456789cd", "type", "veth", "peer", "name", "jnloosepeer")
    empty = env.tempdir("empty-state")
    for state_dir in (empty, other):
        out = node.ctl("--state-dir", state_dir, "gc", state_dir=False).stdout
        expect_eq(_state_of(topo, live), before, "the live jobs after gc --state-dir %s" % state_dir)
        for j in live:
            expect("link %s left alone" % j.veth in out, "gc does not say it left %s alone:\n%s" % (j.veth, out))
        expect(node.ns.link_exists(c1.veth), "gc --state-dir %s removed netc's live job's veth" % state_dir)
        expect(c1.addr[4] in json.dumps(jobnet_state(node)), "netc's job's elements after gc")
        expect(node.ns.link_exists("jn0123456789cd"), "gc removed a jobnet-like veth on no bridge")
        expect(node.ns.link_exists("jn0123456789ab") == (state_dir == empty),
               "the leftover on netc's bridge after gc --state-dir %s:\n%s" % (state_dir, out))
    expect_eq(sorted(f for f in os.listdir(os.path.join(other, "netc", "attachments")) if not f.startswith(".")),
              ["c1:eth0"], "netc's records after gc")
    out = node.ctl("gc").stdout
    expect("0 removed, 0 failure(s)" in out, "gc on the right state after the wrong ones:\n%s" % out)
    expect_eq(_state_of(topo, live), before, "the live jobs after gc on their own state")


@test
def gc_and_repair_remove_nothing_of_a_network_they_cannot_read(env):
    topo, web = _two_networks_and_a_mapped_job(env, 4555)
    node = topo.node
    live = [topo.jobs["b1"], web]
    before = _state_of(topo, live)
    expect_eq(before[:2], ([j.veth for j in live], [j.addr[4] for j in live]), "netb's jobs before gc")
    expect(any("tcp-4555" in c and "netb:web:eth0" in c for c in before[2]), "web's port claim: %r" % before[2])
    topo.jobs["a1"].ns.delete()
    # netb's records can no longer be read: its attachments directory is a symlink.
    attachments = os.path.join(node.state_dir, "netb", "attachments")
    os.rename(attachments, attachments + ".moved")
    os.symlink(attachments + ".moved", attachments)
    for command in ("gc", "repair"):
        proc = node.ctl(command, check=False)
        expect_eq(proc.returncode, 1, "exit code of %s with netb unreadable" % command)
        expect("netb" in proc.stderr and "attachments" in proc.stderr,
               "%s does not name the unreadable state on stderr: %r" % (command, proc.stderr))
        expect_eq(_state_of(topo, live), before, "netb's jobs after %s" % command)
        if command == "gc":
            expect("neta/a1:eth0 (its namespace is gone)" in proc.stdout,
                   "gc did not go on with the network it can read:\n%s" % proc.stdout)
    os.remove(attachments)
    os.rename(attachments + ".moved", attachments)
    out = node.ctl("gc").stdout
    expect("0 removed, 0 failure(s)" in out, "gc once netb reads again:\n%s" % out)
    expect_eq(_state_of(topo, live), before, "netb's jobs after gc with every network readable")


@test
def gc_leaves_a_job_whose_record_does_not_read_and_warns(env):
    topo = Topology(env, jobs=[("a1", "neta", {"group": "A"}), ("a2", "neta", {"group": "A"})])
    node = topo.node
    live = [topo.jobs["a1"], topo.jobs["a2"]]
    before = _state_of(topo, live)
    with open(os.path.join(node.state_dir, "neta", "attachments", "a1:eth0"), "w") as f:
        f.write('{"containerID": ')
    proc = node.ctl("gc", check=False)
    expect_eq(proc.returncode, 1, "exit code of gc with a record cut short")
    expect("jobnetctl: warning: " in proc.stderr and "a1:eth0" in proc.stderr,
           "the library's warning does not reach stderr: %r" % proc.stderr)
    expect("jobnetctl: the record " in proc.stderr, "gc does not name the unreadable record: %r" % proc.stderr)
    expect_eq(_state_of(topo, live), before, "the jobs after gc")
    out = node.ctl("repair").stdout
    expect("record restored from its copy" in out, "repair:\n%s" % out)
    expect("0 removed, 0 failure(s)" in node.ctl("gc").stdout, "gc after the repair removed something")
    expect_eq(_state_of(topo, live), before, "the jobs after repair and gc")


@test
def matrix_shows_who_reaches_whom(env):
    topo = Topology(env)
    out = topo.node.ctl("matrix").stdout
    rows = {l.split()[0]: l.split()[1:] for l in out.splitlines()[1:] if l and not l.startswith("(")}
    header = out.splitlines()[0].split()[3:]
    cell = lambda src, dst: rows[src][header.index(dst)]
    expect_eq(cell("a1", "a2"), "yes", "a1 -> a2")
    expect_eq(cell("a1", "a3"), "yes", "a1 -> a3 (other bridge, same group)")
    expect_eq(cell("a1", "b1"), "no", "a1 -> b1")
    expect_eq(cell("r", "a1"), "yes", "router -> a1")
    expect_eq(cell("a1", "r"), "no", "a1 -> router")
    expect_eq(cell("lone", "a1"), "no", "lone -> a1")
    expect_eq(cell("node", "b1"), "yes", "node -> b1")
    expect_eq(cell("b1", "node"), "no", "b1 -> node")
    data = json.loads(topo.node.ctl("matrix", "--json").stdout)
    expect_eq(data["a1"]["a2"], {"v4": True, "v6": True}, "matrix --json a1 -> a2")
    expect_eq(data["a1"]["b1"], {"v4": False, "v6": False}, "matrix --json a1 -> b1")


@test
def every_subcommand_refuses_bad_invocations(env):
    node = env.node()
    for args in (("verify", "x"), ("repair", "x"), ("gc", "x"), ("matrix", "x"), ("list", "x"),
                 ("decide", "--blocks", "9"), ("decide", "--bogus"), ("show",)):
        proc = node.ctl(*args, check=False)
        expect_eq(proc.returncode, 2, "exit code of jobnetctl %s" % " ".join(args))
        expect("usage: jobnetctl" in proc.stderr, "no usage for jobnetctl %s: %r" % (" ".join(args), proc.stderr))


@test
def the_demo_runs_and_leaves_nothing(env):
    build = os.path.dirname(env.plugin.path)
    # The demo's namespaces and relays carry a run id of its own, under this run's.
    run_id = jn._run_id + "d"
    prefix = jn.PREFIX + run_id
    proc = subprocess.run(["python3", os.path.join(ROOT, "tests", "demo.py")], capture_output=True, text=True,
                          env=dict(os.environ, BUILD=build, **{jn.RUN_MARKER: run_id}), timeout=120)
    expect(proc.returncode == 0, "the demo failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
    for w in ("decide: bridge forced-bridge", "decide: bridge partial-instance", "decide: host host-when-possible",
              "no interface: it shares the node's network", "job_talk4", "from \\ to", "0 drift(s)",
              "the namespaces, processes and state are gone", "a throwaway node namespace " + prefix):
        expect(w in proc.stdout, "the demo does not show %r" % w)
    router_row = [l for l in proc.stdout.splitlines() if l.startswith("router ")][-1]
    expect(router_row.split()[4:6] == ["yes", "yes"], "the demo's router row %r" % router_row)
    # Across nodes: the probe lines, in order, with their outcomes.
    across = proc.stdout.split("== across nodes")[-1].split("== DEL on both nodes")[0]
    probes = [" ".join(l.split()) for l in across.splitlines() if " -> " in l]
    expect_eq(probes, ["worker (node 2) -> master (node 1) timeout",
                       "worker (node 2) -> master (node 1) reached (it sees 10.70.2.20)",
                       "master (node 1) -> worker (node 2) reached (it sees 10.70.1.10)",
                       "other (node 2, another run) -> master timeout",
                       "a host of the underlay -> master timeout"], "the demo's probes across nodes")
    left = [n for n in os.listdir(jn.NETNS_DIR) if n.startswith(prefix)] if os.path.isdir(jn.NETNS_DIR) else []
    expect_eq(left, [], "namespaces after the demo")
    jn.wait_for(lambda: not jn.relays(), timeout=2.0)
    expect_eq(sorted(jn.relays()), [], "relays that outlived the demo")


@test
def the_shipped_units_say_what_they_do(env):
    unit = open(os.path.join(ROOT, "conf", "systemd", "jobnet-repair.service")).read()
    execs = re.findall(r"^ExecStart=(.*)$", unit, re.M)
    expect_eq(execs, ["/usr/local/sbin/jobnetctl gc", "/usr/local/sbin/jobnetctl repair"], "the unit's ExecStart")
    expect(re.search(r"^Before=.*containerd\.service", unit, re.M), "the unit does not run before containerd")
    import yaml
    docs = list(yaml.safe_load_all(open(os.path.join(ROOT, "conf", "kubernetes", "jobnet-daemonset.yaml"))))
    kinds = [d["kind"] for d in docs]
    expect_eq(kinds, ["ConfigMap", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet"],
              "the manifest's objects")
    conflist = json.loads(docs[0]["data"]["10-jobnet.conflist"])
    expect(conflist["plugins"][0]["capabilities"].get("io.kubernetes.cri.pod-annotations"),
           "the DaemonSet's conflist does not ask for pod annotations")
    pod = docs[-1]["spec"]["template"]["spec"]
    paths = sorted(v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v)
    for p in ("/etc/cni/net.d", "/opt/cni/bin", "/run/jobnet"):
        expect(p in paths, "the DaemonSet does not mount %s" % p)
    expect(pod.get("hostNetwork") is True, "the DaemonSet does not run in the node's network")
    install = open(os.path.join(ROOT, "conf", "kubernetes", "install.sh")).read()
    expect("[ ! -e /host/etc/cni/net.d/10-jobnet.conflist ]" in install, "install.sh overwrites a conflist")


@test
def verify_notices_changed_rules(env):
    topo = Topology(env, jobs=[("a1", "neta", {"group": "A"}), ("b1", "neta", {"group": "B"})])
    node = topo.node
    before = jobnet_state(node)
    listing = node.nft("-a", "list", "chain", "inet", "jobnet", "postrouting").stdout
    handle = [l for l in listing.splitlines() if "masquerade" in l][0].split("handle ")[1]
    node.nft("delete", "rule", "inet", "jobnet", "postrouting", "handle", handle)
    node.nft("insert", "rule", "inet", "jobnet", "from_job", "accept")
    a1, b1 = topo.jobs["a1"], topo.jobs["b1"]
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP, 1.0)[0], "reached", "b1 -> a1 with an accept put in")
    rc, drifts = verify(node)
    expect_eq(rc, 1, "verify's exit code with changed rules")
    for chain in ("inet jobnet postrouting", "inet jobnet from_job"):
        expect(any(chain in d for d in drifts), "verify does not name chain %s:\n%s" % (chain, "\n".join(drifts)))
    node.ctl("repair")
    expect_eq(jobnet_state(node), before, "rules after repair")
    expect_eq(verify(node), (0, []), "verify after repair")
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], JOB_TCP)[0], "timeout", "b1 -> a1 after repair")
