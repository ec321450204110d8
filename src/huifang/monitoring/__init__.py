"""Monitoring for a company's IT: the Prometheus endpoint ``/metrics`` (request counts
and latencies, and the follow-up figures operators page on). The health and readiness
probes live in ``core`` (``core/health.py``), below every area; this package reads the
domain areas, so it stands above them."""
