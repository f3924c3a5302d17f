"""Checks on files attached to support tickets: size, count and type (by content, not name)."""

from django.conf import settings
from django.core.exceptions import ValidationError

# extension -> test on the first bytes of the file
_SIGNATURES = {
    "pdf": lambda head: head.startswith(b"%PDF-"),
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "zip": lambda head: head.startswith(b"PK\x03\x04"),
    "xlsx": lambda head: head.startswith(b"PK\x03\x04"),
    "docx": lambda head: head.startswith(b"PK\x03\x04"),
}
_TEXT = {"txt", "csv", "log"}
ALLOWED_EXTENSIONS = sorted(set(_SIGNATURES) | _TEXT)


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def validate_attachments(files) -> None:
    """Raise one ValidationError listing every file that is refused, and why."""
    max_bytes = settings.SUPPORT_ATTACHMENT_MAX_BYTES
    max_files = settings.SUPPORT_ATTACHMENT_MAX_FILES
    errors = []
    if len(files) > max_files:
        errors.append(f"At most {max_files} files may be attached to one message.")
    for f in files:
        name = f.name or "file"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if f.size > max_bytes:
            errors.append(
                f"{name}: {f.size / 1_048_576:.1f} MB is over the "
                f"{max_bytes // 1_048_576} MB limit."
            )
            continue
        if ext not in ALLOWED_EXTENSIONS:
            errors.append(
                f"{name}: .{ext or '?'} files are not accepted "
                f"(allowed: {', '.join(ALLOWED_EXTENSIONS)})."
            )
            continue
        f.seek(0)
        data = f.read() if ext in _TEXT else f.read(16)
        f.seek(0)
        ok = _is_text(data) if ext in _TEXT else _SIGNATURES[ext](data)
        if not ok:
            errors.append(f"{name}: the content is not a real .{ext} file.")
    if errors:
        raise ValidationError(errors)
