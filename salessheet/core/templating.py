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

Document templates may come from someone else, so their environments are also *bounded*
(``_GuardedEnvironment``; the limits are the ``MAX_*`` constants below): a render stops past a
deadline (checked at every loop iteration, call and piece of output) and past an output size;
no one value a template builds (a string, a list, an integer) may outgrow a limit, checked
*before* the operations that multiply sizes (``*``, ``**``, ``%``, ``+``, ``~``, the width and
replace methods and filters, ``join``), so a one-line template cannot allocate gigabytes; a
macro calling itself without end, or a Python error inside the template (``1/0``), is reported
as the template's fault. Each is a ``TemplateLimitError`` or ``TemplateFailed`` naming the line;
the documents turn them into a refusal (exit 2).
"""

from __future__ import annotations

import functools
import html
import inspect
import re
import string
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    meta,
    nodes,
)
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment
from markupsafe import Markup

from salessheet.core.resources import data_dir

__all__ = [
    "MAX_OUTPUT_CHARS",
    "MAX_RENDER_SECONDS",
    "Markup",
    "SandboxedEnvironment",
    "Template",
    "TemplateError",
    "TemplateFailed",
    "TemplateLimitError",
    "TemplateNotFound",
    "TemplateSyntaxError",
    "UndefinedError",
    "docx_environment",
    "html_environment",
    "report_environment",
    "undeclared_variables",
]


# Limits on rendering one document template (a quote, a contract, each part of a DOCX). A
# bundled quote is 10 KB of HTML and is issued in ~50 ms, rendering included; one of 1,000 line
# items is 0.35 MB of HTML (1.8 MB of Word XML) and is issued in 0.1-0.3 s (measured on 2
# cores). The limits are far beyond that, so only a runaway template meets them; then it fails
# in seconds, not hours or gigabytes.
MAX_RENDER_SECONDS = 10.0  # one render, from the first line to the last piece of output
MAX_OUTPUT_CHARS = 16 << 20  # 16 Mi characters of output (HTML, or one part's XML)
MAX_VALUE_LENGTH = MAX_OUTPUT_CHARS  # any one string or list a template builds
MAX_INT_BITS = 14_000  # ~4,200 digits: Python itself refuses to print an integer past 4,300
MAX_LIPSUM = 100  # paragraphs of placeholder text (Jinja's lipsum())
# ranges: Jinja's sandbox allows MAX_RANGE (100,000) numbers; past it, a TemplateLimitError
_LIMIT_HINT = (
    "the template does far more work than a document needs (a loop over a huge range, a macro "
    "calling itself, a giant value): fix the template (the limits are in the README, Limits)"
)


def bundled_templates() -> str:
    return str(data_dir("templates"))


# ------------------------------------------------------------------------------ the bounds


class TemplateLimitError(Exception):
    """A template went past one of the render limits (time, output, a value's size, depth)."""

    hint = _LIMIT_HINT

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line

    def __str__(self) -> str:
        at = f"line {self.line}: " if self.line else ""
        return f"{at}refused: {self.message}"


class TemplateFailed(Exception):
    """The template raised a Python error (``1/0``, ``int('x')``): the template's fault."""

    hint = "fix the template at that line"

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line

    def __str__(self) -> str:
        at = f"line {self.line}: " if self.line else ""
        return f"{at}{self.message}"


class _Budget:
    __slots__ = ("deadline",)

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS


_BUDGET: ContextVar[_Budget | None] = ContextVar("salessheet_template_budget", default=None)


def _tick() -> None:
    """Past the deadline of the render in progress: stop it."""
    budget = _BUDGET.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise TemplateLimitError(
            f"rendering took longer than {MAX_RENDER_SECONDS:g} s (the limit for one document)"
        )


def _need(size: int, what: str) -> None:
    """Refuse an operation whose result would be ``size`` characters or items."""
    if size > MAX_VALUE_LENGTH:
        raise TemplateLimitError(
            f"{what} would build a value of {size:,} characters or items "
            f"(the limit is {MAX_VALUE_LENGTH:,})"
        )


def _fits(value: Any, what: str = "an expression") -> Any:
    """``value``, if it is within the limits."""
    if isinstance(value, (str, bytes, bytearray, list, tuple, dict, set)):
        _need(len(value), what)
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"{what} built an integer of more than {MAX_INT_BITS:,} bits")
    return value


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _ints(args: Iterable[Any]) -> Iterator[int]:
    return (a for a in args if isinstance(a, int) and not isinstance(a, bool))


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_printf(fmt: str, args: Any, what: str) -> None:
    """``fmt % args``: no width or precision past the limit, written or given by ``*``."""
    values = args if isinstance(args, tuple) else (args,)
    for width, precision in _PRINTF.findall(fmt):
        for n in (width, precision):
            if n == "*":
                for v in _ints(values):
                    _need(abs(v), what)
            elif n:
                _need(int(n), what)


def _check_format(fmt: str, args: Any, kwargs: Any, what: str) -> None:
    """``fmt.format(...)``: no width or precision past the limit in any field."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # format() raises the same error itself
    for _, _, spec, _ in fields:
        if not spec:
            continue
        for n in re.findall(r"\d+", spec):
            _need(int(n), what)
        if "{" in spec:  # a width given as an argument
            values = list(args) + (list(kwargs.values()) if isinstance(kwargs, dict) else [])
            for v in _ints(values):
                _need(abs(v), what)


def _replaced_size(s: Any, old: Any, new: Any, count: Any) -> int:
    if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    hits = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * (len(new) - len(old))


def _joined_size(items: list[Any], sep: Any) -> int:
    return sum(len(str(x)) for x in items) + len(str(sep)) * max(0, len(items) - 1)


def _check_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Refuse a call of a string or list method whose result would outgrow the limit;
    returns the arguments to call with (``join``'s iterable made a list, to measure it)."""
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    what = f"{name}()"
    if isinstance(owner, (str, bytes, bytearray)):
        n = len(owner)
        if name in ("center", "ljust", "rjust", "zfill") and args:
            _need(_int(args[0]), what)
        elif name == "expandtabs":
            tab = args[0] if args else kwargs.get("tabsize", 8)
            _need(n * max(1, _int(tab)), what)
        elif name == "replace" and len(args) >= 2:
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            _need(_replaced_size(owner, args[0], args[1], count), what)
        elif name == "join" and args:
            items = list(args[0])
            _need(len(items), what)
            _need(_joined_size(items, owner), what)
            return (items, *args[1:])
        elif name == "translate" and args and isinstance(args[0], dict):
            longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
            _need(n * longest, what)
    elif isinstance(owner, list) and name in ("extend", "__iadd__") and args:
        more = list(args[0])
        _need(len(owner) + len(more), what)
        return (more, *args[1:])
    elif isinstance(owner, list) and name in ("append", "insert"):
        _need(len(owner) + 1, what)
    return args


def _check_binop(operator: str, left: Any, right: Any) -> None:
    what = f"the {operator} operator"
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int):
                _need(len(seq) * max(0, times), what)
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                _fits(1 << (MAX_INT_BITS + 1), what)
    elif operator == "**" and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right > 0 and right * left.bit_length() > MAX_INT_BITS + 64:
            _fits(1 << (MAX_INT_BITS + 1), what)
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right, what)
    elif operator == "+":
        if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _need(len(left) + len(right), what)


def _filter_precheck(name: str, bound: inspect.BoundArguments) -> None:
    """Refuse a filter call whose result would outgrow the limit (Jinja's own filters)."""
    a = bound.arguments
    what = f"the {name} filter"
    if name == "center":
        _need(_int(a.get("width", 80)), what)
    elif name == "indent":
        width = a.get("width", 4)
        per_line = len(width) if isinstance(width, str) else _int(width)
        _need(len(str(a.get("s", ""))) + (str(a.get("s", "")).count("\n") + 1) * per_line, what)
    elif name == "replace":
        _need(_replaced_size(str(a.get("s", "")), a.get("old"), a.get("new"), a.get("count")), what)
    elif name == "format":
        _check_printf(str(a.get("value", "")), tuple(a.get("args", ())), what)
    elif name in ("join", "sum"):
        key = "value" if name == "join" else "iterable"
        if key in a and not isinstance(a[key], (str, dict)):
            items = a[key] = list(a[key])
            _need(len(items), what)
            if name == "join":
                _need(_joined_size(items, a.get("d", "")), what)
            elif not isinstance(a.get("start", 0), (int, float)):
                _need(sum(len(x) for x in items if hasattr(x, "__len__")), what)
    elif name == "slice":
        _need(_int(a.get("slices", 0)), what)
    elif name == "batch":
        _need(_int(a.get("linecount", 0)), what)
    elif name == "wordwrap":
        text, wrap = str(a.get("s", "")), a.get("wrapstring") or "\n"
        width = max(1, _int(a.get("width", 79)))
        _need(len(text) + (len(text) // width + text.count("\n") + 1) * len(str(wrap)), what)


_PASSED = ("eval_ctx", "environment", "env", "context")  # what pass_* filters get first


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (a filter) refusing a result past the limits, measured before it is built
    where one call can multiply sizes (``_filter_precheck``)."""
    passed = hasattr(func, "jinja_pass_arg")  # then its first argument is a context
    try:
        signature: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):  # pragma: no cover - every Jinja filter has one
        signature = None
    if signature is not None and passed:
        params = list(signature.parameters.values())
        if params and params[0].name in _PASSED:  # (an async variant's omits it)
            signature = signature.replace(parameters=params[1:])

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        head, rest = (args[:1], args[1:]) if passed else ((), args)
        if signature is not None:
            try:
                bound = signature.bind(*rest, **kwargs)
            except TypeError:
                pass  # the filter raises its own error for these arguments
            else:
                _filter_precheck(name, bound)
                rest, kwargs = bound.args, bound.kwargs
        return _fits(func(*head, *rest, **kwargs), f"the {name} filter")

    return guarded


def _guarded_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TemplateLimitError(f"range() of {len(rng):,} numbers (the limit is {MAX_RANGE:,})")
    return rng


def _lipsum(n: int = 5, *args: Any, **kwargs: Any) -> str:
    from jinja2.utils import generate_lorem_ipsum

    if _int(n) > MAX_LIPSUM:
        raise TemplateLimitError(f"lipsum() of {n:,} paragraphs (the limit is {MAX_LIPSUM})")
    return generate_lorem_ipsum(n, *args, **kwargs)


def _guarded_loop(iterable: Any) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this: the deadline is checked at each item."""
    for item in iterable:
        _tick()
        yield item


class _GuardedCode(CodeGenerator):
    """Compiles templates so that every loop checks the deadline at each item and every
    ``~`` concatenation is measured (the one way to build a string that no hook sees)."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):  # before the filters a template uses are listed
            loop.iter = nodes.Filter(loop.iter, "_salessheet_loop", [], [], None, None)
            loop.iter.set_lineno(loop.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_value(")
        super().visit_Concat(node, frame)
        self.write(")")


class _GuardedTemplate(Template):
    """``render`` within the deadline and the output limit (through ``generate``); Python
    errors in the template and endless recursion become the template's fault."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _BUDGET.set(_Budget())
        pieces: list[str] = []
        try:
            size = 0
            stream = self.generate(*args, **kwargs)
            try:
                for piece in stream:
                    size += len(piece)
                    if size > MAX_OUTPUT_CHARS:
                        raise TemplateLimitError(
                            f"the output is over {MAX_OUTPUT_CHARS:,} characters (the limit)"
                        )
                    _tick()
                    pieces.append(piece)
            finally:
                getattr(stream, "close", lambda: None)()  # a generator: stop it
        except TemplateLimitError as exc:
            exc.line = exc.line or self._line_of(exc)
            raise
        except TemplateError:
            raise
        except RecursionError as exc:
            raise TemplateLimitError(
                "macros or includes call themselves deeper than Python allows",
                self._line_of(exc),
            ) from None
        except MemoryError as exc:
            raise TemplateLimitError(
                "rendering needs more memory than there is", self._line_of(exc)
            ) from None
        except Exception as exc:  # noqa: BLE001 - any Python error raised by template code
            raise TemplateFailed(f"{type(exc).__name__}: {exc}", self._line_of(exc)) from exc
        finally:
            _BUDGET.reset(token)
        return "".join(pieces)

    def _line_of(self, exc: BaseException) -> int | None:
        """The template line the error was raised at (Jinja rewrites tracebacks so the
        template's own lines appear in them)."""
        name = self.filename or "<template>"
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == name]
        return lines[-1] if lines else None


class _GuardedEnvironment(SandboxedEnvironment):
    """The sandbox, bounded: see the module's docstring."""

    code_generator_class = _GuardedCode
    template_class = _GuardedTemplate
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters["_salessheet_loop"] = _guarded_loop
        self.globals["range"] = _guarded_range
        self.globals["lipsum"] = _lipsum

    def checked_value(self, value: Any) -> Any:
        return _fits(value, "the ~ operator")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _check_binop(operator, left, right)
        return _fits(super().call_binop(context, operator, left, right), f"the {operator}")

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _tick()
        args = _check_method(obj, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, list):
            _fits(owner, f"{getattr(obj, '__name__', 'a')}()")
        return _fits(result, f"{getattr(obj, '__name__', 'a call')}()")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _tick()
            mapping = args[0] if value.__name__ == "format_map" and args else kwargs
            _check_format(fmt, args, mapping, f"{value.__name__}()")
            return str(_fits(wrapped(*args, **kwargs), f"{value.__name__}()"))

        return functools.update_wrapper(checked, wrapped)


@lru_cache(maxsize=16)
def html_environment(folder: str | None = None) -> SandboxedEnvironment:
    """HTML documents: sandboxed, autoescaped, strict; ``folder`` first, then the bundled
    templates."""
    bundled = bundled_templates()
    search = [folder] if folder else []
    if bundled != folder:
        search.append(bundled)  # custom templates may include the bundled css and macros
    return _GuardedEnvironment(
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


class _CompilingCache(_GuardedEnvironment):
    """Compiles each distinct source once: docxtpl hands over the same document XML per render."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._compiled: dict[tuple[str, bool], Any] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
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
    """The environment DOCX templates render with (strict, sandboxed and bounded; docxtpl sets
    autoescape)."""
    return _CompilingCache(undefined=StrictUndefined, autoescape=True)


def undeclared_variables(env: SandboxedEnvironment, source: str) -> set[str]:
    """Top-level names a template source reads (not those of its includes)."""
    return set(meta.find_undeclared_variables(env.parse(source)))
