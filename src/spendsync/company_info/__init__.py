"""`GET /companies/{companyId}/data/info`: the company as its ledger describes it."""
