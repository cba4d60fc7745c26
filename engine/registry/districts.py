"""District lookup (R-DIST) and "nearest to an address" (R-INST-06) from the registry's address table."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.i18n import N_, UserError
from engine.registry.models import AddressPoint, District, DistrictAddress, Institution, fold

NO_MATCH = N_("No matches. Refine the search or contact the clinic.")  # R-DIST-06, the seed's wording
STREET_WORDS = re.compile(r"^(ул\.?|улица|пр-т|проспект|пер\.?|переулок|мкр\.?|микрорайон|st\.?|street)\s+", re.I)


def normalize_street(value: str) -> str:
    """'ул. Ленина' / 'Ленина улица' / 'ЛЕНИНА' -> 'ленина'."""
    text = fold(value).replace(",", " ")
    text = STREET_WORDS.sub("", text)
    text = re.sub(r"\s+(ул\.?|улица)$", "", text)
    return " ".join(text.split())


def house_number(value: str) -> int:
    """'40г', '3а', '12/1', 'дом 7' -> 40, 3, 12, 7; anything else is a message."""
    match = re.fullmatch(r"\s*(?:д\.?|дом)?\s*(\d{1,4})\s*[а-яёa-z]?\s*(?:[/к-]\s*\d{1,3})?\s*", (value or "").lower())
    if not match or int(match.group(1)) == 0:
        raise UserError(N_("Enter the house number, like 12 or 40г."))
    return int(match.group(1))


def _check_street(street: str) -> str:
    normalized = normalize_street(street)
    if len(normalized) < 2 or len(normalized) > 200:
        raise UserError(N_("Enter the street name."))
    return normalized


def _covers(row: DistrictAddress | AddressPoint, house: int) -> bool:
    if not row.house_from <= house <= row.house_to:
        return False
    parity = getattr(row, "parity", "all")
    return parity == "all" or (parity == "odd") == (house % 2 == 1)


def find_district(session: Session, institution_id: int, street: str, house: str) -> District | None:
    """The district of the institution serving this address, or None (the page says NO_MATCH)."""
    name, number = _check_street(street), house_number(house)
    rows = session.execute(
        select(DistrictAddress, District)
        .join(District, District.id == DistrictAddress.district_id)
        .where(District.institution_id == institution_id, DistrictAddress.street == name)
    ).all()
    for address, district in rows:
        if _covers(address, number):
            return district
    return None


def locate(session: Session, locality_id: int, street: str, house: str) -> tuple[float, float] | None:
    name, number = _check_street(street), house_number(house)
    for point in session.scalars(
        select(AddressPoint).where(AddressPoint.locality_id == locality_id, AddressPoint.street == name)
    ):
        if _covers(point, number):
            return point.latitude, point.longitude
    return None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine); the city scale makes anything finer pointless."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass
class Ranked:
    institution: Institution
    distance_km: float | None


def nearest_first(institutions: list[Institution], point: tuple[float, float]) -> list[Ranked]:
    ranked = [
        Ranked(i, distance_km(point, (i.latitude, i.longitude)) if i.latitude is not None and i.longitude is not None else None)
        for i in institutions
    ]
    return sorted(ranked, key=lambda r: (r.distance_km is None, r.distance_km or 0.0, r.institution.name))
