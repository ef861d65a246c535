#!/usr/bin/env bash
# Issue #16 bar: every zoo model in INT8 against its fp32 model, in one sitting.
#
#   bash bench/Quantize/zoo.sh [--zoo DIR] [--rounds R] [MODEL...]
#
# The zoo (all trained on Fashion-MNIST, 1x32x32): the shared ResNet-18 teacher, and the fp32 packages of a TinyViT,
# an EfficientNet and a MobileNetV3 student exported by `edge export` (default: DIR/*-fp32). Each is quantized by
# `edge quantize` with its defaults (--mode auto, the guarantee at batch 1 and 64, accuracy budget 0.3 pt on held-out
# training images), then Edge.Bench.Quantize measures fp32 and the INT8 package side by side: top-1 on the 10,000
# test images and batch-1 latency / batch-64 throughput as medians of R interleaved rounds (default 7), 2 threads.
set -euo pipefail
cd "$(dirname "$0")/../.."
zoo=runs/zoo; rounds=7; models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --zoo) zoo="$2"; shift ;; --rounds) rounds="$2"; shift ;;
    -*) echo "usage: $0 [--zoo DIR] [--rounds R] [MODEL...]" >&2; exit 2 ;;
    *) models+=("$1") ;;
  esac
  shift
done
[ ${#models[@]} -gt 0 ] || models=(models/fmnist-resnet18.onnx "$zoo"/*-fp32)
EDGE_BUILD_SLOT=bench dotnet build bench/Quantize -c Release --nologo -v q -clp:ErrorsOnly
bench=.slots/bench/bin/Edge.Bench.Quantize/release_linux-x64/Edge.Bench.Quantize
echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
for m in "${models[@]}"; do
  name=$(basename "${m%.onnx}"); name=${name%-fp32}
  onnx=$m; [ -d "$m" ] && onnx="$m/model.onnx"
  int8="$zoo/$name-int8"
  echo "== $name: edge quantize (auto)"
  start=$(date +%s)
  ./edge quantize --model "$m" --out "$int8" 2>&1 | grep -v '█\|░' | tail -6 || { echo "quantize refused $name"; continue; }
  echo "   (quantize took $(( $(date +%s) - start )) s)"
  echo "== $name: fp32 vs int8, $rounds interleaved rounds"
  "$bench" --model "$onnx" --test-count 10000 --rounds "$rounds" --variants "fp32,file:$int8/model.onnx" --out "$zoo/bench-$name" | tail -12
done
