#!/usr/bin/env bash
# Streaming distillation on a dataset that does not fit in memory, and the streaming loader's cost where it does.
#
#   bash bench/Streaming/run.sh [--out DIR] [--steps N] [--batch B] [--size S] [--rounds R]
#
# 1. Writes Fashion-MNIST as an RGB JPEG image folder at SxS (default 224; train/ and test/ with a labels file;
#    60k + 10k images, 9 GB once decoded) unless it is already there, and imports the RGB 96x96 test teacher.
# 2. RSS: distills a tinyvit-quick-32 student at SxS RGB for N steps (default 300) of batch B (default 32) with the
#    training split streamed (--data-memory stream), under /usr/bin/time -v: prints the peak RSS.
# 3. Throughput: on a 2,048-image split that fits in memory, R interleaved rounds (default 3) of one epoch held in
#    memory and one streamed, same seed; prints each round's img/s and the median ratio streamed / in memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=runs/bench-streaming; steps=300; batch=32; size=224; rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift ;; --steps) steps="$2"; shift ;; --batch) batch="$2"; shift ;;
    --size) size="$2"; shift ;; --rounds) rounds="$2"; shift ;;
    *) echo "usage: $0 [--out DIR] [--steps N] [--batch B] [--size S] [--rounds R]" >&2; exit 2 ;;
  esac
  shift
done
py=/usr/bin/python3
data="$out/jpeg$size"
mkdir -p "$out"
[ -f "$data/labels.txt" ] || $py scripts/datasets/make_image_folder.py "$data" --size "$size"
[ -f "$out/teachers/rgb96-logits.onnx" ] || $py scripts/teachers/make_test_teachers.py "$out/teachers" > /dev/null
[ -f "$out/teacher/manifest.json" ] || ./edge import "$out/teachers/rgb96-logits.onnx" --out "$out/teacher" --data fashion-mnist --mean inception --std inception > /dev/null
common=(--teacher "$out/teacher" --data "$data" --labels labels.txt --student tinyvit-quick-32 --student-size "$size" --batch-size "$batch"
        --teacher-samples 0 --test-samples 256 --agreement-samples 256 --no-plots --epochs 1)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== peak RSS: $steps steps of $batch at ${size}x${size} RGB, training split streamed"
/usr/bin/time -v ./edge distill "${common[@]}" --train-samples $((steps * batch)) --data-memory stream --out "$out/rss" > "$out/rss.log" 2> "$out/rss.time"
rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$out/rss.time")
ips=$($py -c "import json; print(round(json.loads(open('$out/rss/metrics.jsonl').readlines()[-1])['train_images_per_second'], 1))")
echo "peak RSS $((rss_kb / 1024)) MiB over $steps steps ($ips img/s); data path: $($py -c "import json; print(json.load(open('$out/rss/run.json'))['result']['data_path'])")"

echo "== throughput: 2048 images, $rounds interleaved rounds, in memory vs streamed"
ratios=()
for r in $(seq 1 "$rounds"); do
  for mode in memory stream; do
    ./edge distill "${common[@]}" --train-samples 2048 --data-memory $mode --out "$out/tp-$mode-$r" > "$out/tp-$mode-$r.log" 2>&1
  done
  m=$($py -c "import json; print(json.loads(open('$out/tp-memory-$r/metrics.jsonl').readline())['train_images_per_second'])")
  s=$($py -c "import json; print(json.loads(open('$out/tp-stream-$r/metrics.jsonl').readline())['train_images_per_second'])")
  ratio=$($py -c "print(round($s / $m, 3))")
  ratios+=("$ratio")
  echo "round $r: in memory $(printf %.1f "$m") img/s, streamed $(printf %.1f "$s") img/s, ratio $ratio"
done
joined=$(IFS=,; echo "${ratios[*]}")
echo "median ratio streamed / in memory: $($py -c "import statistics; print(statistics.median([$joined]))")"
