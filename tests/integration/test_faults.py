"""Fault injection: the plugin killed with SIGKILL at random points
of ADD and DEL, then recovered the way a runtime recovers (DEL, then GC);
state files cut short, filled with garbage or emptied. Nothing may leak and
nothing may crash. JOBNET_FAULTS=<kills> makes the kill run longer (the
default, for make test, is 60)."""

import fcntl
import json
import os
import random
import signal
import time

import jn
from jn import expect, expect_eq, test

KILLS = int(os.environ.get("JOBNET_FAULTS", "60"))
HOST_PORT = 18300


def fault_conf(node):
    maps = [{"hostPort": HOST_PORT, "containerPort": 80, "protocol": "tcp", "hostIP": "127.0.0.1"},
            {"hostPort": HOST_PORT + 1, "containerPort": 81, "protocol": "udp"}]
    return node.conf(subnet6="fd00:73::/64", capabilities={"portMappings": True},
                     runtimeConfig={"jobnet": {"group": "run-1", "blocks": 1, "totalBlocks": 8},
                                    "portMappings": maps})


def bystander_conf(node):
    return node.conf(subnet6="fd00:73::/64",
                     runtimeConfig={"jobnet": {"group": "run-1", "blocks": 1, "totalBlocks": 8}})


def held_locks(node):
    """Lock files some process still holds (a killed plugin must hold none)."""
    held = []
    for root, _, files in os.walk(node.state_dir):
        for name in files:
            if name == "lock" or name.endswith(".lock"):
                path = os.path.join(root, name)
                with open(path, "a") as f:
                    try:
                        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        fcntl.flock(f, fcntl.LOCK_UN)
                    except OSError:
                        holders = []
                        for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
                            try:
                                fds = os.listdir("/proc/%s/fd" % pid)
                                if any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) == path for fd in fds):
                                    holders.append("%s(%s)" % (pid, open("/proc/%s/comm" % pid).read().strip()))
                            except OSError:
                                pass
                        held.append("%s held by %s" % (path, ", ".join(holders) or "nobody"))
    return held


def expect_back_to(before, node, what):
    """The node as it was; a relay whose veth just went may take a moment
    to notice and end."""
    jn.wait_for(lambda: node.fingerprint() == before, timeout=1.0, interval=0.02)
    jn.expect_same(before, node.fingerprint(), what)


def run_killed(node, command, conf, cid, job, delay):
    """Run command and SIGKILL it after delay seconds; True when the kill
    landed before the plugin ended on its own."""
    proc = node.plugin.start(node, command, conf, cid=cid, netns=job.path)
    time.sleep(delay)  # the random point of the kill, not a wait for something
    proc.send_signal(signal.SIGKILL)
    return proc.wait() == -signal.SIGKILL


def timed(fn):
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def recover(node, conf, cid, bystander):
    """What a runtime does after a plugin died: DEL, then GC."""
    node.delete(cid, conf=conf).expect_ok()
    gc = node.conf()
    gc["cni.dev/valid-attachments"] = [{"containerID": bystander, "ifname": "eth0"}]
    node.run("GC", gc).expect_ok()


@test
def sigkill_at_random_points_leaks_nothing(env):
    node = env.node(name="faults")
    seed = int(os.environ.get("JOBNET_FAULT_SEED", str(os.getpid())))
    rng = random.Random(seed)
    print("    JOBNET_FAULT_SEED=%d" % seed)
    conf = fault_conf(node)
    other, job = env.netns("bystander"), env.netns("job")
    node.add(other, "bystander", conf=bystander_conf(node)).expect_ok()
    baseline = node.fingerprint()
    add_time = timed(lambda: node.add(job, "victim", conf=conf).expect_ok())
    del_time = timed(lambda: node.delete("victim", conf=conf).expect_ok())
    expect_back_to(baseline, node, "after a plain ADD and DEL")
    landed = {"ADD": 0, "DEL": 0}
    for i in range(KILLS):
        command = "ADD" if i % 2 == 0 else "DEL"
        if command == "DEL":
            node.add(job, "victim", conf=conf).expect_ok()
        delay = rng.uniform(0, 1.2 * (add_time if command == "ADD" else del_time))
        if run_killed(node, command, conf, "victim", job, delay):
            landed[command] += 1
        # A child forked just before the kill holds the locks for the few
        # system calls it takes to close them; more than that is a leak.
        jn.wait_for(lambda: not held_locks(node), timeout=1.0, interval=0.01)
        expect_eq(held_locks(node), [], "locks held after a killed %s (%.4fs in)" % (command, delay))
        recover(node, conf, "victim", "bystander")
        expect_back_to(baseline, node, "killed %s at %.4fs, after DEL and GC" % (command, delay))
        expect(not job.link_exists("eth0"), "eth0 is still in the job after a killed %s and DEL" % command)
        r = node.add(job, "victim", conf=conf)
        expect(r.ok, "ADD after a %s killed at %.4fs failed: %s" % (command, delay, r.stdout))
        node.delete("victim", conf=conf).expect_ok()
    expect_back_to(baseline, node, "at the end")
    # Kills that came after the plugin ended test nothing: most must land.
    expect(min(landed.values()) >= KILLS // 6, "too few kills landed mid-run: %s of %d" % (landed, KILLS))
    rc = node.ctl("verify", check=False)
    expect(rc.returncode == 0, "jobnetctl verify after the kills: %s" % rc.stdout)
    print("    %d kills, landed mid-run: %s (ADD %.1f ms, DEL %.1f ms)" %
          (KILLS, landed, add_time * 1000, del_time * 1000))


def damage(path, how, rng):
    """Cut short, fill with garbage or empty a file; point a symlink at garbage."""
    if os.path.islink(path):
        os.unlink(path)
        os.symlink({"cut": "x", "garbage": "\x01\x7f|||..", "empty": "|"}[how], path)
        return
    data = open(path, "rb").read()
    new = {"cut": data[: len(data) // 2], "garbage": bytes(rng.randrange(256) for _ in range(200)),
           "empty": b""}[how]
    with open(path, "wb") as f:
        f.write(new)


def state_files(node, network):
    """The damageable state of one attachment "v" of a network."""
    net = os.path.join(node.state_dir, network)
    pol = os.path.join(node.state_dir, "policy")
    members = os.path.join(pol, "members", "run-1")
    ports = os.path.join(pol, "ports", "tcp-%d" % HOST_PORT)
    return {
        "record": [os.path.join(net, "attachments", "v:eth0")],
        "record copy": [os.path.join(net, "attachments", ".v:eth0.copy")],
        "record and copy": [os.path.join(net, "attachments", "v:eth0"),
                            os.path.join(net, "attachments", ".v:eth0.copy")],
        "network file": [os.path.join(net, "network.json")],
        "address hint": [os.path.join(net, "ipam", "last-reserved-v4")],
        "ruleset snapshot": [os.path.join(pol, "ruleset.txt")],
        "member link": [os.path.join(members, n) for n in os.listdir(members) if n.endswith(":v:eth0")],
        "port claim": [os.path.join(ports, n) for n in os.listdir(ports)],
        "reservation": [os.path.join(net, "ipam", n) for n in os.listdir(os.path.join(net, "ipam"))
                        if os.path.islink(os.path.join(net, "ipam", n)) and
                        os.readlink(os.path.join(net, "ipam", n)) == "v:eth0"],
    }


def well_behaved(r, what):
    """Success, or one CNI error object naming the problem; never a crash."""
    expect(r.rc in (0, 1), "%s: exit status %d (a crash?): %s" % (what, r.rc,
                                                                               r.stderr[-500:]))
    if not r.ok:
        expect(r.json is not None and isinstance(r.json.get("code"), int) and r.json.get("msg"),
               "%s: not a CNI error object: %r" % (what, r.stdout))
    return r.ok


# One piece of state damaged: what CHECK says (None: success, else the
# error code) and whether jobnetctl verify then reports it (not when the ADD
# of another job has rewritten it already: the network file; never for the
# address hint, which is only a hint). For all: ADD of another job
# succeeds, DEL and GC leave the node as it was, repair makes verify clean.
DAMAGE_CASES = [("record", 109, True), ("record copy", None, True), ("record and copy", 109, True),
                ("network file", 109, False), ("address hint", None, False), ("ruleset snapshot", None, True),
                ("member link", None, True), ("port claim", 108, True), ("reservation", 108, True)]


@test
def damaged_state_files_give_a_clear_error_or_recover(env):
    node = env.node(name="faults")
    rng = random.Random(7)
    conf, other_conf = fault_conf(node), bystander_conf(node)
    bystander, job, other = env.netns("bystander"), env.netns("v"), env.netns("w")
    node.add(bystander, "bystander", conf=other_conf).expect_ok()
    baseline = node.fingerprint()
    for what, check_code, reported in DAMAGE_CASES:
        for how in ("cut", "garbage", "empty"):
            case = "%s %s" % (what, how)
            r = node.add(job, "v", conf=conf).expect_ok()
            paths = state_files(node, "faults")[what]
            expect(paths, "%s: no such file to damage" % case)
            for path in paths:
                damage(path, how, rng)
            r = node.check(job, "v", r.json, conf=conf)
            if check_code is None:
                expect(well_behaved(r, case + ": CHECK"), "%s: CHECK failed: %s" % (case, r.stdout))
            else:
                expect(not well_behaved(r, case + ": CHECK") and r.code == check_code,
                       "%s: CHECK gave %s, want error %d" % (case, r.stdout.strip() or "success", check_code))
            expect(well_behaved(node.add(other, "w", conf=other_conf), case + ": ADD of another job"),
                   "%s: ADD of another job failed" % case)
            verify = node.ctl("verify", check=False)
            want = 1 if reported else 0
            expect(verify.returncode == want, "%s: jobnetctl verify exit %d, want %d:\n%s%s" % (
                case, verify.returncode, want, verify.stdout, verify.stderr))
            for cid, c in (("v", conf), ("w", other_conf)):
                expect(well_behaved(node.delete(cid, conf=c), "%s: DEL %s" % (case, cid)),
                       "%s: DEL %s failed" % (case, cid))
            gc = node.conf()
            gc["cni.dev/valid-attachments"] = [{"containerID": "bystander", "ifname": "eth0"}]
            expect(well_behaved(node.run("GC", gc), case + ": GC"), "%s: GC failed" % case)
            expect_back_to(baseline, node, case + ", after DEL and GC")
            node.ctl("repair", check=False)
            verify = node.ctl("verify", check=False)
            expect(verify.returncode == 0, "%s: verify after repair:\n%s" % (case, verify.stdout))


@test
def gc_sweeps_what_killed_writers_left(env):
    node = env.node(name="faults")
    job = env.netns("job")
    node.add(job, "c1").expect_ok()
    net = os.path.join(node.state_dir, "faults")
    strays = [os.path.join(net, "attachments", ".ghost:eth0.tmp"),
              os.path.join(net, "attachments", "..ghost:eth0.copy.tmp"), os.path.join(net, ".network.json.tmp")]
    for path in strays:
        with open(path, "w") as f:
            f.write("{\"half")
    gc = node.conf()
    gc["cni.dev/valid-attachments"] = [{"containerID": "c1", "ifname": "eth0"}]
    node.run("GC", gc).expect_ok()
    expect_eq([p for p in strays if os.path.exists(p)], [], "temporary files after GC")
    expect_eq(node.records(), ["c1:eth0"], "records after GC")
    node.delete("c1").expect_ok()


ROUNDS = max(20, KILLS // 2)
JOB_SUBNETS = ("10.77.0.", "fd00:73::")


def group_conf(node, shared):
    """A job of group run-1 with an ephemeral host port and, for some, a
    host port they all want (one at a time gets it, the others 107)."""
    maps = [{"hostPort": 0, "containerPort": 80, "protocol": "tcp"}]
    if shared:
        maps.append({"hostPort": HOST_PORT + 7, "containerPort": 81, "protocol": "udp"})
    return node.conf(subnet6="fd00:73::/64", capabilities={"portMappings": True},
                     runtimeConfig={"jobnet": {"group": "run-1"}, "portMappings": maps})


def recorded(node):
    """Addresses and host veths the records hold, and their owners."""
    addrs, veths, owners = set(), set(), set()
    d = os.path.join(node.state_dir, node.network, "attachments")
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if name.startswith("."):
            continue
        record = json.load(open(os.path.join(d, name)))
        addrs.update(ip["address"].split("/")[0] for ip in record.get("ips", []))
        veths.add(record.get("hostVeth", ""))
        owners.add("%s:%s" % (node.network, name))
    return addrs, veths, owners


def expect_nothing_unowned(node, what):
    """No element names an address or port no record holds; no host port
    claim names an owner without a record."""
    addrs, veths, owners = recorded(node)
    for table in ("inet", "bridge"):
        proc = node.nft("-j", "list", "table", table, "jobnet", check=False)
        if proc.returncode != 0:
            continue
        for obj in json.loads(proc.stdout)["nftables"]:
            s = obj.get("set") or obj.get("map")
            if s is None or s["name"] in ("bridges", "subnets4", "subnets6", "masq_subnets4", "masq_subnets6",
                                          "protect4", "protect6", "host_allow"):
                continue
            for e in s.get("elem", []):
                text = json.dumps(e)
                for word in text.replace('"', " ").replace(",", " ").replace("}", " ").split():
                    if word.startswith(JOB_SUBNETS) and "/" not in word:
                        expect(word in addrs, "%s: %s %s names %s, which no record holds" % (what, s["name"], text,
                                                                                             word))
                    if word.startswith("jn") and len(word) == 14:
                        expect(word in veths, "%s: %s %s names port %s of no record" % (what, s["name"], text,
                                                                                        word))
    pdir = os.path.join(node.state_dir, "policy", "ports")
    for port in os.listdir(pdir) if os.path.isdir(pdir) else []:
        for entry in os.listdir(os.path.join(pdir, port)):
            owner = os.readlink(os.path.join(pdir, port, entry))
            expect(owner in owners, "%s: host port %s/%s is claimed by %s, which has no record" % (what, port, entry,
                                                                                                  owner))


@test
def concurrent_kills_of_a_group_leave_nothing_unowned(env):
    """Jobs of one group, with host ports, added and deleted at once while
    SIGKILLs land: after a runtime's recovery (DEL of what died, then GC) no
    element, pair or host port claim names what no record holds."""
    node = env.node(name="faults")
    seed = int(os.environ.get("JOBNET_FAULT_SEED", str(os.getpid())))
    rng = random.Random(seed)
    print("    JOBNET_FAULT_SEED=%d, %d rounds" % (seed, ROUNDS))
    names = ["g%d" % i for i in range(4)]
    confs = {n: group_conf(node, shared=i < 2) for i, n in enumerate(names)}
    spaces = {n: env.netns(n) for n in names}
    bystander = env.netns("bystander")
    node.add(bystander, "bystander", conf=bystander_conf(node)).expect_ok()
    baseline = node.fingerprint()
    add_time = timed(lambda: node.add(spaces["g0"], "g0", conf=confs["g0"]).expect_ok())
    node.delete("g0", conf=confs["g0"]).expect_ok()
    attached, kills = set(), 0
    for round_no in range(ROUNDS):
        procs = {}
        for n in names:
            procs[n] = node.plugin.start(node, "DEL" if n in attached else "ADD", confs[n], cid=n,
                                         netns=spaces[n].path)
        for n in rng.sample(names, rng.randint(0, len(names))):
            time.sleep(rng.uniform(0, add_time))  # the random point of the kill
            procs[n].send_signal(signal.SIGKILL)
        for n, proc in procs.items():
            rc = proc.wait()
            kills += rc == -signal.SIGKILL
            if n in attached:
                attached.discard(n)
                if rc != 0:
                    node.delete(n, conf=confs[n]).expect_ok()
            elif rc == 0:
                attached.add(n)
            else:
                node.delete(n, conf=confs[n]).expect_ok()
        jn.wait_for(lambda: not held_locks(node), timeout=1.0, interval=0.01)
        what = "round %d (attached %s)" % (round_no, sorted(attached))
        expect_nothing_unowned(node, what + ", after the DELs")
        gc = node.conf()
        gc["cni.dev/valid-attachments"] = [{"containerID": c, "ifname": "eth0"}
                                           for c in sorted(attached) + ["bystander"]]
        node.run("GC", gc).expect_ok()
        expect_nothing_unowned(node, what + ", after GC")
        verify = node.ctl("verify", check=False)
        expect(verify.returncode == 0, "%s: jobnetctl verify:\n%s" % (what, verify.stdout))
    for n in sorted(attached):
        node.delete(n, conf=confs[n]).expect_ok()
    expect_back_to(baseline, node, "after the last round")
    expect(kills >= ROUNDS // 2, "too few kills landed: %d in %d rounds" % (kills, ROUNDS))
    print("    %d rounds, %d kills" % (ROUNDS, kills))


@test
def pairs_of_a_member_the_index_lost_do_not_outlive_it(env):
    """The index once lost an entry to a kill (elements and pairs in, the
    entry not yet): the member's DEL then could not find its pairs. GC
    removes them, and verify reports them until then."""
    node = env.node(name="faults")
    conf = bystander_conf(node)
    spaces = {n: env.netns(n) for n in ("bystander", "k", "m")}
    node.add(spaces["bystander"], "bystander", conf=conf).expect_ok()
    baseline = node.fingerprint()
    k_addrs = [ip["address"].split("/")[0] for ip in node.add(spaces["k"], "k", conf=conf).expect_ok().json["ips"]]
    node.add(spaces["m"], "m", conf=conf).expect_ok()
    os.unlink(os.path.join(node.state_dir, "policy", "members", "run-1", "faults:k:eth0"))
    node.delete("m", conf=conf).expect_ok()
    node.delete("k", conf=conf).expect_ok()
    left = [e for s in ("job_talk4", "job_talk6") for e in node.nft_set(s) if any(a in e for a in k_addrs)]
    expect(left, "no pair of k is left: the test does not set up what it means to")
    verify = node.ctl("verify", check=False)
    expect(verify.returncode == 1 and "no record explains" in verify.stdout and k_addrs[0] in verify.stdout,
           "jobnetctl verify with pairs no record explains: %s" % verify.stdout)
    gc = node.conf()
    gc["cni.dev/valid-attachments"] = [{"containerID": "bystander", "ifname": "eth0"}]
    node.run("GC", gc).expect_ok()
    expect_back_to(baseline, node, "after GC")
    verify = node.ctl("verify", check=False)
    expect(verify.returncode == 0, "jobnetctl verify after GC: %s" % verify.stdout)


@test
def del_after_an_add_killed_once_its_port_was_claimed_releases_it(env):
    """Killed between claiming an ephemeral host port and writing the record
    that names it, an ADD leaves a record saying hostPort 0: its DEL must
    release the port it claimed."""
    node = env.node(name="faults")
    maps = [{"hostPort": 0, "containerPort": 80, "protocol": "tcp"}]
    conf = node.conf(capabilities={"portMappings": True}, runtimeConfig={"portMappings": maps})
    job, other = env.netns("v"), env.netns("w")
    r = node.add(job, "v", conf=conf).expect_ok()
    port = r.json["portMappings"][0]["hostPort"]
    # What such a kill leaves: the record (and its copy) as first written,
    # unfinished and with hostPort 0, and no DNAT element yet.
    attachments = os.path.join(node.state_dir, "faults", "attachments")
    for name in ("v:eth0", ".v:eth0.copy"):
        path = os.path.join(attachments, name)
        record = json.load(open(path))
        record["complete"] = False
        record["portMappings"][0]["hostPort"] = 0
        with open(path, "w") as f:
            json.dump(record, f)
    node.nft("delete", "element", "inet", "jobnet", "portmap_any4", "{ tcp . %d }" % port)
    node.delete("v", conf=conf).expect_ok()
    claims = os.path.join(node.state_dir, "policy", "ports", "tcp-%d" % port)
    expect(not os.path.isdir(claims) or not os.listdir(claims), "the claim of tcp/%d outlived the DEL" % port)
    mine = [{"hostPort": port, "containerPort": 80, "protocol": "tcp"}]
    node.add(other, "w", conf=node.conf(capabilities={"portMappings": True},
                                        runtimeConfig={"portMappings": mine})).expect_ok()
    node.delete("w").expect_ok()


@test
def del_after_an_add_killed_before_its_reservations_spares_their_new_holder(env):
    """An ADD killed after its record named its addresses but before it
    reserved them leaves a record naming addresses the next ADD may take:
    the DEL of the dead one must not remove the new holder's elements."""
    node = env.node(name="faults")
    conf = bystander_conf(node)
    spaces = {n: env.netns(n) for n in ("bystander", "v", "w")}
    node.add(spaces["bystander"], "bystander", conf=conf).expect_ok()
    node.add(spaces["v"], "v", conf=conf).expect_ok()
    path = os.path.join(node.state_dir, "faults", "attachments", "v:eth0")
    record = json.load(open(path))
    node.delete("v", conf=conf).expect_ok()
    # What the kill left: the record as first written, nothing else.
    record["complete"] = False
    for name in ("v:eth0", ".v:eth0.copy"):
        with open(os.path.join(node.state_dir, "faults", "attachments", name), "w") as f:
            json.dump(record, f)
    addrs = [ip["address"].split("/")[0] for ip in record["ips"]]
    r = node.add(spaces["w"], "w", conf=conf, args="IP=%s" % ",".join(addrs)).expect_ok()
    expect_eq(sorted(ip["address"].split("/")[0] for ip in r.json["ips"]), sorted(addrs), "w's addresses")
    node.delete("v", conf=conf).expect_ok()
    node.check(spaces["w"], "w", r.json, conf=conf).expect_ok()
    node.delete("w", conf=conf).expect_ok()
