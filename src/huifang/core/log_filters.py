"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedOneLine(logging.Filter):
    """A refused request (403) is routine — a member opening a page of their manager's —
    so it is one warning line ("Forbidden (Permission denied): /path"), not a
    traceback that buries real errors in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
