#!/usr/bin/env bash
# Publishes the standalone server (Edge.Serve) self-contained for linux-x64 and linux-arm64 and prints the sizes.
#   deploy/publish.sh [out-dir]          default out-dir: out/serve
#   EDGE_TRIM=0 deploy/publish.sh        untrimmed builds only
#   EDGE_RIDS=linux-x64 deploy/publish.sh  one architecture
# Trimming: TrimMode=partial trims only assemblies that declare themselves trimmable (the .NET and ASP.NET Core
# framework); Edge, Google.Protobuf descriptors, gRPC JSON transcoding and prometheus-net are kept whole, because
# they use reflection (manifest JSON, message descriptors). A full trim is not safe. The analyzer's warnings are
# about those kept assemblies, so they are silenced for the partial build, and each linux-x64 build is smoke-tested:
# started on loopback with the default teacher and asked for readiness, metadata and one REST inference.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/out/serve}"
slot="${EDGE_BUILD_SLOT:-serve-publish}"
cd "$root"
mkdir -p "$out"
# Starts a published server on free loopback ports with models/fmnist-resnet18 and checks it answers; prints ok/FAIL.
smoke_test() {
  local dir="$1" repo port_grpc port_http pid ok=FAIL
  repo=$(mktemp -d)
  mkdir -p "$repo/fmnist/1"
  ln -s "$root/models/fmnist-resnet18.onnx" "$repo/fmnist/1/model.onnx"
  sed 's/"model_file": "fmnist-resnet18.onnx"/"model_file": "model.onnx"/; s/"name": "fmnist-resnet18"/"name": "fmnist"/' \
    "$root/models/fmnist-resnet18.manifest.json" > "$repo/fmnist/1/manifest.json"
  port_grpc=$((20000 + RANDOM % 20000)); port_http=$((port_grpc + 1))
  "$dir/Edge.Serve" --repository "$repo" --grpc-port "$port_grpc" --http-port "$port_http" --threads 1 --max-batch 4 > "$repo/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    if "$dir/Edge.Serve" --probe "http://127.0.0.1:$port_http/v2/health/ready" 2>/dev/null; then
      if curl -sf "http://127.0.0.1:$port_http/v2/models/fmnist" | grep -q '"inputs"' \
        && curl -sf -X POST -H 'content-type: application/json' \
             -d "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,1,32,32],\"data\":[$(seq -s, 1 1024 | sed 's/[0-9]\+/0.5/g')]}]}" \
             "http://127.0.0.1:$port_http/v2/models/fmnist/infer" | grep -q '"logits"'; then ok=ok; fi
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  [[ "$ok" == ok ]] || cp "$repo/log" "$dir.smoke.log"
  rm -rf "$repo"
  echo "$ok"
}

printf '%-14s %-9s %10s %8s  %-6s %s\n' "rid" "trim" "size" "files" "smoke" "folder"
for rid in ${EDGE_RIDS:-linux-x64 linux-arm64}; do
  modes=(none)
  [[ "${EDGE_TRIM:-1}" == 1 ]] && modes+=(partial)
  for trim in "${modes[@]}"; do
    dir="$out/$rid-$trim"
    rm -rf "$dir"
    args=(-c Release -r "$rid" --self-contained true -p:DebugType=none -p:InvariantGlobalization=true -o "$dir")
    [[ "$trim" != none ]] && args+=(-p:PublishTrimmed=true -p:TrimMode="$trim" -p:SuppressTrimAnalysisWarnings=true
      -p:JsonSerializerIsReflectionEnabledByDefault=true)  # manifests are read by reflection (Edge.Core is kept whole)
    # The trimmer's incremental check ignores feature-switch changes: always re-link.
    rm -rf "$root/.slots/$slot-$rid-$trim/obj/Edge.Serve/"*/linked
    if ! EDGE_BUILD_SLOT="$slot-$rid-$trim" dotnet publish src/Serve/Edge.Serve.csproj "${args[@]}" -v quiet -nologo > "$out/$rid-$trim.log" 2>&1; then
      echo "$rid $trim: publish failed, see $out/$rid-$trim.log" >&2
      continue
    fi
    rm -f "$dir"/*.pdb
    size=$(du -sb "$dir" | cut -f1)
    files=$(find "$dir" -type f | wc -l)
    smoke="-"
    [[ "$rid" == "linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')" ]] && smoke=$(smoke_test "$dir")
    printf '%-14s %-9s %8.1f MB %8d  %-6s %s\n' "$rid" "$trim" "$(echo "$size / 1000000" | bc -l)" "$files" "$smoke" "$dir"
  done
done
