"""spendsync's benchmarks (GitHub issue 6): throughput per tenant against the platforms' limits,
the hand-written SDK baseline, end-to-end latency, API cost and memory, and the scale curve.

Everything runs over loopback sockets against real `spendsync` processes and the local platform
sandboxes; see bench/README.md.
"""
