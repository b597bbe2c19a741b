"""Validation messages, kept in one table so a connector's error classifier can be tested
against exactly what the sandbox says.

``VERBATIM`` messages are quoted from Xero's OpenAPI examples or from Xero responses recorded by
integrators; the others follow Xero's style but their exact wording is not documented, so a
connector should match them loosely (on the field / code they mention), as it must for Xero.
"""

from __future__ import annotations

# --- verbatim -------------------------------------------------------------------------------
CONTACT_IDENTIFIER = (
    "The Contact must contain at least 1 of the following elements to identify the contact: "
    "Name, ContactID, ContactNumber"
)


def contact_name_taken(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )


def account_code_invalid(code: str) -> str:
    return f"Account code '{code}' is not a valid code for this document."


def account_archived(code: str) -> str:
    return (
        f"Account code '{code}' has been archived, or has been deleted. "
        "Each line item must reference a valid account."
    )


def tax_type_invalid(tax_type: str) -> str:
    return (
        f"The TaxType code {tax_type} does not exist or cannot be used for this type of "
        "transaction."
    )


def period_locked(lock_date: str) -> str:
    return f"The document date cannot be before the period lock date of {lock_date}"


EMAIL_INVALID = "Email address must be valid."


# --- Xero style, exact wording undocumented ------------------------------------------------
def type_required(document: str) -> str:
    return f"The {document} Type must be specified."


def type_invalid(document: str, value: object) -> str:
    return f"The {document} Type '{value}' is not valid."


TRANSFER_TYPES_READ_ONLY = (
    "Bank transactions of type SPEND-TRANSFER or RECEIVE-TRANSFER can only be created by "
    "creating a bank transfer."
)
BANK_ACCOUNT_REQUIRED = "A bank account must be specified."
LINE_ITEMS_REQUIRED = "At least one line item must be specified."
LINE_ACCOUNT_REQUIRED = "An account code must be specified for each line item."
LINE_DESCRIPTION_REQUIRED = "Description needs to be at least 1 char long."
TRACKING_MAX = "A line item can have a maximum of 2 tracking categories."
TRACKING_DUPLICATE = "A tracking category can only be applied once to a line item."
NARRATION_REQUIRED = "Narration must be specified."
JOURNAL_LINES_REQUIRED = "A manual journal must have at least two journal lines."
TRANSFER_AMOUNT_POSITIVE = "The Amount must be greater than zero."
TRANSFER_SAME_ACCOUNT = "The From and To bank accounts cannot be the same."
TRANSFER_CURRENCY = (
    "Bank transfers between accounts of different currencies are not supported: the "
    "FromBankAccount and ToBankAccount must have the same currency."
)
TOTAL_NEGATIVE = "The total of the bank transaction cannot be negative."
DISCOUNT_ACCPAY = "Discounts are not supported on ACCPAY invoices and credit notes."
CONTACT_NAME_REQUIRED = "The contact name must be specified."
CREATE_STATUS = "Bank transactions can only be created with a status of AUTHORISED."
ATTACHMENT_EMPTY = "The attachment must not be empty."


def bank_account_not_bank(code: str) -> str:
    return f"Account '{code}' is not a bank account. The BankAccount must be of type BANK."


def bank_account_invalid(reference: str) -> str:
    return f"The BankAccount '{reference}' could not be found."


def bank_account_archived(reference: str) -> str:
    return f"The BankAccount '{reference}' has been archived, or has been deleted."


def transfer_account_required(side: str) -> str:
    return f"The {side} must be specified."


def tax_type_for_account(tax_type: str, code: str) -> str:
    return f"The TaxType code {tax_type} cannot be used with account code {code}."


def tracking_category_invalid(name: str) -> str:
    return f"The Tracking Category '{name}' does not exist or has been archived."


def tracking_option_invalid(option: str, category: str) -> str:
    return (
        f"The Tracking Option '{option}' does not exist or has been archived for "
        f"Tracking Category '{category}'."
    )


def line_amount_mismatch(given: str, expected: str) -> str:
    return f"The LineAmount {given} does not match Quantity multiplied by UnitAmount ({expected})."


def line_amount_types_invalid(value: object) -> str:
    return f"The LineAmountTypes '{value}' is not valid. Use Exclusive, Inclusive or NoTax."


def currency_mismatch(given: str, account_currency: str) -> str:
    return (
        f"The CurrencyCode {given} does not match the currency of the bank account "
        f"({account_currency})."
    )


def currency_rate_base(base: str) -> str:
    return f"A CurrencyRate can only be specified for transactions not in the base currency {base}."


CURRENCY_RATE_POSITIVE = "The CurrencyRate must be greater than zero."


def currency_not_enabled(code: str) -> str:
    return f"The currency {code} is not enabled for this organisation."


def date_invalid(value: object) -> str:
    return f"The date '{value}' is not a valid date."


def not_balanced(debits: str, credits: str) -> str:
    return f"The total debits ({debits}) must equal total credits ({credits})."


def contact_not_found(reference: str) -> str:
    return f"The contact '{reference}' could not be found."


def contact_archived(name: str) -> str:
    return f"The contact '{name}' has been archived and cannot be used on a transaction."


def document_not_found(document: str, identifier: str) -> str:
    return f"A {document} with the ID {identifier} could not be found."


def document_not_editable(document: str, status: str) -> str:
    return f"This {document} cannot be edited as it has a status of {status}."


def status_invalid(document: str, status: object) -> str:
    return f"The {document} Status '{status}' is not valid for this operation."


def max_attachments(limit: int) -> str:
    return f"A document can have a maximum of {limit} attachments."


def attachment_too_large(limit_mb: int) -> str:
    return f"The attachment exceeds the maximum file size of {limit_mb}MB."


def currency_exists(code: str) -> str:
    return f"The currency {code} has already been added to this organisation."


def currency_unknown(code: object) -> str:
    return f"The currency code '{code}' is not a valid currency."


# Accounts
ACCOUNT_NAME_REQUIRED = "Please enter a Name."
ACCOUNT_NAME_TOO_LONG = "The Name cannot be longer than 150 characters."
ACCOUNT_NAME_TAKEN = "Please enter a unique Name."
ACCOUNT_CODE_REQUIRED = "Please enter a Code."
ACCOUNT_CODE_TOO_LONG = "The Code cannot be longer than 10 characters."
ACCOUNT_CODE_TAKEN = "Please enter a unique Code."
ACCOUNT_BANK_TYPE_FIXED = "The Type of a bank account cannot be changed."
BANK_ACCOUNT_NUMBER_REQUIRED = "Please enter a Bank Account Number."


def account_type_invalid(kind: str) -> str:
    return f"'{kind}' is not a valid account Type."


def bank_account_type_invalid(kind: str) -> str:
    return f"'{kind}' is not a valid BankAccountType."
