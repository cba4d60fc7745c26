"""What the monitoring route modules share: the app's settings and the store of the patients' files."""

from __future__ import annotations

from typing import Any

from flask import current_app

from engine.documents.storage import BlobStore
from integrations import files


def settings() -> Any:
    return current_app.extensions["carepath"].settings


def file_store() -> BlobStore:
    return files.file_store(settings(), "documents")
