"""alliance-sim: how post-Soviet states shift alignment between Russia, the US, China and Turkey."""

__version__ = "0.1.0"
