"""Export and import of a model: a zip of its files (BPMN, DMN, forms/*.json, model.json), or a folder
SpiffArena opens (process_model.json with display_name, description, primary_file_name,
primary_process_id; forms beside the BPMN, since SpiffArena names them by bare file name).

Imports are untrusted: size limits before and while unpacking (a zip bomb stops at the limit), no paths
that leave the folder, only .bpmn/.dmn/.json; the files then go through the same checks as any upload.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import PurePosixPath

from engine.i18n import N_, UserError
from engine.studio.files import (
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    START_SAMPLE,
    SUFFIXES,
    check_files,
)
from engine.workflow.deploy import MANIFEST, PATIENT_START

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SPIFF_MANIFEST = "process_model.json"


def export_zip(
    model_id: str,
    files: Mapping[str, str],
    title: str,
    description: str,
    patient_start: Mapping[str, str] | None = None,
) -> bytes:
    """`patient_start` as the deployed version keeps it (None, {} or {"form": path}); a deployed version's
    files no longer hold model.json, so the manifest is written again from what the version stores."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(f"{model_id}/{path}", files[path])
        if MANIFEST not in files:
            archive.writestr(f"{model_id}/{MANIFEST}", manifest_file(title, description, patient_start))
    return buffer.getvalue()


def manifest_file(title: str, description: str, patient_start: Mapping[str, str] | None) -> str:
    """model.json as a deployed version stores its parts (the deploy keeps `patient_start` apart)."""
    manifest: dict[str, object] = {"title": title, "description": description}
    if patient_start is not None:
        manifest[PATIENT_START] = dict(patient_start) or True
    return json.dumps(manifest, ensure_ascii=False, indent=2)


def export_spiffarena(
    model_id: str, files: Mapping[str, str], title: str, description: str, primary_process_id: str
) -> bytes:
    # The file that defines the primary process (SpiffArena opens the model on it), else one named after it.
    defines = re.compile(rf'<(?:\w+:)?process\b[^>]*\bid="{re.escape(primary_process_id)}"')
    primary = next((p for p in sorted(files) if p.endswith(".bpmn") and defines.search(files[p])), None) or next(
        (p for p in sorted(files) if p.endswith(".bpmn") and PurePosixPath(p).stem == primary_process_id),
        None,
    )
    primary = primary or next((p for p in sorted(files) if p.endswith(".bpmn")), "")
    manifest = {
        "display_name": title,
        "description": description,
        "primary_file_name": PurePosixPath(primary).name,
        "primary_process_id": primary_process_id,
        "exception_notification_addresses": [],
        "fault_or_suspend_on_exception": "fault",
        "metadata_extraction_paths": None,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            if path != "model.json":
                archive.writestr(f"{model_id}/{PurePosixPath(path).name}", files[path])
        archive.writestr(f"{model_id}/{SPIFF_MANIFEST}", json.dumps(manifest, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def import_zip(data: bytes) -> tuple[dict[str, str], dict[str, object]]:
    """(files in our layout, manifest {title, description, process, patient_start}) from either kind of zip."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError(N_("The file is larger than %(limit)s MB."), limit=MAX_UPLOAD_BYTES // 2**20)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except zipfile.BadZipFile as exc:
        raise UserError(N_("The file is not a zip archive.")) from exc
    if len(members) > MAX_FILES + 1:
        raise UserError(N_("A model may hold at most %(count)s files."), count=MAX_FILES)
    raw: dict[str, str] = {}
    total = 0
    for member in members:
        parts = PurePosixPath(member.filename.replace("\\", "/")).parts
        if any(p in ("..", "") for p in parts) or member.filename.startswith("/"):
            raise UserError(N_("File names may not leave the model folder."))
        if len(parts) > 1 and parts[0] not in ("forms",):
            parts = parts[1:]  # the model's own folder at the top of the zip
        name = "/".join(parts)
        if not name.endswith(SUFFIXES) or name.startswith(("__MACOSX", ".")):
            continue
        content = _read_limited(archive, member, MAX_FILE_BYTES)
        total += len(content)
        if total > MAX_TOTAL_BYTES:
            raise UserError(N_("The model is larger than %(limit)s MB."), limit=MAX_TOTAL_BYTES // 2**20)
        try:
            raw[name] = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(N_("%(name)s is not UTF-8 text."), name=name) from exc
    return _our_layout(raw)


def _read_limited(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(member) as stream:
        content = stream.read(limit + 1)  # the declared size may lie; the read does not
    if len(content) > limit:
        raise UserError(N_("The file is larger than %(limit)s MB."), limit=limit // 2**20)
    return content


def _our_layout(raw: dict[str, str]) -> tuple[dict[str, str], dict[str, object]]:
    manifest: dict[str, object] = {}
    if SPIFF_MANIFEST in raw:
        try:
            spiff = json.loads(raw.pop(SPIFF_MANIFEST))
        except ValueError as exc:
            raise UserError(N_("process_model.json is not valid JSON.")) from exc
        if isinstance(spiff, dict):
            manifest = {
                "title": str(spiff.get("display_name") or ""),
                "description": str(spiff.get("description") or ""),
            }
            if spiff.get("primary_process_id"):
                manifest["process"] = str(spiff["primary_process_id"])
    if "model.json" in raw:
        try:
            ours = json.loads(raw.pop("model.json"))
        except ValueError as exc:
            raise UserError(N_("model.json is not valid JSON.")) from exc
        if isinstance(ours, dict):
            manifest.update({k: str(v) for k, v in ours.items() if k in ("title", "description", "process")})
            if ours.get(PATIENT_START) not in (None, False):
                manifest[PATIENT_START] = ours[PATIENT_START]  # as written; the deploy checks its shape
    files = {}
    for name, text in raw.items():
        # SpiffArena keeps form JSON beside the BPMN; ours live under forms/ (the engine finds both).
        # The test run's start data (test_start.json) is no form and stays beside the BPMN.
        beside = not name.endswith(".json") or "/" in name or name == START_SAMPLE
        files[name if beside else f"forms/{name}"] = text
    if not any(name.endswith(".bpmn") for name in files):
        raise UserError(N_("The archive holds no BPMN file."))
    files = check_files(files)
    if manifest:
        files["model.json"] = json.dumps(manifest, ensure_ascii=False, indent=2)
    return files, manifest
