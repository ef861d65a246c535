#!/usr/bin/env python3
"""Builds test teachers of other specs than the default one, by wrapping the shared Fashion-MNIST ResNet-18
(models/fmnist-resnet18.onnx: gray 1x32x32, mean 0.2860 / std 0.3530, logits) in ONNX graphs that convert their
input and output. Each wrapper un-normalises its input with its own mean/std, turns RGB into BT.601 luma, resizes
to 32x32 (linear, half-pixel: PyTorch's bilinear), normalises for the ResNet, and ends in its own head:

  rgb64-softmax      input "image"  [N,3,64,64]  ImageNet mean/std        output "prob"      Softmax probabilities
  rgb64-logits       the same without its Softmax                          output "logits"    logits
  rgb96-logits       input "pixels" [N,3,96,96]  mean 0.5 / std 0.5       output "scores"    logits
  gray28-logsoftmax  input "x"      [N,1,28,28]  mean 0.5 / std 0.25      output "log_probs" LogSoftmax

Nothing in Edge knows about these files: `edge import` turns each into a package from its graph and the flags the
companion script (scripts/any-teacher.sh) passes. Usage: make_test_teachers.py OUT_DIR [--teacher models/fmnist-resnet18.onnx]
Run with Debian's python3-onnx (1.12); the output is deterministic.
"""
import argparse
import os

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np

SPECS = [
    # name, input name, channels, size, mean, std, head, output name
    ("rgb64-softmax", "image", 3, 64, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], "Softmax", "prob"),
    # The same teacher without its Softmax head: its logits form (distilling from either must give the same student).
    ("rgb64-logits", "image", 3, 64, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], None, "logits"),
    ("rgb96-logits", "pixels", 3, 96, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], None, "scores"),
    ("gray28-logsoftmax", "x", 1, 28, [0.5], [0.25], "LogSoftmax", "log_probs"),
]
TEACHER_MEAN, TEACHER_STD, TEACHER_SIZE = 0.2860, 0.3530, 32


def const(name, values, shape):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32).reshape(shape), name)


def wrap(teacher, name, input_name, channels, size, mean, std, head, output_name):
    g = teacher.graph
    inner_input = g.input[0].name
    inner_output = g.output[0].name
    prefix = "resnet/"
    # The ResNet's own nodes and weights, renamed under a prefix so nothing clashes with the wrapper.
    renamed = {init.name: prefix + init.name for init in g.initializer}
    for node in g.node:
        for o in node.output:
            renamed[o] = prefix + o
    renamed[inner_input] = "teacher_input"
    nodes, inits = [], []
    for init in g.initializer:
        copy = onnx.TensorProto()
        copy.CopyFrom(init)
        copy.name = renamed[init.name]
        inits.append(copy)

    # raw = x * std + mean (per channel), in [0, 1]
    inits += [const("w/std", std, [1, channels, 1, 1]), const("w/mean", mean, [1, channels, 1, 1])]
    nodes += [helper.make_node("Mul", [input_name, "w/std"], ["w/scaled"], name="wrap/unscale"),
              helper.make_node("Add", ["w/scaled", "w/mean"], ["w/raw"], name="wrap/unshift")]
    gray = "w/raw"
    if channels == 3:
        # BT.601 luma as a 1x1 convolution: 0.299 R + 0.587 G + 0.114 B.
        inits.append(const("w/luma", [0.299, 0.587, 0.114], [1, 3, 1, 1]))
        nodes.append(helper.make_node("Conv", ["w/raw", "w/luma"], ["w/gray"], name="wrap/luma"))
        gray = "w/gray"
    resized = gray
    if size != TEACHER_SIZE:
        # sizes = [N, 1, 32, 32]: the batch and channel dims from the tensor itself.
        inits += [numpy_helper.from_array(np.asarray([TEACHER_SIZE, TEACHER_SIZE], dtype=np.int64), "w/hw"),
                  numpy_helper.from_array(np.asarray([0], dtype=np.int64), "w/zero"),
                  numpy_helper.from_array(np.asarray([2], dtype=np.int64), "w/two")]
        nodes += [helper.make_node("Shape", [gray], ["w/shape"], name="wrap/shape"),
                  helper.make_node("Slice", ["w/shape", "w/zero", "w/two"], ["w/nc"], name="wrap/nc"),
                  helper.make_node("Concat", ["w/nc", "w/hw"], ["w/sizes"], name="wrap/sizes", axis=0),
                  helper.make_node("Resize", [gray, "", "", "w/sizes"], ["w/resized"], name="wrap/resize",
                                   mode="linear", coordinate_transformation_mode="half_pixel")]
        resized = "w/resized"
    inits += [const("w/t_mean", [TEACHER_MEAN], [1, 1, 1, 1]), const("w/t_inv_std", [1.0 / TEACHER_STD], [1, 1, 1, 1])]
    nodes += [helper.make_node("Sub", [resized, "w/t_mean"], ["w/centred"], name="wrap/centre"),
              helper.make_node("Mul", ["w/centred", "w/t_inv_std"], ["teacher_input"], name="wrap/normalise")]

    for node in g.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = prefix + (node.name or node.op_type)
        del copy.input[:]
        copy.input.extend([renamed.get(i, i) if i else "" for i in node.input])
        del copy.output[:]
        copy.output.extend([renamed[o] for o in node.output])
        nodes.append(copy)
    logits = renamed[inner_output]
    if head is None:
        nodes.append(helper.make_node("Identity", [logits], [output_name], name="wrap/out"))
    else:
        nodes.append(helper.make_node(head, [logits], [output_name], name="wrap/head", axis=1))

    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch", channels, size, size])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", 10])],
        inits)
    model = helper.make_model(graph, producer_name="edge scripts/teachers/make_test_teachers.py",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--teacher", default=os.path.join(os.path.dirname(__file__), "..", "..", "models", "fmnist-resnet18.onnx"))
    a = ap.parse_args()
    teacher = onnx.load(a.teacher)
    os.makedirs(a.out, exist_ok=True)
    for spec in SPECS:
        model = wrap(teacher, *spec)
        path = os.path.join(a.out, spec[0] + ".onnx")
        onnx.save(model, path)
        print(f"{path}: {spec[1]} [N,{spec[2]},{spec[3]},{spec[3]}] mean {spec[4]} std {spec[5]} -> {spec[7]} ({spec[6] or 'logits'})")


if __name__ == "__main__":
    main()
