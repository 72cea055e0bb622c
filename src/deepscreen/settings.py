"""One validated settings model: ``deepscreen.toml`` (or ``--config``) plus ``DEEPSCREEN_*`` env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from deepscreen.core.errors import ConfigError

DEFAULT_CONFIG_FILE = "deepscreen.toml"


class MediaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_bytes: int = Field(50 * 1024 * 1024, gt=0, description="Largest file accepted, bytes.")
    max_pixels: int = Field(40_000_000, gt=0, description="Largest width×height accepted.")


class CostSettings(BaseModel):
    """Cost inputs. No defaults: every figure that uses them names where they came from."""

    model_config = ConfigDict(extra="forbid")
    currency: str = "USD"
    review_cost_per_item: float | None = Field(None, ge=0, description="One human review.")
    monthly_volume: int | None = Field(None, ge=0, description="Uploads per month.")


class BankingSettings(BaseModel):
    """The closed loop: a review confirming one of ``labels`` as violating banks the item's hash."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    bank: str = Field("confirmed_deepfakes", description="Block bank that receives the hashes.")
    labels: list[str] = Field(default_factory=lambda: ["deepfake"])


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEEPSCREEN_", env_nested_delimiter="__", extra="forbid"
    )

    db_url: str = Field("sqlite:///deepscreen.db", description="SQLAlchemy URL of the event store.")
    policy_dir: str | None = Field(None, description="Policy bundle directory; default: shipped.")
    detectors: list[str] = Field(
        default_factory=lambda: ["c2pa", "hashmatch", "metadata", "watermark"]
    )
    media: MediaSettings = Field(default_factory=lambda: MediaSettings())
    costs: CostSettings = Field(default_factory=lambda: CostSettings())
    banking: BankingSettings = Field(default_factory=lambda: BankingSettings())

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
