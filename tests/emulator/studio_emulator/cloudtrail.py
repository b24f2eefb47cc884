"""CloudTrail management events on EventBridge, for the SageMaker calls the event path listens to.

AWS delivers every management API call that a trail records to the default event bus as an
event with `detail-type: "AWS API Call via CloudTrail"`. Moto records nothing, so after a
successful CreateUserProfile or CreateSpace (and only then) we put that event through moto's
EventBridge backend, where rules match it and deliver it to their targets as for any event.
Switched by `SETTINGS.config["cloudtrail_events"]` (on by default).

The detail follows the CloudTrail record format: request parameters as sent, with every key's
first letter in lower case (CloudTrail's convention), and the response elements.
"""
import json
import sys
import traceback
import uuid
from datetime import datetime, timezone

from moto.events.models import events_backends
from moto.events.utils import EventTemplateParser

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


def api_call(resp, event_name: str, response_elements: dict) -> None:
    """Puts the event for a successful call on the default bus, when switched on. Never raises:
    a failing delivery must not fail the API call that caused it (AWS delivers asynchronously)."""
    if not SETTINGS.config.get("cloudtrail_events"):
        return
    try:
        detail = record(resp, event_name, response_elements)
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
