# SPDX-License-Identifier: GPL-2.0
"""docs/ABI/testing/ matches the sources (host-side, no VM).

Parses the Documentation/ABI-style files and checks them against what the
code really declares: every module parameter, every procfs file, every
statistics counter and info field, every genetlink command, multicast group
and attribute (with its number and type), and every range, default and
mode quoted. Adding, removing or renaming any of these on one side only
fails here.
"""

import re
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ABI = ROOT / "docs" / "ABI" / "testing"
UAPI = ROOT / "include" / "uapi" / "linux" / "lwvhost.h"
CONTROL_C = ROOT / "vhost_net" / "control.c"
PROCFS_C = ROOT / "vhost_net" / "procfs.c"
GENL_C = ROOT / "vhost_net" / "genl.c"
PACE_C = ROOT / "vhost" / "pace.c"
VHOST_H = ROOT / "vhost" / "vhost.h"

PROCFS_DOC = ABI / "procfs-lwvhost"
GENL_DOC = ABI / "genetlink-lwvhost"
# Module -> its parameter file and the source directory that declares them.
PARAM_DOCS = {
    "vhost_net": (ABI / "sysfs-module-vhost_net-lwvhost", ROOT / "vhost_net"),
    "vhost": (ABI / "sysfs-module-vhost-lwvhost", ROOT / "vhost"),
}
REQUIRED_FIELDS = ("Date", "KernelVersion", "Contact", "Description")
FIELD_RE = re.compile(r"^(What|Date|KernelVersion|Contact|Description|Users):(.*)$")
# Ranges of the integer types module_param() knows.
PARAM_TYPE_RANGE = {"byte": (0, 255), "ushort": (0, 65535), "short": (-32768, 32767),
                    "uint": (0, 2**32 - 1), "int": (-2**31, 2**31 - 1)}


# ---- parsing the ABI files ------------------------------------------------

class Entry:
    def __init__(self, path, line):
        self.path, self.line = path, line
        self.whats = []
        self.fields = {}

    @property
    def desc(self):
        return self.fields.get("Description", "")

    def where(self):
        return f"{self.path.name}:{self.line} ({self.whats[0] if self.whats else '?'})"


def parse_abi(path):
    """(header text, [Entry]) of one ABI file; raises on malformed text."""
    header, entries = [], []
    cur, field = None, None
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        m = FIELD_RE.match(line)
        if m:
            name, value = m.group(1), m.group(2).strip()
            if name == "What":
                if cur is None or field != "What":
                    cur = Entry(path, lineno)
                    entries.append(cur)
                cur.whats.append(value)
            else:
                assert cur is not None, f"{path.name}:{lineno}: {name}: before any What:"
                assert name not in cur.fields, f"{path.name}:{lineno}: second {name}:"
                cur.fields[name] = value
            field = name
        elif cur is None:
            header.append(line)
        elif not line.strip():
            if field in cur.fields:
                cur.fields[field] += "\n"
        else:
            assert line[0].isspace(), \
                f"{path.name}:{lineno}: unindented text inside an entry: {line!r}"
            assert field and field != "What", \
                f"{path.name}:{lineno}: continuation line after What:"
            cur.fields[field] += "\n" + line.strip()
    return "\n".join(header), entries


def table_row(word, text):
    """word starts a row of a two-column table ("name   meaning") in text."""
    return re.search(rf"^{re.escape(word)} {{2,}}\S", text, re.M) is not None


def entries_by_what(entries):
    out = {}
    for e in entries:
        for w in e.whats:
            assert w not in out, f"{w} documented twice ({e.where()}, {out[w].where()})"
            out[w] = e
    return out


def doc_range(entry):
    m = re.search(r"^Range:\s*(-?\d+)\s*-\s*(-?\d+)", entry.desc, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def doc_int(entry, label):
    m = re.search(rf"^{label}:\s*(\d+)", entry.desc, re.M)
    return int(m.group(1)) if m else None


def doc_mode(entry):
    m = re.search(r"^Mode:\s*(0[0-7]{3})\b", entry.desc, re.M)
    return m.group(1) if m else None


# ---- parsing the sources --------------------------------------------------

def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def split_args(s):
    """Split a C argument list at top-level commas (quotes and parens kept)."""
    args, depth, quote, cur = [], 0, False, ""
    for i, c in enumerate(s):
        if quote:
            cur += c
            if c == '"' and s[i - 1] != "\\":
                quote = False
            continue
        if c == '"':
            quote = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        cur += c
    if cur.strip():
        args.append(cur.strip())
    return args


def call_args(text, name):
    """Argument lists of every call of name(...) in text."""
    out = []
    for m in re.finditer(rf"\b{name}\s*\(", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        out.append(split_args(text[m.end():i - 1]))
    return out


def c_string_concat(arg):
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', arg))


def uapi_defines():
    out = {}
    for name, value in re.findall(r"^#define\s+(LWVHOST_\w+)\s+(\S+)",
                                  UAPI.read_text(), re.M):
        out[name] = int(value) if value.isdigit() else value.strip('"')
    return out


def uapi_enums():
    """name -> value of every enumerator in the UAPI header."""
    values = {}
    for body in re.findall(r"enum\s*\w*\s*\{(.*?)\};", strip_comments(UAPI.read_text()), re.S):
        n = 0
        for item in (x.strip() for x in body.split(",")):
            if not item:
                continue
            if "=" in item:
                name, expr = (x.strip() for x in item.split("=", 1))
                n = eval_c(expr, values)
            else:
                name = item
            values[name] = n
            n += 1
    return values


def eval_c(expr, names):
    expr = re.sub(r"\b[A-Z_][A-Z0-9_]*\b", lambda m: str(names[m.group(0)]), expr)
    assert re.fullmatch(r"[\d\s+\-*()]+", expr), expr
    return eval(expr)  # digits and + - * ( ) only, checked above


def is_sentinel(name):
    return (name.startswith("__") or name.endswith("_UNSPEC")
            or name.endswith("_MAX") or name.endswith("_COUNT"))


def c_array(text, name):
    """[INDEX] = "value" pairs of a designated-initialiser string array."""
    m = re.search(rf"\b{name}\s*\[[^\]]*\]\s*=\s*\{{(.*?)\}};", text, re.S)
    assert m, f"array {name} not found"
    return dict(re.findall(r'\[(\w+)\]\s*=\s*"(\w+)"', m.group(1)))


def knob_rows():
    """The VHOST_PACE_KNOBS list of vhost.h: [(name, min, max, attr, desc)]."""
    text = strip_comments(VHOST_H.read_text())
    m = re.search(r"^#define\s+VHOST_PACE_KNOBS\(X\)((?:.*\\\n)*.*)$", text, re.M)
    assert m, "VHOST_PACE_KNOBS not found in vhost.h"
    rows = [tuple(a) for a in call_args(m.group(1).replace("\\\n", " "), "X")]
    assert rows and all(len(r) == 5 for r in rows), rows
    return rows


def knob_names():
    """Knob names in table order (the suffix of files and parameters)."""
    return [r[0] for r in knob_rows()]


def dir_names():
    return list(c_array(CONTROL_C.read_text(), "vhost_net_dir_names").values())


def knob_ranges():
    """knob name -> (min, max) as enforced by vhost_pace_check() in pace.c."""
    pace = strip_comments(PACE_C.read_text())
    # pace.c checks every knob through a table made from the list.
    table = re.search(r"vhost_pace_ranges\[[^\]]*\]\s*=\s*\{(.*?)\n\};", pace, re.S)
    assert table and "VHOST_PACE_KNOBS(" in table.group(1), "pace.c's range table changed"
    check = re.search(r"int vhost_pace_check\(.*?\n\}", pace, re.S).group(0)
    assert re.search(r"v < r->min \|\| v > r->max", check), "vhost_pace_check() changed"
    defs = uapi_defines()
    return {name: (eval_c(lo, defs), eval_c(hi, defs)) for name, lo, hi, _, _ in knob_rows()}


def knob_defaults():
    """param name (rx_idle_polls) -> default, from control.c's defaults table."""
    text = CONTROL_C.read_text()
    defs = uapi_defines()
    table = re.search(r"vhost_net_defaults\[[^\]]*\]\s*=\s*\{(.*?)\n\};", text, re.S)
    assert table, "vhost_net_defaults initialiser not found"
    rows = dict(re.findall(r"\[LWVHOST_DIR_(\w+)\]\s*=\s*\{([^}]*)\}", table.group(1)))
    out = {}
    for d, body in rows.items():
        set_fields = {k: (defs[v] if v in defs else int(v, 0))
                      for k, v in re.findall(r"\.(\w+)\s*=\s*(\w+)", body)}
        for knob in knob_names():
            out[f"{d.lower()}_{knob}"] = set_fields.get(knob, 0)
    return out


PARAM_CALLS = ("module_param", "module_param_named", "module_param_cb", "module_param_unsafe")


def expand_macros(text, macros):
    """Expand calls of the given function-like macros (name -> (formals,
    body)) and of VHOST_PACE_KNOBS(M), with # and ## as cpp does them."""
    rows = knob_rows()
    for _ in range(8):
        before = text
        text = re.sub(r"\bVHOST_PACE_KNOBS\(\s*(\w+)\s*\)",
                      lambda m: " ".join(f"{m.group(1)}({', '.join(r)})" for r in rows), text)
        for name, (formals, body) in macros.items():
            while True:
                m = re.search(rf"\b{name}\s*\(", text)
                if not m:
                    break
                depth, i = 1, m.end()
                while depth:
                    depth += {"(": 1, ")": -1}.get(text[i], 0)
                    i += 1
                actual = dict(zip(formals, split_args(text[m.end():i - 1])))
                out = re.sub(r"(?<!#)#\s*(\w+)", lambda x: f'"{actual[x.group(1)]}"'
                             if x.group(1) in actual else x.group(0), body)
                out = re.sub(r"\b\w+\b", lambda x: actual.get(x.group(0), x.group(0)), out)
                out = re.sub(r"\s*##\s*", "", out)
                text = text[:m.start()] + out + text[i:]
        if text == before:
            return text
    raise AssertionError("macro expansion does not terminate")


def expanded_source(path):
    """path without comments, its function-like macros expanded."""
    text = strip_comments(path.read_text())
    macros = {}
    for m in re.finditer(r"^#define\s+(\w+)\(([^)]*)\)((?:.*\\\n)*.*)$", text, re.M):
        macros[m.group(1)] = ([a.strip() for a in m.group(2).split(",")],
                              m.group(3).replace("\\\n", "\n"))
    plain = re.sub(r"^#\s*(define|undef)\b(?:.*\\\n)*.*$", "", text, flags=re.M)
    return expand_macros(plain, macros)


def module_params(src_dir):
    """name -> {perm, type, default, desc, file} of every parameter in src_dir/*.c.

    Parameters declared through function-like macros (control.c's, over
    the knob list of vhost.h) are expanded first.
    """
    params = {}
    defs = uapi_defines()
    for path in sorted(src_dir.glob("*.c")):
        plain = expanded_source(path)
        descs = {}
        for name, desc in call_args(plain, "MODULE_PARM_DESC"):
            desc = re.sub(r"__stringify\((\w+)\)",
                          lambda x: f'"{eval_c(x.group(1), defs)}"', desc)
            descs[name] = c_string_concat(desc)
        for call in PARAM_CALLS:
            for a in call_args(plain, call):
                name, perm = a[0], a[-1]
                assert name not in params, f"parameter {name} declared twice"
                typ = {"module_param": 1, "module_param_unsafe": 1, "module_param_named": 2}
                typ = a[typ[call]] if call in typ else "cb"
                dflt = re.search(rf"\b{re.escape(a[1] if call == 'module_param_named' else name)}"
                                 rf"\s*=\s*(\d+)\s*;", plain)
                params[name] = {"perm": perm, "type": typ, "desc": descs.get(name, ""),
                                "default": int(dflt.group(1)) if dflt else None,
                                "file": path.name}
    return params


# ---- the files themselves -------------------------------------------------

ALL_DOCS = [PROCFS_DOC, GENL_DOC] + [d for d, _ in PARAM_DOCS.values()]


def release():
    m = re.search(r"^LWVHOST_RELEASE\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert m, "LWVHOST_RELEASE not found in the Makefile"
    return m.group(1)


@pytest.mark.parametrize("doc", ALL_DOCS, ids=lambda p: p.name)
def test_every_entry_has_the_abi_fields(doc):
    _, entries = parse_abi(doc)
    assert entries, f"{doc.name}: no entries"
    for e in entries:
        assert e.whats and all(e.whats), f"{e.where()}: empty What:"
        for f in REQUIRED_FIELDS:
            assert e.fields.get(f, "").strip(), f"{e.where()}: no {f}:"
        datetime.strptime(e.fields["Date"], "%B %Y")  # "November 2026"
        assert e.fields["KernelVersion"] == f"lwvhost {release()}", e.where()


def test_no_stray_abi_files():
    assert sorted(p.name for p in ABI.iterdir()) == sorted(p.name for p in ALL_DOCS)


# ---- module parameters ----------------------------------------------------

@pytest.mark.parametrize("module", PARAM_DOCS)
def test_module_parameters_match_the_source(module):
    doc, src = PARAM_DOCS[module]
    params = module_params(src)
    assert params, f"no module parameters found in {src}"
    prefix = f"/sys/module/{module}/parameters/"
    by_what = entries_by_what(parse_abi(doc)[1])
    assert all(w.startswith(prefix) for w in by_what), sorted(by_what)
    documented = {w[len(prefix):] for w in by_what}
    assert documented == set(params), (
        f"undocumented: {sorted(set(params) - documented)}, "
        f"documented but not declared: {sorted(documented - set(params))}")
    for name, p in params.items():
        e = by_what[prefix + name]
        assert doc_mode(e) == p["perm"], f"{name}: Mode: should be {p['perm']}"
        if p["default"] is not None:
            assert doc_int(e, "Default") == p["default"], f"{name}: Default:"
        if p["type"] in PARAM_TYPE_RANGE and doc_range(e):
            assert doc_range(e) == PARAM_TYPE_RANGE[p["type"]], f"{name}: Range:"


def test_knob_parameters_ranges_and_defaults():
    params = module_params(PARAM_DOCS["vhost_net"][1])
    prefix = "/sys/module/vhost_net/parameters/"
    by_what = entries_by_what(parse_abi(PARAM_DOCS["vhost_net"][0])[1])
    ranges, defaults = knob_ranges(), knob_defaults()
    expected = {f"{d}_{k}" for d in dir_names() for k in ranges}
    assert expected <= set(params), "a knob has no module parameter"
    for d in dir_names():
        for knob, (lo, hi) in ranges.items():
            name = f"{d}_{knob}"
            e = by_what[prefix + name]
            assert doc_range(e) == (lo, hi), f"{name}: Range: should be {lo}-{hi}"
            assert doc_int(e, "Default") == defaults[name], f"{name}: Default:"
            # The MODULE_PARM_DESC text (modinfo) quotes only the real bounds.
            nums = {int(n) for n in re.findall(r"\d+", params[name]["desc"])}
            assert nums and nums <= {lo, hi}, f"{name}: MODULE_PARM_DESC {params[name]['desc']!r}"


# ---- procfs ---------------------------------------------------------------

def procfs_files():
    """file name -> mode of everything procfs.c creates in /proc/lwvhost/<id>/."""
    text = strip_comments(PROCFS_C.read_text())
    files = {}
    literal = re.findall(r'\bproc_create\w*\(\s*"([^"]+)",\s*(0[0-7]+)', text)
    for name, mode in literal:
        files[name] = mode
    loop = re.search(r'"%s_%s",\s*vhost_net_dir_names\[\w+\],\s*vhost_net_knobs\[\w+\]\.name\)'
                     r'.*?\bproc_create\w*\(\s*\w+,\s*(0[0-7]+)', text, re.S)
    assert loop, "the knob file loop in procfs.c changed; teach this test"
    for d in dir_names():
        for k in knob_names():
            files[f"{d}_{k}"] = loop.group(1)
    calls = len(re.findall(r"\bproc_create\w*\(", text))
    assert calls == len(literal) + 1, "procfs.c creates a file this test cannot name"
    return files


def procfs_entries():
    return entries_by_what(parse_abi(PROCFS_DOC)[1])


def test_procfs_files_match_the_source():
    text = strip_comments(PROCFS_C.read_text())
    root_mode = re.search(r'\bproc_mkdir\w*\(\s*"lwvhost",\s*(0[0-7]+)', text).group(1)
    dir_mode = re.search(r'\bproc_mkdir_data\(\s*\w+,\s*(0[0-7]+)', text).group(1)
    by_what = procfs_entries()
    prefix = "/proc/lwvhost/<id>/"
    assert "/proc/lwvhost/<id>" in by_what, "the device directory has no entry"
    assert f"mode {dir_mode}" in by_what["/proc/lwvhost/<id>"].desc
    assert f"itself (mode {root_mode})" in by_what["/proc/lwvhost/<id>"].desc
    documented = {w[len(prefix):] for w in by_what if w.startswith(prefix)}
    assert set(by_what) == {prefix + f for f in documented} | {"/proc/lwvhost/<id>"}
    files = procfs_files()
    assert documented == set(files), (
        f"undocumented: {sorted(set(files) - documented)}, "
        f"documented but not created: {sorted(documented - set(files))}")
    for name, mode in files.items():
        assert doc_mode(by_what[prefix + name]) == mode, f"{name}: Mode: should be {mode}"


def test_procfs_knob_ranges_and_defaults():
    by_what = procfs_entries()
    defaults = knob_defaults()
    for d in dir_names():
        for knob, (lo, hi) in knob_ranges().items():
            e = by_what[f"/proc/lwvhost/<id>/{d}_{knob}"]
            assert doc_range(e) == (lo, hi), f"{d}_{knob}: Range: should be {lo}-{hi}"
            assert doc_int(e, "Default") == defaults[f"{d}_{knob}"], f"{d}_{knob}: Default:"


def show_body(fn):
    text = strip_comments(PROCFS_C.read_text())
    m = re.search(rf"static int {fn}\(.*?\n\}}", text, re.S)
    assert m, f"{fn} not found in procfs.c"
    return m.group(0)


def test_every_stats_counter_is_documented():
    body = show_body("vhost_net_stats_show")
    counters = re.findall(r'seq_printf\(m,\s*"%s_(\w+) %llu', body)
    assert len(counters) >= 11, counters
    # procfs and genetlink report the same set.
    stat_attrs = {n[len("LWVHOST_A_STAT_"):].lower() for n in uapi_enums()
                  if n.startswith("LWVHOST_A_STAT_") and not is_sentinel(n)} - {"pad"}
    assert set(counters) == stat_attrs
    desc = procfs_entries()["/proc/lwvhost/<id>/stats"].desc
    missing = [c for c in counters if not table_row(c, desc)]
    assert not missing, f"stats counters not documented: {missing}"


def test_every_info_field_is_documented():
    body = show_body("vhost_net_info_show")
    fields = re.findall(r'seq_printf\(m,\s*"(\w+) ', body)
    fields += [f"{d}_{f}" for f in re.findall(r'seq_printf\(m,\s*"%s_(\w+) ', body)
               for d in dir_names()]
    assert len(fields) >= 8, fields
    desc = procfs_entries()["/proc/lwvhost/<id>/info"].desc
    missing = [f for f in fields if not table_row(f, desc)]
    assert not missing, f"info fields not documented: {missing}"
    for value in re.findall(r'\?\s*"(\w+)"\s*:\s*"(\w+)"', body):
        for v in value:
            assert f'"{v}"' in desc, f"info value {v!r} not documented"


# ---- generic netlink -------------------------------------------------------

GENL_WHAT = re.compile(
    r"genetlink family (\w+)(?:, (command|attribute|multicast group) (\w+))?$")


def genl_entries():
    header, entries = parse_abi(GENL_DOC)
    kinds = {"family": {}, "command": {}, "attribute": {}, "multicast group": {}}
    for e in entries:
        for w in e.whats:
            m = GENL_WHAT.match(w)
            assert m, f"{e.where()}: What: {w!r} is not a genetlink What form"
            assert m.group(1) == uapi_defines()["LWVHOST_GENL_NAME"], w
            kind, name = m.group(2) or "family", m.group(3) or m.group(1)
            assert name not in kinds[kind], f"{w} documented twice"
            kinds[kind][name] = e
    return header, kinds


def uapi_names(prefix):
    return {n: v for n, v in uapi_enums().items() if n.startswith(prefix) and not is_sentinel(n)}


def doc_number(entry, name):
    """The enum value an entry quotes for name ("Number: N", or "NAME N" in groups)."""
    if len(entry.whats) == 1:
        return doc_int(entry, "Number")
    m = re.search(rf"(?<![\w]){name}\s+(\d+)\b", entry.desc)
    return int(m.group(1)) if m else None


def test_genl_header_and_family():
    header, kinds = genl_entries()
    assert "genetlink family" in header and "What:" in header, "the convention header is missing"
    defs = uapi_defines()
    fam = kinds["family"][defs["LWVHOST_GENL_NAME"]]
    m = re.search(r"LWVHOST_GENL_VERSION \((\d+)\)", fam.desc)
    assert m and int(m.group(1)) == defs["LWVHOST_GENL_VERSION"]


def test_genl_commands_match_the_uapi():
    _, kinds = genl_entries()
    cmds = uapi_names("LWVHOST_CMD_")
    assert cmds
    assert set(kinds["command"]) == set(cmds), (
        f"undocumented: {sorted(set(cmds) - set(kinds['command']))}, "
        f"documented but not in the UAPI: {sorted(set(kinds['command']) - set(cmds))}")
    for name, value in cmds.items():
        assert doc_number(kinds["command"][name], name) == value, f"{name}: Number:"
    # Permissions and do/dump as genl.c registers them.
    genl = strip_comments(GENL_C.read_text())
    for op in re.findall(r"\{\s*(\.cmd\s*=.*?)\}", genl, re.S):
        cmd = re.search(r"\.cmd\s*=\s*(\w+)", op).group(1)
        desc = kinds["command"][cmd].desc
        if "GENL_ADMIN_PERM" in op:
            assert "CAP_NET_ADMIN" in desc, f"{cmd}: admin permission not documented"
        else:
            assert re.search(r"^Permission: none", desc, re.M), f"{cmd}: Permission:"
        if ".dumpit" in op:
            assert "dump" in desc, f"{cmd}: dump not documented"


def test_genl_multicast_groups_match_the_source():
    _, kinds = genl_entries()
    defs = uapi_defines()
    genl = strip_comments(GENL_C.read_text())
    groups = {defs[m] for m in re.findall(r"\.name\s*=\s*(LWVHOST_GENL_MCGRP_\w+)", genl)}
    assert groups and set(kinds["multicast group"]) == groups
    for cmd in ("LWVHOST_CMD_DEV_ADD_NTF", "LWVHOST_CMD_DEV_DEL_NTF"):
        for g in groups:
            assert g in kinds["command"][cmd].desc
    # A group only admins may join says so.
    for g in re.findall(r"\{\s*(\.name\s*=\s*LWVHOST_GENL_MCGRP_\w+[^}]*)\}", genl):
        name = defs[re.search(r"LWVHOST_GENL_MCGRP_\w+", g).group(0)]
        if "GENL_MCAST_CAP_NET_ADMIN" in g:
            assert "CAP_NET_ADMIN" in kinds["multicast group"][name].desc, \
                f"{name}: admin-only subscription not documented"


def genl_attr_types():
    """attribute -> netlink type, as genl.c puts it or its policy accepts it."""
    genl = expanded_source(GENL_C)
    types = {}

    def note(attr, typ):
        assert types.setdefault(attr, typ) == typ, f"{attr}: both {types[attr]} and {typ}"

    for args in call_args(genl, "nla_put_u32"):
        note(args[1], "u32")
    for args in call_args(genl, "nla_put_string"):
        note(args[1], "string")
    for args in call_args(genl, "nla_nest_start"):
        note(args[1], "nest")
    for args in call_args(genl, "nla_put_u64_64bit"):
        if args[1].startswith("LWVHOST_A_"):
            note(args[1], "u64")
        note(args[3], "pad")
    stats = re.search(r"stats\[\]\s*=\s*\{(.*?)\};", genl, re.S)
    assert stats and "nla_put_u64_64bit(skb, stats[i].attr" in genl
    for attr in re.findall(r"\{\s*(LWVHOST_A_STAT_\w+),", stats.group(1)):
        note(attr, "u64")
    for attr, pol in re.findall(r"\[(LWVHOST_A_\w+)\]\s*=\s*(NLA_POLICY_\w+\([^)]*\)|\{[^}]*\})",
                                genl):
        if "NLA_U32" in pol:
            note(attr, "u32")
        elif "NESTED" in pol:
            note(attr, "nest")
    return types


def test_genl_attributes_match_the_uapi():
    _, kinds = genl_entries()
    attrs = uapi_names("LWVHOST_A_")
    assert attrs
    documented = set(kinds["attribute"])
    assert documented == set(attrs), (
        f"undocumented: {sorted(set(attrs) - documented)}, "
        f"documented but not in the UAPI: {sorted(documented - set(attrs))}")
    types = genl_attr_types()
    for name, value in attrs.items():
        e = kinds["attribute"][name]
        assert doc_number(e, name) == value, f"{name}: number should be {value}"
        m = re.search(r"^Type:\s*(\w+)", e.desc, re.M)
        assert m, f"{name}: no Type:"
        assert name in types, f"{name}: genl.c neither sends nor accepts it"
        assert m.group(1) == types[name], f"{name}: Type: should be {types[name]}"


def test_genl_ranges_match_the_source():
    _, kinds = genl_entries()
    genl = strip_comments(GENL_C.read_text())
    names = dict(uapi_enums(), **{k: v for k, v in uapi_defines().items() if isinstance(v, int)})
    # Ranges the policy enforces.
    checked = set()
    policy_max = r"\[(LWVHOST_A_\w+)\]\s*=\s*NLA_POLICY_MAX\((\w+),\s*([^)]*)\)"
    for attr, typ, expr in re.findall(policy_max, genl):
        assert doc_range(kinds["attribute"][attr]) == (0, eval_c(expr, names)), attr
        checked.add(attr)
    # The knobs: the range of vhost_pace_check(), the attribute from the
    # knob list, and genl.c's policy made from that list.
    assert re.search(r"vhost_net_vq_policy\[[^\]]*\]\s*=\s*\{[^;]*VHOST_PACE_KNOBS\(", genl), \
        "genl.c's policy no longer comes from the knob list"
    ranges = knob_ranges()
    for name, _, _, attr, _ in knob_rows():
        lo, hi = ranges[name]
        assert doc_range(kinds["attribute"][attr]) == (lo, hi), f"{attr}: Range: {lo}-{hi}"
        checked.add(attr)
    for name, e in kinds["attribute"].items():
        if name not in checked:
            assert doc_range(e) is None, f"{name}: a Range: the source does not enforce"


# ---- the prose reference ----------------------------------------------------

def test_interfaces_md_agrees_and_points_here():
    text = (ROOT / "docs" / "interfaces.md").read_text()
    assert "ABI/testing/" in text
    rows = dict((k, (int(lo), int(hi), int(d))) for k, lo, hi, d in re.findall(
        r"^\|\s*`(\w+)`\s*\|\s*(\d+)\s*[–-]\s*(\d+)\s*\|\s*(\d+)\s*\|", text, re.M))
    defaults = knob_defaults()
    for knob, (lo, hi) in knob_ranges().items():
        assert knob in rows, f"interfaces.md: no row for {knob}"
        assert rows[knob][:2] == (lo, hi), f"interfaces.md: range of {knob}"
        assert rows[knob][2] == defaults[f"rx_{knob}"] == defaults[f"tx_{knob}"]
