"""Transports, middleware, event streams, telemetry: may import every lower layer."""
