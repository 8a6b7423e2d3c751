"""Phone numbers in the Aircall simulator: made up per country, displayed, compared."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random

TIME_ZONES = {
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "US": "America/New_York",
    "DE": "Europe/Berlin",
}
_PREFIXES = (("+33", "FR"), ("+44", "GB"), ("+49", "DE"), ("+1", "US"))
_US_AREA_CODES = ("212", "312", "415", "512", "617", "646", "305")


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10**n)).zfill(n)


def random_e164(rng: random.Random, country: str, *, mobile: bool = True) -> str:
    """A made-up number in E.164 (``+33612345678``); US numbers use the fictional 555-01xx."""
    if country == "FR":
        return "+33" + (rng.choice("67") if mobile else rng.choice("12345")) + _digits(rng, 8)
    if country == "GB":
        return "+447" + _digits(rng, 9) if mobile else "+4420" + _digits(rng, 8)
    if country == "DE":
        return "+491" + rng.choice(("51", "60", "70", "76")) + _digits(rng, 7 if mobile else 8)
    return "+1" + rng.choice(_US_AREA_CODES) + "55501" + _digits(rng, 2)


def display(e164: str) -> str:
    """The form Aircall shows in ``raw_digits`` and ``digits``: ``+33 6 12 34 56 78``."""
    if e164.startswith("+33") and len(e164) == 12:
        n = e164[3:]
        return f"+33 {n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:]}"
    if e164.startswith("+44"):
        n = e164[3:]
        return f"+44 20 {n[2:6]} {n[6:]}" if n.startswith("20") else f"+44 {n[:4]} {n[4:]}"
    if e164.startswith("+49"):
        n = e164[3:]
        return f"+49 30 {n[2:]}" if n.startswith("30") else f"+49 {n[:3]} {n[3:]}"
    if e164.startswith("+1") and len(e164) == 12:
        n = e164[2:]
        return f"+1 {n[:3]}-{n[3:6]}-{n[6:]}"
    return e164


def country_of(e164: str) -> str | None:
    """The ISO alpha-2 country of a number this module made, or None."""
    return next((country for prefix, country in _PREFIXES if e164.startswith(prefix)), None)


def normalize(phone: str) -> str:
    """A phone number reduced for comparison: no spaces, dashes, dots or parentheses; 00 as +."""
    reduced = "".join(ch for ch in phone.strip() if ch not in " -.()/\t")
    return "+" + reduced[2:] if reduced.startswith("00") else reduced
