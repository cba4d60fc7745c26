"""Video-meeting links. The provider is a setting; the default is a Jitsi-compatible server, where a
room exists as soon as someone opens its URL — so the room name must be unguessable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

DEFAULT_BASE_URL = "https://meet.jit.si"


@dataclass(frozen=True)
class Meeting:
    room: str
    url: str


class JitsiRooms:
    """Rooms on a Jitsi Meet server (public or the clinic's own, e.g. https://meet.clinic.example)."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, prefix: str = "carepath") -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("the video base URL must start with https:// or http://")
        self.base_url = base_url.rstrip("/")
        self.prefix = prefix

    def new_meeting(self) -> Meeting:
        # 128 random bits: nobody finds the room by trying names.
        room = f"{self.prefix}-{secrets.token_urlsafe(16).replace('_', 'x').replace('-', 'y')}"
        return Meeting(room=room, url=f"{self.base_url}/{room}")


def rooms_for(base_url: str | None) -> JitsiRooms:
    return JitsiRooms(base_url or DEFAULT_BASE_URL)
