"""One validated settings model: ``deepscreen.toml`` (or ``--config``) plus ``DEEPSCREEN_*`` env.
``Settings`` and ``load_settings`` are in ``root``; each section's model in its own module."""

from __future__ import annotations

from deepscreen.settings.api import ApiSettings
from deepscreen.settings.costs import CostSettings
from deepscreen.settings.detectors import (
    CascadeSettings,
    EnsembleSettings,
    FacesSettings,
    LearnedSettings,
    VendorSettings,
)
from deepscreen.settings.dsa import DsaSettings
from deepscreen.settings.media import MediaSettings, MediaStoreSettings
from deepscreen.settings.review import BankingSettings, ReviewSettings, WellnessSettings
from deepscreen.settings.root import DEFAULT_CONFIG_FILE, Settings, load_settings
from deepscreen.settings.takedown import TakedownSettings

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ApiSettings",
    "BankingSettings",
    "CascadeSettings",
    "CostSettings",
    "DsaSettings",
    "EnsembleSettings",
    "FacesSettings",
    "LearnedSettings",
    "MediaSettings",
    "MediaStoreSettings",
    "ReviewSettings",
    "Settings",
    "TakedownSettings",
    "VendorSettings",
    "WellnessSettings",
    "load_settings",
]
