"""The metric instruments, defined once per process (prometheus-client's registry is global).

No Flask here: the group commit, the scheduler and the audit service import
these and must stay importable without the web layer. Names and meanings are
listed in README (Operating: metrics); metrics.py serves them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds; tuned for a web request / a socket post on one core (5 ms … 10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "council_http_requests", "HTTP requests answered, by URL rule, method and status.",
    ("route", "method", "status"))
HTTP_DURATION = Histogram(
    "council_http_request_duration_seconds", "Time to answer an HTTP request, by URL rule and method.",
    ("route", "method"), buckets=LATENCY_BUCKETS)
SOCKETS_LIVE = Gauge(
    "council_sockets_live", "Socket.IO connections open now (summed over live processes).",
    multiprocess_mode="livesum")
SOCKET_EVENTS_IN = Counter(
    "council_socket_events_received", "Socket.IO events received from clients, by event name.", ("event",))
SOCKET_EVENTS_OUT = Counter(
    "council_socket_events_sent", "Socket.IO emits after commit (one per channel, not per receiver), by event name.",
    ("event",))
SOCKET_EVENT_DURATION = Histogram(
    "council_socket_event_duration_seconds", "Time to handle a client's Socket.IO event, by event name.",
    ("event",), buckets=LATENCY_BUCKETS)
POST_DURATION = Histogram(
    "council_room_post_duration_seconds",
    "Time from a socket post's arrival at the group commit to its event appended and committed.",
    buckets=LATENCY_BUCKETS)
BATCH_SIZE = Histogram(
    "council_groupcommit_batch_size", "Units of work written per group-commit transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64))
SCHEDULER_LAG = Histogram(
    "council_scheduler_lag_seconds", "How late a scheduled job ran after it was due, by job.",
    ("job",), buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))
AUDIT_APPEND = Histogram(
    "council_audit_append_duration_seconds",
    "Time to append one audit row to the transaction (includes waiting for the chain head's lock).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))

