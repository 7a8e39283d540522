"""HTML documents from Jinja2 templates: sandboxed, autoescaped, StrictUndefined and bounded
(the environment comes from ``core.templating``, the one jinja2 module).

A name the data lacks refuses the deal (``MissingVariable``); a template that goes past a
render limit (time, output size, a value's size, recursion), raises a Python error, or includes
a file outside its folder and the bundled templates refuses the command (``PreflightError``,
exit 2, naming the template, the line and the limit): it would fail the same for every deal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from salessheet.core.errors import ConfigError, PreflightError
from salessheet.core.templating import (
    Template,
    TemplateError,
    TemplateFailed,
    TemplateLimitError,
    TemplateNotFound,
    TemplateSyntaxError,
    html_environment,
    undeclared_variables,
)
from salessheet.documents.tagcheck import refuse_full_width_tags


class MissingVariable(Exception):
    """The template asked for something the context does not have."""


def _template(path: Path) -> Template:
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


def template_refused(path: Path, exc: BaseException) -> PreflightError | None:
    """The refusal (exit 2) for a template that cannot render any deal, or None when ``exc``
    is about the deal's data."""
    if isinstance(exc, (TemplateLimitError, TemplateFailed)):
        return PreflightError(f"template {path}: {exc}", hint=exc.hint)
    if isinstance(exc, TemplateNotFound):
        return PreflightError(
            f"template {path}: it includes {exc.name!r}, which is not a template in "
            f"{path.parent.resolve()} or among the bundled templates",
            hint="a template includes only files of its own folder and the bundled templates, "
            "by a relative name without '..'",
        )
    return None


def render_html(path: Path, context: dict[str, Any]) -> str:
    template = _template(path)
    try:
        return template.render(context)
    except (TemplateError, TemplateLimitError, TemplateFailed) as exc:
        refused = template_refused(path, exc)
        if refused is not None:
            raise refused from exc
        raise MissingVariable(f"template {path.name}: {exc.message or exc}") from exc


def html_variables(path: Path) -> set[str]:
    """Top-level names the template (not its includes) reads."""
    env = html_environment(str(path.parent.resolve()))
    try:
        source = path.read_text(encoding="utf-8")
        refuse_full_width_tags(path, source)
        return undeclared_variables(env, source)
    except TemplateSyntaxError as exc:
        raise ConfigError(
            f"template {path}: line {exc.lineno}: {exc.message}",
            hint="fix the template or point the profile's documents.*.templates at another one",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"template {path}: cannot read it ({exc})") from exc
