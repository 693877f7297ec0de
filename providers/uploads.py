"""Evidence uploads: type checked by content (never by name), size limited, stored under a generated name."""

import uuid

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

ALLOWED = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def check_upload(upload, *, field: str = "file") -> tuple[str, str]:
    """(content type, safe stored name) for an acceptable upload; ValidationError otherwise."""
    if upload is None:
        raise ValidationError({field: "Select a file to upload."})
    if upload.size > settings.UPLOAD_MAX_BYTES:
        limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        raise ValidationError({field: f"The file must be smaller than {limit}MB."})
    if upload.size == 0:
        raise ValidationError({field: "The file is empty."})
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED:
        raise ValidationError({field: "The file must be a PDF, PNG or JPEG."})
    return kind.mime, f"{uuid.uuid4().hex}.{ALLOWED[kind.mime]}"


def display_name(name: str) -> str:
    """The uploader's file name, reduced to something safe to show (never used to store or serve)."""
    base = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isalnum() or c in " ._-()")[:150] or "file"
