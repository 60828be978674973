"""Response to canonical error: may import _core, adapter_kit and the adapters only."""
