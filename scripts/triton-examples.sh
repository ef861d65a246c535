#!/usr/bin/env bash
# Runs Triton's own Python example clients, unmodified, against Edge's server, and then
# scripts/triton_client_check.py (Triton's client API, gRPC and HTTP). The client is not part of Edge: build it
# outside the repository first (docs/SERVE.md, "Triton's client") and pass its examples folder:
#
#   PYTHONPATH=/tmp/triton/pkg bash scripts/triton-examples.sh /tmp/triton/client/src/python/examples
#
# Without the client on PYTHONPATH it prints why and exits 0 ("skipped"). Last line: "N passed, N failed".
#
# The repository it serves is the one Triton's examples expect of a server: `simple` (models/repository/simple) and
# the other test models of scripts/make_test_models.py, plus the Fashion-MNIST classifier. Two of the examples check
# the size of the repository index of Triton's own test setup (simple_grpc_model_control.py: 8 models,
# simple_http_model_control.py: 7), so the HTTP one runs against a second server without simple_fp64.
# Examples that need shared memory, sequences, custom backends or image models other than these are not run
# (docs/SERVE.md lists them and why).
set -uo pipefail
cd "$(dirname "$0")/.."
examples="${1:?usage: PYTHONPATH=<tritonclient package> bash scripts/triton-examples.sh <client>/src/python/examples}"
py=/usr/bin/python3
if ! $py -c 'import tritonclient.grpc, tritonclient.http' 2>/dev/null; then
  echo "skipped: Triton's Python client is not importable (PYTHONPATH=${PYTHONPATH:-}); see docs/SERVE.md"
  exit 0
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT

EDGE_BUILD_SLOT=examples dotnet build src/Serve -c Release --nologo --verbosity quiet -clp:ErrorsOnly || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
server=.slots/examples/bin/Edge.Serve/release_linux-x64/Edge.Serve

make_repo() { # folder, models...
  local repo=$1; shift
  mkdir -p "$repo/simple/1" "$repo/fmnist/1"
  cp models/repository/simple/1/model.onnx "$repo/simple/1/"
  $py scripts/make_test_models.py --out "$repo" --models "$(IFS=,; echo "$*")" >/dev/null
  cp models/fmnist-resnet18.onnx "$repo/fmnist/1/model.onnx"
  $py -c "import json,sys; m=json.load(open('models/fmnist-resnet18.manifest.json')); m['name']='fmnist'; m['model_file']='model.onnx'; json.dump(m, open(sys.argv[1], 'w'))" "$repo/fmnist/1/manifest.json"
}
make_repo "$work/grpc" simple_int8 simple_string simple_identity simple_fp16 simple_fp32 simple_fp64
make_repo "$work/http" simple_int8 simple_string simple_identity simple_fp16 simple_fp32

start() { # repo, grpc port, http port
  "$server" --repository "$1" --grpc-port "$2" --http-port "$3" --threads 1 --server-name triton --poll-seconds 0 > "$work/server-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$3/v2/health/ready" >/dev/null && return 0; sleep 0.5; done
  echo "server on $2 did not become ready:"; cat "$work/server-$2.log"; return 1
}
start "$work/grpc" 18101 18100 || { echo "0 passed, 1 failed"; exit 1; }
start "$work/http" 18201 18200 || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0
run() { # url, script
  if timeout 120 $py "$examples/$2" -u "$1" > "$work/$2.log" 2>&1; then
    passed=$((passed + 1)); echo "ok    $2"
  else
    failed=$((failed + 1)); echo "FAIL  $2"; tail -5 "$work/$2.log"
  fi
}
for s in simple_grpc_health_metadata.py simple_grpc_infer_client.py simple_grpc_async_infer_client.py simple_grpc_aio_infer_client.py \
         simple_grpc_custom_args_client.py simple_grpc_keepalive_client.py grpc_explicit_int_content_client.py \
         grpc_explicit_int8_content_client.py grpc_explicit_byte_content_client.py simple_grpc_string_infer_client.py simple_grpc_model_control.py; do
  run 127.0.0.1:18101 "$s"
done
# The model control examples leave `simple` unloaded (its last call unloads it): load it back.
curl -sf -X POST http://127.0.0.1:18100/v2/repository/models/simple/load >/dev/null
for s in simple_http_health_metadata.py simple_http_infer_client.py simple_http_async_infer_client.py simple_http_aio_infer_client.py \
         simple_http_string_infer_client.py; do
  run 127.0.0.1:18100 "$s"
done
run 127.0.0.1:18200 simple_http_model_control.py
if $py scripts/triton_client_check.py --grpc 127.0.0.1:18101 --http 127.0.0.1:18100 --classifier fmnist > "$work/check.log" 2>&1; then
  passed=$((passed + 1)); echo "ok    scripts/triton_client_check.py ($(tail -1 "$work/check.log"))"
else
  failed=$((failed + 1)); echo "FAIL  scripts/triton_client_check.py"; cat "$work/check.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
