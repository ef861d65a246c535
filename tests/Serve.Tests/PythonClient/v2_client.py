"""A v2 (KServe / Open Inference Protocol) client built only from protos/kserve/grpc_predict_v2.proto.

Usage: v2_client.py GENERATED_DIR HOST:PORT MODEL — prints one JSON line with what the server answered.
"""
import json
import struct
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
import grpc_predict_v2_pb2 as pb  # noqa: E402
import grpc_predict_v2_pb2_grpc as pb_grpc  # noqa: E402

target, model = sys.argv[2], sys.argv[3]
with grpc.insecure_channel(target) as channel:
    stub = pb_grpc.GRPCInferenceServiceStub(channel)
    ready = stub.ServerReady(pb.ServerReadyRequest()).ready
    meta = stub.ModelMetadata(pb.ModelMetadataRequest(name=model))
    shape = [1] + list(meta.inputs[0].shape[1:])
    count = 1
    for d in shape:
        count *= d
    request = pb.ModelInferRequest(model_name=model, id="py-1")
    request.inputs.add(name=meta.inputs[0].name, datatype="FP32", shape=shape)
    request.raw_input_contents.append(struct.pack("<%df" % count, *([0.5] * count)))
    response = stub.ModelInfer(request)
    raw = response.raw_output_contents[0]
    logits = list(struct.unpack("<%df" % (len(raw) // 4), raw))
    print(json.dumps({
        "ready": ready,
        "name": meta.name,
        "input": meta.inputs[0].name,
        "input_shape": list(meta.inputs[0].shape),
        "id": response.id,
        "output_shape": list(response.outputs[0].shape),
        "logits": logits,
    }))
