"""Built-in adapters, one module per error format (importable as `agent_errors.adapters.<name>`).

Each module exposes `ADAPTER`, an object implementing `agent_errors.adapter_kit.Adapter`, with its
code table at the top of the module.
"""
