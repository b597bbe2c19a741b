"""Access to the app's settings from a request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from spendsync.config import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
