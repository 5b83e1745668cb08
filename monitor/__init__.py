"""Watching The Eye run: consumer lag from the broker, Prometheus metrics of the API and worker."""
