"""The reviewer web UI: server-rendered pages under ``/ui`` over the same service functions as
the CLI and the API (queue, claimed task with its evidence, appeals, dashboard, compliance)."""

from __future__ import annotations

from deepscreen.api.web.mount import PREFIX, build_web_app, mount_web_ui

__all__ = ["PREFIX", "build_web_app", "mount_web_ui"]
