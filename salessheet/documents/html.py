"""HTML documents with Jinja2: sandboxed, autoescaped, StrictUndefined (the one jinja2 module)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from salessheet.core.errors import ConfigError
from salessheet.settings.documents import templates_dir


class MissingVariable(Exception):
    """The template asked for something the context does not have."""


@lru_cache(maxsize=16)
def _environment(folder: str) -> SandboxedEnvironment:
    search = [folder]
    bundled = str(templates_dir())
    if bundled != folder:
        search.append(bundled)  # custom templates may include the bundled css and macros
    return SandboxedEnvironment(
        loader=FileSystemLoader(search),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
        auto_reload=False,  # one process renders a batch; templates do not change under it
    )


class _CompilingCache(SandboxedEnvironment):
    """Compiles each distinct source once: docxtpl hands over the same document XML per render."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._compiled: dict[tuple[str, bool], Any] = {}

    def from_string(self, source, globals=None, template_class=None):  # type: ignore[override]
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        key = (source, bool(self.autoescape))
        template = self._compiled.get(key)
        if template is None:
            if len(self._compiled) > 64:
                self._compiled.clear()
            template = self._compiled[key] = super().from_string(source)
        return template


@lru_cache(maxsize=1)
def sandboxed_environment() -> SandboxedEnvironment:
    """The environment DOCX templates render with (strict, sandboxed; docxtpl sets autoescape)."""
    return _CompilingCache(undefined=StrictUndefined, autoescape=True)


def _template(path: Path):
    env = _environment(str(path.parent.resolve()))
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
    env = _environment(str(path.parent.resolve()))
    try:
        source = path.read_text(encoding="utf-8")
        return set(meta.find_undeclared_variables(env.parse(source)))
    except TemplateSyntaxError as exc:
        raise ConfigError(
            f"template {path}: line {exc.lineno}: {exc.message}",
            hint="fix the template or point the profile's documents.*.templates at another one",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"template {path}: cannot read it ({exc})") from exc
