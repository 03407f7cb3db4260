"""Logging filters (config/settings.py LOGGING)."""

import logging


class RefusalsOneLine(logging.Filter):
    """A refused request (4xx: no permission, a bad CSRF token, not found) is one line.

    Django logs these with the exception attached, so each 403 printed a traceback that looked
    like a bug. The line keeps the status, method and path; a 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
