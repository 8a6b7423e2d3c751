"""Word pools for the Aircall simulator's made-up people, companies, tags and notes."""

from __future__ import annotations

import unicodedata


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = {
    "FR": _words(
        "Camille Léa Manon Chloé Inès Sarah Julie Hélène Céline Claire Emma Louise Nathalie "
        "Thomas Nicolas Julien Antoine Maxime Hugo Lucas Pierre François Jérôme Olivier Paul "
        "Mathieu Sébastien Romain Alexandre David"
    ),
    "US": _words(
        "Emily Jessica Ashley Sarah Megan Olivia Rachel Laura Hannah Grace Sophia Maria Linda "
        "Michael Christopher Matthew Joshua Daniel David James Robert Andrew Ryan Brandon Kevin "
        "Tyler Jacob Ethan Nathan Carlos"
    ),
}
LAST_NAMES = {
    "FR": _words(
        "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
        "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier "
        "Dupont Lambert Bonnet François Martinez Legrand"
    ),
    "US": _words(
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson "
        "White Harris Clark Lewis Walker Hall Allen Young King Wright Scott Green Baker Adams "
        "Nelson Carter Mitchell O'Brien"
    ),
}
FOREIGN_FIRST_NAMES = _words("Oliver Harry Amelia Isla Lukas Jonas Mia Lena Anna Felix")
FOREIGN_LAST_NAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Taylor Evans Hughes Wood Clarke"
)

CLIENT_COMPANIES = (
    "Initech",
    "Umbrella Corp",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Pied Piper",
    "Vandelay Industries",
    "Massive Dynamic",
    "Cyberdyne Systems",
    "Wonka Industries",
    "Dunder Mifflin",
    "Bluth Company",
    "Soylent",
    "Tyrell Corporation",
    "Boulangerie Lefèvre",
    "Transports Durand",
    "Cabinet Moreau & Associés",
    "Brasserie du Port",
    "Nordwind GmbH",
    "Blue Harbor Logistics",
)

CONTACT_NOTES = (
    "VIP client - priority support",
    "Prefers email follow-up",
    "Renewal due next quarter",
    "Decision maker for the IT budget",
    "Asked for a callback after 2pm",
    "Met at the Lyon trade show",
    "Speaks French and English",
    "Billing contact only",
)

CALL_COMMENTS = (
    "Customer asked for a quote, sending it today",
    "Callback scheduled for tomorrow morning",
    "Escalated to the billing team",
    "Issue resolved on the call",
    "Left a voicemail, will try again",
    "Wants a demo of the new plan",
    "Complained about the delivery delay",
)

TAGS = (
    ("VIP", "#E91E63", "High-value customer"),
    ("Follow-up", "#2196F3", "Needs a follow-up call"),
    ("Sales lead", "#4CAF50", "Potential new business"),
    ("Support", "#FF9800", "Product support request"),
    ("Billing", "#9C27B0", "Invoice or payment question"),
    ("Complaint", "#F44336", "Unhappy customer"),
    ("Renewal", "#00BCD4", "Contract renewal discussion"),
    ("Onboarding", "#8BC34A", "New customer onboarding"),
)

NUMBERS = {
    "FR": (
        ("Paris Support", "FR"),
        ("Paris Sales", "FR"),
        ("London Office", "GB"),
        ("Lyon Hotline", "FR"),
    ),
    "US": (
        ("New York Sales", "US"),
        ("Support Line", "US"),
        ("Berlin Office", "DE"),
        ("Billing", "US"),
    ),
}


def slug(text: str) -> str:
    """Lower-case ASCII for an email address: ``Lefèvre & Associés`` -> ``lefevre-associes``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_text.lower()).split()
    return "-".join(words)
