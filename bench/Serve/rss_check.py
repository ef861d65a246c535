#!/usr/bin/python3
"""RSS of a running Edge server around large and bad requests (REST, standard library only).

    /usr/bin/python3 bench/Serve/rss_check.py --pid PID --http 127.0.0.1:8000 --model fmnist [--mb 15] [--bad 2000]
    /usr/bin/python3 bench/Serve/rss_check.py --pid PID --model simple_fp32 --inputs INPUT0,INPUT1 --dims 16

1. 50 small requests, then the server's RSS ("before");
2. three requests of --mb MB each (binary FP32 [n, *dims] for each of --inputs; default one input "input" of
   1x32x32, the Fashion-MNIST classifier), then 70 s for the server's scheduled collections, then RSS ("after large");
3. --bad invalid requests of eight kinds (wrong datatype, shape, byte count, unknown model, bad JSON, oversize body,
   bad gzip, impossible batch), each checked for its status, then RSS ("after bad").
Prints the three RSS figures and their change; exits 1 when a status was not the expected one.
"""
import argparse
import http.client
import json
import struct
import sys
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--http", default="127.0.0.1:8000")
    ap.add_argument("--model", default="fmnist")
    ap.add_argument("--mb", type=float, default=15)
    ap.add_argument("--bad", type=int, default=2000)
    ap.add_argument("--limit-mb", type=int, default=16, help="the server's --max-message-mb")
    ap.add_argument("--inputs", default="input")
    ap.add_argument("--dims", default="1,32,32")
    a = ap.parse_args()
    base = f"http://{a.http}"
    inputs = a.inputs.split(",")
    dims = [int(d) for d in a.dims.split(",")]
    per = 1
    for d in dims:
        per *= d
    for _ in range(50):
        assert infer_binary(base, a.model, inputs, dims, 1)[0] == 200
    time.sleep(3)
    before = rss_mb(a.pid)
    n = int(a.mb * 1024 * 1024 // (4 * per * len(inputs)))
    for _ in range(3):
        status, body = infer_binary(base, a.model, inputs, dims, n)
        assert status == 200, (status, body[:200])
    for _ in range(20):
        infer_binary(base, a.model, inputs, dims, 1)
    time.sleep(70)
    after_large = rss_mb(a.pid)
    print(f"RSS before {before:.0f} MB; after 3 x {a.mb:g} MB requests (+70 s) {after_large:.0f} MB ({(after_large - before) / before * 100:+.1f}%)", flush=True)

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
