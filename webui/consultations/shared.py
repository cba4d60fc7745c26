"""What both consultations route modules use: the document store and the upload limits."""

from __future__ import annotations

from flask import current_app

from engine.documents import service as documents
from engine.documents.storage import BlobStore
from integrations.files import file_store


def store() -> BlobStore:
    # The same store as the signed conclusions (workflows/conclusions.py): one place for documents.
    return file_store(current_app.extensions["carepath"].settings)


def limits() -> documents.Limits:
    return documents.Limits(max_bytes=current_app.extensions["carepath"].settings.upload_max_mb * 1024 * 1024)
