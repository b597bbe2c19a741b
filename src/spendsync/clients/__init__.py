"""API clients (tenants) and their API keys."""
