"""Word pools and phone numbers for the Wildix simulator's made-up colleagues and callers.

Each PBX has a country (FR, IT or US) that picks its names, its numbers and its direct lines. The
acme PBX's callers include a few numbers (with their names) that the Aircall simulator's acme
contacts use, so the same customers show up on both providers.
"""

from __future__ import annotations

import unicodedata

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = {
    "FR": _words(
        "Camille Léa Manon Chloé Inès Sarah Julie Hélène Céline Claire Emma Louise Thomas "
        "Nicolas Julien Antoine Maxime Hugo Lucas Pierre Jérôme Olivier Paul Mathieu Romain"
    ),
    "IT": _words(
        "Giulia Francesca Chiara Sara Martina Alessia Elena Valentina Sofia Laura Marco "
        "Alessandro Luca Giuseppe Matteo Lorenzo Andrea Davide Simone Federico Stefano Paolo"
    ),
    "US": _words(
        "Emily Jessica Ashley Megan Olivia Rachel Hannah Grace Sophia Linda Michael Matthew "
        "Joshua Daniel James Robert Andrew Ryan Kevin Tyler Ethan Nathan"
    ),
}
LAST_NAMES = {
    "FR": _words(
        "Martin Bernard Dubois Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre "
        "Michel Garcia Bertrand Roux Vincent Fournier Morel Girard Mercier Dupont Lambert Bonnet"
    ),
    "IT": _words(
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo "
        "Conti DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana"
    ),
    "US": _words(
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson "
        "White Harris Clark Lewis Walker Hall Allen Young King Wright"
    ),
}
CLIENT_COMPANIES = (
    "Cyberdyne Systems",
    "Nordwind GmbH",
    "Blue Harbor Logistics",
    "Brasserie du Port",
    "Pied Piper",
    "Soylent",
    "Initech",
    "Umbrella Retail",
    "Vandelay Industries",
    "Stark Distribution",
)
DEPARTMENTS = (
    "Sales",
    "Support",
    "Accounting",
    "Marketing",
    "Operations",
    "Management",
    "R&D",
    "Logistics",
)
LANGUAGES = {"FR": ("fr", "fr", "fr", "en"), "IT": ("it", "it", "it", "en"), "US": ("en",)}

# (E.164, name) of contacts the Aircall simulator's acme company holds (seed 1).
AIRCALL_ACME_CALLERS = (
    ("+33797999373", "Emma Michel"),
    ("+33767660145", "John Thomas"),
    ("+33757611673", "Julie François"),
    ("+33745672311", "Emma Fournier"),
    ("+33705252986", "Jérôme Martinez"),
    ("+33676608999", "Sébastien Robert"),
    ("+33639693274", "David Thomas"),
)

# The start of each country's direct lines (the extension's last digits complete them).
_DID_PREFIX = {"FR": "+3318488", "IT": "+39029988", "US": "+1212555"}


def slug(text: str) -> str:
    """``Jérôme`` -> ``jerome``: ASCII letters and digits only, lowercase."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10**n)).zfill(n)


def random_e164(rng: random.Random, country: str, *, mobile: bool = True) -> str:
    """A made-up number in E.164; US numbers use the fictional 555-01xx range."""
    if country == "FR":
        return "+33" + (rng.choice("67") if mobile else rng.choice("12345")) + _digits(rng, 8)
    if country == "IT":
        return "+393" + _digits(rng, 9) if mobile else "+3906" + _digits(rng, 8)
    return "+1" + rng.choice(("212", "312", "415", "617", "646")) + "55501" + _digits(rng, 2)


def direct_line(country: str, extension: str) -> str:
    """The direct line (``officePhone``) that rings an extension."""
    if country == "US":  # stay inside 555-0100..0199
        return f"{_DID_PREFIX['US']}01{extension[-2:]}"
    return _DID_PREFIX[country] + extension
