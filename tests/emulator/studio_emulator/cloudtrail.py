"""CloudTrail management events on EventBridge, for the SageMaker calls the event path listens to.

AWS delivers every management API call that a trail records to the default event bus as an
event with `detail-type: "AWS API Call via CloudTrail"`. Moto records nothing, so after a
successful CreateUserProfile or CreateSpace (and only then) we put that event through moto's
EventBridge backend, where rules match it and deliver it to their targets as for any event.

Only when a trail records the call: "To record events with one of the CloudTrail detail-type
values, you must enable a CloudTrail trail with logging" (Amazon EventBridge User Guide, "AWS
service events delivered via AWS CloudTrail",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
CloudTrail's event history alone delivers nothing. A trail records the call when it is logging
(StartLogging; GetTrailStatus IsLogging), covers the call's Region (its home Region, or every
Region of the partition for a multi-Region trail) and its event selectors take the event (see
`selects`). However many trails record it, EventBridge gets the event once.

Switches: `cloudtrail_events` (on by default) off delivers nothing at all (a lost event: delivery
is best effort); `cloudtrail_events_without_trail` (off by default) on delivers without a trail,
the emulator's old, kinder behaviour.

The detail follows the CloudTrail record format: request parameters as sent, with every key's
first letter in lower case (CloudTrail's convention), and the response elements.
"""
import json
import sys
import traceback
import uuid
from datetime import datetime, timezone

from moto.cloudtrail.models import cloudtrail_backends
from moto.events.models import events_backends
from moto.events.utils import EventTemplateParser
from moto.utilities.utils import get_partition

from .settings import SETTINGS


def camel(value):
    """CloudTrail's spelling of request parameters: `UserSettings` -> `userSettings`, nested."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def record(resp, event_name: str, response_elements: dict) -> dict:
    """The CloudTrail record of the API call `resp` is answering."""
    account, region = resp.current_account, resp.region
    body = resp.body.decode() if isinstance(resp.body, bytes) else (resp.body or "{}")
    access_key = getattr(resp, "access_key", None) or "test"
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEMULATOREMULATOR",
            "arn": f"arn:aws:iam::{account}:user/moto",
            "accountId": account,
            "accessKeyId": access_key,
            "userName": "moto",
        },
        "eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": getattr(resp.normalized_request, "remote_addr", None) or "127.0.0.1",
        "userAgent": resp.headers.get("User-Agent", ""),
        "requestParameters": camel(json.loads(body or "{}")),
        "responseElements": response_elements,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


OPERATORS = {
    "Equals": lambda value, pattern: value == pattern,
    "NotEquals": lambda value, pattern: value != pattern,
    "StartsWith": lambda value, pattern: value.startswith(pattern),
    "NotStartsWith": lambda value, pattern: not value.startswith(pattern),
    "EndsWith": lambda value, pattern: value.endswith(pattern),
    "NotEndsWith": lambda value, pattern: not value.endswith(pattern),
}


def _field_matches(field: dict, values: dict) -> bool:
    """One field selector of an advanced event selector (CloudTrail API Reference,
    AdvancedFieldSelector): positive operators match when any of their values does, negative
    ones when none does, and every operator present must hold. A field this record lacks (a data
    event's `resources.type`, say) never matches."""
    value = values.get(field.get("Field"))
    if value is None:
        return False
    for operator, test in OPERATORS.items():
        patterns = field.get(operator)
        if not patterns:
            continue
        results = [test(value, p) for p in patterns]
        if operator.startswith("Not") and not all(results):
            return False
        if not operator.startswith("Not") and not any(results):
            return False
    return True


def selects(trail, detail: dict) -> bool:
    """Whether the trail's event selectors take this management event.

    CloudTrail API Reference, EventSelector: "By default, trails created without specific event
    selectors will be configured to log all read and write management events"; "if the event
    matches any event selector, the trail processes and logs the event"; `ReadWriteType`
    (ReadOnly, WriteOnly, All; default All), `IncludeManagementEvents` (default true) and
    `ExcludeManagementEventSources`. A trail has either event selectors or advanced event
    selectors (AdvancedEventSelector: every field selector of a selector must match, and
    management events are `eventCategory` Management, filtered by `readOnly` and `eventSource`).
    """
    read_only = bool(detail.get("readOnly"))
    basic, advanced = trail.event_selectors, trail.advanced_event_selectors
    if basic:
        for selector in basic:
            if not selector.get("IncludeManagementEvents", True):
                continue
            if detail["eventSource"] in (selector.get("ExcludeManagementEventSources") or []):
                continue
            kind = selector.get("ReadWriteType") or "All"
            if kind == "All" or (kind == "ReadOnly") == read_only:
                return True
        return False
    if advanced:
        values = {"eventCategory": detail.get("eventCategory", "Management"),
                  "readOnly": "true" if read_only else "false",
                  "eventSource": detail["eventSource"], "eventName": detail["eventName"]}
        return any(all(_field_matches(f, values) for f in s.get("FieldSelectors") or [])
                   for s in advanced)
    return True


def recording_trails(account: str, region: str, detail: dict) -> list:
    """The trails of `account` that record this call made in `region`: logging, covering the
    Region (CloudTrail User Guide, "Working with CloudTrail trails": a single-Region trail logs
    the events of its own Region, a multi-Region trail those of every Region of its partition),
    and selecting the event."""
    found = []
    for backend in list(cloudtrail_backends[account].values()):
        for trail in list(backend.trails.values()):
            covers = trail.region_name == region or (
                trail.is_multi_region and trail.partition == get_partition(region))
            if covers and trail.status.is_logging and selects(trail, detail):
                found.append(trail)
    return found


def api_call(resp, event_name: str, response_elements: dict) -> None:
    """Puts the event for a successful call on the default bus when a trail records it. Never
    raises: a failing delivery must not fail the API call that caused it (AWS delivers
    asynchronously)."""
    if not SETTINGS.config.get("cloudtrail_events"):
        return
    try:
        detail = record(resp, event_name, response_elements)
        if not (SETTINGS.config.get("cloudtrail_events_without_trail")
                or recording_trails(resp.current_account, resp.region, detail)):
            return
        events_backends[resp.current_account][resp.region].put_events([{
            "Source": "aws.sagemaker",
            "DetailType": "AWS API Call via CloudTrail",
            "Detail": json.dumps(detail),
            "Resources": [],
        }])
    except Exception:
        print(f"studio-emulator: could not deliver the CloudTrail event for {event_name}:",
              file=sys.stderr)
        traceback.print_exc(file=sys.stderr)


def install() -> None:
    # Moto's default target input leaves out the event's `account`; EventBridge delivers it.
    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"version": "0", ', '"version": "0", "account": "<account>", ')
