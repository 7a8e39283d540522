"""HTML documents from Jinja2 templates: sandboxed, autoescaped, StrictUndefined (the
environment comes from ``core.templating``, the one jinja2 module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from salessheet.core.errors import ConfigError
from salessheet.core.templating import (
    TemplateError,
    TemplateSyntaxError,
    html_environment,
    undeclared_variables,
)


class MissingVariable(Exception):
    """The template asked for something the context does not have."""


def _template(path: Path):
    env = html_environment(str(path.parent.resolve()))
    try:
        return env.get_template(path.name)
    except TemplateSyntaxError as exc:
        raise ConfigError(
            f"template {exc.filename or path}: line {exc.lineno}: {exc.message}",
            hint="fix the template or point the profile's documents.*.templates at another one",
        ) from exc
    except TemplateError as exc:
        raise ConfigError(f"template {path}: {exc}") from exc


def render_html(path: Path, context: dict[str, Any]) -> str:
    template = _template(path)
    try:
        return template.render(context)
    except TemplateError as exc:
        raise MissingVariable(f"template {path.name}: {exc.message or exc}") from exc


def html_variables(path: Path) -> set[str]:
    """Top-level names the template (not its includes) reads."""
    env = html_environment(str(path.parent.resolve()))
    try:
        source = path.read_text(encoding="utf-8")
        return undeclared_variables(env, source)
    except TemplateSyntaxError as exc:
        raise ConfigError(
            f"template {path}: line {exc.lineno}: {exc.message}",
            hint="fix the template or point the profile's documents.*.templates at another one",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"template {path}: cannot read it ({exc})") from exc
