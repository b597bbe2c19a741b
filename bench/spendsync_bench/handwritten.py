"""The hand-written alternative: a straightforward integration on the platforms' official SDKs
(`xero-python`, `python-quickbooks`), one transaction per call as their examples do, pointed at
the sandbox. It sleeps on a 429 and tries again (the least a working integration does)."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from spendsync_bench.infra import HAND_CLIENT, Sandbox


@dataclass(frozen=True)
class HandRun:
    transactions: int
    seconds: float
    retries: int

    @property
    def per_minute(self) -> float:
        return self.transactions / self.seconds * 60


class XeroHandWritten:
    def __init__(self, sandbox: Sandbox, tenant: str) -> None:
        from xero_python.accounting import AccountingApi
        from xero_python.api_client import ApiClient, Configuration
        from xero_python.api_client.oauth2 import OAuth2Token

        self.sandbox = sandbox
        self.tenant = tenant
        self._token: dict[str, Any] = {}
        client = ApiClient(
            Configuration(oauth2_token=OAuth2Token(*HAND_CLIENT)),
            pool_threads=1,
            oauth2_token_getter=lambda: self._token,
            oauth2_token_saver=self._save,
        )
        self.refresh_token(client)
        self.api = AccountingApi(client, base_url=f"{sandbox.url}/api.xro/2.0")
        accounts = self.api.get_accounts(tenant).accounts
        by_name = {a.name: a for a in accounts}
        self.card = by_name["Company Card"].account_id
        self.expense_code = by_name["Travel - National"].code

    def _save(self, token: dict[str, Any]) -> None:
        self._token = token

    def refresh_token(self, client: Any | None = None) -> None:
        answer = self.sandbox.control(
            "POST", "/xero/tokens", {"client_id": HAND_CLIENT[0], "tenant_ids": [self.tenant]}
        )
        token = {
            "access_token": answer["access_token"],
            "token_type": "Bearer",
            "expires_in": answer.get("expires_in", 1800),
            "scope": answer.get("scope", ""),
        }
        if client is not None:
            client.set_oauth2_token(token)
        else:
            self.api.api_client.set_oauth2_token(token)

    def push(self, count: int) -> HandRun:
        from xero_python.accounting import (
            Account,
            BankTransaction,
            BankTransactions,
            Contact,
            LineAmountTypes,
            LineItem,
        )
        from xero_python.exceptions import RateLimitException

        self.refresh_token()
        retries = 0
        started = time.monotonic()
        for n in range(count):
            transaction = BankTransaction(
                type="SPEND",
                contact=Contact(name="Pret A Manger"),
                bank_account=Account(account_id=self.card),
                line_amount_types=LineAmountTypes.EXCLUSIVE,
                date=date(2026, 11, 5),
                line_items=[
                    LineItem(
                        description="Pret A Manger",
                        quantity=1.0,
                        unit_amount=float(Decimal(n) / 100 + 1),
                        account_code=self.expense_code,
                    )
                ],
            )
            while True:
                try:
                    self.api.create_bank_transactions(
                        self.tenant,
                        BankTransactions(bank_transactions=[transaction]),
                        idempotency_key=str(uuid.uuid4()),
                    )
                    break
                except RateLimitException as error:
                    retries += 1
                    time.sleep(float(error.headers.get("Retry-After") or 1))
        return HandRun(count, time.monotonic() - started, retries)


class QboHandWritten:
    def __init__(self, sandbox: Sandbox, realm: str) -> None:
        from quickbooks import QuickBooks
        from quickbooks.objects.account import Account
        from requests_oauthlib import OAuth2Session

        self.sandbox = sandbox
        self.realm = realm
        # What python-quickbooks builds from intuit-oauth's AuthClient once a user has connected
        # (AuthClient itself fetches Intuit's discovery document, which the sandbox does not
        # serve): an OAuth2 session holding the access token.
        # The sandbox is plain HTTP on loopback: oauthlib's documented switch for that.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        self.client = QuickBooks(company_id=realm, minorversion=75)
        self.client.sandbox = True
        self.client.session = OAuth2Session(HAND_CLIENT[0], token=self._session_token())
        # Intuit's SDK knows two hosts; this is how an integration reaches another one.
        self.client.sandbox_api_url_v3 = f"{sandbox.url}/v3"
        self.client.api_url_v3 = f"{sandbox.url}/v3"
        accounts = {a.Name: a for a in Account.all(qb=self.client, max_results=1000)}
        self.card = accounts["Company Card"].to_ref()
        self.expense = accounts["Travel"].to_ref()

    def _session_token(self) -> dict[str, str]:
        return {"access_token": self._token(), "token_type": "Bearer"}

    def _token(self) -> str:
        answer = httpx.post(
            f"{self.sandbox.url}/_control/qbo/tokens",
            json={"client_id": HAND_CLIENT[0], "realm_id": self.realm},
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def push(self, count: int) -> HandRun:
        from quickbooks.exceptions import QuickbooksException
        from quickbooks.objects.detailline import (
            AccountBasedExpenseLine,
            AccountBasedExpenseLineDetail,
        )
        from quickbooks.objects.purchase import Purchase

        self.client.session.token = self._session_token()
        second = 1.0 / self.sandbox.spec.scale  # a platform second, in real seconds
        retries = 0
        started = time.monotonic()
        for n in range(count):
            purchase = Purchase()
            purchase.PaymentType = "CreditCard"
            purchase.AccountRef = self.card
            purchase.TxnDate = "2026-11-05"
            line = AccountBasedExpenseLine()
            line.Amount = float(Decimal(n) / 100 + 1)
            line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
            line.AccountBasedExpenseLineDetail.AccountRef = self.expense
            purchase.Line = [line]
            while True:
                try:
                    purchase.save(qb=self.client, request_id=uuid.uuid4().hex)
                    break
                except QuickbooksException as error:
                    if error.error_code != 3001:  # ThrottleExceeded
                        raise
                    retries += 1
                    time.sleep(second)
        return HandRun(count, time.monotonic() - started, retries)
