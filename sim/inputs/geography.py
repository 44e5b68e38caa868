"""Fixed names: the ten states, the default powers, regional groups and map positions."""

from __future__ import annotations

STATES: tuple[str, ...] = (
    "Armenia",
    "Azerbaijan",
    "Belarus",
    "Georgia",
    "Kazakhstan",
    "Kyrgyzstan",
    "Moldova",
    "Tajikistan",
    "Turkmenistan",
    "Uzbekistan",
)
POWERS: tuple[str, ...] = ("Russia", "US", "China", "Turkey")

REGIONS: dict[str, tuple[str, ...]] = {
    "Central Asia": ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan"),
    "South Caucasus": ("Armenia", "Azerbaijan", "Georgia"),
    "Eastern Europe": ("Belarus", "Moldova"),
}

#: Blocs whose memberships come from the evidence file.
BLOCS: tuple[str, ...] = ("CSTO", "EAEU", "SCO", "OTS", "EaP")

#: The power that leads each bloc: a member's standing in the bloc follows that power's credibility
#: with it, and active members pull each other toward it. The SCO is counted as China's (its
#: secretariat sits in Beijing), the Eastern Partnership as the EU's (inactive without an EU power).
BLOC_LEADERS: dict[str, str] = {"CSTO": "Russia", "EAEU": "Russia", "SCO": "China", "OTS": "Turkey", "EaP": "EU"}

#: The kind of dependence on its leader each bloc builds (stops growing while a membership is frozen).
BLOC_TIES: dict[str, str] = {
    "CSTO": "security",
    "EAEU": "economic",
    "SCO": "security",
    "OTS": "economic",
    "EaP": "economic",
}

#: Land borders among the ten states, as the map draws them. Armenia-Azerbaijan and Kyrgyzstan-Tajikistan
#: are the conflict borders of 2022; Azerbaijan faces Kazakhstan and Turkmenistan only across the Caspian Sea
#: (the evidence's border entries, which the model reads, count those sea links as neighbours).
LAND_BORDERS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in (
        ("Armenia", "Azerbaijan"),
        ("Armenia", "Georgia"),
        ("Azerbaijan", "Georgia"),
        ("Kazakhstan", "Kyrgyzstan"),
        ("Kazakhstan", "Turkmenistan"),
        ("Kazakhstan", "Uzbekistan"),
        ("Kyrgyzstan", "Tajikistan"),
        ("Kyrgyzstan", "Uzbekistan"),
        ("Tajikistan", "Uzbekistan"),
        ("Turkmenistan", "Uzbekistan"),
    )
)

#: Approximate (longitude, latitude) of each capital, for map-like views.
POSITIONS: dict[str, tuple[float, float]] = {
    "Armenia": (44.5, 40.2),
    "Azerbaijan": (49.9, 40.4),
    "Belarus": (27.6, 53.9),
    "Georgia": (44.8, 41.7),
    "Kazakhstan": (71.4, 51.2),
    "Kyrgyzstan": (74.6, 42.9),
    "Moldova": (28.9, 47.0),
    "Tajikistan": (68.8, 38.6),
    "Turkmenistan": (58.4, 37.9),
    "Uzbekistan": (69.2, 41.3),
}

#: Where each power sits around the map (longitude, latitude), for map-like views.
POWER_POSITIONS: dict[str, tuple[float, float]] = {
    "Russia": (50.0, 56.0),
    "US": (22.0, 36.0),
    "China": (80.0, 36.0),
    "Turkey": (33.0, 39.0),
    "EU": (22.0, 50.0),
}
