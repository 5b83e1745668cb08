"""The API's /metrics (lag as kafka_exporter names it, and the API's own) and /healthz."""
