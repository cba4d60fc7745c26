"""Is this browser one the video sessions work in? The list the seeds give (R-TECH-10..12: Chrome and
other Chromium-based browsers 73+, Firefox 66+, Opera 59+ (50+ on Android), Safari 12+ (12.4.6+ on iOS),
Yandex Browser 19+), and the ones named as not supported (R-TECH-06: Internet Explorer, the old Edge)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# (name shown, pattern of the User-Agent, minimum version on a computer, minimum on a phone). Order
# matters: Yandex, Opera and Edge also say "Chrome", Chrome also says "Safari".
SUPPORTED: tuple[tuple[str, str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("Yandex Browser", r"YaBrowser/(\d+)(?:\.(\d+))?", (19,), (19,)),
    ("Opera", r"OPR/(\d+)(?:\.(\d+))?", (59,), (50,)),
    ("Microsoft Edge", r"Edg(?:A|iOS)?/(\d+)(?:\.(\d+))?", (73,), (73,)),  # Chromium-based Edge
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)(?:\.(\d+))?", (66,), (66,)),
    ("Chromium", r"Chromium/(\d+)(?:\.(\d+))?", (73,), (73,)),
    ("Chrome", r"(?:HeadlessChrome|Chrome|CriOS)/(\d+)(?:\.(\d+))?", (73,), (73,)),
    ("Safari", r"Version/(\d+)(?:\.(\d+))?(?:\.(\d+))?.*Safari/", (12,), (12, 4, 6)),
)
UNSUPPORTED = (
    ("Internet Explorer", r"MSIE |Trident/"),
    ("Microsoft Edge (legacy)", r"Edge/\d+"),
)
REQUIREMENTS = ("Chrome / Chromium 73+", "Firefox 66+", "Opera 59+", "Safari 12+", "Yandex Browser 19+")
MOBILE = re.compile(r"Mobile|Android|iPhone|iPad")


@dataclass(frozen=True)
class Verdict:
    name: str  # "" when not recognised
    version: str
    supported: bool | None  # None: not recognised, so we cannot say
    minimum: str = ""


def check(user_agent: str) -> Verdict:
    for name, pattern in UNSUPPORTED:
        if re.search(pattern, user_agent):
            return Verdict(name, "", False)
    mobile = bool(MOBILE.search(user_agent))
    for name, pattern, desktop_minimum, phone_minimum in SUPPORTED:
        match = re.search(pattern, user_agent)
        if match is None:
            continue
        version = tuple(int(part) for part in match.groups() if part is not None)
        minimum = phone_minimum if mobile else desktop_minimum
        return Verdict(name, ".".join(map(str, version)), version[: len(minimum)] >= minimum,
                       ".".join(map(str, minimum)))
    return Verdict("", "", None)
