"""Every platform in the contract suite: name → factory of its harness."""

from __future__ import annotations

from tests.connectors.contract.beancount import beancount_harness
from tests.connectors.contract.harness import HarnessFactory
from tests.connectors.contract.qbo import qbo_harness
from tests.connectors.contract.xero import xero_harness

HARNESSES: dict[str, HarnessFactory] = {
    "beancount": beancount_harness,
    "qbo": qbo_harness,
    "xero": xero_harness,
}
