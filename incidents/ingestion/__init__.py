"""Monitoring integrations: PagerDuty Events API v2 and Prometheus Alertmanager webhooks (README "Integrations").

- events_v2.py, alertmanager.py: parse and validate the senders' bodies (no database);
- keys.py: which integration a key belongs to, from a small per-process cache;
- limits.py: the per-integration rate limit (Redis INCR, or a database counter) and the body size limit;
- counters.py: events received and the last event time, buffered per process and written about once a second;
- writes.py: the write path in raw SQL (one statement for an alert on an open incident);
- services.py: what the views, the admin and the command call.

Built for alert storms (issue 8, bench/ingestion_wrk.py): a duplicate alert costs one INSERT … SELECT statement
in autocommit mode; only a new incident takes the regular incident_declare path, and paging happens after commit.
"""
