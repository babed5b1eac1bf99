"""CloudWatch over Smithy RPC v2 CBOR, for moto 5.2.5.

AWS: CloudWatch speaks the `rpcv2Cbor` protocol (POST /service/GraniteServiceVersion20100801/
operation/<Operation>, CBOR bodies), and the Rust SDK (aws-sdk-cloudwatch 1.10x) uses it. Moto only
routes the older awsQuery protocol (POST /) and answers these requests with an HTML 404, so neither
PutMetricData nor GetMetricData works from Rust. This routes the operations onair's tests use
(metric data, and PutMetricAlarm / DescribeAlarms / DeleteAlarms / ListTagsForResource for the
alarms) to moto's own CloudWatch backend, with a minimal CBOR codec (no cbor2 in moto's
dependencies).
"""

import calendar
import struct
from datetime import datetime, timezone

from moto.cloudwatch import urls
from moto.cloudwatch.models import cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID

_BREAK = object()


def _argument(info, data, i):
    if info < 24:
        return info, i
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return int.from_bytes(data[i:i + size], "big"), i + size


def _decode(data, i=0):
    head = data[i]
    i += 1
    major, info = head >> 5, head & 0x1F
    if major == 7:
        simple = {20: False, 21: True, 22: None, 23: None}
        if info in simple:
            return simple[info], i
        if info == 31:
            return _BREAK, i
        fmt, size = {25: (">e", 2), 26: (">f", 4), 27: (">d", 8)}[info]
        return struct.unpack(fmt, data[i:i + size])[0], i + size
    if info == 31:  # indefinite length: items until a break
        items = []
        while True:
            item, i = _decode(data, i)
            if item is _BREAK:
                break
            items.append(item)
        if major == 5:
            return dict(zip(items[::2], items[1::2])), i
        if major in (2, 3):
            return (b"" if major == 2 else "").join(items), i
        return items, i
    n, i = _argument(info, data, i)
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major == 2:
        return bytes(data[i:i + n]), i + n
    if major == 3:
        return bytes(data[i:i + n]).decode("utf-8"), i + n
    if major in (4, 5):
        items = []
        for _ in range(n * (2 if major == 5 else 1)):
            item, i = _decode(data, i)
            items.append(item)
        return (dict(zip(items[::2], items[1::2])) if major == 5 else items), i
    value, i = _decode(data, i)  # major 6: a tag; 1 is epoch-seconds time
    if n == 1:
        # Naive UTC, as moto's CloudWatch keeps its own timestamps.
        return datetime.fromtimestamp(value, timezone.utc).replace(tzinfo=None), i
    return value, i


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def _encode(v):
    if v is None:
        return b"\xf6"
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        raw = v.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(v, datetime):
        seconds = calendar.timegm(v.utctimetuple()) + v.microsecond / 1e6
        return b"\xc1" + _encode(float(seconds))
    if isinstance(v, (list, tuple)):
        return _head(4, len(v)) + b"".join(_encode(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(_encode(k) + _encode(x) for k, x in v.items())
    raise TypeError(type(v))


def _dispatch(request, full_url, headers):
    operation = full_url.rstrip("/").rsplit("/", 1)[-1]
    # Credential=KEY/DATE/REGION/monitoring/aws4_request
    region = headers.get("Authorization", "").split("Credential=")[-1].split("/")[2]
    backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][region]
    body = request.get_data()
    params = _decode(body)[0] if body else {}
    reply = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
    try:
        if operation == "PutMetricData":
            backend.put_metric_data(params["Namespace"], params.get("MetricData", []))
            return 200, reply, _encode({})
        if operation == "GetMetricData":
            results = backend.get_metric_data(
                queries=params.get("MetricDataQueries", []),
                start_time=params["StartTime"],
                end_time=params["EndTime"],
                scan_by=params.get("ScanBy") or "TimestampDescending",
            )
            return 200, reply, _encode({
                "MetricDataResults": [{
                    "Id": r["id"],
                    "Label": r["label"],
                    "Timestamps": list(r["timestamps"]),
                    "Values": [float(v) for v in r["values"]],
                    "StatusCode": r["status_code"],
                } for r in results],
                "Messages": [],
            })
        # The alarm calls (issue 13): the same backend moto's query protocol uses, reached
        # through CBOR. AWS's DeleteAlarms answers ResourceNotFound for an unknown name; moto
        # (and so this) deletes what exists and answers OK, which onair treats the same.
        if operation == "PutMetricAlarm":
            backend.put_metric_alarm(
                name=params["AlarmName"],
                namespace=params.get("Namespace"),
                metric_name=params.get("MetricName"),
                comparison_operator=params["ComparisonOperator"],
                evaluation_periods=params["EvaluationPeriods"],
                period=params.get("Period"),
                threshold=params.get("Threshold"),
                statistic=params.get("Statistic"),
                description=params.get("AlarmDescription"),
                dimensions=params.get("Dimensions", []),
                alarm_actions=params.get("AlarmActions", []),
                ok_actions=params.get("OKActions", []),
                actions_enabled=params.get("ActionsEnabled", True),
                treat_missing_data=params.get("TreatMissingData"),
                tags=params.get("Tags", []),
            )
            return 200, reply, _encode({})
        if operation == "DescribeAlarms":
            prefix = params.get("AlarmNamePrefix")
            alarms = (backend.get_alarms_by_alarm_name_prefix(prefix) if prefix
                      else backend.describe_alarms())
            return 200, reply, _encode({"MetricAlarms": [{
                "AlarmName": a.name,
                "AlarmArn": a.alarm_arn,
                "AlarmDescription": a.description or "",
                "StateValue": a.state_value,
                "StateReason": a.state_reason,
                "StateUpdatedTimestamp": a.state_updated_timestamp,
                "Namespace": a.namespace or "",
                "MetricName": a.metric_name or "",
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in a.dimensions],
                "TreatMissingData": a.treat_missing_data or "",
                "AlarmActions": list(a.alarm_actions or []),
                "OKActions": list(a.ok_actions or []),
                "Threshold": float(a.threshold),
                "ComparisonOperator": a.comparison_operator,
            } for a in alarms], "CompositeAlarms": []})
        if operation == "DeleteAlarms":
            backend.delete_alarms(params.get("AlarmNames", []))
            return 200, reply, _encode({})
        if operation == "ListTagsForResource":
            tags = backend.list_tags_for_resource(params["ResourceARN"])
            return 200, reply, _encode({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
    except Exception as e:  # moto's own validation errors, as AWS reports them
        error = {"__type": getattr(e, "error_type", None) or type(e).__name__, "message": str(e)}
        return 400, reply, _encode(error)
    return 400, reply, _encode({"__type": "UnknownOperationException", "message": operation})


def cloudwatch_speaks_rpcv2_cbor():
    urls.url_paths[
        "{0}/service/GraniteServiceVersion20100801/operation/(?P<operation>[A-Za-z]+)$"
    ] = _dispatch
