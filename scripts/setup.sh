#!/usr/bin/env bash
# Installs what Edge needs on a fresh Debian 12 machine: the Fashion-MNIST dataset package, Python gRPC and
# Debian's protoc with its gRPC Python plugin (for the protocol-compatibility tests with clients built only from the
# published KServe v2 and Triton protos), python3-onnx (scripts/make_test_models.py), and the NuGet packages.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
/usr/bin/python3 -c 'import grpc, grpc_tools' >/dev/null 2>&1 || need+=(python3-grpcio python3-grpc-tools)
[ -x /usr/bin/protoc ] || need+=(protobuf-compiler)
[ -x /usr/bin/grpc_python_plugin ] || need+=(protobuf-compiler-grpc)
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dot.net); it is not on PATH" >&2
  exit 2
fi
echo "setup: restoring NuGet packages"
dotnet restore Edge.sln --verbosity quiet
