#!/usr/bin/env bash
# Issue #13 bar: a student distilled from a softmax-output teacher reaches the accuracy of the same student distilled
# from that teacher's logits form (same seed and schedule, within 0.5 pt).
#
#   bash bench/AnyTeacher/softmax-vs-logits.sh [--out DIR] [--train N] [--epochs E] [--seeds "0 1"]
#
# Both teachers are the shared ResNet-18 wrapped as an RGB 64x64 ImageNet-normalised model (scripts/teachers/
# make_test_teachers.py): one ends in Softmax (`prob`), the other returns the logits. Each is imported with `edge
# import` (which detects the output kind from the graph), then the same tinyvit-quick-32 student (RGB 32 px, another
# resolution than the teacher's) is distilled from each with the same seed, data subset and schedule, and evaluated
# on all 10,000 test images. Prints one line per run and the difference per seed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=runs/bench-softmax-vs-logits; train=20000; epochs=4; seeds="0"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift ;; --train) train="$2"; shift ;; --epochs) epochs="$2"; shift ;; --seeds) seeds="$2"; shift ;;
    *) echo "usage: $0 [--out DIR] [--train N] [--epochs E] [--seeds \"0 1\"]" >&2; exit 2 ;;
  esac
  shift
done
py=/usr/bin/python3
mkdir -p "$out"
[ -f "$out/teachers/rgb64-softmax.onnx" ] || $py scripts/teachers/make_test_teachers.py "$out/teachers" > /dev/null
for form in softmax logits; do
  [ -f "$out/rgb64-$form/manifest.json" ] || ./edge import "$out/teachers/rgb64-$form.onnx" --out "$out/rgb64-$form" \
    --data fashion-mnist --mean imagenet --std imagenet > /dev/null
  echo "rgb64-$form: output kind $($py -c "import json; print(json.load(open('$out/rgb64-$form/manifest.json'))['output']['kind'])")"
done
echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for seed in $seeds; do
  for form in softmax logits; do
    run="$out/seed$seed-$form"
    ./edge distill --teacher "$out/rgb64-$form" --data fashion-mnist --student tinyvit-quick-32 --student-size 32 \
      --train-samples "$train" --epochs "$epochs" --seed "$seed" --teacher-samples 0 --test-samples 10000 \
      --agreement-samples 2000 --no-plots --out "$run" > "$run.log" 2>&1
    $py - "$run" "$form" "$seed" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/run.json"))["result"]
print(f"seed {sys.argv[3]} {sys.argv[2]:7s}: top-1 {100 * r['test_top1']:.2f}%  agreement {100 * r['teacher_agreement']:.2f}%  "
      f"({r['train_images_per_second']:.0f} img/s, {r['total_seconds']:.0f} s)")
PY
  done
  $py - "$out/seed$seed-softmax" "$out/seed$seed-logits" "$seed" <<'PY'
import json, sys
s, l = (json.load(open(p + "/run.json"))["result"]["test_top1"] for p in sys.argv[1:3])
print(f"seed {sys.argv[3]}: softmax - logits = {100 * (s - l):+.2f} pt (bar: within 0.5)")
PY
done
