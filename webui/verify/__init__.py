"""The public verification page (R-CONC-03): `/verify/<code>` from the QR code on a signed PDF says
whether the registered document is intact, who signed it and when; an upload form checks a PDF file
someone has (is it intact, signed by our CA, and is it the very file registered under the code).

No login: whoever holds the paper or the file can check it. The page shows no patient data — only the
document's title, the signer and the time — and the code is a 192-bit random value, never an id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from engine.conclusions import service
from engine.documents.models import Document
from engine.payments import contracts
from integrations.files import file_store, platform_ca
from reports.verify import Verdict, verify_pdf
from webui.db import db
from webui.extensions import limiter

bp = Blueprint("verify", __name__, url_prefix="/verify")
UPLOAD_LIMIT = "30 per minute"


def _settings() -> Any:
    return current_app.extensions["carepath"].settings


def _check(data: bytes) -> Verdict:
    root = platform_ca(_settings()).root_certificate()
    return verify_pdf(data, [root])


def _uploaded() -> tuple[bytes | None, str | None]:
    """The uploaded file's bytes, or an error message for the page."""
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        return None, _("Choose a PDF file to check.")
    data = upload.read(_settings().upload_max_mb * 1024 * 1024 + 1)
    if len(data) > _settings().upload_max_mb * 1024 * 1024:
        return None, _("The file is larger than %(size)s MB.", size=_settings().upload_max_mb)
    if not data.lstrip()[:5] == b"%PDF-":
        return None, _("This is not a PDF file.")
    return data, None


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def index() -> Any:
    verdict, error = None, None
    if request.method == "POST":
        data, error = _uploaded()
        if data is not None:
            verdict = _check(data)
    status = 400 if error else 200
    return render_template("verify/index.html", verdict=verdict, error=error, record=None, same=None), status


@bp.route("/<code>", methods=["GET", "POST"])
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def by_code(code: str) -> Any:
    # A signed contract of paid services carries its code the same way (engine.payments.contracts).
    record = service.find_by_code(db(), code) or contracts.find_by_code(db(), code)
    if record is None:
        abort(404)
    registered: Verdict | None = None
    document = db().get(Document, record.document_id) if record.document_id else None
    if document is not None:
        registered = _check(file_store(_settings()).read(document.storage_key))
    verdict, error, same = None, None, None
    if request.method == "POST":
        data, error = _uploaded()
        if data is not None:
            verdict = _check(data)
            same = document is not None and hashlib.sha256(data).hexdigest() == document.sha256
    status = 400 if error else 200
    return render_template("verify/index.html", record=record, registered=registered, verdict=verdict,
                           error=error, same=same), status
