"""The check page and the download its network check times."""

from __future__ import annotations

import os
from typing import Any

from flask import Response, render_template, request

from webui.devicecheck import browsers
from webui.devicecheck.blueprint import bp
from webui.devicecheck.shared import GOOD_KBIT_PER_S, GOOD_LATENCY_MS, PROBE_KB, PROBE_KB_MAX, safe_next


@bp.route("/")
def index() -> Any:
    verdict = browsers.check(request.headers.get("User-Agent", ""))
    return render_template("devicecheck/index.html", verdict=verdict, requirements=browsers.REQUIREMENTS,
                           next_url=safe_next(request.args.get("next")), probe_kb=PROBE_KB,
                           good_kbit=GOOD_KBIT_PER_S, good_latency=GOOD_LATENCY_MS)


@bp.route("/probe.bin")
def probe() -> Any:
    """Random bytes (so no proxy compresses them) of the asked size, never cached."""
    size = request.args.get("kb", type=int, default=0)
    size = max(0, min(size, PROBE_KB_MAX))
    return Response(os.urandom(size * 1024), mimetype="application/octet-stream",
                    headers={"Cache-Control": "no-store"})
