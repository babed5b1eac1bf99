"""Test-only hooks for moto's server, each off unless its environment variable is set.

Unlike the patches in sitecustomize.py these don't make moto more like AWS: they make a moment
reachable that real AWS only reaches by bad luck, so a test can kill the CLI exactly there, or
get an error AWS can give. Servers started without the variables are unaffected.

ONAIR_MOTO_SLOW="CreateChannel,DeleteInput" (with ONAIR_MOTO_SLOW_SECONDS, default 300, and
ONAIR_MOTO_SLOW_MARKS, a directory) holds the first request of each named call:
  * CreateChannel: after the channel is created and before the answer goes back. In AWS that is
    a CreateChannel whose answer never reached the caller (the process died, the connection
    dropped): the channel exists, the caller never learnt its id.
  * DeleteInput: before the input is deleted. The caller already deleted the channel and waits
    for the answer; killing it there leaves a record with an input and no channel.
  * PutMetricAlarm: before the alarm is written. An add that created its channel and dies
    there leaves a `creating` record whose channel has no alarms yet.
On entering the hold the hook creates the file MARKS/<Call>, so the test knows the request is
held there (it polls for it; no fixed sleeps). Only the first request is held: the second run of
the CLI is not slowed. The held request finishes after the hold, long after the test is done
with the server (which is killed when the test ends).

ONAIR_MOTO_CONFLICT="CreateChannel" answers CreateChannel with HTTP 409 ConflictException whose
message quotes the channel's RTMP destination, stream name included: AWS's messages may quote
the value they object to, and for a destination that value is the stream key.
"""

import os
import threading
import time

from moto.core.exceptions import ServiceException
from moto.medialive.responses import MediaLiveResponse


class ConflictException(ServiceException):
    # MediaLive's ConflictException: HTTP 409 from the service's error model.
    code = "ConflictException"


def _listed(variable):
    return {c.strip() for c in os.environ.get(variable, "").split(",") if c.strip()}


def slowed_calls():
    calls = _listed("ONAIR_MOTO_SLOW")
    if not calls:
        return
    seconds = float(os.environ.get("ONAIR_MOTO_SLOW_SECONDS", "300"))
    marks = os.environ.get("ONAIR_MOTO_SLOW_MARKS")
    held = set()
    lock = threading.Lock()

    def hold(call):
        with lock:
            if call in held:
                return
            held.add(call)
        if marks:
            with open(os.path.join(marks, call), "w") as mark:
                mark.write("held\n")
        time.sleep(seconds)

    if "CreateChannel" in calls:
        create_channel = MediaLiveResponse.create_channel

        def slow_create_channel(self):
            result = create_channel(self)  # the channel exists from here on
            hold("CreateChannel")
            return result

        MediaLiveResponse.create_channel = slow_create_channel

    if "DeleteInput" in calls:
        delete_input = MediaLiveResponse.delete_input

        def slow_delete_input(self):
            hold("DeleteInput")  # the input still exists while the caller waits
            return delete_input(self)

        MediaLiveResponse.delete_input = slow_delete_input

    if "PutMetricAlarm" in calls:
        from moto.cloudwatch.models import CloudWatchBackend

        put_metric_alarm = CloudWatchBackend.put_metric_alarm

        def slow_put_metric_alarm(self, *args, **kwargs):
            hold("PutMetricAlarm")  # no alarm exists yet
            return put_metric_alarm(self, *args, **kwargs)

        CloudWatchBackend.put_metric_alarm = slow_put_metric_alarm


def conflicting_calls():
    if "CreateChannel" not in _listed("ONAIR_MOTO_CONFLICT"):
        return

    def conflict_create_channel(self):
        quoted = [
            f"{s.get('Url')}/{s.get('StreamName')}"
            for d in self._get_param("Destinations") or []
            for s in d.get("Settings") or []
        ]
        raise ConflictException(f"Destination {', '.join(quoted)} is already in use")

    MediaLiveResponse.create_channel = conflict_create_channel


slowed_calls()
conflicting_calls()
