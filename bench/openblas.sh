#!/usr/bin/env bash
# Fetches Debian's OpenBLAS (libopenblas0-pthread) into a private directory,
# without installing it, for the bench's "torch+openblas" variant:
#
#   bash bench/openblas.sh && go run ./bench
#
# Debian's python3-torch calls whatever libblas.so.3 the system selects; with
# only libblas3 installed that is the netlib reference BLAS, which is very
# slow. Installing libopenblas0 system-wide would switch every program on
# the machine (numpy included) to OpenBLAS; this script instead unpacks the
# package under ${XDG_CACHE_HOME:-~/.cache}/zoo-bench/openblas, and the bench
# puts that directory first on LD_LIBRARY_PATH for the PyTorch child only.
set -euo pipefail
dest="${XDG_CACHE_HOME:-$HOME/.cache}/zoo-bench/openblas"
lib="$dest/usr/lib/x86_64-linux-gnu/openblas-pthread"
if [[ -f "$lib/libblas.so.3" ]]; then
	echo "$lib"
	exit 0
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download needs no root; the warning about the _apt user is harmless.
(cd "$tmp" && apt-get download libopenblas0-pthread >&2)
dpkg -x "$tmp"/libopenblas0-pthread_*.deb "$dest"
test -f "$lib/libblas.so.3"
echo "$lib"
