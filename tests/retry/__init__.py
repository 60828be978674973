"""Retry decisions, provider profiles and the shared stores."""
