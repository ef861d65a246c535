"""A client of Triton's protocol built only from protos/triton (grpc_service.proto + model_config.proto) with Debian's
protoc and grpc_python_plugin: model configuration, repository index, streaming, statistics and classification.

Usage: triton_protocol_client.py GENERATED_DIR HOST:PORT — prints one JSON line with what the server answered.
"""
import json
import struct
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
import grpc_service_pb2 as pb  # noqa: E402
import grpc_service_pb2_grpc as pb_grpc  # noqa: E402
import model_config_pb2 as mc  # noqa: E402


def simple(a, b, request_id=""):
    r = pb.ModelInferRequest(model_name="simple", id=request_id)
    r.inputs.add(name="INPUT0", datatype="INT32", shape=[1, 16])
    r.inputs.add(name="INPUT1", datatype="INT32", shape=[1, 16])
    r.raw_input_contents.append(struct.pack("<16i", *a))
    r.raw_input_contents.append(struct.pack("<16i", *b))
    return r


def ints(raw):
    return list(struct.unpack("<%di" % (len(raw) // 4), raw))


def strings(raw):
    out, at = [], 0
    while at < len(raw):
        (n,) = struct.unpack_from("<I", raw, at)
        out.append(raw[at + 4:at + 4 + n].decode())
        at += 4 + n
    return out


with grpc.insecure_channel(sys.argv[2]) as channel:
    stub = pb_grpc.GRPCInferenceServiceStub(channel)
    meta = stub.ServerMetadata(pb.ServerMetadataRequest())
    config = stub.ModelConfig(pb.ModelConfigRequest(name="simple")).config
    index = stub.RepositoryIndex(pb.RepositoryIndexRequest())
    before = stub.ModelStatistics(pb.ModelStatisticsRequest(name="simple")).model_stats[0].inference_stats.success.count

    a = list(range(16))
    answers = list(stub.ModelStreamInfer(iter([simple(a, [k] * 16, "s%d" % k) for k in range(3)])))

    req = simple([7, 3, 9, 1, 0, 2, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15], [0] * 16)
    req.outputs.add(name="OUTPUT0").parameters["classification"].int64_param = 2
    top = stub.ModelInfer(req)

    after = stub.ModelStatistics(pb.ModelStatisticsRequest(name="simple")).model_stats[0].inference_stats.success.count
    print(json.dumps({
        "extensions": list(meta.extensions),
        "max_batch_size": config.max_batch_size,
        "input_types": [mc.DataType.Name(i.data_type) for i in config.input],
        "input_dims": [list(i.dims) for i in config.input],
        "instance_kind": mc.ModelInstanceGroup.Kind.Name(config.instance_group[0].kind),
        "index": sorted([m.name, m.state] for m in index.models),
        "stream_ids": [s.infer_response.id for s in answers],
        "stream_errors": [s.error_message for s in answers],
        "stream_sums": [ints(s.infer_response.raw_output_contents[0]) for s in answers],
        "classification": strings(top.raw_output_contents[0]),
        "success_delta": after - before,
    }))
