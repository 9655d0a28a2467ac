"""The fast subset of the hostile-user sweep (scripts/hostile/sweep.py,
issue 11): one quick, seeded run of every category but valgrind, then one
test per kind of defect over its findings. docs/testing-hostile.md says
what each category tries.

Every defect class the sweep found is fixed: a test here that fails is a
regression. The sweep removes its
namespace, mounts and files itself, even when stopped with SIGTERM;
test_sweep_left_nothing checks that it did.
"""
import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import NETLENS, PY

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SWEEP = os.path.join(ROOT, "scripts", "hostile", "sweep.py")
sys.path.insert(0, os.path.dirname(SWEEP))
import sweep  # noqa: E402


@pytest.fixture(scope="module")
def report():
    """Runs the quick sweep once for this module; its JSON report."""
    cmd = [PY, SWEEP, "--quick", "--netlens", NETLENS, "--json", "-", "--timeout", "4", "--jobs", "6"]
    for c in ("args", "filter", "snapshot", "faults", "signals", "unpriv"):
        cmd += ["--category", c]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)       # the sweep cleans up on SIGTERM
        try:
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        raise AssertionError(f"the quick sweep did not finish in 240 s:\n{err[-2000:]}")
    assert p.returncode in (0, 1), f"sweep exited {p.returncode}:\n{err[-3000:]}"
    return json.loads(out)


def failures(report, cats=None, classes=None, where=None, unless=None):
    """The failing command lines of the given categories and classes, as 'class: line -> problem'."""
    out = []
    for f in report["failures"]:
        if cats and f["category"] not in cats or classes and f["class"] not in classes:
            continue
        for e in f["examples"]:
            text = f"{f['class']}: {e['command'][:300]} -> {e['problem']}"
            if where and not where(e["command"], e["problem"]):
                continue
            if unless and unless(e["command"], e["problem"]):
                continue
            out.append(text)
    return out


def none(items):
    assert not items, f"{len(items)} failures, e.g.:\n  " + "\n  ".join(items[:15])


def test_every_category_tried(report):
    tries = {c["category"]: c["tries"] for c in report["categories"]}
    for cat in ("args", "filter", "snapshot", "faults", "signals", "unpriv"):
        assert tries.get(cat, 0) >= 8, f"category {cat} tried only {tries.get(cat)} times"


def test_sweep_left_nothing(report):
    assert not os.path.exists(report["workdir"])
    with open("/proc/mounts") as f:
        assert report["workdir"] not in f.read()
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    assert report["netns"] not in ns


def test_no_crash_no_sanitizer_report(report):
    none(failures(report, classes={"crash", "sanitizer"}))


def test_corrupted_snapshots_refused_cleanly(report):
    none(failures(report, cats={"snapshot"}))


def is_snapshot(cmd, _):
    return " snapshot " in cmd


def test_signals_end_tracers_quietly_and_unload_them(report):
    none(failures(report, cats={"signals"}, unless=is_snapshot))


def test_signalled_snapshot_leaves_no_temporary_file(report):
    none(failures(report, cats={"signals"}, where=is_snapshot))


def test_kernel_and_user_space_filters_agree(report):
    none(failures(report, cats={"filter"}, classes={"kernel-filter-differs", "crash", "hang", "sanitizer"}))


def is_fifo(cmd, _):
    return "fifo" in cmd


def test_fifo_never_hangs(report):
    none(failures(report, classes={"hang"}, where=is_fifo))


def test_bad_values_never_hang(report):
    none(failures(report, classes={"hang"}, unless=is_fifo))


def test_bad_input_refused(report):
    none(failures(report, cats={"args", "filter"}, classes={"accepted-bad-input"}))


def test_error_is_one_line_or_one_json_object(report):
    none(failures(report, cats={"args", "snapshot"},
                  classes={"multi-line-error", "silent-failure", "bad-json-error", "invalid-utf8-json"}))


def test_filter_error_is_one_line(report):
    none(failures(report, cats={"filter"}, classes={"multi-line-error", "silent-failure", "bad-json-error"}))


def test_errors_escape_control_bytes(report):
    none(failures(report, classes={"control-bytes-in-error"}))


def test_no_output_before_an_error(report):
    none(failures(report, classes={"output-before-error"}))


def test_errors_never_quote_file_content(report):
    none(failures(report, classes={"echoes-file-content"}))


def test_output_files_safe(report):
    none(failures(report, cats={"args", "faults"}, classes={"followed-symlink", "overwrote-others-file", "temp-file-left",
                                   "output-left-on-failure"}))


def test_write_errors_report_the_real_errno(report):
    none(failures(report, cats={"faults"}, classes={"wrong-errno", "multi-line-error"}))


def test_write_errors_are_failures(report):
    none(failures(report, cats={"faults"}, classes={"write-error-ignored"}))


def test_closed_pipe_ends_quietly_with_0(report):
    none(failures(report, cats={"faults"}, classes={"pipe-close-no-exit", "pipe-close-exit-status",
                                                   "pipe-close-noisy", "pipe-close-sigpipe"}))


def test_unprivileged_failures_name_the_capability(report):
    none(failures(report, cats={"unpriv"}))


# the checker itself: each kind of bad result is caught, a good one is not

def result(rc=0, out="", err="", timed_out=False):
    return sweep.Result(rc, out, err, timed_out, 0.0, out.encode())


@pytest.mark.parametrize("case_args,res,cls", [
    (("reject",), result(rc=-11), "crash"),
    (("reject",), result(timed_out=True), "hang"),
    (("reject",), result(rc=0), "accepted-bad-input"),
    (("reject",), result(rc=2, err="netlens: error: a\nnetlens: error: b\n"), "multi-line-error"),
    (("reject",), result(rc=2, out="HEADER\n", err="netlens: error: x\n"), "output-before-error"),
    (("reject",), result(rc=2), "silent-failure"),
    (("reject", True), result(rc=2, err="netlens: error: x\n"), "bad-json-error"),
    (("reject",), result(rc=2, err="netlens: error: -\x03: missing\n"), "control-bytes-in-error"),
    (("any",), result(rc=1, err="==1==ERROR: AddressSanitizer: heap-use-after-free\n"), "sanitizer"),
])
def test_checker_catches(case_args, res, cls):
    expect, js = (case_args + (False,))[:2]
    case = sweep.Case("args", ["-j", "ss"] if js else ["ss"], expect, "synthetic")
    assert cls in {c for c, _ in sweep.judge(case, res)}


def test_checker_passes_clean_results():
    ok = sweep.Case("args", ["ss"], "reject", "synthetic")
    assert sweep.judge(ok, result(rc=2, err="netlens: error: --bogus: not an option of 'ss'\n")) == []
    js = sweep.Case("args", ["-j", "ss"], "reject", "synthetic")
    assert sweep.judge(js, result(rc=2, out='{"error":"x"}\n')) == []
    tr = sweep.Case("args", ["tcplife", "-d", "1"], "any", "synthetic")
    assert sweep.judge(tr, result(rc=0, err="Tracing TCP sessions... Ctrl-C to end.\n")) == []
