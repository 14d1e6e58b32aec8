"""What a namespace and a state directory hold, as data a test compares:
fingerprints (to show that nothing changed, or what did) and the elements
of nftables sets and maps. A namespace is a jn.Netns, or None for the
runner's own."""

import ipaddress
import json
import os
import subprocess

FINGERPRINT_PARTS = ("links", "addresses", "rules", "elements", "files", "processes")


def _in(ns, *cmd):
    """stdout of a command in ns (None: the runner's own namespace)."""
    if ns is not None:
        return ns.run(*cmd).stdout
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=20).stdout


def ruleset(ns):
    """The objects of `nft -j list ruleset` in ns."""
    return json.loads(_in(ns, "nft", "-j", "list", "ruleset"))["nftables"]


def _without_volatile(value):
    """A ruleset object without what moves by itself: handles, counter
    values, the expiry of dynamic elements."""
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if k in ("handle", "expires", "packets", "bytes"):
            continue
        out[k] = None if k == "counter" else _without_volatile(v)
    return out


def _ruleset_parts(ns):
    """(rules, elements): every declaration and rule, and every element."""
    declarations, rules, elements = [], [], []
    for obj in ruleset(ns):
        kind, body = next(iter(obj.items()))
        if kind == "metainfo":
            continue
        body = _without_volatile(body)
        if kind == "rule":
            rules.append(((body["family"], body["table"], body["chain"]),
                          "rule %s %s %s %s" % (body["family"], body["table"], body["chain"],
                                                json.dumps(body, sort_keys=True))))
            continue
        for e in body.pop("elem", []) if kind in ("set", "map") else []:
            elements.append("%s %s %s %s" % (body["family"], body["table"], body["name"],
                                              json.dumps(e, sort_keys=True)))
        declarations.append("%s %s" % (kind, json.dumps(body, sort_keys=True)))
    # Tables and chains in any order (a rebuilt table is listed last); the
    # rules of a chain in theirs.
    ordered = sorted(declarations) + [text for _, text in sorted(rules, key=lambda r: r[0])]
    return ordered, sorted(elements)


def fingerprint(ns=None, state_dir=None, contents=False, parts=FINGERPRINT_PARTS):
    """What a change to a namespace (None: the runner's own) and a state
    directory shows in, part by part, each a list of strings:
      links      name, kind, master, MTU, MAC and admin state of each link
      addresses  each address of each link
      rules      every table, chain and set declaration and every rule (no
                 handles, counters zeroed)
      elements   every element of every set and map
      files      the state directory's files and symlinks with their targets
                 (and with contents=True, the files' contents); lock files,
                 which any command may create, left out
      processes  the processes living in ns
    Two fingerprints are equal when nothing changed; expect_same() names
    what did."""
    fp = {}
    if "links" in parts or "addresses" in parts:
        links = json.loads(_in(ns, "ip", "-j", "-d", "addr", "show") or "[]")
        fp["links"] = sorted("%s kind=%s master=%s mtu=%s mac=%s %s" % (
            l["ifname"], l.get("linkinfo", {}).get("info_kind"), l.get("master"), l.get("mtu"), l.get("address"),
            "up" if "UP" in l.get("flags", []) else "down") for l in links)
        fp["addresses"] = sorted("%s %s/%s" % (l["ifname"], a["local"], a["prefixlen"])
                                 for l in links for a in l.get("addr_info", []))
    if "rules" in parts or "elements" in parts:
        fp["rules"], fp["elements"] = _ruleset_parts(ns)
    if "files" in parts and state_dir is not None:
        fp["files"] = _state_files(state_dir, contents)
    if "processes" in parts and ns is not None:
        fp["processes"] = sorted(ns.processes())
    return {k: v for k, v in fp.items() if k in parts}


def _state_files(state_dir, contents):
    files = []
    for root, dirs, names in os.walk(state_dir):
        # Directories are kept once made (policy/ports, ipam); what is in
        # them is what counts. A symlink to a directory is listed in dirs.
        for name in names + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            if name == "lock" or name.endswith(".lock"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, state_dir)
            if os.path.islink(path):
                files.append("%s -> %s" % (rel, os.readlink(path)))
            elif contents:
                with open(path, "rb") as f:
                    files.append("%s: %s" % (rel, f.read().decode(errors="replace")))
            else:
                files.append(rel)
    return sorted(files)


def differences(before, after):
    """What differs between two fingerprints, one line per part."""
    lines = []
    for key in before:
        if before[key] == after.get(key):
            continue
        gone = [x for x in before[key] if x not in after.get(key, [])]
        extra = [x for x in after.get(key, []) if x not in before[key]]
        if not gone and not extra:
            lines.append("%s: the same, in another order" % key)
        else:
            lines.append("%s: missing %s, left over %s" % (key, gone[:5], extra[:5]))
    return lines


def canonical(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.lower()


def element_values(e):
    """The strings an element is made of (key and, in a map, data)."""
    if isinstance(e, list):
        return set().union(*(element_values(x) for x in e))
    if isinstance(e, dict):
        if "elem" in e:
            return element_values(e["elem"]["val"])
        if "prefix" in e:
            return {"%s/%d" % (canonical(e["prefix"]["addr"]), e["prefix"]["len"])}
        return set().union(*(element_values(v) for v in e.values()))
    return {canonical(str(e))}


def element_key(e):
    if isinstance(e, list):  # a map's key and data
        return "%s : %s" % (element_key(e[0]), element_key(e[1]))
    if isinstance(e, dict) and "elem" in e:
        e = e["elem"]["val"]
    if isinstance(e, dict) and "concat" in e:
        return " . ".join(element_key(x) for x in e["concat"])
    if isinstance(e, dict) and "prefix" in e:
        return "%s/%d" % (e["prefix"]["addr"], e["prefix"]["len"])
    if isinstance(e, dict) and "range" in e:
        return "%s-%s" % tuple(e["range"])
    return str(e)
