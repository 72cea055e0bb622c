"""The root settings model (``Settings``) and ``load_settings``: ``deepscreen.toml`` (or
``--config``) plus ``DEEPSCREEN_*`` env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from deepscreen.core.errors import ConfigError
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
from deepscreen.settings.review import BankingSettings, ReviewSettings
from deepscreen.settings.takedown import TakedownSettings

DEFAULT_CONFIG_FILE = "deepscreen.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEEPSCREEN_", env_nested_delimiter="__", extra="forbid"
    )

    db_url: str = Field("sqlite:///deepscreen.db", description="SQLAlchemy URL of the event store.")
    policy_dir: str | None = Field(None, description="Policy bundle directory; default: shipped.")
    shadow_policy_dirs: list[str] = Field(
        default_factory=list,
        description="Candidate policy bundles decided in shadow beside the active one: recorded "
        "as shadow decisions, never applied (compare with `impact compare --shadow REVISION`).",
    )
    detectors: list[str] = Field(
        default_factory=lambda: ["c2pa", "hashmatch", "metadata", "watermark", "learned", "faces"],
        description="Enabled detectors, run in this order (cheap ones first: see [cascade]).",
    )
    cascade: CascadeSettings = Field(default_factory=lambda: CascadeSettings())
    media: MediaSettings = Field(default_factory=lambda: MediaSettings())
    costs: CostSettings = Field(default_factory=lambda: CostSettings())
    banking: BankingSettings = Field(default_factory=lambda: BankingSettings())
    takedown: TakedownSettings = Field(default_factory=lambda: TakedownSettings())
    models_dir: str | None = Field(
        None, description="Model cache; default $XDG_CACHE_HOME/deepscreen/models."
    )
    learned: LearnedSettings = Field(default_factory=lambda: LearnedSettings())
    faces: FacesSettings = Field(default_factory=lambda: FacesSettings())
    vendor: VendorSettings = Field(default_factory=lambda: VendorSettings())
    ensemble: EnsembleSettings = Field(default_factory=lambda: EnsembleSettings())
    review: ReviewSettings = Field(default_factory=lambda: ReviewSettings())
    api: ApiSettings = Field(default_factory=lambda: ApiSettings())
    dsa: DsaSettings = Field(default_factory=lambda: DsaSettings())
    media_store: MediaStoreSettings = Field(default_factory=lambda: MediaStoreSettings())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``config`` (or ``./deepscreen.toml`` if present), env, then ``overrides``.

    Precedence, highest first: explicit overrides (CLI flags), ``DEEPSCREEN_*`` env, the file.
    """
    path = config if config is not None else Path(DEFAULT_CONFIG_FILE)
    if config is not None and not config.is_file():
        raise ConfigError(f"config file {str(config)!r} does not exist")
    config_dict = SettingsConfigDict(**Settings.model_config)
    config_dict["toml_file"] = path if path.is_file() else None
    bound = type("FileSettings", (Settings,), {"model_config": config_dict})
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings.model_validate(bound(**given).model_dump())
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings ({path}): {problems}") from exc
    except ValueError as exc:  # TOML syntax errors surface as ValueError subclasses
        raise ConfigError(f"cannot read settings file {str(path)!r}: {exc}") from exc
