#!/usr/bin/env bash
# Builds dist/edge-gpu-linux-x64.tar.xz: a self-contained Edge (no .NET needed on the target) WITHOUT libtorch, for a
# CUDA machine that has PyTorch. Inside, edge-gpu/edge-gpu.sh finds torch/lib through python3 and starts edge:
#   tar xJf edge-gpu-linux-x64.tar.xz && ./edge-gpu/edge-gpu.sh distill --device cuda --precision bf16 --teacher t.onnx ...
# Usage: scripts/bundle.sh [output-folder]   (default: dist/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
app="$stage/edge-gpu/app"

# Its own build slot: -p:EdgeNoLibTorch=true restores a different package graph, which must not overwrite the
# obj/ folders of the normal build.
EDGE_BUILD_SLOT=bundle dotnet publish "$root/src/Cli/Edge.Cli.csproj" -c Release -r linux-x64 --self-contained \
  -p:EdgeNoLibTorch=true -p:DebugType=none -p:GenerateDocumentationFile=false -o "$app" --nologo -clp:ErrorsOnly >&2

# The bundle must not carry any libtorch: a second libtorch next to PyTorch's would be loaded twice.
if find "$app" -name 'libtorch*.so*' -o -name 'libc10*.so*' | grep -q .; then
  echo "bundle: libtorch files ended up in $app; the EdgeNoLibTorch switch did not apply" >&2
  exit 1
fi

# The ONNX Runtime package also drops its Windows DLLs (PE files) into the linux-x64 output; Linux loads libonnxruntime.so.
find "$app" -maxdepth 1 -name 'onnxruntime*.dll' -delete

cat > "$stage/edge-gpu/edge-gpu.sh" <<'SH'
#!/usr/bin/env bash
# Starts the bundled edge on this machine's PyTorch libtorch: EDGE_LIBTORCH if set, else python3's torch/lib
# (PYTHON=/path/to/python to pick another interpreter). Example:
#   ./edge-gpu.sh doctor
#   ./edge-gpu.sh distill --device cuda --precision bf16 --teacher model.onnx --data fashion-mnist --out runs/gpu
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -z "${EDGE_LIBTORCH:-}" ]; then
  if torch_dir="$("${PYTHON:-python3}" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)"; then
    export EDGE_LIBTORCH="$torch_dir/lib"
  else
    echo "edge-gpu: no PyTorch found by ${PYTHON:-python3} and EDGE_LIBTORCH is unset: distill/export need libtorch." >&2
    echo "edge-gpu: install PyTorch (pip install torch) or set EDGE_LIBTORCH to a folder holding libtorch_cpu.so (and libtorch_cuda.so for --device cuda)." >&2
  fi
fi
if [ -n "${EDGE_LIBTORCH:-}" ]; then
  # edge loads libtorch by full path itself; the search path is for what those libraries load later (CUDA libs, NCCL).
  export LD_LIBRARY_PATH="$EDGE_LIBTORCH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
exec "$here/app/edge" "$@"
SH
chmod +x "$stage/edge-gpu/edge-gpu.sh"
cp "$root/README.md" "$stage/edge-gpu/README-edge.md"

tarball="$out/edge-gpu-linux-x64.tar.xz"
tar -C "$stage" -cf - edge-gpu | xz -T0 -9 > "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
bytes=$(stat -c %s "$tarball")
echo "$tarball: $((bytes / 1048576)) MiB ($bytes bytes), unpacked $(du -sm "$stage/edge-gpu" | cut -f1) MiB"
if [ "$bytes" -ge $((64 * 1048576)) ]; then
  echo "bundle: $tarball is not under 64 MiB" >&2
  exit 1
fi
