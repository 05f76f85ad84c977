"""The ready-made NMS integrations must agree with PMTA-MONITOR-MIB.

conf/zabbix/pmta-monitor.yaml (Zabbix 6.0 template) and conf/librenms/ (LibreNMS
discovery and OS detection) are checked against the MIB as libsmi reads it
(smidump -f python: node kinds, tables, indexes) and as net-snmp reads it
(snmptranslate -Td: names and enumerations): every numeric OID names a real
scalar, column or notification; every table used exists; every value map and
state table equals its enumeration; every notification has a trap item whose
triggers tell a raise from its clear. Python 3 standard library only: the YAML
is read by a small strict parser for the subset the files use, and anything
outside that subset fails the test (so the files stay plain YAML).
"""
import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import snmp_complaints, snmp_tool_env  # noqa: E402
MIB_FILE = os.path.join(TOP, "mibs", "PMTA-MONITOR-MIB.txt")
ZABBIX = os.path.join(TOP, "conf", "zabbix", "pmta-monitor.yaml")
LIBRENMS = os.path.join(TOP, "conf", "librenms", "pmta-monitor.yaml")
LIBRENMS_OS = os.path.join(TOP, "conf", "librenms", "os_detection", "pmta-monitor.yaml")
ROOT = "1.3.6.1.4.1.32473.25"
# Numeric OIDs outside the MIB that the files may name, and why.
FOREIGN_OIDS = {"1.3.6.1.4.1.8072.3.2.10": "net-snmp's sysObjectID on Linux (LibreNMS OS detection)"}

failures = []


def check(cond, what):
    """Records one check; the test fails at the end if any failed."""
    if not cond:
        failures.append(what)
        print(f"not ok - {what}")
    return cond


# ---------------------------------------------------------------- YAML subset

class YamlError(Exception):
    pass


_PLAIN = re.compile(r"^[^\s'\"{}\[\]&*!|>%@`#,?-][^#]*$|^-[^\s#][^#]*$")
_AMBIGUOUS = {"yes", "no", "on", "off", "null", "~", "y", "n"}


def _scalar(text, where):
    """A scalar of the subset: single-quoted, or plain (kept as a string)."""
    text = text.strip()
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'") or "'" in text[1:-1].replace("''", ""):
            raise YamlError(f"{where}: bad single-quoted scalar {text!r}")
        return text[1:-1].replace("''", "'")
    if text.startswith('"'):
        raise YamlError(f"{where}: double-quoted scalars are outside the subset")
    if not text or not _PLAIN.match(text) or ": " in text or text.endswith(":") or " #" in text:
        raise YamlError(f"{where}: {text!r} is not a plain scalar of the subset")
    if text in ("true", "false"):
        return text == "true"
    if text.lower() in _AMBIGUOUS or text.lower() in ("true", "false"):
        raise YamlError(f"{where}: {text!r} reads as a boolean or null in some YAML versions: quote it")
    return text


def _flow_map(text, where):
    """{ key: scalar, key: scalar } on one line."""
    body = text.strip()[1:-1]
    out = {}
    parts = re.findall(r"(?:[^,']|'(?:[^']|'')*')+", body)
    for part in parts:
        key, sep, val = part.partition(":")
        if not sep:
            raise YamlError(f"{where}: flow map entry {part!r} has no ':'")
        key = key.strip()
        if key in out:
            raise YamlError(f"{where}: duplicate key {key}")
        out[key] = _scalar(val, where)
    return out


def yaml_load(path):
    """Reads the block-style YAML subset: mappings, sequences ('-' alone on its
    line before a mapping, '- scalar', '- { flow map }'), plain and
    single-quoted scalars, '|' and '|-' literal blocks, full-line comments."""
    with open(path, encoding="utf-8") as f:
        raw = f.read().split("\n")
    lines = []  # (indent, text, lineno)
    i = 0
    while i < len(raw):
        line = raw[i]
        if "\t" in line:
            raise YamlError(f"{path}:{i + 1}: tab")
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append((len(line) - len(line.lstrip(" ")), line.strip(), i + 1, i))
        i += 1
    pos = [0]

    def literal(start_raw, indent, chomp, where):
        # Lines after start_raw that are blank or indented deeper than indent.
        block = []
        j = start_raw + 1
        while j < len(raw) and (not raw[j].strip() or len(raw[j]) - len(raw[j].lstrip(" ")) > indent):
            block.append(raw[j])
            j += 1
        while block and not block[-1].strip():
            block.pop()
        if not block:
            raise YamlError(f"{where}: empty literal block")
        cut = min(len(b) - len(b.lstrip(" ")) for b in block if b.strip())
        text = "\n".join(b[cut:] for b in block)
        # Skip the parsed lines of the block in the line list.
        while pos[0] < len(lines) and lines[pos[0]][3] < j:
            pos[0] += 1
        return text if chomp == "-" else text + "\n"

    def value_after(rest, indent, raw_index, where):
        if rest in ("|", "|-"):
            return literal(raw_index, indent, rest[1:], where)
        if rest.startswith("{"):
            if not rest.endswith("}"):
                raise YamlError(f"{where}: unterminated flow map")
            return _flow_map(rest, where)
        if rest.startswith("["):
            raise YamlError(f"{where}: flow sequences are outside the subset")
        return _scalar(rest, where)

    def node(indent):
        if pos[0] >= len(lines):
            raise YamlError(f"{path}: missing block")
        ind, text, _, _ = lines[pos[0]]
        if ind != indent:
            raise YamlError(f"{path}:{lines[pos[0]][2]}: indentation {ind}, expected {indent}")
        return seq(indent) if text == "-" or text.startswith("- ") else mapping(indent)

    def mapping(indent):
        out = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == indent and not lines[pos[0]][1].startswith("-"):
            ind, text, lineno, raw_index = lines[pos[0]]
            where = f"{path}:{lineno}"
            # a key is plain or single-quoted ('y': YAML 1.1 reads a bare y as a boolean)
            m = re.match(r"^(?:'([A-Za-z0-9_]+)'|([A-Za-z0-9_$.{}#-]+)):(?: (.*))?$", text)
            if not m:
                raise YamlError(f"{where}: not a 'key: value' line: {text!r}")
            key, rest = m.group(1) or m.group(2), (m.group(3) or "").strip()
            if key in out:
                raise YamlError(f"{where}: duplicate key {key}")
            pos[0] += 1
            if rest:
                out[key] = value_after(rest, indent, raw_index, where)
            else:
                if pos[0] >= len(lines) or lines[pos[0]][0] < indent or (
                        lines[pos[0]][0] == indent and not lines[pos[0]][1].startswith("-")):
                    raise YamlError(f"{where}: key {key} has no value")
                child = lines[pos[0]][0]
                if child == indent and lines[pos[0]][1].startswith("-"):
                    raise YamlError(f"{where}: sequence at the key's own indentation is outside the subset")
                out[key] = node(child)
        if pos[0] < len(lines) and lines[pos[0]][0] > indent:
            raise YamlError(f"{path}:{lines[pos[0]][2]}: unexpected indentation")
        return out

    def seq(indent):
        out = []
        while pos[0] < len(lines) and lines[pos[0]][0] == indent and (
                lines[pos[0]][1] == "-" or lines[pos[0]][1].startswith("- ")):
            ind, text, lineno, raw_index = lines[pos[0]]
            where = f"{path}:{lineno}"
            pos[0] += 1
            if text == "-":
                if pos[0] >= len(lines) or lines[pos[0]][0] <= indent:
                    raise YamlError(f"{where}: empty sequence entry")
                out.append(node(lines[pos[0]][0]))
            else:
                rest = text[2:].strip()
                if re.match(r"^[A-Za-z0-9_$.-]+:( |$)", rest):
                    raise YamlError(f"{where}: '- key: value' is outside the subset; put '-' alone")
                out.append(value_after(rest, indent, raw_index, where))
        if pos[0] < len(lines) and lines[pos[0]][0] > indent:
            raise YamlError(f"{path}:{lines[pos[0]][2]}: unexpected indentation")
        return out

    doc = node(0)
    if pos[0] != len(lines):
        raise YamlError(f"{path}:{lines[pos[0]][2]}: trailing content")
    return doc


# ---------------------------------------------------------------- the MIB

def tools():
    """The base MIB directory and the tools; missing ones fail the test."""
    bases = sorted(glob.glob("/usr/lib/erlang/lib/snmp-*/mibs"))
    missing = [t for t in ("smidump", "snmptranslate") if not shutil.which(t)]
    if not bases:
        missing.append("base MIBs in /usr/lib/erlang/lib/snmp-*/mibs (package erlang-snmp)")
    if missing:
        print("FAIL: missing " + ", ".join(missing) + " (packages smitools, snmp, erlang-snmp)", file=sys.stderr)
        sys.exit(1)
    return bases[-1]


class Mib:
    """PMTA-MONITOR-MIB as libsmi reads it, with net-snmp's enumerations."""

    def __init__(self, base):
        env = dict(os.environ, SMIPATH=base + ":" + os.path.join(TOP, "mibs"))
        out = subprocess.run(["smidump", "-f", "python", "-l", "0", MIB_FILE], env=env,
                             capture_output=True, text=True, check=True).stdout
        tree = ast.literal_eval(out[out.index("MIB = ") + len("MIB = "):])
        self.base = base
        self.nodes = {}  # name -> dict(kind, oid, access, syntax)
        for section in ("nodes", "notifications"):
            for name, n in tree.get(section, {}).items():
                self.nodes[name] = {"kind": n["nodetype"], "oid": n["oid"], "access": n.get("access"),
                                    "syntax": n.get("syntax", {}).get("type", {}),
                                    "index": [i["PMTA-MONITOR-MIB"] if isinstance(i, dict) else i
                                              for i in n.get("linkage", [])]}
        self.by_oid = {n["oid"]: name for name, n in self.nodes.items()}
        self.enums = {}

    def load_enums(self):
        """Enumerations of every scalar and column as snmptranslate -Td shows them
        (textual conventions such as TruthValue expanded), and a cross-check
        that net-snmp names every object as libsmi does."""
        names = [n for n, d in self.nodes.items() if d["kind"] in ("scalar", "column", "notification")]
        blocks = self.translate(["." + self.nodes[n]["oid"] for n in names])
        for name in names:
            oid = "." + self.nodes[name]["oid"]
            got = blocks.get(oid)
            check(got is not None and got["name"] == name,
                  f"net-snmp names {oid} {got and got['name']}, libsmi {name}")
            if got and got["enum"] is not None:
                self.enums[name] = got["enum"]

    def translate(self, oids):
        """snmptranslate -Td -On over many OIDs at once: oid -> name, enumeration."""
        if not oids:
            return {}
        # its own home, persistent directory and config path: nothing of the
        # machine's history; stdout is the answer, stderr only complaints
        with tempfile.TemporaryDirectory(prefix="pmta-nms-") as tmp:
            env = snmp_tool_env(tmp)
            res = subprocess.run(["snmptranslate", "-M", "+" + self.base + ":" + os.path.join(TOP, "mibs"),
                                  "-m", "PMTA-MONITOR-MIB", "-Td", "-On"] + list(oids),
                                 env=env, capture_output=True, text=True)
            err = snmp_complaints(res.stderr, env)
        check(res.returncode == 0 and not err, f"snmptranslate ran cleanly: {err}")
        out = {}
        for block in res.stdout.strip().split("\n\n"):
            lines = block.strip().split("\n")
            if len(lines) < 2:
                continue
            enum = None
            for line in lines:
                m = re.match(r"^\s*SYNTAX\s+INTEGER\s*\{(.*)\}", line)
                if m:
                    enum = {int(v): k for k, v in re.findall(r"([A-Za-z][A-Za-z0-9-]*)\((-?\d+)\)", m.group(1))}
            out[lines[0].strip()] = {"name": lines[1].split()[0], "enum": enum, "text": block}
        return out

    def resolve(self, oid):
        """(name, suffix) of the longest MIB node that prefixes oid, or (None, oid)."""
        parts = oid.strip(".").split(".")
        for cut in range(len(parts), 0, -1):
            name = self.by_oid.get(".".join(parts[:cut]))
            if name:
                return name, parts[cut:]
        return None, parts

    def table_of(self, column):
        row_oid = self.nodes[column]["oid"].rsplit(".", 1)[0]
        return self.by_oid[row_oid.rsplit(".", 1)[0]]

    def row_of(self, table):
        return self.by_oid[self.nodes[table]["oid"] + ".1"]

    def index_of(self, table):
        return self.nodes[self.row_of(table)]["index"]

    def index_kind(self, obj):
        """n for an integer index component, s for a length-prefixed string."""
        t = self.nodes[obj]["syntax"]
        base = t.get("basetype") or t.get("name")
        return "n" if base in ("Unsigned32", "Integer32", "Enumeration", "INTEGER") else "s"

    def readable(self, name):
        return self.nodes[name]["access"] in ("readonly", "readwrite", "readcreate")

    def columns(self, table):
        prefix = self.nodes[self.row_of(table)]["oid"] + "."
        return [n for n, d in self.nodes.items() if d["kind"] == "column" and d["oid"].startswith(prefix)]


# ---------------------------------------------------------------- helpers

OID_RE = re.compile(r"(?<![0-9.])\.?(1\.3\.6\.1\.[0-9]+(?:\.[0-9]+)*)")


def every_string(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from every_string(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from every_string(v)
    elif isinstance(obj, str):
        yield obj


def sweep_oids(mib, path, doc):
    """Every numeric OID anywhere in a file must be the MIB's (or a known foreign
    one). Bracketed dots ([.]) in trap regular expressions count as dots."""
    found = set()
    for s in every_string(doc):
        s = s.replace("[.]", ".")
        for m in OID_RE.finditer(s):
            found.add(m.group(1))
        for m in re.finditer(r"(?<![0-9])32473\.25((?:\.[0-9]+)*)", s):
            found.add("1.3.6.1.4.1.32473.25" + m.group(1))
    ours = sorted(o for o in found if o == ROOT or o.startswith(ROOT + "."))
    for o in sorted(found - set(ours)):
        check(o in FOREIGN_OIDS, f"{path}: OID {o} is outside PMTA-MONITOR-MIB and not a known foreign one")
    names = mib.translate(["." + o for o in ours])
    for o in ours:
        name, suffix = mib.resolve(o)
        check(name is not None, f"{path}: OID {o} is not in the MIB")
        if name is None:
            continue
        got = names.get("." + o)
        check(got is not None and got["name"] == name, f"{path}: net-snmp does not name {o} {name}")
    return ours


def valuemap_object(mib, vmname):
    """The enumeration a value map must equal: PMTA-MONITOR-MIB::object, or a
    textual convention (SNMPv2-TC::TruthValue) of some object of the MIB."""
    module, _, name = vmname.partition("::")
    if module == "PMTA-MONITOR-MIB" and name in mib.nodes:
        return mib.enums.get(name)
    for obj, d in mib.nodes.items():
        if d["syntax"].get("module") == module and d["syntax"].get("name") == name:
            return mib.enums.get(obj)
    return None


def enum_names_of(mib, obj):
    """Names of the value maps that fit an enumerated object."""
    out = {f"PMTA-MONITOR-MIB::{obj}"}
    t = mib.nodes[obj]["syntax"]
    if t.get("module") and t.get("name"):
        out.add(f"{t['module']}::{t['name']}")
    return out


def trap_texts(oid_num, name):
    """One trap as the Zabbix receivers write it, in the forms the trap OID can
    take: numeric (-On), under SNMPv2-SMI without this MIB, and by name."""
    # With the MIB loaded, net-snmp prints DisplayString and SnmpAdminString
    # values by their display hint, without quotes.
    varbinds = ("  PMTA-MONITOR-MIB::pmtaAlarmRule.17 type=4 value=STRING: bounces\n"
                "  PMTA-MONITOR-MIB::pmtaAlarmInstanceName.17 type=4 value=STRING: mta1\n"
                "  PMTA-MONITOR-MIB::pmtaAlarmSubject.17 type=4 value=STRING: domain:gmail.com\n"
                "  PMTA-MONITOR-MIB::pmtaAlarmSeverity.17 type=2 value=INTEGER: critical(2)\n")
    numeric_varbinds = (f"  .{ROOT}.1.11.1.2.17 type=4 value=STRING: \"bounces\"\n"
                        f"  .{ROOT}.1.11.1.3.17 type=4 value=STRING: \"mta1\"\n"
                        f"  .{ROOT}.1.11.1.4.17 type=4 value=STRING: \"domain:gmail.com\"\n"
                        f"  .{ROOT}.1.11.1.5.17 type=2 value=INTEGER: 2\n")
    head = "2026-11-28T00:00:00 ZBXTRAP 192.0.2.10\nPDU INFO:\n  version 1\nVARBINDS:\n" \
           "  DISMAN-EVENT-MIB::sysUpTimeInstance type=67 value=Timeticks: (4200) 0:00:42.00\n"
    return {
        "numeric": head + f"  .1.3.6.1.6.3.1.1.4.1.0 type=6 value=OID: .{ROOT}.0.{oid_num}\n" + numeric_varbinds,
        "enterprises": head + f"  SNMPv2-MIB::snmpTrapOID.0 type=6 value=OID: SNMPv2-SMI::enterprises.32473.25.0.{oid_num}\n"
        + numeric_varbinds.replace(f".{ROOT}.", "SNMPv2-SMI::enterprises.32473.25."),
        "name": head + f"  SNMPv2-MIB::snmpTrapOID.0 type=6 value=OID: PMTA-MONITOR-MIB::{name}\n" + varbinds,
    }


def zabbix_regsub(text, pattern, template):
    """{{ITEM.VALUE}.regsub(pattern, template)} as Zabbix evaluates it (PCRE:
    \x22 and \d read as Python's re reads them)."""
    m = re.search(pattern, text)
    if not m:
        return ""
    return re.sub(r"\\([0-9])", lambda g: m.group(int(g.group(1))) or "", template)


def zabbix_macros(text, value):
    """A string with {{ITEM.VALUE}.regsub("...","...")} macros, expanded for one item value."""
    return re.sub(r'\{\{ITEM\.VALUE\}\.regsub\("((?:[^"\\]|\\.)*)","((?:[^"\\]|\\.)*)"\)\}',
                  lambda m: zabbix_regsub(value, m.group(1), m.group(2)), text)


# ---------------------------------------------------------------- Zabbix

UUID_RE = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
MACRO_RE = re.compile(r"\{\$([A-Z0-9_.]+)(?::\"[^\"]*\")?\}")
LLD_RE = re.compile(r"\{#([A-Z0-9_.]+)\}")
EXPR_ITEM_RE = re.compile(r"([a-z]+)\(/([^/]+)/((?:[^,()\[\]]|\[(?:[^\]\"]|\"(?:[^\"\\]|\\.)*\")*\])+)")


def check_uuids(doc, path):
    seen = set()

    def walk(obj):
        if isinstance(obj, dict):
            if "uuid" in obj:
                u = obj["uuid"]
                check(UUID_RE.match(u or ""), f"{path}: uuid {u!r} is not a 32-hex-digit UUIDv4")
                check(u not in seen, f"{path}: uuid {u} used twice")
                seen.add(u)
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
    walk(doc)
    return len(seen)


def js_decoder_fields(script):
    kinds = re.search(r"var kinds = '([ns]+)';", script)
    names = re.search(r"var names = (\[.*\]);", script)
    labels = re.search(r"var labels = (\[.*\]);", script)
    if not (kinds and names and labels):
        return None
    return kinds.group(1), json.loads(names.group(1)), json.loads(labels.group(1))


def check_trigger_refs(path, template, trig, items, where):
    """Every item a trigger names exists in its scope (items: key -> item), and no
    function over a time window reads an item that discards unchanged values
    (the window would hold no value while the value stays the same)."""
    for field in ("expression", "recovery_expression"):
        expr = trig.get(field)
        if not expr:
            continue
        refs = EXPR_ITEM_RE.findall(expr)
        check(refs, f"{where}: trigger {trig['name']!r} {field} names no item")
        for func, host, key in refs:
            check(host == template, f"{where}: trigger {trig['name']!r} names host {host}")
            check(key in items, f"{where}: trigger {trig['name']!r} uses {key}, which is not an item here")
            discards = any(p["type"].startswith("DISCARD_UNCHANGED") for p in items.get(key, {}).get("preprocessing", []))
            # (a window of values, #N, holds the last N values however long ago)
            timed = not re.search(re.escape(key) + r",#[0-9]+\)", expr)
            check(not (discards and timed and func in ("min", "max", "avg", "sum", "count", "nodata")),
                  f"{where}: trigger {trig['name']!r} takes {func}() of {key}, which discards unchanged values")


def every_item(tpl):
    """The template's items and every rule's item prototypes."""
    return tpl.get("items", []) + [p for r in tpl.get("discovery_rules", []) for p in r.get("item_prototypes", [])]


def every_trigger(tpl):
    return ([t for i in tpl.get("items", []) for t in i.get("triggers", [])] +
            [t for r in tpl.get("discovery_rules", []) for p in r.get("item_prototypes", [])
             for t in p.get("trigger_prototypes", [])])


# Functions that fail ("not enough data") on an item with no value in their window.
FAILS_WITHOUT_DATA = ("last", "min", "max", "avg", "change", "length")


def check_unknown_proof(where, trig):
    """A trigger that reads several items is evaluated whenever any of them gets
    a value, first with the others still empty. That must give OK, not UNKNOWN
    (a trigger left UNKNOWN while the trigger it depends on is in problem is
    never evaluated again): it starts with a count() of its first item over
    the window of its first function, and reads the other items with sum(...,#1),
    which is 0 for no value. A trigger comparing values #1 and #2 counts #2 first."""
    expr = trig["expression"]
    refs = EXPR_ITEM_RE.findall(expr)
    keys = []
    for _, _, k in refs:
        if k not in keys:
            keys.append(k)
    if "#2)" in expr:
        check(expr.startswith(f"count(/{refs[0][1]}/{refs[0][2]},#2)=2 and "),
              f"{where}: trigger {trig['name']!r} compares two values without counting them first")
    if len(keys) < 2:
        return
    first = re.match(r"^count\(/[^/]+/(.+?),([^()]*)\)(=1|>0) and ", expr)
    check(first and first.group(1) == keys[0],
          f"{where}: trigger {trig['name']!r} reads {len(keys)} items without a count() guard on the first")
    for func, _, key in refs:
        check(key == keys[0] or func not in FAILS_WITHOUT_DATA,
              f"{where}: trigger {trig['name']!r} takes {func}() of {key}, UNKNOWN until it has a value")


def check_unique_triggers(where, triggers):
    seen = set()
    for t in triggers:
        check(t["name"] not in seen, f"{where}: trigger name {t['name']!r} used twice")
        seen.add(t["name"])


def check_zabbix(mib):
    path = ZABBIX
    doc = yaml_load(path)
    ex = doc.get("zabbix_export", {})
    check(ex.get("version") == "6.0", f"{path}: zabbix_export version is 6.0")
    check(ex.get("groups"), f"{path}: template groups are exported")
    n_uuids = check_uuids(doc, path)
    check(n_uuids > 50, f"{path}: has uuids ({n_uuids})")
    sweep_oids(mib, path, doc)
    templates = ex.get("templates", [])
    check(len(templates) == 1, f"{path}: one template")
    tpl = templates[0]
    T = tpl["template"]
    group_names = {g["name"] for g in ex["groups"]}
    for g in tpl.get("groups", []):
        check(g["name"] in group_names, f"{path}: template group {g['name']} is exported")

    macros = {m["macro"] for m in tpl.get("macros", [])}
    for m in tpl.get("macros", []):
        check(re.match(r"^\{\$[A-Z0-9_.]+\}$", m["macro"]), f"{path}: macro name {m['macro']}")
    used = set()
    for s in every_string(tpl):
        used.update("{$" + m + "}" for m in MACRO_RE.findall(s))
    for m in sorted(used - macros - {"{$SNMP_COMMUNITY}"}):
        check(False, f"{path}: macro {m} is used but not defined")
    for m in sorted(macros - used):
        check(False, f"{path}: macro {m} is defined but not used")

    # Value maps: exactly the MIB's enumerations, one for each enumerated object.
    valuemaps = {}
    for vm in tpl.get("valuemaps", []):
        want = valuemap_object(mib, vm["name"])
        got = {int(m["value"]): m["newvalue"] for m in vm["mappings"]}
        check(want is not None, f"{path}: value map {vm['name']} names no enumeration of the MIB")
        check(want == got, f"{path}: value map {vm['name']} is {got}, the MIB says {want}")
        valuemaps[vm["name"]] = got
    for obj in sorted(mib.enums):
        if mib.nodes[obj]["kind"] not in ("column", "scalar") or not mib.readable(obj):
            continue    # an index (pmtaConnDirection): the discovery decoder names its values
        check(enum_names_of(mib, obj) & set(valuemaps),
              f"{path}: no value map for the enumeration of {obj}")
    used_maps = {(i.get("valuemap") or {}).get("name") for i in every_item(tpl)}
    for vm in sorted(set(valuemaps) - used_maps):
        check(False, f"{path}: value map {vm} is used by no item")

    def check_item_oid(item, where, table=None):
        """An item's snmp_oid: a scalar .0, or (prototype) a column of the rule's
        table (or of a table indexed by it plus fixed components) + {#SNMPINDEX}."""
        oid = item.get("snmp_oid", "")
        if table is None:
            name, suffix = mib.resolve(oid)
            ok = name is not None and mib.nodes[name]["kind"] == "scalar" and suffix == ["0"]
            check(ok, f"{where}: {item['key']}: {oid} is not a scalar.0 of the MIB")
        else:
            m = re.match(r"^([0-9.]+)\.\{#SNMPINDEX\}((?:\.[0-9]+)*)$", oid)
            check(m, f"{where}: {item['key']}: {oid} is not COLUMN.{{#SNMPINDEX}}[.N]")
            if not m:
                return None
            name, suffix = mib.resolve(m.group(1))
            ok = name is not None and not suffix and mib.nodes[name]["kind"] == "column" and mib.readable(name)
            check(ok, f"{where}: {item['key']}: {m.group(1)} is not a readable column")
            if not ok:
                return None
            own = mib.table_of(name)
            extra = [int(x) for x in m.group(2).split(".")[1:]]
            idx_rule, idx_own = mib.index_of(table), mib.index_of(own)
            check(idx_own[:len(idx_rule)] == idx_rule and len(idx_own) == len(idx_rule) + len(extra),
                  f"{where}: {item['key']}: {own} is not {table} plus {len(extra)} fixed index components")
            for obj, v in zip(idx_own[len(idx_rule):], extra):
                check(obj in mib.enums and v in mib.enums[obj],
                      f"{where}: {item['key']}: {v} is not a value of the index {obj}")
            name_for_map = name
        if table is None:
            name_for_map = name
        if name_for_map in mib.enums:
            vm = (item.get("valuemap") or {}).get("name")
            check(vm in enum_names_of(mib, name_for_map),
                  f"{where}: {item['key']}: enumerated {name_for_map} shown without its value map")
        if item.get("valuemap"):
            vm = item["valuemap"]["name"]
            check(vm in valuemaps, f"{where}: {item['key']}: value map {vm} missing")
            check(name_for_map in mib.enums and vm in enum_names_of(mib, name_for_map),
                  f"{where}: {item['key']}: value map {vm} does not fit {name_for_map}")
        return name_for_map

    # Plain items: SNMP agent items on scalars, trap items.
    items = tpl.get("items", [])
    keys = {i["key"]: i for i in items}
    check(len(keys) == len(items), f"{path}: item keys are unique")
    agent_oids = [i["snmp_oid"] for i in items if i["type"] == "SNMP_AGENT"]
    check(len(set(agent_oids)) == len(agent_oids), f"{path}: no scalar is asked twice")
    scalars_used = set()
    trap_items = []
    for it in items:
        if it["type"] == "SNMP_AGENT":
            scalars_used.add(check_item_oid(it, path))
        elif it["type"] == "SNMP_TRAP":
            m = re.match(r'^snmptrap\["(.*)"\]$', it["key"])
            check(m, f"{path}: trap item key {it['key']} is snmptrap[\"regex\"]")
            check(it.get("value_type") == "LOG", f"{path}: trap item {it['key']} keeps LOG values")
            if m:
                trap_items.append((it, re.compile(m.group(1))))
        else:
            check(False, f"{path}: item {it['key']} has type {it['type']}")
        for t in it.get("triggers", []):
            check_trigger_refs(path, T, t, keys, path)
    check_unique_triggers(path, [t for i in items for t in i.get("triggers", [])])
    for name, d in mib.nodes.items():
        if d["kind"] == "scalar":
            check(name in scalars_used, f"{path}: no item for the scalar {name}")

    # Notifications: each matched by exactly one trap item, in every form of
    # the trap OID; the item's trigger opens on the raise, closes on the clear,
    # and both carry the same alarm index as correlation tag.
    notifs = sorted((int(d["oid"].rsplit(".", 1)[1]), n) for n, d in mib.nodes.items()
                    if d["kind"] == "notification")
    check(len(notifs) >= 2 and len(notifs) % 2 == 0, f"{path}: the MIB's notifications come in pairs")
    texts = {num: trap_texts(num, name) for num, name in notifs}
    for num, name in notifs:
        for form, text in texts[num].items():
            hits = [it for it, rx in trap_items if rx.search(text)]
            check(len(hits) == 1, f"{path}: {name} ({form} form) matches {len(hits)} trap items, not 1")
    for raise_i in range(0, len(notifs), 2):
        (rnum, rname), (cnum, cname) = notifs[raise_i], notifs[raise_i + 1]
        owners = [it for it, rx in trap_items if rx.search(texts[rnum]["name"])]
        if len(owners) != 1:
            continue
        it = owners[0]
        check(any(it is o for o, rx in trap_items if rx.search(texts[cnum]["name"])),
              f"{path}: {rname} and its clear {cname} go to different trap items")
        trigs = it.get("triggers", [])
        check(len(trigs) == 1, f"{path}: trap item for {rname} has one trigger")
        for t in trigs:
            pm = re.search(r'find\([^,]+,,"regexp","(.*?)"\)=1', t["expression"])
            rm = re.search(r'find\([^,]+,,"regexp","(.*?)"\)=1', t.get("recovery_expression", ""))
            check(pm and rm and t.get("recovery_mode") == "RECOVERY_EXPRESSION",
                  f"{path}: trigger of {rname} opens and closes on find(regexp)")
            if not (pm and rm):
                continue
            for form in texts[rnum]:
                check(re.search(pm.group(1), texts[rnum][form]) and not re.search(pm.group(1), texts[cnum][form]),
                      f"{path}: problem expression of {rname} tells {rname} from {cname} ({form})")
                check(re.search(rm.group(1), texts[cnum][form]) and not re.search(rm.group(1), texts[rnum][form]),
                      f"{path}: recovery expression of {rname} tells {cname} from {rname} ({form})")
            # Raise and clear are matched by what stays across an agent restart:
            # instance, rule and subject (the alarm number starts again).
            check(t.get("correlation_mode") == "TAG_VALUE", f"{path}: {rname} trigger correlates by tag value")
            tags = {g["tag"]: g["value"] for g in t.get("tags", [])}
            check(t.get("correlation_tag") in tags, f"{path}: {rname} trigger carries its correlation tag")
            for g, v in tags.items():
                check(len(v) <= 255, f"{path}: tag {g} of {rname} is longer than Zabbix 6.0 keeps (255)")
            want = {t.get("correlation_tag"): "mta1 bounces domain:gmail.com", "pmta_instance": "mta1",
                    "pmta_rule": "bounces", "pmta_subject": "domain:gmail.com"}
            for g, v in want.items():
                for form in texts[rnum]:
                    got_r = zabbix_macros(tags.get(g, ""), texts[rnum][form])
                    got_c = zabbix_macros(tags.get(g, ""), texts[cnum][form])
                    check(got_r == v and got_c == v,
                          f"{path}: tag {g} of {rname} reads {v!r} from raise and clear ({form}: {got_r!r}, {got_c!r})")
                    moved = texts[cnum][form].replace(".17 ", ".99 ")
                    check(zabbix_macros(tags.get(g, ""), moved) == v,
                          f"{path}: tag {g} of {rname} changes with the alarm number ({form})")
            # The event names the instance and the subject, whatever the scope.
            for form in texts[rnum]:
                for subject in ("domain:gmail.com", "instance"):
                    text = texts[rnum][form].replace("domain:gmail.com", subject)
                    got = zabbix_macros(t.get("event_name", ""), text)
                    check(got.endswith(f" on mta1: {subject} (rule bounces)") and got.startswith(t["name"]),
                          f"{path}: event name of {rname} says instance, subject and rule ({form}: {got!r})")

    # Discovery rules: one table each, prototypes on its columns, decoders
    # that agree with the table's INDEX.
    tables_done = set()
    for rule in tpl.get("discovery_rules", []):
        where = f"{path}: rule {rule['key']}"
        m = re.match(r"^discovery\[(.*)\]$", rule.get("snmp_oid", ""))
        check(m and rule.get("type") == "SNMP_AGENT", f"{where}: discovery[...] SNMP rule")
        if not m:
            continue
        parts = m.group(1).split(",")
        check(len(parts) % 2 == 0, f"{where}: discovery[] takes macro, OID pairs")
        tables = set()
        lld_macros = {"SNMPINDEX"}
        looks_up_instance = False
        for macro, oid in zip(parts[0::2], parts[1::2]):
            name, suffix = mib.resolve(oid)
            ok = name is not None and not suffix and mib.nodes[name]["kind"] == "column" and mib.readable(name)
            check(ok, f"{where}: {oid} is not a readable column")
            lld_macros.update(LLD_RE.findall(macro))
            # A row table's rule also walks pmtaInstanceName, whose rows the
            # decoder turns into {#PMTA.INSTANCE} of each row (and drops).
            if ok and name == "pmtaInstanceName" and macro == "{#PMTA.INSTANCE}" and rule["key"] != "pmta.instance.discovery":
                looks_up_instance = True
                continue
            if ok:
                tables.add(mib.table_of(name))
        check(len(tables) == 1, f"{where}: walks one table ({tables})")
        if len(tables) != 1:
            continue
        table = tables.pop()
        tables_done.add(table)
        kinds = "".join(mib.index_kind(o) for o in mib.index_of(table))
        for step in rule.get("preprocessing", []):
            if step["type"] != "JAVASCRIPT":
                continue
            fields = js_decoder_fields(step["parameters"][0])
            check(fields, f"{where}: JavaScript index decoder has kinds, names and labels")
            if not fields:
                continue
            jkinds, jnames, jlabels = fields
            check(jkinds == kinds, f"{where}: decoder reads the index as {jkinds}, the MIB's INDEX is {kinds}")
            check(len(jnames) == len(jkinds) == len(jlabels), f"{where}: one macro and label set per index component")
            for obj, labels in zip(mib.index_of(table), jlabels):
                if labels is not None:
                    want = {str(k): v for k, v in mib.enums.get(obj, {}).items()}
                    check(labels == want, f"{where}: decoder labels {labels} differ from {obj} {want}")
            for n in jnames:
                lld_macros.update(LLD_RE.findall(n))
            script = step["parameters"][0]
            check(not looks_up_instance or "instances[" in script,
                  f"{where}: walks pmtaInstanceName but the decoder does not join it")
            # Top-N: the rank columns are walked; the limit is a macro with a default.
            top = re.search(r"var top = '([^']*)';", script)
            rank = re.search(r"var rank = \[(.*)\];", script)
            check(top and rank, f"{where}: decoder has top and rank")
            if top and rank:
                for r in re.findall(r"'(\{#[A-Z0-9_.]+\})'", rank.group(1)):
                    check(r in parts[0::2], f"{where}: ranks by {r}, which discovery[] does not walk")
                tm = MACRO_RE.fullmatch(top.group(1))
                if tm:
                    default = [m["value"] for m in tpl.get("macros", []) if m["macro"] == top.group(1)]
                    check(default and default[0].isdigit() and int(default[0]) > 0 and rank.group(1),
                          f"{where}: {top.group(1)} keeps a bounded number of rows by default")
        check(looks_up_instance or rule["key"] in ("pmta.instance.discovery", "pmta.alarm.discovery"),
              f"{where}: rows are not named by their instance's name")
        if rule["key"] != "pmta.alarm.discovery":
            check(rule.get("delay") == "{$PMTA.LLD.INTERVAL}", f"{where}: runs every {{$PMTA.LLD.INTERVAL}}")
        if rule["key"] not in ("pmta.instance.discovery", "pmta.alarm.discovery"):
            check(rule.get("lifetime") == "{$PMTA.LLD.LIFETIME}", f"{where}: keeps lost rows {{$PMTA.LLD.LIFETIME}}")
        for c in (rule.get("filter") or {}).get("conditions", []):
            check(LLD_RE.findall(c["macro"])[0] in lld_macros, f"{where}: filter on unknown macro {c['macro']}")
        protos = rule.get("item_prototypes", [])
        check(protos, f"{where}: has item prototypes")
        pkeys = {p["key"]: p for p in protos}
        check(len(pkeys) == len(protos), f"{where}: prototype keys are unique")
        check(len({p.get("snmp_oid") for p in protos}) == len(protos), f"{where}: no OID is asked twice")
        for p in protos:
            check("{#SNMPINDEX}" in p["key"], f"{where}: prototype key {p['key']} is unique per row")
            check("{#PMTA.INSTANCE.ID}" not in p["name"], f"{where}: {p['key']} is named by the instance's number")
            if looks_up_instance:
                check("{#PMTA.INSTANCE}" in p["name"], f"{where}: {p['key']} does not name its instance")
                # A row that goes (a queue off the /queues page and out of the
                # accounting files) keeps its items' last values until discovery.
                steps = p.get("preprocessing", [])
                check(steps and steps[0]["type"] == "CHECK_NOT_SUPPORTED" and steps[0].get("error_handler") == "DISCARD_VALUE",
                      f"{where}: {p['key']} turns 'not supported' when its row goes")
            check_item_oid(p, where, table)
            for s in (p["name"], p["key"]):
                for mname in LLD_RE.findall(s):
                    check(mname in lld_macros, f"{where}: {p['key']} uses {{#{mname}}}, which the rule does not make")
            for t in p.get("trigger_prototypes", []):
                check_trigger_refs(path, T, t, pkeys, where)
        for t in rule.get("trigger_prototypes", []):
            check_trigger_refs(path, T, t, pkeys, where)
        check_unique_triggers(where, [t for p in protos for t in p.get("trigger_prototypes", [])])
        # Dependencies name triggers that exist in the same rule.
        trig = {(t["name"], t["expression"]) for p in protos for t in p.get("trigger_prototypes", [])}
        for p in protos:
            for t in p.get("trigger_prototypes", []):
                for d in t.get("dependencies", []):
                    check((d["name"], d["expression"]) in trig, f"{where}: dependency {d['name']!r} names no trigger")
    for table in ("pmtaInstanceTable", "pmtaQueueTable", "pmtaDomainTable", "pmtaVmtaTable", "pmtaJobTable",
                  "pmtaBounceTable", "pmtaDeferralTable", "pmtaRejectionTable", "pmtaComplaintTable",
                  "pmtaLatencyTable"):
        check(table in tables_done, f"{path}: no discovery rule for {table}")

    for t in every_trigger(tpl):
        check_unknown_proof(path, t)
        for d in t.get("dependencies", []):
            check_unknown_proof(path, {"name": d["name"], "expression": d["expression"]})

    # Units: rates and counts without SI prefixes ("Krps"); only bytes, bits,
    # seconds, uptime and percent are converted.
    for it in every_item(tpl):
        u = it.get("units", "")
        check(u in ("", "B", "bps", "s", "uptime", "%") or u.startswith("!"),
              f"{path}: {it['key']}: units {u!r} get SI prefixes (write '!{u}')")

    # Graphs: per instance, and per domain, VirtualMTA and queue the queue,
    # outcomes, rates and latency; every graph item a prototype of its rule.
    graphs = {}
    for rule in tpl.get("discovery_rules", []):
        pkeys = {p["key"] for p in rule.get("item_prototypes", [])}
        for g in rule.get("graph_prototypes", []):
            graphs[g["name"]] = g
            for gi in g.get("graph_items", []):
                check(gi["item"]["host"] == T and gi["item"]["key"] in pkeys,
                      f"{path}: graph {g['name']!r} shows {gi['item']['key']}, not a prototype of {rule['key']}")
        if rule["key"] in ("pmta.domain.discovery", "pmta.vmta.discovery", "pmta.queue.discovery"):
            shown = " ".join(gi["item"]["key"] for g in rule.get("graph_prototypes", []) for gi in g["graph_items"])
            for part in (".delivered[", ".bounced[", ".deferred[", ".bounce.rate[", ".deferral.rate[",
                         ".complaint.rate[", ".latency.p95[", "rcpt["):
                check(part in shown, f"{path}: {rule['key']} has no graph of *{part}")
    check(any(g.startswith("Instance ") for g in graphs), f"{path}: no graph of an instance")
    # The dashboard: every widget shows a graph prototype of the template.
    dashboards = tpl.get("dashboards", [])
    check(dashboards, f"{path}: no template dashboard")
    for d in dashboards:
        for page in d.get("pages", []):
            for wdg in page.get("widgets", []):
                for f in wdg.get("fields", []):
                    if f["type"] in ("GRAPH_PROTOTYPE", "GRAPH"):
                        check(f["value"]["host"] == T and f["value"]["name"] in graphs,
                              f"{path}: dashboard {d['name']!r} shows {f['value']['name']!r}, no graph prototype")
                check(0 <= int(wdg.get("x", 0)) and int(wdg.get("x", 0)) + int(wdg["width"]) <= 24,
                      f"{path}: dashboard {d['name']!r}: a widget is wider than the page")

    # An HTTP monitor that fails is about availability.
    for t in every_trigger(tpl):
        if "HTTP monitor is failing" in t["name"]:
            check({"tag": "scope", "value": "availability"} in t.get("tags", []),
                  f"{path}: {t['name']!r} is not tagged scope: availability")

    # The triggers the integration promises.
    all_expr = " ".join(t["expression"] for t in (
        [t for i in items for t in i.get("triggers", [])] +
        [t for r in tpl.get("discovery_rules", []) for p in r.get("item_prototypes", [])
         for t in p.get("trigger_prototypes", [])]))
    for what, needle in (("API status", "pmta.instance.api.status"), ("queue", "pmta.instance.queued.rcpt"),
                         ("bounce rate", "{$PMTA.BOUNCE.RATE.WARN"), ("deferral rate", "{$PMTA.DEFERRAL.RATE.WARN"),
                         ("latency P95", "{$PMTA.LATENCY.P95.WARN"),
                         ("complaint rate", "{$PMTA.COMPLAINT.RATE.WARN"),
                         ("domain complaint rate", "pmta.domain.complaint.rate["),
                         ("VirtualMTA complaint rate", "pmta.vmta.complaint.rate["),
                         ("queue bounce rate", "pmta.queue.bounce.rate["),
                         ("queue deferral rate", "pmta.queue.deferral.rate["),
                         ("queue complaint rate", "pmta.queue.complaint.rate[")):
        check(needle in all_expr, f"{path}: a trigger on {what}")
    print(f"ok - Zabbix template: {len(items)} items, {len(tpl.get('discovery_rules', []))} discovery rules, "
          f"{len(valuemaps)} value maps, {len(trap_items)} trap items")


# ---------------------------------------------------------------- LibreNMS

SENSOR_CLASSES = {"airflow", "ber", "charge", "chromatic_dispersion", "cooling", "count", "current", "dbm",
                  "delay", "eer", "fanspeed", "frequency", "humidity", "load", "loss", "power", "power_consumed",
                  "power_factor", "pressure", "quality_factor", "runtime", "signal", "snr", "state",
                  "temperature", "tv_signal", "voltage", "waterflow", "percent"}


def strip_mib(mib, name, where):
    module, sep, obj = name.partition("::")
    if not sep:
        module, obj = "PMTA-MONITOR-MIB", name
    check(module == "PMTA-MONITOR-MIB" and obj in mib.nodes, f"{where}: {name} is not an object of PMTA-MONITOR-MIB")
    return obj if obj in mib.nodes else None


def check_librenms(mib):
    path = LIBRENMS
    doc = yaml_load(path)
    sweep_oids(mib, path, doc)
    check(doc.get("mib") == "PMTA-MONITOR-MIB", f"{path}: mib: PMTA-MONITOR-MIB")
    sensors = doc.get("modules", {}).get("sensors", {})
    extra = set()
    for entry in sensors.get("additional_oids", {}).get("data", []):
        for o in entry["oid"]:
            obj = strip_mib(mib, o, path)
            if obj:
                extra.add(obj)
    count = 0
    classes = set()
    for cls, body in sensors.items():
        if cls == "additional_oids":
            continue
        check(cls in SENSOR_CLASSES, f"{path}: {cls} is not a LibreNMS sensor class")
        classes.add(cls)
        for e in body.get("data", []):
            count += 1
            where = f"{path}: {cls} {e.get('value', e.get('oid'))}"
            for field in ("oid", "num_oid", "descr", "index"):
                check(field in e, f"{where}: has {field}")
            src = strip_mib(mib, e.get("oid", ""), where)
            val = strip_mib(mib, e.get("value", e.get("oid", "")), where)
            if not (src and val):
                continue
            kind = mib.nodes[src]["kind"]
            if kind == "table":
                check(val in mib.columns(src) and mib.readable(val), f"{where}: {val} is not a readable column of {src}")
                table = src
            else:
                check(kind == "scalar" and val == src, f"{where}: {src} is neither a table nor a scalar")
                table = None
            check(e.get("num_oid") == "." + mib.nodes[val]["oid"] + ".{{ $index }}",
                  f"{where}: num_oid {e.get('num_oid')} is not {val}'s OID + .{{{{ $index }}}}")
            check("{{ $index }}" in e.get("index", ""), f"{where}: index is unique per row")
            for ref in re.findall(r"\{\{ ([^}]*) \}\}", e.get("descr", "") + e.get("group", "")):
                if ref.startswith("$index_string:"):
                    fmt = ref.split(":", 1)[1]
                    kinds = "".join(mib.index_kind(o) for o in mib.index_of(table)) if table else ""
                    check(kinds.startswith(fmt) and fmt.endswith("s"),
                          f"{where}: {ref} does not fit the INDEX ({kinds}) of {table}")
                elif ref.startswith("$subindex"):
                    n = int(ref[len("$subindex"):])
                    check(table and n < len(mib.index_of(table)), f"{where}: {ref} is past the INDEX of {table}")
                elif ref.startswith("$"):
                    check(ref == "$index", f"{where}: unknown variable {ref}")
                else:
                    obj_ref, sub = re.match(r"^(.*?)(?::([0-9][0-9.-]*))?$", ref).groups()
                    obj = strip_mib(mib, obj_ref, where)
                    if not obj or not table:
                        continue
                    other = mib.table_of(obj) if mib.nodes[obj]["kind"] == "column" else None
                    if other == table:
                        check(not sub, f"{where}: {ref} of the same table needs no subindex")
                    else:
                        check(obj in extra, f"{where}: {obj} is neither in {table} nor in additional_oids")
                        positions = ([int(x) for x in sub.split(".")] if "-" not in (sub or "") else
                                     list(range(int(sub.split("-")[0]), int(sub.split("-")[1]) + 1))) if sub else []
                        want = mib.index_of(other) if other else []
                        got = [mib.index_of(table)[p] for p in positions if p < len(mib.index_of(table))]
                        check(got == want, f"{where}: {ref} picks index {got}, {other} is indexed by {want}")
            if cls == "state":
                want = mib.enums.get(val)
                got = {int(s["value"]): s["descr"] for s in e.get("states", [])}
                check(want is not None and got == want, f"{where}: states {got} differ from the MIB's {want}")
                for s in e.get("states", []):
                    check(s.get("generic") in ("0", "1", "2", "3"), f"{where}: generic state {s.get('generic')}")
                check(e.get("state_name"), f"{where}: has a state_name")
            else:
                check(val not in mib.enums, f"{where}: enumerated {val} belongs in a state sensor")
    check({"count", "percent", "state"} <= classes, f"{path}: count, percent and state sensors")
    check(count >= 10, f"{path}: {count} sensors")

    path = LIBRENMS_OS
    osdoc = yaml_load(path)
    sweep_oids(mib, path, osdoc)
    check(osdoc.get("os") == os.path.splitext(os.path.basename(LIBRENMS))[0],
          f"{path}: os name matches the discovery file name")
    gets = [d["snmpget"] for d in osdoc.get("discovery", []) if "snmpget" in d]
    check(gets, f"{path}: detection asks the agent")
    for g in gets:
        name, suffix = mib.resolve(g["oid"])
        check(name and mib.nodes[name]["kind"] == "scalar" and suffix == ["0"],
              f"{path}: snmpget {g['oid']} is not a scalar.0 of the MIB")
    print(f"ok - LibreNMS definitions: {count} sensors in {sorted(classes)}")


def check_parser():
    """The parser itself: a sample of each construct, and refusals."""
    import tempfile
    good = "a: 1\nt: true\nb:\n  -\n    c: 'x''y'\n    d: |\n      line1\n      line2\n  - { e: f, g: 'h, i' }\n  - plain text\n"
    bad = ["a: yes\n", "a: True\n", "a:\n- b\n", "a: 'open\n", "a: 1\na: 2\n", "a: [1, 2]\n", "a:\n  - b: c\n", "a: x # c\n"]
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.yaml")
        with open(p, "w") as f:
            f.write(good)
        got = yaml_load(p)
        check(got == {"a": "1", "t": True, "b": [{"c": "x'y", "d": "line1\nline2\n"}, {"e": "f", "g": "h, i"}, "plain text"]},
              f"YAML subset parser reads the sample: {got}")
        for b in bad:
            with open(p, "w") as f:
                f.write(b)
            try:
                yaml_load(p)
                check(False, f"YAML subset parser refuses {b!r}")
            except YamlError:
                pass


def main():
    base = tools()
    mib = Mib(base)
    check(len(mib.nodes) > 100, f"smidump read the MIB ({len(mib.nodes)} nodes)")
    mib.load_enums()
    check(len(mib.enums) >= 7, f"net-snmp shows the MIB's enumerations ({sorted(mib.enums)})")
    check_parser()
    for step in (check_zabbix, check_librenms):
        try:
            step(mib)
        except (YamlError, KeyError, TypeError) as e:
            check(False, f"{step.__name__}: {type(e).__name__}: {e}")
    if failures:
        print(f"FAIL: {len(failures)} checks failed", file=sys.stderr)
        return 1
    print("ok - NMS integrations agree with PMTA-MONITOR-MIB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
