"""The steps of the expense flow as a Codat customer takes them with the official Codat SDK,
against a live `spendsync serve` on a platform sandbox: each test states the platform's
accounts and what its books must show, these helpers take the steps."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult, urlparse

import httpx
from codat_sync_for_expenses import CodatSyncExpenses
from codat_sync_for_expenses.models import shared

from tests.connectors.platform_settings import worker_settings
from tests.connectors.processes import as_env
from tests.live_server import running_server

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
)

Line = Callable[[float], dict[str, Any]]  # net amount → an expense line


def register_app(apps_url: str, client_id: str, client_secret: str, redirect_uri: str) -> None:
    """Register an app at a sandbox's control plane (`…/_control/<platform>/apps`)."""
    registered = httpx.post(
        apps_url,
        json={
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uris": [redirect_uri],
        },
    )
    assert registered.status_code == 201, registered.text


@contextmanager
def spendsync_serving(
    database_url: str,
    jobs_database_url: str,
    secret_key: str,
    data_dir: Path,
    port: int,
    platform: dict[str, Any],
) -> Iterator[str]:
    """`spendsync serve` on `port` with the platform's settings; its syncs run on this test
    process's worker, given the same settings."""
    env = as_env({**platform, "secret_key": secret_key})
    with (
        worker_settings(platform),
        running_server(
            database_url,
            data_dir,
            jobs_database_url=jobs_database_url,
            worker=False,
            port=port,
            extra_env=env,
        ) as url,
    ):
        yield url


def codat_client(live: str, key: str) -> CodatSyncExpenses:
    return CodatSyncExpenses(security=shared.Security(auth_header=f"Basic {key}"), server_url=live)


def wait(check: Callable[[], Any], timeout: float = 30) -> Any:
    """`check()`'s first truthy answer, polled every 100 ms for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline
        time.sleep(0.1)


def finished(sdk: CodatSyncExpenses, company_id: str, sync_id: str) -> Any:
    """The sync's status once it is no longer pending."""
    return wait(
        lambda: (
            (
                s := sdk.sync.get(request={"company_id": company_id, "sync_id": sync_id})
            ).sync_status_code
            != 1000
            and s
        )
    )


def link(sdk: CodatSyncExpenses, live: str, platform_key: str) -> tuple[Any, Any, ParseResult]:
    """A company linked to the platform as a customer links it (following the linkUrl through
    the platform's consent back to spendsync), with its partner expense connection: the
    company, its linked connection and the callback spendsync was sent back to."""
    company = sdk.companies.create(request={"name": "Demo UK"})
    connection = sdk.connections.create(
        request={"company_id": company.id, "request_body": {"platform_key": platform_key}}
    )
    assert connection.status == "PendingAuth"
    to_platform = httpx.get(connection.link_url, follow_redirects=False)
    assert to_platform.status_code == 302
    to_us = httpx.get(to_platform.headers["location"], follow_redirects=False)
    callback = urlparse(to_us.headers["location"])
    assert callback.netloc == urlparse(live).netloc
    assert httpx.get(to_us.headers["location"]).status_code == 200
    linked = sdk.connections.get(request={"company_id": company.id, "connection_id": connection.id})
    assert linked.status == "Linked"
    sdk.connections.create_partner_expense_connection(request={"company_id": company.id})
    return company, linked, callback


def wait_for_pulls(sdk: CodatSyncExpenses, company_id: str) -> None:
    """Until the first read of all five kinds of reference data has completed."""
    wait(
        lambda: (
            (
                ops := sdk.manage_data.list_pull_operations(
                    request={"company_id": company_id}
                ).results
            )
            and len(ops) == 5
            and all(op.is_completed for op in ops)
        )
    )


def named(live: str, key: str, company_id: str, kind: str, name: str) -> str:
    """The id of the company's `kind` ("supplier" or "customer") called `name`."""
    found = httpx.get(
        f"{live}/companies/{company_id}/data/{kind}s",
        params={"query": f"{kind}Name={name}"},
        headers={"Authorization": f"Basic {key}"},
    ).json()["results"]
    return str(found[0]["id"])


def configure(
    sdk: CodatSyncExpenses,
    company_id: str,
    bank_account_id: str,
    supplier_id: str,
    customer_id: str,
) -> None:
    sdk.configuration.set(
        request={
            "company_id": company_id,
            "company_configuration": {
                "bank_account": {"id": bank_account_id},
                "supplier": {"id": supplier_id},
                "customer": {"id": customer_id},
            },
        }
    )


def create_expenses(sdk: CodatSyncExpenses, company_id: str, items: list[dict[str, Any]]) -> Any:
    """One expenses request: the sync."""
    return sdk.expenses.create(request={"company_id": company_id, "request_body": items})


def card_spend(sdk: CodatSyncExpenses, company_id: str, line: Line) -> tuple[str, Any]:
    """A Pret A Manger payment of 10 and a refund of 5 on the configured card: the payment's
    id and the sync."""
    payment_id = str(uuid.uuid4())
    payment = {
        "id": payment_id,
        "type": "Payment",
        "issue_date": "2026-11-02",
        "currency": "GBP",
        "merchant_name": "Pret A Manger",
        "lines": [line(10)],
    }
    refund = {
        "id": str(uuid.uuid4()),
        "type": "Refund",
        "issue_date": "2026-11-03",
        "currency": "GBP",
        "merchant_name": "Pret A Manger",
        "lines": [line(5)],
    }
    created = create_expenses(sdk, company_id, [payment, refund])
    return payment_id, created


def update_payment(sdk: CodatSyncExpenses, company_id: str, payment_id: str, line: Line) -> Any:
    """The card_spend payment, now of 12: the sync."""
    return sdk.expenses.update(
        request={
            "company_id": company_id,
            "transaction_id": payment_id,
            "update_expense_request": {
                "type": "Payment",
                "issue_date": "2026-11-02",
                "currency": "GBP",
                "merchant_name": "Pret A Manger",
                "lines": [line(12)],
            },
        }
    )


def reward(account_id: str) -> dict[str, Any]:
    """A cashback reward of 5 booked to `account_id`, as one item of an expenses request."""
    return {
        "id": str(uuid.uuid4()),
        "type": "Reward",
        "issue_date": "2026-11-05",
        "currency": "GBP",
        "lines": [{"net_amount": 5, "account_ref": {"id": account_id}}],
    }


def usd_card_spend(
    card_id: str, account_id: str, tracking_ids: list[str], **fields: Any
) -> dict[str, Any]:
    """A payment of 40 USD (at 0.8) on a USD card, its line tracked to `tracking_ids`, as one
    item of an expenses request; `fields` (the merchant, a contact) add to it."""
    return {
        "id": str(uuid.uuid4()),
        "type": "Payment",
        "issue_date": "2026-11-07",
        "currency": "USD",
        "currency_rate": "0.8",
        "bank_account_ref": {"id": card_id},
        **fields,
        "lines": [
            {
                "net_amount": 40,
                "account_ref": {"id": account_id},
                "tracking_refs": [
                    {"id": tracking_id, "data_type": "trackingCategories"}
                    for tracking_id in tracking_ids
                ],
            }
        ],
    }


def chargeback(line: Line) -> dict[str, Any]:
    """A chargeback of 10 from Pret A Manger, as one item of an expenses request."""
    return {
        "id": str(uuid.uuid4()),
        "type": "Chargeback",
        "issue_date": "2026-11-06",
        "currency": "GBP",
        "merchant_name": "Pret A Manger",
        "lines": [line(10)],
    }


def card_repayment(sdk: CodatSyncExpenses, company_id: str, bank_id: str, card_id: str) -> Any:
    """A transfer of 100 from the bank paying the card off: the sync."""
    return sdk.transfers.create(
        request={
            "company_id": company_id,
            "transaction_id": str(uuid.uuid4()),
            "transfer_transaction_request": {
                "date_": "2026-11-28",
                "description": "Card repayment",
                "from_": {"account_ref": {"id": bank_id}, "amount": 100},
                "to": {"account_ref": {"id": card_id}, "amount": 100},
            },
        }
    )


def claim(
    sdk: CodatSyncExpenses, company_id: str, claim_id: str, employee_id: str, line: Line
) -> Any:
    """An employee's reimbursable expense of 20 ("Claim 1"): the sync."""
    return sdk.reimbursements.create(
        request={
            "company_id": company_id,
            "request_body": [
                {
                    "id": claim_id,
                    "reference": "Claim 1",
                    "contact_ref": {"id": employee_id},
                    "issue_date": "2026-11-10",
                    "due_date": "2026-11-24",
                    "currency": "GBP",
                    "lines": [line(20)],
                }
            ],
        }
    )


def reclassify(sdk: CodatSyncExpenses, company_id: str, to_id: str, from_id: str) -> Any:
    """An adjustment ("Reclassify") moving 15 from one account to another: the sync."""
    return sdk.adjustments.create(
        request={
            "company_id": company_id,
            "request_body": [
                {
                    "id": str(uuid.uuid4()),
                    "date_": "2026-11-30",
                    "currency": "GBP",
                    "reference": "Reclassify",
                    "lines": [
                        {"amount": 15, "account_ref": {"id": to_id}},
                        {"amount": -15, "account_ref": {"id": from_id}},
                    ],
                }
            ],
        }
    )


def attach(
    sdk: CodatSyncExpenses,
    company_id: str,
    sync_id: str,
    transaction_id: str,
    file_name: str,
    content: bytes,
    content_type: str,
) -> Any:
    return sdk.attachments.upload(
        request={
            "company_id": company_id,
            "sync_id": sync_id,
            "transaction_id": transaction_id,
            "attachment_upload": {
                "file": {"file_name": file_name, "content": content, "content_type": content_type}
            },
        }
    )
