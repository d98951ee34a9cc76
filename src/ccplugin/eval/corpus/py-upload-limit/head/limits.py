"""Request limits."""

MAX_UPLOAD_MB = 10
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024


def check_upload(size_bytes: int) -> None:
    if size_bytes > MAX_UPLOAD_BYTES:
        raise ValueError(f"upload of {size_bytes} bytes is over {MAX_UPLOAD_MB} MB")
