"""The Beancount local-ledger connector (platform key `bean`); see connector.py."""
