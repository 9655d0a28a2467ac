#!/usr/bin/env bash
# Install the Debian packages netlens needs to build, test and benchmark.
# Idempotent and non-interactive; `--check` only reports (exit 1) whether
# something is missing, which is how the Makefile decides to call it.
set -euo pipefail

BUILD_PKGS=(make gcc clang llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev
            libmnl-dev libdw-dev pkg-config libcmocka-dev libmicrohttpd-dev
            libgnutls28-dev libcrypt-dev libyaml-dev)
TEST_PKGS=(python3-pytest iproute2 nftables valgrind libtsan2 procps prometheus musl-tools openssl iputils-ping ethtool net-tools)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${1:-}" = "--check" ]; then
    [ ${#missing[@]} -eq 0 ] && exit 0
    echo "missing packages: ${missing[*]}" >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "netlens: error: packages missing (${missing[*]}) and not root: run 'sudo $0'" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
