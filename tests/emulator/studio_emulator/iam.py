"""IAM's AWS-managed policies, built once per account instead of at every reset.

AWS-managed policies (AmazonSageMakerFullAccess, ...) exist in every account ("AWS managed
policies", IAM User Guide: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html),
and modules attach them, so moto loads them (`load_aws_managed_policies`). moto parses its copy of
all of them (over a thousand documents) and builds an object for each whenever an account's IAM
backend is made: after every `/moto-api/reset` and for every new account. That took most of the
emulator's CPU time. Here each account's policies are built once, kept as templates nobody
changes, and a backend gets fresh copies: the same policies (same ids, as on AWS, where a managed
policy's id does not change), with no attachments, tags or versions carried over from before a
reset.
"""
from __future__ import annotations

import threading

from moto.iam.models import IAMBackend, load_iam_aws_managed_policies

_TEMPLATES: dict[tuple[str, str], list] = {}
_LOCK = threading.Lock()
_build = IAMBackend._init_aws_policies


def _fresh(template):
    """A copy of `template` as moto would have built it: no attachments, no tags. Its versions
    are shared: an AWS-managed policy's versions are AWS's to change, not an account's."""
    policy = object.__new__(type(template))
    policy.__dict__.update(template.__dict__)
    policy.attachment_count = 0
    policy.tags = {}
    policy.versions = list(template.versions)
    return policy


def _init_aws_policies(backend: IAMBackend) -> list:
    if not load_iam_aws_managed_policies():
        return []
    key = (backend.account_id, backend.region_name)
    with _LOCK:
        templates = _TEMPLATES.get(key)
        if templates is None:
            templates = _TEMPLATES[key] = _build(backend)
    return [_fresh(template) for template in templates]


def install() -> None:
    IAMBackend._init_aws_policies = _init_aws_policies
