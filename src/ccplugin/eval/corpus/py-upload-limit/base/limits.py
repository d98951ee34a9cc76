"""Request limits."""

MAX_UPLOAD_MB = 10
