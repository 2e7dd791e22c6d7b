"""Sections other apps add to the cadre profile (placements, nominations, results …).

Each entry is a function `(request, cadre) -> (template_name, context) | None`; the profile
renders them in order in its side column. Apps append theirs in AppConfig.ready(), so the
cadres app does not import the apps that build on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Section = Callable[[Any, Any], tuple[str, dict] | None]

PROFILE_SECTIONS: list[Section] = []


def render_sections(request, cadre) -> list[tuple[str, dict]]:
    rendered = []
    for section in PROFILE_SECTIONS:
        result = section(request, cadre)
        if result is not None:
            rendered.append(result)
    return rendered
