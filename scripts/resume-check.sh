#!/usr/bin/env bash
# Issue #3's resume bar, end to end with a real kill: train a short run uninterrupted, train the same run again,
# SIGKILL it in the middle of epoch K, resume it with --resume, and compare the final metrics of the two runs.
# Usage: scripts/resume-check.sh [EPOCHS=3] [KILL_EPOCH=2]; EDGE=path/to/edge to use another build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
edge="${EDGE:-$root/edge}"
epochs="${1:-3}"; kill_epoch="${2:-2}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
args=(distill --student tinyvit-quick-32 --epochs "$epochs" --train-samples 6000 --teacher-samples 2000
      --test-samples 1000 --agreement-samples 500 --no-plots --seed 7)

echo "resume-check: uninterrupted run"
"$edge" "${args[@]}" --out "$work/a" > "$work/a.log" 2>&1

echo "resume-check: run to be killed during epoch $kill_epoch"
"$edge" "${args[@]}" --out "$work/b" > "$work/b.log" 2>&1 &
pid=$!
# Epoch K-1 is complete once its line is in metrics.jsonl; then let epoch K get under way and kill without warning.
epochs_done() { if [ -f "$work/b/metrics.jsonl" ]; then wc -l < "$work/b/metrics.jsonl"; else echo 0; fi; }
until [ "$(epochs_done)" -ge $((kill_epoch - 1)) ]; do
  kill -0 "$pid" 2>/dev/null || { echo "resume-check: the run to be killed exited early; see its log:" >&2; tail -5 "$work/b.log" >&2; exit 2; }
  sleep 0.5
done
sleep 3
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
done_epochs=$(epochs_done)
echo "resume-check: killed with $done_epochs epoch(s) in metrics.jsonl; resuming"
[ "$done_epochs" -lt "$epochs" ] || { echo "resume-check: the run finished before the kill; nothing was tested" >&2; exit 2; }
"$edge" "${args[@]}" --out "$work/b" --resume > "$work/b-resume.log" 2>&1

python3 - "$work/a/metrics.jsonl" "$work/b/metrics.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
worst = 0.0
for x, y in zip(a, b):
    for key in ("train_loss", "test_top1", "teacher_agreement"):
        d = abs(x[key] - y[key]); worst = max(worst, d)
        print(f"epoch {x['epoch']} {key}: uninterrupted {x[key]:.6f}  killed+resumed {y[key]:.6f}  |diff| {d:.2e}")
ok = len(a) == len(b) and worst <= 1e-4
print(f"resume-check: {'PASS' if ok else 'FAIL'} ({len(b)} of {len(a)} epochs compared, largest |diff| {worst:.2e})")
sys.exit(0 if ok else 1)
PY
