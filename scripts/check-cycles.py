#!/usr/bin/env python3
"""Fails when the object files of a source folder call each other in a
cycle (a.o needs a symbol b.o defines, and b.o, through any path, needs
one of a.o's). ARCHITECTURE.md has data flow up, never sideways; a cycle
between two files of one folder means neither can be read, tested or
replaced alone (issue 10 found rtnl.c <-> rtnl_info.c).

Usage: scripts/check-cycles.py DIR...   (folders of .o files, e.g.
build/obj/sources). Reads symbols with nm; prints each cycle found.
Exit 0: none; 1: a cycle."""
import glob
import os
import subprocess
import sys


def graph(folder):
    defs, needs = {}, {}
    for o in sorted(glob.glob(os.path.join(folder, "*.o"))):
        name = os.path.basename(o)[:-2]
        needs[name] = set()
        for line in subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRV":
                defs[f[2]] = name
            elif len(f) == 2 and f[0] == "U":
                needs[name].add(f[1])
    return {n: sorted({defs[s] for s in syms if s in defs and defs[s] != n}) for n, syms in needs.items()}


def cycles(g):
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in g.get(n, ()):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2
    for n in sorted(g):
        if n not in state:
            visit(n)
    return found


def main():
    bad = 0
    for folder in sys.argv[1:]:
        g = graph(folder)
        if not g:
            print(f"check-cycles: no objects in {folder}", file=sys.stderr)
            bad = 1
        for c in cycles(g):
            print(f"check-cycles: {folder}: " + " -> ".join(x + ".c" for x in c), file=sys.stderr)
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
