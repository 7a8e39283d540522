"""Jinja2 environments (the one jinja2 and markupsafe module).

Every environment is sandboxed (a template cannot reach Python internals) and strict
(``StrictUndefined``: a name the data lacks is an error, never a blank):

* ``html_environment(folder)``: HTML documents, autoescaped; loads from ``folder`` (a custom
  template's folder) and then the bundled ``templates/``, so a custom template may include the
  bundled CSS and macros.
* ``report_environment()``: the analytics report's templates (``templates/report/``),
  autoescaped (with the entity spelling of Python's ``html.escape``, see ``_escape_html``). Its
  section files end with a newline like any text file; Jinja drops a template's last newline
  here, so a section adds nothing between the elements around it.
  Templates are compiled in memory (nothing is cached on disk: the tool writes nothing a
  user did not ask for).
* ``docx_environment()``: what docxtpl renders Word templates with (docxtpl switches on
  autoescaping per render).

Values reach a page escaped; markup built in Python (the report's SVG charts) is passed as
``Markup`` on purpose, by the code that built and escaped it.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
    meta,
)
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from salessheet.core.resources import data_dir

__all__ = [
    "Markup",
    "SandboxedEnvironment",
    "TemplateError",
    "TemplateSyntaxError",
    "UndefinedError",
    "docx_environment",
    "html_environment",
    "report_environment",
    "undeclared_variables",
]


def bundled_templates() -> str:
    return str(data_dir("templates"))


@lru_cache(maxsize=16)
def html_environment(folder: str | None = None) -> SandboxedEnvironment:
    """HTML documents: sandboxed, autoescaped, strict; ``folder`` first, then the bundled
    templates."""
    bundled = bundled_templates()
    search = [folder] if folder else []
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


def _escape_html(value: Any) -> Any:
    """Every ``{{ value }}`` of the report, escaped the way ``html.escape`` does (``&#x27;``,
    ``&quot;``) rather than markupsafe (``&#39;``, ``&#34;``): the same characters to a browser,
    and the bytes the report had when Python wrote it, so templating it changed none. Markup
    (macros, the charts) passes as it is; an undefined name still raises."""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


@lru_cache(maxsize=1)
def report_environment() -> SandboxedEnvironment:
    """The analytics report (``report/*.j2`` in the bundled templates): sandboxed, autoescaped,
    strict; a template's last newline is dropped (Jinja's default), so a section file can end
    with one."""
    return SandboxedEnvironment(
        loader=FileSystemLoader([bundled_templates()]),
        autoescape=True,
        finalize=_escape_html,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=False,
        auto_reload=False,
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
def docx_environment() -> SandboxedEnvironment:
    """The environment DOCX templates render with (strict, sandboxed; docxtpl sets autoescape)."""
    return _CompilingCache(undefined=StrictUndefined, autoescape=True)


def undeclared_variables(env: SandboxedEnvironment, source: str) -> set[str]:
    """Top-level names a template source reads (not those of its includes)."""
    return set(meta.find_undeclared_variables(env.parse(source)))
