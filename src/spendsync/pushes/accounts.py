"""Accounts and bank accounts as Codat pushes and renders them, and the `options` models that
tell a client what the platform needs to create one (built from the platform's declared
AccountCreation rules, so validation and the model cannot disagree)."""

from __future__ import annotations

from typing import Any

from spendsync.connectors.base import AccountCreation
from spendsync.connectors.reference import AccountType, BankKind, LedgerAccount, NewAccount
from spendsync.pushes.schemas import (
    AccountBody,
    BankAccountBody,
    PushFieldValidation,
    PushOption,
    PushOptionChoice,
    PushOptionProperty,
    PushValidationInfo,
)

_TYPE_OF_ROOT = {t.value: t for t in AccountType}


def new_account(body: AccountBody) -> NewAccount:
    """The category names the root (`Expense.Overheads` → Expense); `type` is a fallback."""
    category = body.fully_qualified_category or ""
    root = category.split(".", 1)[0] if category else body.type
    return NewAccount(
        name=body.name,
        account_type=_TYPE_OF_ROOT.get(root, AccountType.EXPENSE),
        category=category,
        currency=body.currency,
        nominal_code=body.nominal_code or None,
        description=body.description,
    )


def new_bank_account(body: BankAccountBody) -> NewAccount:
    """Codat's Credit bank accounts are cards (liabilities); Debit ones are bank accounts."""
    card = body.account_type == "Credit"
    return NewAccount(
        name=body.account_name,
        account_type=AccountType.LIABILITY if card else AccountType.ASSET,
        category="Liability.CreditCard" if card else "Asset.Bank",
        currency=body.currency,
        nominal_code=body.nominal_code or None,
        bank_kind=BankKind.CREDIT_CARD if card else BankKind.BANK,
        account_number=body.account_number or body.i_ban,
        sort_code=body.sort_code,
    )


def account_data(account: LedgerAccount, sent: NewAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "nominalCode": account.nominal_code,
        "name": account.name,
        "description": sent.description,
        "fullyQualifiedCategory": account.category,
        "fullyQualifiedName": account.name,
        "currency": account.currency,
        "type": account.account_type.value,
        "status": account.status.value,
        "isBankAccount": account.is_bank_account,
        "modifiedDate": account.modified.isoformat() if account.modified else None,
    }


def bank_account_data(account: LedgerAccount, sent: NewAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "accountName": account.name,
        "accountType": "Credit" if account.bank_kind is BankKind.CREDIT_CARD else "Debit",
        "nominalCode": account.nominal_code,
        "sortCode": sent.sort_code,
        "accountNumber": sent.account_number,
        "currency": account.currency,
        "modifiedDate": account.modified.isoformat() if account.modified else None,
    }


def _text(
    display: str, description: str, required: bool, *warnings: str, field: str = ""
) -> PushOptionProperty:
    return PushOptionProperty(
        type="String",
        display_name=display,
        description=description,
        required=required,
        validation=PushValidationInfo(
            warnings=[PushFieldValidation(field=field or display, details=w) for w in warnings],
            information=[],
        ),
    )


def _choices(pairs: tuple[tuple[str, str], ...]) -> list[PushOptionChoice]:
    return [PushOptionChoice(value=value, display_name=name) for value, name in pairs]


def account_option(platform: str, rules: AccountCreation) -> PushOption:
    code_rules = (
        [f"Max length of {rules.nominal_code_max_length} characters."]
        if rules.nominal_code_max_length
        else []
    )
    return PushOption(
        type="Object",
        display_name="Account",
        description=f"An account in the {platform} chart of accounts.",
        required=True,
        properties={
            "nominalCode": _text(
                "Nominal Code",
                "The account's code in the chart of accounts.",
                rules.nominal_code_required,
                *code_rules,
                field="NominalCode",
            ),
            "name": _text(
                "Name",
                "Name of the account as it appears in the chart of accounts.",
                True,
                f"Max length of {rules.name_max_length} characters.",
                "Must be unique in the chart of accounts.",
                field="Name",
            ),
            "description": _text("Description", "Description of the account.", False),
            "fullyQualifiedCategory": PushOptionProperty(
                type="String",
                display_name="Fully Qualified Category",
                description="The account's type and category.",
                required=True,
                options=_choices(rules.categories),
            ),
        },
    )


def bank_account_option(platform: str, rules: AccountCreation) -> PushOption:
    return PushOption(
        type="Object",
        display_name="Bank Account",
        description=f"A bank or card account in {platform} that transactions are recorded on.",
        required=True,
        properties={
            "accountName": _text(
                "Account Name",
                "Name of the bank account.",
                True,
                f"Max length of {rules.name_max_length} characters.",
                field="AccountName",
            ),
            "accountType": PushOptionProperty(
                type="String",
                display_name="Account Type",
                description="Credit for card accounts, Debit for bank accounts.",
                required=True,
                options=_choices((("Credit", "Credit card"), ("Debit", "Bank account"))),
            ),
            "accountNumber": _text(
                "Account Number",
                "The account number (for cards, e.g. the last four digits).",
                rules.bank_account_number_required,
                field="AccountNumber",
            ),
            "sortCode": _text("Sort Code", "Sort code of a UK bank account.", False),
            "nominalCode": _text(
                "Nominal Code", "The account's code in the chart of accounts.", False
            ),
            "currency": _text(
                "Currency",
                "ISO 4217 code; the organisation must have the currency enabled.",
                True,
                field="Currency",
            ),
        },
    )
