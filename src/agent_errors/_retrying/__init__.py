"""Retry decisions, profiles and stores: may import _core and _parsing only."""
