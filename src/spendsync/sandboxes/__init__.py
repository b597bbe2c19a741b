"""Local emulators of the accounting platforms spendsync pushes to, in the spirit of moto.

Each platform sandbox is a thin HTTP layer (FastAPI) over an in-memory, per-tenant backend that
applies the vendor's own validation rules and renders the vendor's own error bodies, so that a
connector can be developed and tested offline with only its base URLs changed. Every sandbox
shares the control plane in :mod:`spendsync.sandboxes.control` (fault injection, rate limits,
counters, a scalable clock) so that tests and benchmarks drive all platforms the same way; the
instance wiring (:mod:`spendsync.sandboxes.instance`) and the OAuth mechanics
(:mod:`spendsync.sandboxes.oauth`) are shared too, while each vendor's texts and rules stay in
its own package.
"""
