#!/usr/bin/env python3
"""Checks guardrail's OTLP JSON payloads against the official OpenTelemetry protobuf
definitions (the `opentelemetry-proto` package) with protobuf's strict JSON parser.

Usage: observe_check_otlp.py PAYLOAD_DIR   (reads *traces*.json and *metrics*.json)

OTLP/JSON differs from the plain proto3 JSON mapping in one way: traceId/spanId/parentSpanId
are hex, not base64. They are converted (and their lengths checked) before parsing, as OTLP
receivers do. Unknown fields are errors here, although receivers ignore them, so a typo in
a field name cannot pass.
"""
import base64
import glob
import json
import os
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

ID_LENGTHS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}


def hex_ids_to_base64(node, errors, where="$"):
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key in ID_LENGTHS and isinstance(value, str):
                try:
                    raw = bytes.fromhex(value)
                except ValueError:
                    errors.append(f"{where}.{key}: not hex: {value!r}")
                    continue
                if len(raw) != ID_LENGTHS[key]:
                    errors.append(f"{where}.{key}: {len(raw)} bytes, expected {ID_LENGTHS[key]}")
                node[key] = base64.b64encode(raw).decode()
            else:
                hex_ids_to_base64(value, errors, f"{where}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            hex_ids_to_base64(item, errors, f"{where}[{i}]")


def attrs(kvs):
    return {kv.key: kv.value for kv in kvs}


def check_traces(path, errors):
    body = json.load(open(path))
    hex_ids_to_base64(body, errors)
    req = json_format.Parse(json.dumps(body), ExportTraceServiceRequest())
    spans = [s for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
    if not spans:
        errors.append(f"{path}: no spans")
    for s in spans:
        a = attrs(s.attributes)
        op = a.get("gen_ai.operation.name")
        if op is None:
            errors.append(f"{path}: span {s.name!r} lacks gen_ai.operation.name")
            continue
        if s.kind not in (1, 3):
            errors.append(f"{path}: span {s.name!r} kind {s.kind}")
        if s.end_time_unix_nano < s.start_time_unix_nano:
            errors.append(f"{path}: span {s.name!r} ends before it starts")
        if op.string_value == "chat":
            for key in ("gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
                if key not in a:
                    errors.append(f"{path}: chat span lacks {key}")
            if not s.name.startswith("chat "):
                errors.append(f"{path}: chat span named {s.name!r}")
        if op.string_value == "execute_tool" and "gen_ai.tool.name" not in a:
            errors.append(f"{path}: tool span lacks gen_ai.tool.name")
        if "error.type" in a and s.status.code != 2:
            errors.append(f"{path}: span {s.name!r} has error.type but status {s.status.code}")
    return len(spans)


def check_metrics(path, errors):
    body = json.load(open(path))
    req = json_format.Parse(json.dumps(body), ExportMetricsServiceRequest())
    metrics = [m for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    names = {m.name for m in metrics}
    for required in ("gen_ai.client.token.usage", "gen_ai.client.operation.duration"):
        if required not in names:
            errors.append(f"{path}: no {required}")
    for m in metrics:
        kind = m.WhichOneof("data")
        if kind == "histogram":
            if m.histogram.aggregation_temporality != 2:
                errors.append(f"{path}: {m.name} is not cumulative")
            for p in m.histogram.data_points:
                if len(p.bucket_counts) != len(p.explicit_bounds) + 1:
                    errors.append(f"{path}: {m.name}: {len(p.bucket_counts)} buckets for {len(p.explicit_bounds)} bounds")
                if sum(p.bucket_counts) != p.count:
                    errors.append(f"{path}: {m.name}: bucket counts do not add up to count")
        elif kind == "sum":
            if not m.sum.is_monotonic or m.sum.aggregation_temporality != 2:
                errors.append(f"{path}: {m.name} is not a cumulative monotonic sum")
        else:
            errors.append(f"{path}: {m.name}: unexpected data {kind}")
        if m.name == "gen_ai.client.token.usage":
            for p in m.histogram.data_points:
                a = attrs(p.attributes)
                for key in ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.token.type"):
                    if key not in a:
                        errors.append(f"{path}: token usage point lacks {key}")
    return len(metrics)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = sys.argv[1]
    errors = []
    checked = 0
    for pattern, check, what in (
        ("*traces*.json", check_traces, "spans parse as ExportTraceServiceRequest"),
        ("*metrics*.json", check_metrics, "metrics parse as ExportMetricsServiceRequest"),
    ):
        for path in sorted(glob.glob(os.path.join(directory, pattern))):
            checked += 1
            before = len(errors)
            try:
                n = check(path, errors)
            except (json_format.ParseError, ValueError) as e:
                errors.append(f"{os.path.basename(path)}: {e}")
                continue
            if len(errors) == before:
                print(f"ok: {os.path.basename(path)}: {n} {what}")
    if checked == 0:
        errors.append(f"no OTLP payloads in {directory}")
    for e in errors:
        print(f"error: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
