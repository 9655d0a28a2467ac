"""What the tracer benches share: the rotated-baseline measurement and the
summary of a --stats run.

rotated_kept() runs every tracer between two baselines, rounds rotating
the order (a baseline first, then tracer, baseline, tracer, ...), and
gives each run's rate as a % of the mean of the baselines just before and
after it: slow drifts of the machine cancel, and the spread over rounds
shows what the rates can resolve. With steady=, runs made while the
machine jumped from one speed to another are made again or left out.
"""
import os
import statistics
import sys

STEADY_TRIES = 3  # rotated_kept(steady=...): tries of a run before it is left out


def read_live(f):
    """The text of a file a running child writes to, read with pread: a
    seek would move the offset the child shares and its next write would
    overwrite the start of the file."""
    fd = f.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")


def rotated_kept(tracers, measure, start, stop, rounds, label="", steady=None, dropped=None):
    """tracers: a list of keys; measure(): a rate; start(t) -> handle;
    stop(t, handle). Returns ({t: [kept %, one per round]}, [|change| %
    between consecutive baselines]).

    steady: None, or a % (5): a run whose two baselines differ by more
    than that was made while the machine changed speed (a shared VM's
    speed can jump by a third and back), so its kept % says nothing. It
    is made again, up to STEADY_TRIES times, and left out if no try is
    steady; dropped (a dict) counts those left out per tracer."""
    kept = {t: [] for t in tracers}
    noise = []
    for r in range(rounds):
        order = tracers[r % len(tracers):] + tracers[:r % len(tracers)]
        prev = measure()
        bases = [prev]
        for t in order:
            for _ in range(STEADY_TRIES if steady is not None else 1):
                h = start(t)
                try:
                    rate = measure()
                finally:
                    stop(t, h)
                nxt = measure()
                change = abs(nxt - prev) * 200 / (nxt + prev) if nxt + prev else 0.0
                noise.append(change)
                ok = steady is None or change <= steady
                if ok:
                    kept[t].append(200 * rate / (prev + nxt) if prev + nxt else float("nan"))
                prev = nxt
                bases.append(nxt)
                if ok:
                    break
            if not ok and dropped is not None:
                dropped[t] = dropped.get(t, 0) + 1
        print(f"round {r + 1}/{rounds} {label}: baselines " + " ".join(f"{b:.4g}" for b in bases),
              file=sys.stderr)
    return kept, noise


def cell(v):
    """median [min..max] of a list of %."""
    if not v:
        return "n/a"
    return f"{statistics.median(v):5.1f} [{min(v):.1f}..{max(v):.1f}]"


def print_stats_rows(rows, units, unit, indent="      "):
    """rows: (program, runs, missed, total ns) from a --stats run; units
    of work done meanwhile (packets, connections, MiB)."""
    for prog, runs, missed, total in rows:
        if runs:
            print(f"{indent}{prog:26} {runs / units:9.3f} runs/{unit} x {total / runs:6.0f} ns"
                  f" = {total / units:8.1f} ns/{unit}" + (f"  MISSED {missed}" if missed else ""))
