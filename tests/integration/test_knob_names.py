# SPDX-License-Identifier: GPL-2.0
"""One name per knob: the kernel's list (VHOST_PACE_KNOBS in vhost/vhost.h)
names the procfs files and module parameters (test_abi_docs checks those);
here the host-side surfaces of lwvhostctl must use the same names: the
setting tokens, the bash completion, the man page and --help; and the
tests' own genetlink client must know every knob by its attribute. The
keys of show, dump and the JSON are checked against the same list on real
devices in test_ctl.py. Host-side, no VM."""

import importlib.util
import os
import re
import subprocess
from pathlib import Path

from test_abi_docs import knob_names, knob_rows, uapi_enums

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "build" / "bin"
CTL = BIN / "lwvhostctl"
COMPLETION = ROOT / "procfs-ctl" / "lwvhostctl.bash-completion"
MAN = ROOT / "procfs-ctl" / "lwvhostctl.8"
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


def expected_settings():
    """Per knob: the name (both directions), then rx_ and tx_ prefixed."""
    return [p + k for k in knob_names() for p in ("", "rx_", "tx_")]


def list_settings():
    r = subprocess.run([str(CTL), "--list-settings"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_setting_tokens_are_the_knob_names():
    assert list_settings() == expected_settings()


def complete(words):
    """What bash completion offers after `lwvhostctl <words...> <TAB>`."""
    line = " ".join(["lwvhostctl", *words, ""])
    script = f"""
source {BASH_COMPLETION}
source {COMPLETION}
COMP_WORDS=(lwvhostctl {' '.join(words)} "")
COMP_CWORD={len(words) + 1}
COMP_LINE={line!r}
COMP_POINT={len(line)}
_lwvhostctl
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_completion_offers_the_setting_tokens():
    want = expected_settings()
    # Where a name goes: after the device, and after each NAME VALUE pair.
    assert complete(["set", "3"]) == want
    assert complete(["set", "3", "tx_poll_interval_us", "50"]) == want
    assert complete(["defaults", "set"]) == want
    # Where a value goes, nothing.
    assert complete(["set", "3", "tx_poll_interval_us"]) == []


def man_section(name):
    text = MAN.read_text()
    m = re.search(rf"^\.SH {name}\n(.*?)^\.SH ", text, re.M | re.S)
    assert m, f"no {name} section in {MAN.name}"
    return m.group(1)


def test_man_page_lists_each_setting_once_with_its_range():
    section = man_section("SETTINGS")
    # The .TP items: ".BR name ", " name ... " (lo..hi)"
    items = re.findall(r"^\.TP\n\.BR (.*)$", section, re.M)
    listed, ranges = [], {}
    for item in items:
        names = re.findall(r'(?:^|" )([a-z_]+)', item)
        listed += names
        m = re.search(r"\((\d+)\.\.(\d+)\)", item)
        assert m, item
        for n in names:
            ranges[n] = (int(m.group(1)), int(m.group(2)))
    assert listed == expected_settings()
    # The old spellings are named as accepted, not as settings.
    assert "rx\\-poll\\-us" in section.split(".PP", 1)[1]
    # Ranges agree with the kernel's (through --help, which has them from the UAPI).
    help_text = subprocess.run([str(CTL), "set", "--help"], capture_output=True,
                               text=True).stdout
    for name, (lo, hi) in ranges.items():
        assert re.search(rf"^  {name} N\s+(rx and tx|rx|tx) \({lo}\.\.{hi}\)$", help_text,
                         re.M), (name, help_text)


def test_help_names_every_setting_and_the_aliases():
    help_text = subprocess.run([str(CTL), "set", "--help"], capture_output=True,
                               text=True).stdout
    names = re.findall(r"^  ([a-z_]+) N\s", help_text, re.M)
    assert names == expected_settings()
    assert re.search(r"^  also accepted: rx-poll-us, tx-poll-us, ", help_text, re.M)


def test_an_alias_sets_what_its_canonical_name_sets():
    # Without a device the request fails at the backend, after parsing; a
    # conflict between an alias and its canonical name is a usage error.
    r = subprocess.run([str(CTL), "set", "1", "tx-poll-us", "5", "tx_poll_interval_us", "6"],
                       capture_output=True, text=True)
    assert r.returncode == 2, r
    assert "tx-poll-us and tx_poll_interval_us both set tx poll_interval_us" in r.stderr


def test_guest_genl_client_knows_every_knob_attribute():
    """guest/lwvhost_genl.py speaks the wire format without libnl: its knob
    attributes are the kernel's list, with the UAPI's numbers."""
    path = ROOT / "tests" / "integration" / "guest" / "lwvhost_genl.py"
    spec = importlib.util.spec_from_file_location("lwvhost_genl", path)
    genl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(genl)
    enums = uapi_enums()
    assert genl.KNOB_ATTRS == {name: enums[attr] for name, _, _, attr, _ in knob_rows()}
