"""Named monkeypatches that make moto 5.2.5's MediaLive and MediaConnect behave like AWS where
onair's wire tests depend on it (see shared/notes/moto.md for what moto does unpatched).

Python imports `sitecustomize` at start-up from PYTHONPATH, so a test loads these into its own
moto server with `Moto::start_with(&[("PYTHONPATH", <this directory>)])`; servers started
without it stay plain moto. Each patch is a small function, named for the AWS behaviour it
adds, applied once at the bottom of this file.
"""

import os
import threading

from cloudwatch_cbor import cloudwatch_speaks_rpcv2_cbor
from moto.core.exceptions import ServiceException
from moto.mediaconnect.models import MediaConnectBackend, mediaconnect_backends
from moto.core.responses import ActionResult, EmptyResult
from moto.medialive.models import MediaLiveBackend
from moto.medialive.responses import MediaLiveResponse
from moto.moto_api._internal import mock_random


class NotFoundException(ServiceException):
    # Defined outside moto's packages, so moto serializes it with the service's own error model
    # (MediaLive's NotFoundException: HTTP 404).
    code = "NotFoundException"


def medialive_unknown_ids_are_404():
    """AWS answers an unknown channel or input id with NotFoundException, HTTP 404 (the engine
    treats that as "already gone" when deleting). Moto looks the id up in a dict and answers a
    KeyError with HTTP 500, which the engine must treat as a retryable outage."""

    def wrap(name, kind):
        original = getattr(MediaLiveBackend, name)

        def patched(self, *args, **kwargs):
            try:
                return original(self, *args, **kwargs)
            except KeyError as e:
                raise NotFoundException(f"The {kind} {e.args[0]} does not exist") from None

        setattr(MediaLiveBackend, name, patched)

    for name in ("describe_channel", "delete_channel", "start_channel", "stop_channel",
                 "update_channel"):
        wrap(name, "channel")
    for name in ("describe_input", "delete_input", "update_input"):
        wrap(name, "input")


def _flow(account_id, flow_arn):
    # arn:aws:mediaconnect:REGION:ACCOUNT:flow:ID:NAME
    region = flow_arn.split(":")[3]
    return mediaconnect_backends[account_id][region]._flows.get(flow_arn)


def medialive_mediaconnect_input_owns_a_flow_output():
    """AWS: CreateInput of Type MEDIACONNECT makes MediaLive add an output to each flow it names,
    whose MediaLiveInputArn is the input's ARN (that is how the flow feeds the input, and how
    onair finds the output's ARN); DeleteInput removes that output again. Moto models neither:
    the flow never gets an output."""
    create_input = MediaLiveBackend.create_input
    delete_input = MediaLiveBackend.delete_input

    def patched_create(self, *args, **kwargs):
        new = create_input(self, *args, **kwargs)
        if new.type == "MEDIACONNECT":
            for request in new.media_connect_flows or []:
                flow_arn = request.get("FlowArn") or request.get("flowArn")
                flow = _flow(self.account_id, flow_arn)
                if flow is None:
                    continue
                output_id = mock_random.uuid4().hex
                name = f"medialive-{new.id}"
                flow.outputs = list(flow.outputs or []) + [{
                    "name": name,
                    "description": f"MediaLive input {new.id}",
                    "outputArn": f"arn:aws:mediaconnect:{flow_arn.split(':')[3]}:"
                                 f"{self.account_id}:output:{output_id}:{name}",
                    "mediaLiveInputArn": new.arn,
                }]
        return new

    def patched_delete(self, input_id):
        result = delete_input(self, input_id)
        gone = self._inputs[input_id]
        for request in gone.media_connect_flows or []:
            flow = _flow(self.account_id, request.get("FlowArn") or request.get("flowArn"))
            if flow is not None:
                flow.outputs = [o for o in flow.outputs or []
                                if o.get("mediaLiveInputArn") != gone.arn]
        return result

    MediaLiveBackend.create_input = patched_create
    MediaLiveBackend.delete_input = patched_delete


def mediaconnect_source_has_a_transport():
    """AWS reports a flow source's protocol under Source.Transport.Protocol (what onair reads);
    moto echoes the request's top-level Protocol and has no Transport."""
    create_flow = MediaConnectBackend.create_flow

    def patched(self, *args, **kwargs):
        flow = create_flow(self, *args, **kwargs)
        for source in flow.sources or []:
            if source.get("protocol") and "transport" not in source:
                source["transport"] = {"protocol": source["protocol"]}
        return flow

    MediaConnectBackend.create_flow = patched


def medialive_request_id_is_idempotent():
    """AWS: CreateChannel and CreateInput take a RequestId, "a unique request ID ... that
    prevents retries from creating multiple resources": a second create with the same RequestId
    returns the resource the first one made. onair persists its RequestIds before calling and
    reuses them when it resumes an interrupted add, so a CreateChannel whose answer was lost
    must not make a second channel. Moto 5.2.5 ignores RequestId ("not yet implemented") and
    creates another. ONAIR_MOTO_IGNORE_REQUEST_ID=1 keeps moto's behaviour (a test uses it to
    show what `gc` does with the duplicate)."""
    if os.environ.get("ONAIR_MOTO_IGNORE_REQUEST_ID"):
        return
    lock = threading.Lock()

    def wrap(action, kind, resources):
        original = getattr(MediaLiveResponse, action)

        def patched(self):
            request_id = self._get_param("RequestId")
            backend = self.medialive_backend
            store = getattr(backend, resources)
            with lock:
                made = backend.__dict__.setdefault("_onair_request_ids", {})
                if request_id and (kind, request_id) in made:
                    return ActionResult({kind: store[made[(kind, request_id)]]})
                before = set(store)
                result = original(self)
                for new_id in set(store) - before:
                    if request_id:
                        made[(kind, request_id)] = new_id
                return result

        setattr(MediaLiveResponse, action, patched)

    wrap("create_channel", "Channel", "_channels")
    wrap("create_input", "Input", "_inputs")


class BadRequestException(ServiceException):
    # MediaLive's BadRequestException: HTTP 400, what AWS answers for a group still in use.
    code = "BadRequestException"


def medialive_has_input_security_groups():
    """The seed's wiring (onair's `wiring = "rtp-push"`) puts an input security group in front of
    each RTP_PUSH input. Moto 5.2.5 has no input security group API at all (no route), stores a
    create's InputSecurityGroups where DescribeInput never reads them, and gives a push input no
    endpoint. AWS: Create/List/DeleteInputSecurityGroup (a group an input uses can't be deleted:
    400), and an RTP_PUSH input gets two endpoints `rtp://IP:5000` in Destinations."""
    import moto.medialive.urls as urls

    urls.url_paths["{0}/prod/inputSecurityGroups$"] = urls.response.dispatch
    urls.url_paths["{0}/prod/inputSecurityGroups/(?P<inputsecuritygroupid>[^/.]+)$"] = (
        urls.response.dispatch
    )

    def groups(backend):
        return backend.__dict__.setdefault("_onair_groups", {})

    def view(backend, group):
        users = [i.id for i in backend._inputs.values()
                 if i.state != "DELETED" and group["Id"] in (i.security_groups or [])]
        return dict(group, Inputs=users, State="IN_USE" if users else "IDLE")

    def create_input_security_group(self):
        backend = self.medialive_backend
        group_id = str(mock_random.randint(1000000, 9999999))
        group = {
            "Id": group_id,
            "Arn": f"arn:aws:medialive:{backend.region_name}:{backend.account_id}:"
                   f"inputSecurityGroup:{group_id}",
            "WhitelistRules": [{"Cidr": r.get("Cidr")}
                               for r in self._get_param("WhitelistRules") or []],
            "Tags": self._get_param("Tags") or {},
        }
        groups(backend)[group_id] = group
        return ActionResult({"SecurityGroup": view(backend, group)})

    def list_input_security_groups(self):
        backend = self.medialive_backend
        return ActionResult({"InputSecurityGroups": [view(backend, g)
                                                      for g in groups(backend).values()]})

    def delete_input_security_group(self):
        backend = self.medialive_backend
        group_id = self._get_param("InputSecurityGroupId")
        if group_id not in groups(backend):
            raise NotFoundException(f"Input security group {group_id} does not exist")
        for i in backend._inputs.values():
            i._resolve_transient_states()
        if view(backend, groups(backend)[group_id])["Inputs"]:
            raise BadRequestException(f"Input Security Group {group_id} is in use")
        del groups(backend)[group_id]
        return EmptyResult()

    MediaLiveResponse.create_input_security_group = create_input_security_group
    MediaLiveResponse.list_input_security_groups = list_input_security_groups
    MediaLiveResponse.delete_input_security_group = delete_input_security_group

    create_input = MediaLiveBackend.create_input

    def patched_create(self, *args, **kwargs):
        new = create_input(self, *args, **kwargs)
        if new.type == "RTP_PUSH":
            new.security_groups = list(kwargs.get("input_security_groups") or [])
            if not new.destinations:
                octets = [mock_random.randint(1, 254) for _ in range(3)]
                ips = [f"10.{octets[0]}.{octets[1]}.{octets[2]}",
                       f"10.{octets[0]}.{octets[1]}.{(octets[2] % 254) + 1}"]
                new.destinations = [{"Ip": ip, "Port": "5000", "Url": f"rtp://{ip}:5000"}
                                    for ip in ips]
        return new

    MediaLiveBackend.create_input = patched_create


def mediaconnect_outputs_are_added_and_removed_by_arn():
    """AWS: AddFlowOutputs adds to the flow's outputs and gives each an OutputArn (with its
    protocol under Transport); RemoveFlowOutput takes that ARN. Moto replaces the whole list
    with the request's outputs, gives them no ARN, and removes by name."""
    def add_flow_outputs(self, flow_arn, outputs):
        flow = self._flows.get(flow_arn)
        if flow is None:
            from moto.mediaconnect.exceptions import NotFoundException as McNotFound
            raise McNotFound(message=f"flow with arn={flow_arn} not found")
        added = []
        for o in outputs:
            o = dict(o)
            o["outputArn"] = (f"arn:aws:mediaconnect:{flow_arn.split(':')[3]}:"
                              f"{self.account_id}:output:{mock_random.uuid4().hex}:{o.get('name')}")
            if o.get("protocol"):
                o["transport"] = {"protocol": o["protocol"]}
            added.append(o)
        flow.outputs = list(flow.outputs or []) + added
        # The answer lists only what was added, as AWS's does.
        return type("Added", (), {"flow_arn": flow_arn, "outputs": added})()

    def remove_flow_output(self, flow_arn, output_name):
        flow = self._flows.get(flow_arn)
        if flow is None:
            from moto.mediaconnect.exceptions import NotFoundException as McNotFound
            raise McNotFound(message=f"flow with arn={flow_arn} not found")
        flow.outputs = [o for o in flow.outputs or []
                        if output_name not in (o.get("outputArn"), o.get("name"))]

    MediaConnectBackend.add_flow_outputs = add_flow_outputs
    MediaConnectBackend.remove_flow_output = remove_flow_output


# Order matters: the 404 wrapper goes outermost, so the input patches see only known ids.
medialive_mediaconnect_input_owns_a_flow_output()
medialive_has_input_security_groups()
mediaconnect_outputs_are_added_and_removed_by_arn()
medialive_unknown_ids_are_404()
mediaconnect_source_has_a_transport()
cloudwatch_speaks_rpcv2_cbor()  # in cloudwatch_cbor.py
medialive_request_id_is_idempotent()

# Test-only hooks (slowed calls, forced conflicts), off unless their variables are set; they wrap
# the patches above, so they are imported last.
import test_hooks  # noqa: E402,F401
