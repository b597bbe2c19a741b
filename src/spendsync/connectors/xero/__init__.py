"""Xero (Accounting API 2.0): OAuth 2.0 with PKCE, reference data, bank transactions,
transfers, bills for reimbursable expenses, manual journals, attachments."""
