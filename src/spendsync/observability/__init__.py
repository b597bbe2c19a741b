"""What a platform team watches: structured logs with correlation ids, health and readiness
probes, and Prometheus metrics."""
