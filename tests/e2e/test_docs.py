"""Every command `netlens help` lists is documented, so the docs cannot
drift from the binary again: a man page that renders standalone without a
single groff/man warning, a docs page, a line in the README's command list,
and a place in netlens(8). netlens(8) also lists the options the tracers
share and doctor's exit status. No namespace is needed: nothing here
touches the network."""
import os
import re
import subprocess
import tempfile

import pytest

from conftest import run

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN = os.path.join(TOP, "docs", "man")
# `help` is netlens(8) itself: its man page is netlens.8, its docs the README
NO_DOCS_PAGE = {"help"}


def commands():
    """Names from `netlens help`: the indented lines under "Commands:"."""
    out = run(["help"]).stdout.splitlines()
    start = out.index("Commands:") + 1
    names = []
    for line in out[start:]:
        if not line.startswith("  "):
            break
        names.append(line.split()[0])
    assert len(names) >= 20, out
    return names


COMMANDS = commands()


def man_page(cmd):
    return os.path.join(MAN, "netlens.8" if cmd == "help" else f"netlens-{cmd}.8")


def man_text(path):
    """The page as `man -l` renders it, from a directory where a relative
    .so include cannot resolve by chance; fails on any warning."""
    with tempfile.TemporaryDirectory() as cwd:
        g = subprocess.run(["groff", "-man", "-ww", "-z", path], capture_output=True, text=True, cwd=cwd)
        assert g.returncode == 0 and g.stderr == "", f"groff -man -ww {path}:\n{g.stderr}"
        m = subprocess.run(["man", "--nh", "--nj", "--warnings", "-l", path], capture_output=True, text=True, cwd=cwd,
                           env=dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0"))
    assert m.returncode == 0 and m.stderr == "", f"man -l {path}:\n{m.stderr}"
    assert len(m.stdout.splitlines()) > 5, m.stdout
    return re.sub(r".\x08", "", m.stdout)  # overstrike bold/underline to plain


@pytest.mark.parametrize("cmd", COMMANDS)
def test_man_page_renders(cmd):
    path = man_page(cmd)
    assert os.path.exists(path), f"{cmd}: no man page {path}"
    text = man_text(path)
    assert re.search(rf"\b{re.escape('netlens' if cmd == 'help' else cmd)}\b", text)


@pytest.mark.parametrize("cmd", [c for c in COMMANDS if c not in NO_DOCS_PAGE])
def test_docs_page(cmd):
    pages = [os.path.join(TOP, "docs", f"{cmd}.md")] + \
        [os.path.join(TOP, "docs", d, f"{cmd}.md") for d in os.listdir(os.path.join(TOP, "docs"))
         if os.path.isdir(os.path.join(TOP, "docs", d))]
    found = [p for p in pages if os.path.exists(p)]
    assert found, f"{cmd}: no docs/{cmd}.md or docs/*/{cmd}.md"
    assert os.path.getsize(found[0]) > 50


def readme_commands():
    text = open(os.path.join(TOP, "README.md")).read()
    block = text.split("## Commands", 1)[1].split("```", 2)[1]
    return {m.group(1) for m in re.finditer(r"^  ([a-z0-9]+)\s", block, re.M)}


@pytest.mark.parametrize("cmd", COMMANDS)
def test_readme_line(cmd):
    assert cmd in readme_commands(), f"{cmd}: no line in README.md's command list"


def test_no_page_or_line_for_a_command_that_does_not_exist():
    pages = {f[len("netlens-"):-2] for f in os.listdir(MAN) if f.startswith("netlens-") and f.endswith(".8")}
    assert pages <= set(COMMANDS), pages - set(COMMANDS)
    assert readme_commands() <= set(COMMANDS), readme_commands() - set(COMMANDS)


def netlens8():
    return man_text(os.path.join(MAN, "netlens.8"))


def section(text, title):
    m = re.search(rf"^{title}\n(.*?)(?=^[A-Z][A-Z ]+\n|\Z)", text, re.S | re.M)
    assert m, f"netlens(8) has no {title} section"
    return re.sub(r"-\n\s+", "-", m.group(1))  # lines broken after a name's hyphen


def test_netlens8_names_every_command_and_page():
    text = netlens8()
    cmds = section(text, "COMMANDS")
    see = section(text, "SEE ALSO")
    for cmd in COMMANDS:
        assert re.search(rf"^\s+{cmd}\b", cmds, re.M), f"netlens(8) COMMANDS lacks {cmd}"
        if cmd != "help":
            assert f"netlens-{cmd}(8)" in see, f"netlens(8) SEE ALSO lacks netlens-{cmd}(8)"


def tracers():
    return sorted(f[:-3] for f in os.listdir(os.path.join(TOP, "docs", "tracers")) if f.endswith(".md"))


# tracers whose hooks this machine lacks: the page says so instead of figures
COST_UNMEASURED = {"ieee80211scan": "no cfg80211"}


@pytest.mark.parametrize("tracer", tracers())
def test_tracer_page_states_its_cost_per_run(tracer):
    """The project's standard: every tracer states its cost per run, as
    --stats measures it, in its page, under `## Cost`."""
    text = open(os.path.join(TOP, "docs", "tracers", f"{tracer}.md")).read()
    m = re.search(r"^## Cost\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"docs/tracers/{tracer}.md has no '## Cost' section"
    cost = m.group(1)
    if tracer in COST_UNMEASURED:
        assert COST_UNMEASURED[tracer] in cost, cost
        return
    assert "--stats" in cost, f"{tracer}: its Cost section does not say what --stats measured"
    assert re.search(r"\d ?ns\b", cost), f"{tracer}: its Cost section has no ns figure"


def test_netlens8_lists_the_common_tracer_options():
    """The tracer pages send readers to netlens(8) for the options they
    share: a long option that a third or more of the tracers accept (as
    their -h says) must be there."""
    ts = [t for t in tracers() if t in COMMANDS]
    assert len(ts) >= 13, ts
    seen = {}
    for t in ts:
        for o in set(re.findall(r"--[a-z][a-z0-9-]*", run([t, "-h"]).stdout)):
            seen[o] = seen.get(o, 0) + 1
    common = sorted(o for o, n in seen.items() if n * 3 >= len(ts) and o not in ("--help",))
    assert "--pid" in common and "--duration" in common, common
    opts = section(netlens8(), "COMMON TRACER OPTIONS")
    flat = opts.replace("\u2010", "-").replace("\u2212", "-")
    missing = [o for o in common if o not in flat]
    assert not missing, f"netlens(8) COMMON TRACER OPTIONS lacks {missing}"


def test_netlens8_exit_status_agrees_with_doctor():
    """doctor exits 0/1/2/3 as monitoring plugins (docs/doctor.md); netlens(8)
    must say so rather than give every command 0/1/2."""
    doc = open(os.path.join(TOP, "docs", "doctor.md")).read()
    assert re.search(r"0 nothing at warning or\s+above, 1 warning, 2 critical, 3 could not check", doc)
    ex = section(netlens8(), "EXIT STATUS")
    assert "doctor" in ex
    for code, words in (("0", "Nothing at warning"), ("1", "warning"), ("2", "critical"), ("3", "Could not check")):
        assert re.search(rf"^\s+{code}\s*\n?\s+.*{words}", ex, re.M | re.I), (code, ex)
    assert re.search(r"^\s+2\s*\n?\s+Usage error", ex, re.M), ex
