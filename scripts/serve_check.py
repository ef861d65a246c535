#!/usr/bin/env python3
"""Classifies images through a running `edge serve` over the KServe v2 gRPC protocol (ModelInfer with a BYTES input:
the encoded files, preprocessed by the server from the model's manifest) and prints the accuracy against the image
folder's labels. The client is generated from protos/kserve/grpc_predict_v2.proto with Debian's python3-grpc-tools.

  serve_check.py --address 127.0.0.1:8001 --model NAME --package PKG --data FOLDER [--count 64] [--min-accuracy 0.5]

FOLDER holds one subfolder per class (a labels.txt beside them may map folder names to labels); PKG's manifest gives
the model's labels in output order. Exit 0 when the accuracy reaches --min-accuracy, 1 otherwise.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stubs(into):
    protos = os.path.join(ROOT, "protos", "kserve")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{protos}", f"--python_out={into}", f"--grpc_python_out={into}",
                    os.path.join(protos, "grpc_predict_v2.proto")], check=True)
    sys.path.insert(0, into)


def labelled_images(folder, count):
    mapping = {}
    labels_file = os.path.join(os.path.dirname(folder.rstrip("/")), "labels.txt")
    for candidate in [os.path.join(folder, "labels.txt"), labels_file]:
        if os.path.exists(candidate):
            for line in open(candidate):
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, v = line.split("=", 1)
                    mapping[k.strip()] = v.strip()
            break
    items = []
    for cls in sorted(os.listdir(folder)):
        path = os.path.join(folder, cls)
        if os.path.isdir(path):
            items += [(os.path.join(path, f), mapping.get(cls, cls)) for f in sorted(os.listdir(path))]
    items.sort(key=lambda x: os.path.basename(x[0]))  # interleave classes deterministically
    return items[:count]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--package", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--min-accuracy", type=float, default=0.5)
    ap.add_argument("--wait", type=float, default=60, help="seconds to wait for the server to be ready")
    a = ap.parse_args()
    manifest = json.load(open(os.path.join(a.package, "manifest.json")))
    labels = manifest["labels"]
    with tempfile.TemporaryDirectory() as tmp:
        stubs(tmp)
        import grpc
        import grpc_predict_v2_pb2 as pb
        import grpc_predict_v2_pb2_grpc as pb_grpc
        with grpc.insecure_channel(a.address) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            deadline = time.time() + a.wait
            while True:
                try:
                    if stub.ModelReady(pb.ModelReadyRequest(name=a.model)).ready:
                        break
                except grpc.RpcError:
                    pass
                if time.time() > deadline:
                    print(f"serve_check: model {a.model} at {a.address} was not ready within {a.wait:.0f} s", file=sys.stderr)
                    return 1
                time.sleep(0.5)
            meta = stub.ModelMetadata(pb.ModelMetadataRequest(name=a.model))
            items = labelled_images(a.data, a.count)
            request = pb.ModelInferRequest(model_name=a.model, id="serve-check")
            tensor = request.inputs.add(name=meta.inputs[0].name, datatype="BYTES", shape=[len(items)])
            for path, _ in items:
                tensor.contents.bytes_contents.append(open(path, "rb").read())
            response = stub.ModelInfer(request)
            raw = response.raw_output_contents[0] if response.raw_output_contents else None
            values = list(struct.unpack("<%df" % (len(raw) // 4), raw)) if raw else list(response.outputs[0].contents.fp32_contents)
            k = len(labels)
            correct = 0
            for i, (_, truth) in enumerate(items):
                row = values[i * k:(i + 1) * k]
                correct += labels[row.index(max(row))] == truth
    accuracy = correct / max(1, len(items))
    print(f"serve_check: {a.model} at {a.address}: {correct}/{len(items)} correct ({accuracy:.1%}) through ModelInfer with encoded images")
    return 0 if accuracy >= a.min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
