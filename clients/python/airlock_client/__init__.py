"""Airlock's approver API from Python.

from airlock_client import ApprovalsClient

with ApprovalsClient("http://127.0.0.1:4000", token) as client:
    for approval in client.list("pending"):
        print(approval["id"], approval["tool_name"], approval["reasons"])
    client.deny("apr_…", reason="no new cloud instances from CI")
"""

from airlock_client.client import (
    STATUSES,
    Approval,
    ApprovalsClient,
    AsyncApprovalsClient,
    Event,
    Status,
)
from airlock_client.errors import AirlockClientError
from airlock_client.sse import Decoder, Message

__all__ = [
    "STATUSES",
    "AirlockClientError",
    "Approval",
    "ApprovalsClient",
    "AsyncApprovalsClient",
    "Decoder",
    "Event",
    "Message",
    "Status",
]
