"""What the device check's routes and the pages linking to it share: the check page's URL for a join link."""

from __future__ import annotations

from flask import url_for

# The download the network check times: big enough to say something about video (about 1 Mbit/s), small
# enough for a phone on a poor connection to finish in seconds.
PROBE_KB = 256
PROBE_KB_MAX = 1024
# Below this a video call stutters; the check then warns (it never refuses).
GOOD_KBIT_PER_S = 1000
GOOD_LATENCY_MS = 800


def check_url(join_url: str) -> str:
    return url_for("devicecheck.index", next=join_url)


def safe_next(target: str | None) -> str:
    """Only a local path: the page must not send anyone to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    return target
