"""IAM's AWS-managed policies (studio_emulator/iam.py).

AWS-managed policies exist in every account, with their AWS ARN `arn:aws:iam::aws:policy/...`
("AWS managed policies", IAM User Guide:
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html). The
emulator builds them once per account; these tests hold it to behaving as if each account's IAM
were new after a reset.
"""
SAGEMAKER_FULL = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"


def iam_of(emulator, account: str):
    """An IAM client as `account` (moto's `x-moto-account-id` request header)."""
    client = emulator.client("iam")

    def as_account(request, **_):
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign.iam.*", as_account)
    return client


def test_aws_managed_policies_exist_and_attach(emulator):
    iam = emulator.client("iam")
    policy = iam.get_policy(PolicyArn=SAGEMAKER_FULL)["Policy"]
    assert policy["PolicyName"] == "AmazonSageMakerFullAccess"
    assert policy["AttachmentCount"] == 0
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    iam.attach_role_policy(RoleName="r", PolicyArn=SAGEMAKER_FULL)
    assert iam.get_policy(PolicyArn=SAGEMAKER_FULL)["Policy"]["AttachmentCount"] == 1
    listed = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in listed] == [SAGEMAKER_FULL]


def test_a_reset_forgets_attachments_but_keeps_the_policies(emulator):
    iam = emulator.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    iam.attach_role_policy(RoleName="r", PolicyArn=SAGEMAKER_FULL)
    before = iam.get_policy(PolicyArn=SAGEMAKER_FULL)["Policy"]
    emulator.reset()
    after = iam.get_policy(PolicyArn=SAGEMAKER_FULL)["Policy"]
    assert after["AttachmentCount"] == 0
    assert after["PolicyId"] == before["PolicyId"]  # an AWS-managed policy keeps its id
    assert iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"] == []
    assert iam.list_roles()["Roles"] == []


def test_every_account_has_them_and_attachments_stay_in_their_account(emulator):
    ours = emulator.client("iam")
    other = iam_of(emulator, "111122223333")
    ours.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    ours.attach_role_policy(RoleName="r", PolicyArn=SAGEMAKER_FULL)
    assert other.get_policy(PolicyArn=SAGEMAKER_FULL)["Policy"]["AttachmentCount"] == 0
    assert ours.get_policy(PolicyArn=SAGEMAKER_FULL)["Policy"]["AttachmentCount"] == 1
