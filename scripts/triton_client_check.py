#!/usr/bin/python3
"""Checks an Edge server with Triton's own Python client (tritonclient), gRPC and HTTP.

    PYTHONPATH=/path/to/tritonclient-package /usr/bin/python3 scripts/triton_client_check.py \
        --grpc localhost:8001 --http localhost:8000 [--classifier fmnist]

The client is not part of Edge: build it outside the repository (docs/SERVE.md, "Triton's client"). Without it on
PYTHONPATH this script prints why and exits 0 ("skipped"). The server must serve `simple` (models/repository/simple)
and, for the image-classifier checks, an Edge classifier (--classifier, taking FP32 [1, 1, 32, 32]).
Every check compares with values computed here (numpy), not with what the server says of itself. Prints one line per
check and a last line "N passed, N failed"; exits 1 when any failed.
"""
import argparse
import queue
import sys
import time

try:
    import numpy as np
    import tritonclient.grpc as grpcclient
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException
except ImportError as e:  # the client is built outside the repository
    print(f"skipped: Triton's Python client is not importable ({e}); see docs/SERVE.md")
    sys.exit(0)

results = []


def check(name, fn):
    try:
        fn()
        results.append((name, None))
        print(f"ok    {name}")
    except Exception as e:  # noqa: BLE001 - any failure is a failed check
        results.append((name, e))
        print(f"FAIL  {name}: {type(e).__name__}: {e}")


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def simple_inputs(module, binary=None):
    a = np.arange(16, dtype=np.int32).reshape(1, 16)
    b = np.full((1, 16), -3, dtype=np.int32)
    inputs = [module.InferInput("INPUT0", [1, 16], "INT32"), module.InferInput("INPUT1", [1, 16], "INT32")]
    if binary is None:
        inputs[0].set_data_from_numpy(a)
        inputs[1].set_data_from_numpy(b)
    else:
        inputs[0].set_data_from_numpy(a, binary_data=binary)
        inputs[1].set_data_from_numpy(b, binary_data=binary)
    return inputs, a, b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grpc", default="localhost:8001")
    ap.add_argument("--http", default="localhost:8000")
    ap.add_argument("--classifier", default="")
    args = ap.parse_args()
    g = grpcclient.InferenceServerClient(args.grpc)
    h = httpclient.InferenceServerClient(args.http)

    def health():
        expect(g.is_server_live() and g.is_server_ready() and g.is_model_ready("simple"), "gRPC health")
        expect(h.is_server_live() and h.is_server_ready() and h.is_model_ready("simple"), "HTTP health")
        expect(not g.is_model_ready("simple", "7") and not h.is_model_ready("simple", "7"), "version 7 reported ready")

    def metadata():
        for m in (g.get_model_metadata("simple", as_json=True), h.get_model_metadata("simple")):
            expect(m["name"] == "simple" and [i["name"] for i in m["inputs"]] == ["INPUT0", "INPUT1"], f"metadata {m}")
            expect([i["datatype"] for i in m["outputs"]] == ["INT32", "INT32"], f"output types {m}")
            expect([int(d) for d in m["inputs"][0]["shape"]] == [-1, 16], f"input shape {m}")
        s = h.get_server_metadata()
        expect("model_configuration" in s["extensions"] and "binary_tensor_data" in s["extensions"], f"extensions {s}")
        try:
            g.get_model_metadata("no_such_model")
            raise AssertionError("unknown model answered")
        except InferenceServerException as e:
            expect(e.status() == "StatusCode.NOT_FOUND", f"unknown model status {e.status()}")

    def config():
        c = g.get_model_config("simple").config
        expect(c.name == "simple" and c.platform == "onnxruntime_onnx" and c.max_batch_size > 0, f"gRPC config {c}")
        expect([list(i.dims) for i in c.input] == [[16], [16]], f"dims {c.input}")
        hc = h.get_model_config("simple")
        expect(hc["max_batch_size"] == c.max_batch_size and hc["input"][0]["data_type"] == "TYPE_INT32", f"HTTP config {hc}")

    def repository():
        names = {m.name for m in g.get_model_repository_index().models}
        expect("simple" in names, f"index {names}")
        expect({m["name"] for m in h.get_model_repository_index()} == names, "HTTP index differs")
        g.unload_model("simple")
        expect(not g.is_model_ready("simple"), "still ready after unload")
        state = {m["name"]: m.get("state") for m in h.get_model_repository_index()}
        expect(state.get("simple") == "UNAVAILABLE", f"index after unload {state}")
        h.load_model("simple", config='{"max_batch_size": 4}')
        expect(h.get_model_config("simple")["max_batch_size"] == 4, "override not applied")
        g.load_model("simple")
        expect(g.is_model_ready("simple") and g.get_model_config("simple").config.max_batch_size > 4, "reload without override")

    def infer_grpc_raw():
        inputs, a, b = simple_inputs(grpcclient)
        r = g.infer("simple", inputs, outputs=[grpcclient.InferRequestedOutput("OUTPUT0"), grpcclient.InferRequestedOutput("OUTPUT1")])
        expect(np.array_equal(r.as_numpy("OUTPUT0"), a + b) and np.array_equal(r.as_numpy("OUTPUT1"), a - b), "gRPC raw answer")

    def infer_grpc_typed():
        a = np.arange(32, dtype=np.int32).reshape(2, 16)
        req = grpcclient.service_pb2.ModelInferRequest(model_name="simple")
        for name, data in (("INPUT0", a), ("INPUT1", a)):
            t = req.inputs.add(name=name, datatype="INT32", shape=[2, 16])
            t.contents.int_contents[:] = data.flatten().tolist()
        resp = g._client_stub.ModelInfer(req)
        out = np.frombuffer(resp.raw_output_contents[0], dtype=np.int32).reshape(2, 16)
        expect(np.array_equal(out, 2 * a), "typed int_contents answer")

    def infer_http_json_and_binary():
        for binary in (False, True):
            inputs, a, b = simple_inputs(httpclient, binary=binary)
            outs = [httpclient.InferRequestedOutput("OUTPUT0", binary_data=binary), httpclient.InferRequestedOutput("OUTPUT1", binary_data=not binary)]
            r = h.infer("simple", inputs, outputs=outs, request_compression_algorithm="gzip" if binary else "deflate",
                        response_compression_algorithm="deflate" if binary else None)
            expect(np.array_equal(r.as_numpy("OUTPUT0"), a + b) and np.array_equal(r.as_numpy("OUTPUT1"), a - b), f"HTTP binary={binary}")
        inputs, a, b = simple_inputs(httpclient)
        r = h.infer("simple", inputs)  # no outputs named: binary_data_output for all
        expect(r.get_output("OUTPUT0")["parameters"]["binary_data_size"] == 64, "binary_data_output")

    def infer_async():
        inputs, a, b = simple_inputs(grpcclient)
        done = queue.Queue()
        g.async_infer("simple", inputs, lambda result, error: done.put((result, error)))
        result, error = done.get(timeout=30)
        expect(error is None and np.array_equal(result.as_numpy("OUTPUT0"), a + b), f"gRPC async {error}")
        inputs, a, b = simple_inputs(httpclient)
        r = h.async_infer("simple", inputs).get_result()
        expect(np.array_equal(r.as_numpy("OUTPUT1"), a - b), "HTTP async")

    def stream():
        answers = queue.Queue()
        g.start_stream(callback=lambda result, error: answers.put((result, error)))
        try:
            for k in range(5):
                a = np.full((1, 16), k, dtype=np.int32)
                ins = [grpcclient.InferInput("INPUT0", [1, 16], "INT32"), grpcclient.InferInput("INPUT1", [1, 16], "INT32")]
                ins[0].set_data_from_numpy(a)
                ins[1].set_data_from_numpy(a)
                g.async_stream_infer("simple", ins, request_id=str(k))
            bad = [grpcclient.InferInput("INPUT0", [1, 8], "INT32")]
            bad[0].set_data_from_numpy(np.zeros((1, 8), dtype=np.int32))
            g.async_stream_infer("simple", bad, request_id="bad")
            got = [answers.get(timeout=30) for _ in range(6)]
        finally:
            g.stop_stream()
        for k in range(5):
            result, error = got[k]
            expect(error is None and result.get_response().id == str(k), f"stream answer {k}: {error}")
            expect(np.array_equal(result.as_numpy("OUTPUT0"), np.full((1, 16), 2 * k, dtype=np.int32)), f"stream value {k}")
        expect(got[5][1] is not None and "INPUT1" in str(got[5][1]), f"stream error {got[5]}")

    def classification():
        a = np.array([[5, 1, 9, 3, 7, 0, 2, 8, 6, 4, 10, 11, 12, 13, 14, 15]], dtype=np.int32)
        for module, client in ((grpcclient, g), (httpclient, h)):
            ins = [module.InferInput("INPUT0", [1, 16], "INT32"), module.InferInput("INPUT1", [1, 16], "INT32")]
            ins[0].set_data_from_numpy(a)
            ins[1].set_data_from_numpy(np.zeros((1, 16), dtype=np.int32))
            r = client.infer("simple", ins, outputs=[module.InferRequestedOutput("OUTPUT0", class_count=3)])
            top = [x.decode() if isinstance(x, bytes) else x for x in r.as_numpy("OUTPUT0").flatten()]
            expect(top == ["15:15", "14:14", "13:13"], f"{module.__name__} classification {top}")
        if args.classifier:
            x = np.random.default_rng(7).random((1, 1, 32, 32), dtype=np.float32)
            ins = [grpcclient.InferInput("input", [1, 1, 32, 32], "FP32")]
            ins[0].set_data_from_numpy(x)
            logits = g.infer(args.classifier, ins).as_numpy("logits")[0].astype(np.float64)
            p = np.exp(logits - logits.max())
            p /= p.sum()
            r = g.infer(args.classifier, ins, outputs=[grpcclient.InferRequestedOutput("logits", class_count=2)])
            top = [x.decode().split(":") for x in r.as_numpy("logits").flatten()]
            order = np.argsort(-p)[:2]
            expect([int(t[1]) for t in top] == list(order), f"classifier top-2 {top} vs {order}")
            expect(all(abs(float(t[0]) - p[int(t[1])]) < 1e-5 for t in top), f"probabilities {top} vs {p[order]}")
            expect(all(len(t) == 3 and t[2] for t in top), f"labels {top}")

    def statistics():
        before = g.get_inference_statistics("simple", as_json=True)["model_stats"][0]
        n0 = int(before["inference_stats"]["success"].get("count", 0))
        inputs, _, _ = simple_inputs(grpcclient)
        for _ in range(3):
            g.infer("simple", inputs)
        after = h.get_inference_statistics("simple")["model_stats"][0]
        expect(after["inference_stats"]["success"]["count"] == n0 + 3, f"success count {n0} -> {after['inference_stats']['success']}")
        expect(after["inference_count"] >= 3 and after["execution_count"] >= 1 and after["batch_stats"], f"counts {after}")
        expect(after["inference_stats"]["compute_infer"]["ns"] > 0 and after["last_inference"] > 0, "times")
        bad = [grpcclient.InferInput("INPUT0", [1, 16], "FP32")]
        bad[0].set_data_from_numpy(np.zeros((1, 16), dtype=np.float32))
        try:
            g.infer("simple", bad)
        except InferenceServerException as e:
            expect(e.status() == "StatusCode.INVALID_ARGUMENT", f"bad datatype status {e.status()}")
        fails = h.get_inference_statistics("simple")["model_stats"][0]["inference_stats"]["fail"]["count"]
        expect(fails >= 1, "failure not counted")

    for name, fn in (("health", health), ("metadata", metadata), ("config", config), ("repository index/load/unload", repository),
                     ("infer gRPC raw", infer_grpc_raw), ("infer gRPC typed", infer_grpc_typed),
                     ("infer HTTP JSON + binary data + compression", infer_http_json_and_binary), ("async", infer_async),
                     ("stream", stream), ("classification", classification), ("statistics", statistics)):
        check(name, fn)
    failed = sum(1 for _, e in results if e is not None)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
