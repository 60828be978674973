"""The transports, the middleware, event streams and what they log."""
