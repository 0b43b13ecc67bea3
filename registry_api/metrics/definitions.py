"""The metrics counted in memory (see the package docstring for where each is true)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Seconds: from the fastest answers (health, cached reads) to writes that wait for their anchor.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds from a write's acceptance to its anchor: a block or two on a healthy chain, minutes
# when the chain stalls (the outbox keeps the write).
ANCHORING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

# Not in the default registry: exposition.py chooses what each process's /metrics contains.
REQUESTS = Counter(
    "city_api_requests",
    "HTTP requests answered, by method, route template (never the raw path) and status",
    ["method", "route", "status"],
    registry=None,
)
REQUEST_SECONDS = Histogram(
    "city_api_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["route"],
    buckets=REQUEST_BUCKETS,
    registry=None,
)
VOUCHERS = Counter(
    "city_payment_vouchers",
    "Payment channel vouchers presented, by outcome (accepted, repeated, refused)",
    ["outcome"],
    registry=None,
)
ANCHORING = Histogram(
    "city_write_anchoring_seconds",
    "Time from a write's acceptance to the mined transaction that anchored it",
    buckets=ANCHORING_BUCKETS,
    registry=None,
)
IN_PROCESS = (REQUESTS, REQUEST_SECONDS, VOUCHERS)
