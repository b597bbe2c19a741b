"""The Idempotency-Key header on POST/PUT/PATCH: replay, mismatch (422), in flight (409)."""
