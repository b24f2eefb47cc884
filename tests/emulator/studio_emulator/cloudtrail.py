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

import fnmatch

from moto.cloudtrail.models import Trail, cloudtrail_backends
from moto.core.exceptions import JsonRESTError
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


class InsufficientS3BucketPolicyException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("InsufficientS3BucketPolicyException", message)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict, context: dict) -> bool:
    """IAM condition operators a CloudTrail bucket policy uses; a key the request does not carry
    (or an operator not modelled) makes the condition false, the stricter reading for an Allow."""
    tests = {
        "StringEquals": lambda value, pattern: value == pattern,
        "StringLike": fnmatch.fnmatchcase,
        "ArnEquals": lambda value, pattern: value == pattern,
        "ArnLike": fnmatch.fnmatchcase,
        "Bool": lambda value, pattern: value.lower() == str(pattern).lower(),
    }
    for operator, keys in condition.items():
        test = tests.get(operator)
        if test is None:
            return False
        for key, patterns in keys.items():
            value = context.get(key)
            if value is None or not any(test(value, str(p)) for p in _as_list(patterns)):
                return False
    return True


def _statement_applies(statement: dict, action: str, resource: str, context: dict) -> bool:
    principal = statement.get("Principal")
    services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
    anyone = principal == "*" or (isinstance(principal, dict)
                                  and "*" in _as_list(principal.get("AWS", [])))
    if not (anyone or "cloudtrail.amazonaws.com" in services):
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower())
               for a in _as_list(statement.get("Action", []))):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in _as_list(statement.get("Resource", []))):
        return False
    return _condition_holds(statement.get("Condition") or {}, context)


def bucket_policy_allows(policy: dict, action: str, resource: str, context: dict) -> bool:
    """Whether the bucket policy lets CloudTrail do `action` on `resource`: an Allow statement
    applies and no Deny statement does."""
    statements = _as_list(policy.get("Statement", []))
    applying = [s for s in statements if _statement_applies(s, action, resource, context)]
    return (any(s.get("Effect") == "Allow" for s in applying)
            and not any(s.get("Effect") == "Deny" for s in applying))


def check_bucket_policy(trail) -> None:
    """CreateTrail refuses a bucket whose policy does not let CloudTrail deliver: CloudTrail API
    Reference, CreateTrail (InsufficientS3BucketPolicyException, "the policy on the S3 bucket is
    not sufficient"); CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail": the
    service principal `cloudtrail.amazonaws.com` needs `s3:GetBucketAcl` on the bucket and
    `s3:PutObject` on `<bucket>/[prefix/]AWSLogs/<account id>/*`, and delivers with
    `s3:x-amz-acl = bucket-owner-full-control` and `aws:SourceArn` = the trail's ARN (over TLS).
    Moto checks only that the bucket exists."""
    from moto.s3.models import s3_backends

    bucket = s3_backends[trail.account_id][trail.partition].get_bucket(trail.bucket_name)
    policy = json.loads(bucket.policy.decode()) if bucket.policy else {}
    bucket_arn = f"arn:{trail.partition}:s3:::{trail.bucket_name}"
    prefix = f"{trail.s3_key_prefix}/" if trail.s3_key_prefix else ""
    log_file = (f"{bucket_arn}/{prefix}AWSLogs/{trail.account_id}/CloudTrail/{trail.region_name}/"
                f"{trail.account_id}_CloudTrail_{trail.region_name}_example.json.gz")
    context = {"aws:SourceArn": trail.arn, "aws:SourceAccount": trail.account_id,
               "aws:SecureTransport": "true"}
    needs = [("s3:GetBucketAcl", bucket_arn, context),
             ("s3:PutObject", log_file, {**context, "s3:x-amz-acl": "bucket-owner-full-control"})]
    for action, resource, request in needs:
        if not bucket_policy_allows(policy, action, resource, request):
            raise InsufficientS3BucketPolicyException(
                f"Incorrect S3 bucket policy is detected for bucket: {trail.bucket_name} "
                f"(CloudTrail may not {action} {resource})")


def install() -> None:
    original = Trail.check_bucket_exists

    def check_bucket_exists(self) -> None:
        original(self)
        check_bucket_policy(self)

    Trail.check_bucket_exists = check_bucket_exists

    # Moto's default target input leaves out the event's `account`; EventBridge delivers it.
    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"version": "0", ', '"version": "0", "account": "<account>", ')
