"""Bottom layer (model, JSON, redaction, SSE decoder): imports nothing else of agent_errors."""
