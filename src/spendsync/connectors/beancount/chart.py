"""The ledger spendsync creates when a connection is linked to a file that does not exist yet:
a small business's chart of accounts, currencies, VAT rates, tracking categories and contacts,
declared with the conventions of book.py."""

from __future__ import annotations

from spendsync.connectors.beancount.files import INCLUDE_LINE
from spendsync.connectors.beancount.syntax import quote

OPENED = "2020-01-01"

_ACCOUNTS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    # (account, currency or "", display name, other metadata)
    (
        "Assets:Bank:Current",
        "{base}",
        "Business Bank Account",
        {"bank_kind": "bank", "code": "090"},
    ),
    (
        "Assets:Bank:Savings",
        "{base}",
        "Business Savings Account",
        {"bank_kind": "bank", "code": "091"},
    ),
    ("Assets:VAT:Input", "", "VAT on Purchases", {"code": "820"}),
    ("Assets:Prepayments", "", "Prepayments", {"code": "620"}),
    (
        "Liabilities:CreditCard:Company",
        "{base}",
        "Company Card",
        {"bank_kind": "card", "code": "800"},
    ),
    ("Liabilities:CreditCard:USD", "USD", "USD Card", {"bank_kind": "card", "code": "801"}),
    ("Liabilities:VAT:Output", "", "VAT on Sales", {"code": "821"}),
    (
        "Liabilities:AccountsPayable",
        "{base}",
        "Accounts Payable",
        {"role": "accounts-payable", "code": "810"},
    ),
    ("Income:Sales", "", "Sales", {"code": "200"}),
    ("Income:CardCashback", "", "Card Cashback Rewards", {"code": "270"}),
    ("Expenses:Travel:National", "", "Travel - National", {"code": "493"}),
    ("Expenses:Travel:International", "", "Travel - International", {"code": "494"}),
    ("Expenses:Meals", "", "Meals and Entertainment", {"code": "420"}),
    ("Expenses:Office", "", "Office Expenses", {"code": "453"}),
    ("Expenses:Software", "", "Software and Subscriptions", {"code": "485"}),
    ("Expenses:Advertising", "", "Advertising", {"code": "400"}),
    ("Expenses:General", "", "General Expenses", {"code": "429"}),
    ("Expenses:BankFees", "", "Bank Fees", {"code": "404"}),
    ("Equity:OpeningBalances", "", "Opening Balances", {"code": "970"}),
)
_TAX_RATES = (
    ("VAT20", "20% (VAT on Expenses)", "20", "Assets:VAT:Input", "purchases"),
    ("VAT5", "5% (VAT on Expenses)", "5", "Assets:VAT:Input", "purchases"),
    ("ZERO", "Zero Rated Expenses", "0", "Assets:VAT:Input", "purchases"),
    ("VAT20S", "20% (VAT on Income)", "20", "Liabilities:VAT:Output", "sales"),
)
_TRACKING = (
    ("department", "Department", None),
    ("department-sales", "Sales", "department"),
    ("department-engineering", "Engineering", "department"),
    ("department-operations", "Operations", "department"),
    ("region", "Region", None),
    ("region-north", "North", "region"),
    ("region-south", "South", "region"),
)
_SUPPLIERS = (
    "Pret A Manger",
    "Staples UK",
    "Trainline",
    "Amazon Web Services",
    "GitHub Inc",
    "Google Ads",
    "The Card Company",
)
_EMPLOYEES = ("Jane Cooper", "Sam Patel")
_CUSTOMERS = ("Acme Retail Ltd",)


def default_ledger(title: str, base_currency: str, opening_balance: str = "25000.00") -> str:
    out = [
        f"; {title}: books kept with Beancount (https://beancount.github.io).",
        "; spendsync writes its entries in the files under spendsync/ and never edits this one.",
        f'option "title" {quote(title)}',
        f'option "operating_currency" {quote(base_currency)}',
        'plugin "beancount.plugins.implicit_prices"',
        INCLUDE_LINE,
        "",
    ]
    for currency in dict.fromkeys((base_currency, "GBP", "USD", "EUR")):
        out.append(f"{OPENED} commodity {currency}")
    out.append("")
    for account, currency, name, meta in _ACCOUNTS:
        currency = currency.format(base=base_currency)
        out.append(f"{OPENED} open {account}" + (f" {currency}" if currency else ""))
        out.append(f"  name: {quote(name)}")
        out += [f"  {key}: {quote(value)}" for key, value in meta.items()]
    out.append("")
    for code, name, percent, account, usage in _TAX_RATES:
        out.append(f'{OPENED} custom "tax-rate" {quote(code)} {quote(name)} {percent} {account}')
        out.append(f"  for: {quote(usage)}")
    for category_id, name, parent in _TRACKING:
        parent_value = f" {quote(parent)}" if parent else ""
        out.append(
            f'{OPENED} custom "tracking-category" {quote(category_id)} {quote(name)}{parent_value}'
        )
    for supplier in _SUPPLIERS:
        out.append(f'{OPENED} custom "supplier" {quote(supplier)}')
    for employee in _EMPLOYEES:
        out.append(f'{OPENED} custom "supplier" {quote(employee)}')
        out.append("  employee: TRUE")
    for customer in _CUSTOMERS:
        out.append(f'{OPENED} custom "customer" {quote(customer)}')
    out += [
        "",
        f'{OPENED} * "Opening balance"',
        f"  Assets:Bank:Current      {opening_balance} {base_currency}",
        "  Equity:OpeningBalances",
        "",
    ]
    return "\n".join(out)
