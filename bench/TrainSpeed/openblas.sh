#!/usr/bin/env bash
# Debian's python3-torch links libblas.so.3, which on a machine without an optimised BLAS is the reference (netlib)
# one: a 512x512 matmul ~20x slower than OpenBLAS. For a fair PyTorch side, this unpacks Debian's OpenBLAS into a
# private folder (nothing is installed; the system's BLAS alternative is untouched) and prints the folder, for
#   edge-bench-train --python-env "LD_LIBRARY_PATH=$(bench/TrainSpeed/openblas.sh);OPENBLAS_NUM_THREADS=2" ...
set -euo pipefail
dir="${1:-${TMPDIR:-/tmp}/edge-openblas}"
lib="$dir/root/usr/lib/x86_64-linux-gnu/openblas-pthread"
if [ ! -f "$lib/libblas.so.3" ]; then
  mkdir -p "$dir"
  (cd "$dir" && apt-get download libopenblas0-pthread >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download libopenblas0-pthread >/dev/null; })
  dpkg -x "$dir"/libopenblas0-pthread_*.deb "$dir/root"
fi
echo "$lib"
