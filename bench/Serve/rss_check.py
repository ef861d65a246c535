#!/usr/bin/python3
"""RSS of a running Edge server around large and bad requests, over REST or gRPC.

    /usr/bin/python3 bench/Serve/rss_check.py --pid PID --http 127.0.0.1:8000 --model fmnist [--mb 15] [--bad 2000]
    /usr/bin/python3 bench/Serve/rss_check.py --pid PID --model simple_fp32 --inputs INPUT0,INPUT1 --dims 16
    /usr/bin/python3 bench/Serve/rss_check.py --pid PID --grpc 127.0.0.1:8001 --model simple_fp32 --inputs INPUT0,INPUT1 --dims 16

1. 50 small requests, then the server's RSS ("before");
2. three requests of --mb MB each (FP32 [n, *dims] for each of --inputs; default one input "input" of 1x32x32, the
   Fashion-MNIST classifier) and 20 small ones, then the server's RSS at each of --at seconds after them (default
   5, 70 and 180 s); the figure at 70 s is the one issue #15's bar reads ("after large");
3. --bad invalid requests of eight kinds (wrong datatype, shape, byte count, unknown model, bad JSON, oversize body,
   bad gzip, impossible batch), each checked for its status, then RSS ("after bad"). These are REST requests.
REST requests carry binary tensor data (standard library only). With --grpc the small and large requests are
ModelInfer calls with raw_input_contents, as Triton's client sends them, from stubs that Debian's protoc and
grpc_python_plugin generate from protos/triton into a temporary folder (as tests/Serve.Tests/PythonClient does;
python3-grpcio, protobuf-compiler, protobuf-compiler-grpc). With --http given as well, step 3 still runs over REST;
without it, --bad defaults to 0.
Prints the RSS figures and their change (and, when --http is given, the server's edge_gc_* and edge_buffer_pool_* gauges); exits 1 when a
status was not the expected one.
"""
import argparse
import http.client
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_oversize(address, path, length):
    """Announces a body over the limit and waits for the answer (the server refuses it before it is sent)."""
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.putrequest("POST", path)
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, b""


def infer_binary(base, model, inputs, dims, n):
    per = 1
    for d in dims:
        per *= d
    header = json.dumps({"inputs": [{"name": name, "shape": [n, *dims], "datatype": "FP32", "parameters": {"binary_data_size": n * per * 4}} for name in inputs],
                         "parameters": {"binary_data_output": True}}).encode()
    data = (struct.pack("<f", 0.25) * (n * per)) * len(inputs)
    return post(f"{base}/v2/models/{model}/infer", header + data, {"Inference-Header-Content-Length": str(len(header))})


def grpc_client(address):
    """ModelInfer over gRPC from stubs generated now from protos/triton; returns infer(model, inputs, dims, n)."""
    protos = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "protos", "triton")
    out = tempfile.mkdtemp(prefix="rss-grpc-")
    subprocess.run(["/usr/bin/protoc", f"-I{protos}", f"--python_out={out}", f"--grpc_python_out={out}",
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    os.path.join(protos, "grpc_service.proto"), os.path.join(protos, "model_config.proto")], check=True)
    sys.path.insert(0, out)
    import grpc
    import grpc_service_pb2 as pb
    import grpc_service_pb2_grpc as pb_grpc
    # Triton's client lifts gRPC's 4 MB default message limits the same way.
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)])
    stub = pb_grpc.GRPCInferenceServiceStub(channel)

    def infer(model, inputs, dims, n):
        per = 1
        for d in dims:
            per *= d
        r = pb.ModelInferRequest(model_name=model)
        data = struct.pack("<f", 0.25) * (n * per)
        for name in inputs:
            r.inputs.add(name=name, datatype="FP32", shape=[n, *dims])
            r.raw_input_contents.append(data)
        answer = stub.ModelInfer(r, timeout=300)
        return 200, answer

    return infer


def gc_gauges(address):
    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return ""
    found = {}
    for line in text.splitlines():
        for name in ("edge_gc_heap_bytes", "edge_gc_committed_bytes", "edge_buffer_pool_idle_bytes", "edge_buffer_pool_dropped_bytes_total"):
            if line.startswith(name + " "):
                found[name] = float(line.split()[1]) / 1e6
    return ", ".join(f"{k.replace('edge_', '').replace('_bytes', '')} {v:.1f} MB" for k, v in found.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--http", default=None, help="REST address (default 127.0.0.1:8000 unless --grpc is given)")
    ap.add_argument("--grpc", default=None, help="send the small and large requests over gRPC to this address")
    ap.add_argument("--at", default="5,70,180", help="seconds after the large requests at which RSS is read")
    ap.add_argument("--model", default="fmnist")
    ap.add_argument("--mb", type=float, default=15)
    ap.add_argument("--bad", type=int, default=None, help="invalid REST requests (default 2000; 0 with --grpc and no --http)")
    ap.add_argument("--limit-mb", type=int, default=16, help="the server's --max-message-mb")
    ap.add_argument("--inputs", default="input")
    ap.add_argument("--dims", default="1,32,32")
    a = ap.parse_args()
    if a.http is None and a.grpc is None:
        a.http = "127.0.0.1:8000"
    if a.bad is None:
        a.bad = 2000 if a.http else 0
    base = f"http://{a.http}"
    if a.grpc:
        infer = grpc_client(a.grpc)
        via = f"gRPC {a.grpc}"
    else:
        infer = lambda model, inputs, dims, n: infer_binary(base, model, inputs, dims, n)  # noqa: E731
        via = f"REST {a.http}"
    at = [float(t) for t in a.at.split(",")]
    inputs = a.inputs.split(",")
    dims = [int(d) for d in a.dims.split(",")]
    per = 1
    for d in dims:
        per *= d
    for _ in range(50):
        assert infer(a.model, inputs, dims, 1)[0] == 200
    time.sleep(3)
    before = rss_mb(a.pid)
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, {via}, load average {os.getloadavg()[0]:.1f}: RSS before {before:.1f} MB"
          + (f" ({gc_gauges(a.http)})" if a.http else ""), flush=True)
    n = int(a.mb * 1024 * 1024 // (4 * per * len(inputs)))
    peak = before
    for _ in range(3):
        status, body = infer(a.model, inputs, dims, n)
        assert status == 200, (status, body[:200])
        peak = max(peak, rss_mb(a.pid))
    for _ in range(20):
        infer(a.model, inputs, dims, 1)
    done = time.monotonic()
    print(f"  3 x {a.mb:g} MB requests ([{n}, {', '.join(map(str, dims))}] x {len(inputs)} inputs): RSS {peak:.1f} MB right after the largest", flush=True)
    after_large = before
    for t in at:
        time.sleep(max(0.0, done + t - time.monotonic()))
        rss = rss_mb(a.pid)
        if t == 70 or 70 not in at:
            after_large = rss
        print(f"  +{t:g} s: RSS {rss:.1f} MB ({(rss - before) / before * 100:+.1f}%), load average {os.getloadavg()[0]:.1f}"
              + (f" ({gc_gauges(a.http)})" if a.http else ""), flush=True)
    print(f"RSS before {before:.0f} MB; after 3 x {a.mb:g} MB requests (+70 s) {after_large:.0f} MB ({(after_large - before) / before * 100:+.1f}%)", flush=True)
    if a.bad == 0:
        return 0

    shape = json.dumps([1, *dims])
    good = json.dumps({"inputs": [{"name": name, "shape": [1, *dims], "datatype": "FP32", "data": [0.5] * per} for name in inputs]})
    cases = [
        (f"/v2/models/{a.model}/infer", good.replace('"FP32"', '"FP64"').encode(), {}, 400),
        (f"/v2/models/{a.model}/infer", good.replace(shape, json.dumps([1, *dims[:-1], dims[-1] * 2])).encode(), {}, 400),
        (f"/v2/models/{a.model}/infer", good.replace(shape, json.dumps([2, *dims])).encode(), {}, 400),
        ("/v2/models/no_such_model/infer", good.encode(), {}, 404),
        (f"/v2/models/{a.model}/infer", b"{not json", {}, 400),
        (f"/v2/models/{a.model}/infer", None, {}, 413),
        (f"/v2/models/{a.model}/infer", b"\x1f\x8b not gzip", {"Content-Encoding": "gzip"}, 400),
        (f"/v2/models/{a.model}/infer", good.replace(shape, json.dumps([100000000, *dims])).encode(), {}, 400),
    ]
    wrong = 0
    for i in range(a.bad):
        path, body, headers, expected = cases[i % len(cases)]
        if body is None:
            status, _ = post_oversize(a.http, path, a.limit_mb * 1024 * 1024 + 1)
        else:
            status, _ = post(base + path, body, headers)
        if status != expected:
            wrong += 1
            print(f"case {i % len(cases)}: status {status}, expected {expected}", file=sys.stderr)
    time.sleep(5)
    after_bad = rss_mb(a.pid)
    print(f"RSS after {a.bad} bad requests {after_bad:.0f} MB ({(after_bad - after_large) / after_large * 100:+.1f}% vs after large); wrong statuses: {wrong}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
