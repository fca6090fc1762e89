# SPDX-License-Identifier: GPL-2.0
"""make install / make uninstall into a DESTDIR (host-side, no VM): what is
built lands where the operator expects, and uninstall leaves the tree as it
found it. Also: every man page documents every option its tool's --help
prints."""

import filecmp
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"

# Every tool's man page: source in the tree -> where make install puts it
# (PREFIX=/usr).
MAN_PAGES = {
    "procfs-ctl/lwvhostctl.8": "usr/share/man/man8/lwvhostctl.8",
    "tools/tuned/lwvhost-tuned.8": "usr/share/man/man8/lwvhost-tuned.8",
    "tools/vnet/lwvhost-vnet.1": "usr/share/man/man1/lwvhost-vnet.1",
    "tools/trace/lwvhost-trace.1": "usr/share/man/man1/lwvhost-trace.1",
    "tools/client/lwvhost-events.1": "usr/share/man/man1/lwvhost-events.1",
}


def built_kernels():
    return sorted(p.name for p in (BUILD / "kmod").glob("*")
                  if (p / "vhost" / "vhost.ko").is_file()
                  and (p / "vhost_net" / "vhost_net.ko").is_file())


def make(*args, env=None):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), *args],
                          capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def tree(root):
    """Every path under root, relative, directories marked with a slash."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        out.update(f"{rel / d}/" for d in dirnames)
        out.update(str(rel / f) for f in filenames)
    return out


@pytest.fixture
def destdir(tmp_path):
    d = tmp_path / "dest"
    d.mkdir()
    return d


def test_install_and_uninstall_leave_nothing(destdir):
    kernels = built_kernels()
    assert kernels, "no modules built (make modules)"
    assert (BUILD / "bin" / "lwvhost-vnet").is_file(), "no tools built (make tools)"
    r = make("install", f"DESTDIR={destdir}", "PREFIX=/usr")
    assert r.returncode == 0, r.stdout + r.stderr
    for k in kernels:
        for m in ("vhost", "vhost_net"):
            got = destdir / "lib/modules" / k / "updates/lwvhost" / f"{m}.ko"
            assert filecmp.cmp(got, BUILD / "kmod" / k / m / f"{m}.ko", shallow=False), got
            assert got.stat().st_mode & 0o777 == 0o644
    for tool in ("lwvhost-vnet", "lwvhost-trace", "lwvhostctl", "lwvhost-events"):
        if (BUILD / "bin" / tool).is_file():
            got = destdir / "usr/bin" / tool
            assert filecmp.cmp(got, BUILD / "bin" / tool, shallow=False), tool
            assert got.stat().st_mode & 0o777 == 0o755
    if (BUILD / "bin" / "lwvhost-tuned").is_file():
        assert (destdir / "usr/sbin/lwvhost-tuned").is_file()
    optional = {
        **MAN_PAGES,
        "procfs-ctl/lwvhostctl.bash-completion":
            "usr/share/bash-completion/completions/lwvhostctl",
        "tools/tuned/tuned.conf.example": "etc/lwvhost/tuned.conf.example",
        "tools/tuned/lwvhost-tuned.service": "usr/lib/systemd/system/lwvhost-tuned.service",
    }
    for src, dst in optional.items():
        assert (ROOT / src).is_file() == (destdir / dst).is_file(), dst
    for src, dst in MAN_PAGES.items():
        assert (ROOT / src).is_file(), f"{src} is missing"
        assert filecmp.cmp(destdir / dst, ROOT / src, shallow=False), dst
        assert (destdir / dst).stat().st_mode & 0o777 == 0o644, dst
    manifest = (destdir / "usr/share/lwvhost/install-manifest").read_text().splitlines()
    installed = {p for p in tree(destdir) if not p.endswith("/")}
    assert {line[2:].lstrip("/") for line in manifest if line.startswith("f ")} == installed
    assert "depmod" not in r.stdout  # never with DESTDIR

    r = make("uninstall", f"DESTDIR={destdir}", "PREFIX=/usr")
    assert r.returncode == 0, r.stdout + r.stderr
    for dst in MAN_PAGES.values():
        assert not (destdir / dst).exists(), f"uninstall left {dst}"
    assert tree(destdir) == set()


def test_reinstall_one_kernel_then_uninstall(destdir):
    k = built_kernels()[0]
    for _ in range(2):
        r = make("install", f"DESTDIR={destdir}", f"KVER={k}")
        assert r.returncode == 0, r.stdout + r.stderr
    kmods = destdir / "lib/modules"
    assert sorted(p.name for p in kmods.iterdir()) == [k]
    manifest = (destdir / "usr/local/share/lwvhost/install-manifest").read_text().splitlines()
    assert len(manifest) == len(set(manifest)), "manifest has duplicates"
    r = make("uninstall", f"DESTDIR={destdir}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree(destdir) == set()


def test_uninstall_keeps_what_it_did_not_install(destdir):
    r = make("install", f"DESTDIR={destdir}")
    assert r.returncode == 0, r.stdout + r.stderr
    foreign = destdir / "usr/local/bin/someone-elses-tool"
    foreign.write_text("#!/bin/sh\n")
    r = make("uninstall", f"DESTDIR={destdir}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "kept" in r.stdout and "usr/local/bin" in r.stdout
    assert tree(destdir) == {"usr/", "usr/local/", "usr/local/bin/",
                             "usr/local/bin/someone-elses-tool"}


def test_install_saves_what_it_overwrites_and_uninstall_puts_it_back(destdir):
    # An operator's own lwvhost-vnet and a page from another package, where install
    # writes ours (PREFIX=/usr). Odd modes, so a restore that loses them shows.
    foreign = {
        "usr/bin/lwvhost-vnet": (b"#!/bin/sh\necho the operator's own lwvhost-vnet\n", 0o750),
        "usr/share/man/man1/lwvhost-vnet.1": (b".TH VNET 1 \"someone else's page\"\n", 0o444),
    }
    for rel, (data, mode) in foreign.items():
        p = destdir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        p.chmod(mode)
    before = tree(destdir)
    saved = destdir / "usr/share/lwvhost/saved"
    manifest = destdir / "usr/share/lwvhost/install-manifest"

    r = make("install", f"DESTDIR={destdir}", "PREFIX=/usr")
    assert r.returncode == 0, r.stdout + r.stderr
    assert filecmp.cmp(destdir / "usr/bin/lwvhost-vnet", BUILD / "bin" / "lwvhost-vnet", shallow=False)
    assert filecmp.cmp(destdir / "usr/share/man/man1/lwvhost-vnet.1", ROOT / "tools/vnet/lwvhost-vnet.1",
                       shallow=False)
    notices = [l for l in r.stdout.splitlines() if "saved the existing" in l]
    assert sorted(notices) == sorted(
        f"install-tree: saved the existing {destdir / rel} as {saved / rel}"
        " (make uninstall puts it back)" for rel in foreign), r.stdout
    for rel, (data, mode) in foreign.items():
        assert (saved / rel).read_bytes() == data
        assert (saved / rel).stat().st_mode & 0o7777 == mode
    lines = manifest.read_text().splitlines()
    assert sorted(l for l in lines if l.startswith("s ")) == sorted(
        f"s /{rel} /usr/share/lwvhost/saved/{rel}" for rel in foreign)

    # Reinstall: what is there now is ours, so nothing more is saved and the
    # operator's originals stay the copies kept.
    r = make("install", f"DESTDIR={destdir}", "PREFIX=/usr")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "saved the existing" not in r.stdout, r.stdout
    assert {p for p in tree(saved) if not p.endswith("/")} == set(foreign)
    for rel, (data, _) in foreign.items():
        assert (saved / rel).read_bytes() == data
    lines = manifest.read_text().splitlines()
    assert len(lines) == len(set(lines)), "manifest has duplicates"
    assert len([l for l in lines if l.startswith("s ")]) == len(foreign)

    r = make("uninstall", f"DESTDIR={destdir}", "PREFIX=/usr")
    assert r.returncode == 0, r.stdout + r.stderr
    for rel, (data, mode) in foreign.items():
        assert (destdir / rel).read_bytes() == data, f"{rel} not put back"
        assert (destdir / rel).stat().st_mode & 0o7777 == mode, rel
        assert f"restored {destdir / rel}" in r.stdout
    assert tree(destdir) == before


def test_failed_install_still_records_what_it_saved(destdir, tmp_path):
    # Signing fails after the foreign module was moved aside: the manifest
    # must still say so, or the original would be stranded in saved/.
    k = built_kernels()[0]
    mod = destdir / "lib/modules" / k / "updates/lwvhost/vhost.ko"
    mod.parent.mkdir(parents=True)
    mod.write_bytes(b"someone else's vhost.ko\n")
    before = tree(destdir)
    key, cert = tmp_path / "bad.key", tmp_path / "bad.der"
    key.write_text("not a key\n")
    cert.write_text("not a certificate\n")
    r = make("install", f"DESTDIR={destdir}", f"KVER={k}", f"MOK_KEY={key}", f"MOK_CERT={cert}")
    assert r.returncode != 0
    assert "signing" in r.stderr and "install stopped" in r.stderr, r.stderr
    r = make("uninstall", f"DESTDIR={destdir}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert mod.read_bytes() == b"someone else's vhost.ko\n"
    assert tree(destdir) == before


def test_errors_are_clear(destdir):
    r = make("install", f"DESTDIR={destdir}", "KVER=9.9.9-not-built")
    assert r.returncode != 0
    assert "9.9.9-not-built/vhost/vhost.ko not built" in r.stderr
    assert tree(destdir) == set()
    r = make("uninstall", f"DESTDIR={destdir}")
    assert r.returncode != 0
    assert "nothing to uninstall: no manifest" in r.stderr
    r = make("install", "DESTDIR=relative/path")
    assert r.returncode != 0
    assert "DESTDIR must be an absolute path" in r.stderr


def test_unit_runs_the_installed_daemon(destdir, tmp_path):
    # A source tree with a unit that names the daemon somewhere else: the
    # installed unit must start it from where install put it.
    src = tmp_path / "src"
    (src / "tools/tuned").mkdir(parents=True)
    (src / "tools/tuned/lwvhost-tuned.service").write_text(
        "[Service]\nExecStart=/opt/x/bin/lwvhost-tuned --config /etc/lwvhost/tuned.conf\n")
    (src / "tools/tuned/tuned.conf.example").write_text("# example\n")
    r = make("install", f"DESTDIR={destdir}", "PREFIX=/usr", env={"SRCDIR": str(src)})
    assert r.returncode == 0, r.stdout + r.stderr
    unit = (destdir / "usr/lib/systemd/system/lwvhost-tuned.service").read_text()
    assert "ExecStart=/usr/sbin/lwvhost-tuned --config /etc/lwvhost/tuned.conf" in unit
    assert (destdir / "etc/lwvhost/tuned.conf.example").read_text() == "# example\n"
    r = make("uninstall", f"DESTDIR={destdir}", "PREFIX=/usr")
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree(destdir) == set()


def test_install_signs_modules_with_a_mok(destdir, tmp_path):
    key, cert = tmp_path / "mok.key", tmp_path / "mok.der"
    subprocess.run(["openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "1", "-subj", "/CN=lwvhost test MOK/", "-outform", "DER",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    k = built_kernels()[0]
    r = make("install", f"DESTDIR={destdir}", f"KVER={k}",
             f"MOK_KEY={key}", f"MOK_CERT={cert}")
    assert r.returncode == 0, r.stdout + r.stderr
    for m in ("vhost", "vhost_net"):
        installed = destdir / "lib/modules" / k / "updates/lwvhost" / f"{m}.ko"
        signer = subprocess.run(["modinfo", "-F", "signer", str(installed)],
                                capture_output=True, text=True).stdout.strip()
        assert signer == "lwvhost test MOK"
        built = subprocess.run(["modinfo", "-F", "signer", str(BUILD / "kmod" / k / m / f"{m}.ko")],
                               capture_output=True, text=True).stdout.strip()
        assert built == "", "signing must not touch the build tree"
    r = make("uninstall", f"DESTDIR={destdir}")
    assert r.returncode == 0
    assert tree(destdir) == set()


# ---- man pages keep up with --help ----------------------------------------

# Tool -> its page, and whether every option must be the tag of an item
# (.TP) there. lwvhostctl's page describes its commands' options (--watch,
# --count, ...) in the text of each command, so for it a mention suffices.
HELP_PAGES = {
    "lwvhost-tuned": ("tools/tuned/lwvhost-tuned.8", True),
    "lwvhost-trace": ("tools/trace/lwvhost-trace.1", True),
    "lwvhost-vnet": ("tools/vnet/lwvhost-vnet.1", True),
    "lwvhost-events": ("tools/client/lwvhost-events.1", True),
    "lwvhostctl": ("procfs-ctl/lwvhostctl.8", False),
}
# CLI11 help: an option line starts "  --name" or "  -x,--name"; a
# subcommand line "  name   description" (both indented by exactly two).
HELP_OPTION_RE = re.compile(r"^  (?:-[A-Za-z0-9],)?(--[A-Za-z0-9][A-Za-z0-9-]*)")
HELP_SUBCOMMAND_RE = re.compile(r"^  ([a-z][a-z0-9-]*)\s")


def help_text(exe, *words):
    r = subprocess.run([str(exe), *words, "--help"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, (words, r.stdout + r.stderr)
    return r.stdout


def long_options(exe, *words):
    """{option: the command words whose --help prints it}, subcommands
    included (as deep as they go)."""
    out = {}
    section = None
    for line in help_text(exe, *words).splitlines():
        if line and not line[0].isspace():
            section = line.rstrip(":")
            continue
        m = HELP_OPTION_RE.match(line)
        if m and section == "Options":
            out.setdefault(m.group(1), " ".join(words) or "(top)")
        m = HELP_SUBCOMMAND_RE.match(line)
        if m and section == "Subcommands":
            for opt, where in long_options(exe, *words, m.group(1)).items():
                out.setdefault(opt, where)
    return out


def roff_plain(text):
    """The roff source as the reader sees it, near enough for matching
    option names: escapes resolved, font changes and comments dropped."""
    lines = [l for l in text.splitlines() if not l.startswith(('.\\"', "'\\\""))]
    t = "\n".join(lines)
    t = re.sub(r"\\f(?:\[[^\]]*\]|\(..|.)", "", t)
    return t.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def item_tags(text):
    """The tag lines of the page's .TP items."""
    lines = text.splitlines()
    return [lines[i + 1] for i, l in enumerate(lines[:-1]) if l.split()[:1] == [".TP"]]


def mentions(text, option):
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def undocumented(exe, page_text, strict):
    where = item_tags(page_text) if strict else [page_text]
    where = roff_plain("\n".join(where))
    return {opt: cmd for opt, cmd in long_options(exe).items() if not mentions(where, opt)}


@pytest.mark.parametrize("tool", sorted(HELP_PAGES))
def test_man_page_documents_every_option(tool):
    exe = BUILD / "bin" / tool
    if not exe.is_file():
        pytest.skip(f"{tool} not built (make tools)")
    page, strict = HELP_PAGES[tool]
    text = (ROOT / page).read_text()
    assert len(long_options(exe)) > 1, f"no options parsed from {tool} --help"
    missing = undocumented(exe, text, strict)
    assert not missing, (f"{page} lacks options its --help prints "
                         f"(option: command): {missing}")
