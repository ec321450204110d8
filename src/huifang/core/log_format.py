"""JSON log lines (``HUIFANG_LOG_FORMAT=json``), for a company's log collector.

One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
``message``, and ``exception`` (the traceback) when there is one. Nothing else from
the record is written: Django attaches the request to its error records, and the
request carries cookies and the ``Authorization`` header, which never belong in a log."""

from __future__ import annotations

import datetime
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if isinstance(status, int):  # django.request and django.server records
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
