#!/usr/bin/env bash
# Proves that no build step runs a tool before the dependency step is done,
# under the parallel makes users type: `make -jN`, `make -jN unit`,
# `make -jN asan-test`, `make -jN test`.
#
# A fresh machine is simulated without touching the machine's packages: the
# build runs on a copy of the tree with CC, CLANG, BPFTOOL and PYTEST named
# after tools that do not exist (nl-cc, nl-clang, ...) and INSTALL_DEPS
# pointing at a fake installer. `--check` reports them missing; the install
# waits a moment (so a step that does not wait for it loses the race) and
# then puts stub tools on PATH, all at once. A step that runs before the
# install finished fails with "nl-bpftool: not found"; the install must run
# exactly once, even when asan-test's inner make shares the run.
#
# The stubs do what the build needs of them and nothing more: `-o FILE`
# gets an executable that exits 0, `bpftool gen object` writes its output,
# the rest print nothing. No compiler runs, so the whole graph takes
# seconds (the stubs are no objects: CHECK_CYCLES, which reads objects, is
# skipped). Usage: scripts/test-deps-order.sh [TARGET...] (default: all
# four). Exit 0 when every target built, 1 otherwise.
set -euo pipefail

# `make test` runs this script, and this script runs `make test`: inside
# itself (the fake installer's log is set) it has nothing to prove.
if [ -n "${NL_ORDER_LOG:-}" ]; then
	echo "test-deps-order: skipped inside its own run"
	exit 0
fi

top=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(all unit asan-test test)
tmp=$(mktemp -d /tmp/netlens-deps-order.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat >"$tmp/stub" <<'STUB'
#!/bin/sh
# a stand-in for cc, clang, bpftool and pytest; see test-deps-order.sh
echo "$(basename "$0") $*" >>"$NL_ORDER_LOG"
case "$(basename "$0") $1 $2" in
"nl-bpftool gen object") : >"$3"; exit 0 ;;
esac
out=
while [ $# -gt 0 ]; do
	[ "$1" = -o ] && out=$2
	shift
done
if [ -n "$out" ]; then
	printf '#!/bin/sh\nexit 0\n' >"$out"
	chmod +x "$out"
fi
exit 0
STUB

cat >"$tmp/install-deps" <<'INST'
#!/bin/sh
# the fake installer: nothing is installed until it has run once
[ "${1:-}" = --check ] && { [ -d "$NL_ORDER_BIN" ] && exit 0; echo "missing: nl-*" >&2; exit 1; }
echo "install" >>"$NL_ORDER_LOG"
echo "$$" >>"$NL_ORDER_INSTALLS"
sleep 1
mkdir -p "$NL_ORDER_BIN.new"
for t in nl-cc nl-clang nl-bpftool nl-pytest; do
	cp "$NL_ORDER_STUB" "$NL_ORDER_BIN.new/$t"
	chmod +x "$NL_ORDER_BIN.new/$t"
done
mv "$NL_ORDER_BIN.new" "$NL_ORDER_BIN"
echo "installed" >>"$NL_ORDER_LOG"
INST
chmod +x "$tmp/stub" "$tmp/install-deps"

for t in "${targets[@]}"; do
	run="$tmp/$t"
	mkdir -p "$run/tree"
	(cd "$top" && cp -r Makefile src tests scripts bench "$run/tree/")
	export NL_ORDER_LOG="$run/log" NL_ORDER_INSTALLS="$run/installs" NL_ORDER_BIN="$run/bin" \
	       NL_ORDER_STUB="$tmp/stub"
	: >"$NL_ORDER_LOG"
	: >"$NL_ORDER_INSTALLS"
	if env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS PATH="$run/bin:$PATH" \
		make -C "$run/tree" -j8 --no-print-directory "$t" INSTALL_DEPS="$tmp/install-deps" \
		CC=nl-cc CLANG=nl-clang BPFTOOL=nl-bpftool PYTEST=nl-pytest CHECK_CYCLES=true >"$run/out" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	installs=$(wc -l <"$NL_ORDER_INSTALLS")
	calls=$(grep -c '^nl-' "$NL_ORDER_LOG" || true)
	# the log's first lines: the install, then its end; tools only after
	first=$(head -2 "$NL_ORDER_LOG" | tr '\n' ' ')
	if [ "$rc" != 0 ] || [ "$installs" != 1 ] || [ "$calls" = 0 ] || [ "$first" != "install installed " ]; then
		echo "FAIL make -j8 $t: exit $rc, dependency step ran $installs times, $calls tool calls" >&2
		grep -m5 -i 'not found\|error' "$run/out" >&2 || tail -5 "$run/out" >&2
		fail=1
	else
		echo "ok   make -j8 $t: dependency step once, then $calls tool calls"
	fi
done
exit $fail
