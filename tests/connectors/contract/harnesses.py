"""Every platform in the contract suite: name → factory of its harness."""

from __future__ import annotations

from tests.connectors.contract.beancount import beancount_harness
from tests.connectors.contract.harness import HarnessFactory
from tests.connectors.contract.xero import xero_harness

HARNESSES: dict[str, HarnessFactory] = {
    "xero": xero_harness,
    "beancount": beancount_harness,
}
