#!/usr/bin/python3
"""Builds the small tensor models Edge's server is checked with (Debian's python3-onnx; no other dependency).

    /usr/bin/python3 scripts/make_test_models.py                      # models/repository/simple/1/model.onnx (committed)
    /usr/bin/python3 scripts/make_test_models.py --out DIR --models simple,simple_int8,simple_string,simple_identity

Models (every input and output has a dynamic first, batch, dimension):
  simple           INT32 INPUT0, INPUT1 [-1, 16] -> OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1
                   (the model Triton's example clients call "simple")
  simple_int8      the same in INT8 (computed in INT32, wrapped back to INT8)
  simple_string    the same on BYTES holding decimal integers ("3" + "4" -> "7"), as Triton's simple_string
  simple_identity  BYTES INPUT0 [-1, 16] -> OUTPUT0 unchanged
  simple_fp16      the same as simple in FP16 (fed and answered FP16)
  simple_fp32      the same as simple in FP32
  simple_fp64      the same as simple in FP64
Each model is written to DIR/<name>/1/model.onnx; the output bytes depend only on this script.
"""
import argparse
import os
import sys

import onnx
from onnx import TensorProto, helper

OPSET = 13


def value(name, elem, dims):
    return helper.make_tensor_value_info(name, elem, dims)


def add_sub(name, elem, compute=None):
    """OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1 in `elem`, optionally computed in `compute` and cast back."""
    nodes = []
    a, b = "INPUT0", "INPUT1"
    if compute is not None:
        nodes += [helper.make_node("Cast", ["INPUT0"], ["a"], to=compute), helper.make_node("Cast", ["INPUT1"], ["b"], to=compute)]
        a, b = "a", "b"
        nodes += [helper.make_node("Add", [a, b], ["sum"]), helper.make_node("Sub", [a, b], ["difference"]),
                  helper.make_node("Cast", ["sum"], ["OUTPUT0"], to=elem), helper.make_node("Cast", ["difference"], ["OUTPUT1"], to=elem)]
    else:
        nodes += [helper.make_node("Add", [a, b], ["OUTPUT0"]), helper.make_node("Sub", [a, b], ["OUTPUT1"])]
    dims = ["batch", 16]
    graph = helper.make_graph(nodes, name,
                              [value("INPUT0", elem, dims), value("INPUT1", elem, dims)],
                              [value("OUTPUT0", elem, dims), value("OUTPUT1", elem, dims)])
    return graph


def identity(name, elem):
    dims = ["batch", 16]
    return helper.make_graph([helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"])], name,
                             [value("INPUT0", elem, dims)], [value("OUTPUT0", elem, dims)])


MODELS = {
    "simple": lambda: add_sub("simple", TensorProto.INT32),
    "simple_int8": lambda: add_sub("simple_int8", TensorProto.INT8, compute=TensorProto.INT32),
    "simple_string": lambda: add_sub("simple_string", TensorProto.STRING, compute=TensorProto.INT32),
    "simple_identity": lambda: identity("simple_identity", TensorProto.STRING),
    "simple_fp16": lambda: add_sub("simple_fp16", TensorProto.FLOAT16),
    "simple_fp32": lambda: add_sub("simple_fp32", TensorProto.FLOAT),
    "simple_fp64": lambda: add_sub("simple_fp64", TensorProto.DOUBLE),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(here, "..", "models", "repository"), help="repository folder to write into")
    parser.add_argument("--models", default="simple", help="comma-separated: " + ", ".join(MODELS))
    args = parser.parse_args()
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name not in MODELS:
            sys.exit(f"unknown model '{name}': use one of {', '.join(MODELS)}")
        model = helper.make_model(MODELS[name](), producer_name="edge scripts/make_test_models.py",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        folder = os.path.join(args.out, name, "1")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "model.onnx")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(model.SerializeToString())
        os.replace(tmp, path)
        print(path)


if __name__ == "__main__":
    main()
