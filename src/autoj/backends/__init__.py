"""Backends: one module per engine behind one async interface, created by name from a spec."""

from autoj.backends.base import Backend
from autoj.backends.fake import FakeBackend
from autoj.backends.registry import (
    BackendEntry,
    backend_entries,
    create_backend,
    register_backend,
)

__all__ = [
    "Backend",
    "BackendEntry",
    "FakeBackend",
    "backend_entries",
    "create_backend",
    "register_backend",
]
