"""Building Codat's `ExpensesSyncWebhook` events when a sync ends (pure, no I/O)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from spendsync.companies.models import Company
from spendsync.syncs.models import Sync, SyncStatusCode, SyncTransaction, TransactionStatus

# Codat's webhook transaction statuses: a validation or push failure is "Failed" there.
_STATUS = {
    TransactionStatus.COMPLETED: "Completed",
    TransactionStatus.PENDING: "Pending",
    TransactionStatus.PUSH_ERROR: "PushError",
    TransactionStatus.VALIDATION_ERROR: "Failed",
    TransactionStatus.UNKNOWN: "Unknown",
}


def sync_event(
    company: Company, sync: Sync, transactions: list[SyncTransaction], now: datetime
) -> tuple[str, str, dict[str, Any]]:
    """(event id, event type, body) for a sync that has ended."""
    successful = sync.status_code in (
        SyncStatusCode.SUCCESS_DATA_WRITTEN,
        SyncStatusCode.SUCCESS_NO_DATA,
    )
    event_type = "expenses.sync.successful" if successful else "expenses.sync.unsuccessful"
    event_id = str(uuid.uuid4())
    body = {
        "id": event_id,
        "eventType": event_type,
        "generatedDate": now.isoformat().replace("+00:00", "Z"),
        "payload": {
            "referenceCompany": {
                "id": company.id,
                "name": company.name,
                "description": company.description,
                "tags": {tag.key: tag.value for tag in company.tags},
            },
            "syncId": sync.id,
            "transactions": [
                {
                    "id": row.transaction_id,
                    "status": _STATUS[row.status],
                    "errorMessage": None
                    if row.status is TransactionStatus.COMPLETED
                    else row.message,
                }
                for row in sorted(transactions, key=lambda r: r.position)
            ],
        },
    }
    return event_id, event_type, body
