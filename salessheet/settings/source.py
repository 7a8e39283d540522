"""Config files as data plus the file and line of every key, and ``extends:`` chains.

``read_config(path)`` parses a YAML file with PyYAML's C loader when libyaml is there (the node
tree is composed in C, then constructed) and keeps a ``Where`` tree beside the data: the file and
line of each mapping key and list item, so a problem found later names ``file:line``. When the
file says ``extends: b2b`` (a built-in profile) or ``extends: base.yaml`` (relative to the file's
folder), the parent is read the same way and the file is merged over it (``merge_over``); every
merged value keeps the file and line it came from.

Merge rules (the README's config reference says the same):

- mappings merge key by key; any other value (text, number, list) given by the child replaces
  the parent's;
- ``columns.FIELD`` merges key by key, and an ``aliases`` list is *added* to the parent's
  (parent's first, duplicates dropped) unless the entry says ``aliases_replace: true``;
- ``stages``: an item whose ``id`` names a parent stage updates that stage (keys given replace
  the parent's values, ``aliases`` are added as for columns); an item with a new id is a new,
  complete stage. Without ``stages_replace: true`` the parent's stages keep their order and a
  new stage goes right after the item listed before it in the child's list (first, if it is
  listed first). With ``stages_replace: true`` the child's list is the whole list, in its order:
  parent stages it does not list are dropped (``{id: lead}`` keeps one unchanged).

A config may come from someone else, so reading one is bounded (the ``MAX_*`` constants): its size
before it is parsed, and, while the YAML is composed (before anything is expanded), its
nesting depth, its alias references and the number of values it would expand to, so a few
hundred bytes of nested aliases (a "billion laughs") are refused at once; and the length of an
``extends:`` chain. Each refusal is a ConfigError naming the file and the limit.
"""

from __future__ import annotations

import copy
import re
import shlex
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.resolver import Resolver

from salessheet.core.errors import ConfigError
from salessheet.core.files import read_error_hint
from salessheet.core.resources import data_dir

# Limits on a config file. Each is far beyond what a person writes: the shipped profiles are
# 2-8 KB, under 1,000 values after expansion, nested 4-5 deep, use no aliases and extend nothing; a
# team's config extends one profile (two with a shared base). The limits are there so a hostile
# or broken file costs milliseconds and a clear refusal, never minutes and gigabytes.
MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: over 100x the largest shipped profile
MAX_CONFIG_VALUES = 100_000  # every key, value and list item, aliases counted as expanded
MAX_CONFIG_ALIASES = 1_000  # `*name` references in one file
MAX_CONFIG_DEPTH = 64  # mappings and lists inside each other
MAX_EXTENDS_CHAIN = 16  # files in one `extends:` chain, the config itself included
_LIMITS_HINT = (
    "a config this large or this nested is not one a person writes: check that the file is the "
    "config you meant (its limits are listed in the README, section Limits)"
)
BUILTIN_PROFILES = ("b2b", "b2c", "lite")
FLAGS = ("aliases_replace", "stages_replace")  # merge switches, consumed by the merge
# keys holding file or folder paths, resolved against the folder of the file that wrote them
# (besides documents.<kind>.templates.<lang>.<format>)
_PATH_KEYS = (
    ("documents", "seller", "logo"),
    ("documents", "out_dir"),
    ("notifications", "email", "ca_file"),
)
_TEMPLATE_KINDS = ("quote", "contract")


class Where(NamedTuple):
    """Where a value was written: file, 1-based line, and the same for its keys or items;
    ``place``: for a list item, its place in the list of the file that wrote it (a merged
    list's item may sit elsewhere: messages name the place the user sees)."""

    file: str
    line: int
    kids: dict[str, Where] | list[Where] | None = None
    place: int | None = None
    via: int | None = None  # a value repeated by a YAML alias (*name, <<: *name): where it is


def profile_path(name_or_path: str) -> Path:
    if name_or_path in BUILTIN_PROFILES:
        return data_dir("config") / f"{name_or_path}.yaml"
    return Path(name_or_path)


def is_bundled(name: str, path: Path | None) -> bool:
    """Was the profile ``name`` read from ``path`` the bundled one (not a team's own file)?"""
    if name not in BUILTIN_PROFILES or path is None:
        return False
    try:
        return path.resolve() == profile_path(name).resolve()
    except OSError:
        return False


class _LimitExceeded(yaml.YAMLError):
    """A config limit, met while composing (turned into a ConfigError by ``read_yaml``)."""

    def __init__(self, message: str, mark: Any, hint: str = _LIMITS_HINT):
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


class _BoundedComposer(Composer):
    """PyYAML's composer, counting as it goes: nesting depth, alias references and the number
    of values the document expands to (an alias counts as the whole value it names), so a
    document past a limit is refused before anything of it is expanded or constructed."""

    # from the parser this composer is combined with (libyaml's or PyYAML's own)
    check_event: Callable[..., bool]
    peek_event: Callable[[], Any]

    def __init__(self) -> None:
        Composer.__init__(self)
        self._depth = 0
        self._aliases = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values it expands to, once composed
        self._open: list[int] = [0]  # values counted inside each collection being composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:  # an unknown alias: the composer's own error follows
                size = self._sizes.get(id(target))
                if size is None:
                    raise _LimitExceeded(
                        f"the alias *{event.anchor} refers to a value that contains it "
                        "(a value cannot contain itself)",
                        event.start_mark,
                        hint=f"write the value out, or point *{event.anchor} at another one",
                    )
                self._aliases += 1
                if self._aliases > MAX_CONFIG_ALIASES:
                    raise _LimitExceeded(
                        f"more than {MAX_CONFIG_ALIASES:,} alias references (*name)",
                        event.start_mark,
                    )
                self._count(size, event.start_mark)
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_CONFIG_DEPTH:
            raise _LimitExceeded(
                f"mappings and lists nested more than {MAX_CONFIG_DEPTH} deep", mark
            )
        self._open.append(0)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            inner = self._open.pop()
        self._sizes[id(node)] = 1 + inner
        self._count(1 + inner, mark)
        return node

    def _count(self, size: int, mark: Any) -> None:
        self._open[-1] += size
        if self._open[-1] > MAX_CONFIG_VALUES or size > MAX_CONFIG_VALUES:
            raise _LimitExceeded(
                f"the document expands to more than {MAX_CONFIG_VALUES:,} values "
                "(aliases counted as the values they repeat)",
                mark,
            )


try:
    from yaml._yaml import CParser as _CParser  # libyaml's parser, as yaml.cyaml has it
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _WITH_LIBYAML = False
else:
    _WITH_LIBYAML = True
if _WITH_LIBYAML:  # libyaml parses; composing happens here, in Python, to count

    class _Loader(_BoundedComposer, _CParser, SafeConstructor, Resolver):
        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            _BoundedComposer.__init__(self)

else:  # pragma: no cover - PyYAML without libyaml

    class _Loader(_BoundedComposer, yaml.SafeLoader):  # type: ignore[no-redef]  # (no libyaml)
        def __init__(self, stream: str):
            yaml.SafeLoader.__init__(self, stream)
            _BoundedComposer.__init__(self)


def _read_text(path: Path) -> str:
    """The file as text, refused unreadable, not a regular file, or over MAX_CONFIG_BYTES
    (decided from its size before reading, and never more than that is read)."""
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{path}: is a folder, not a config file")
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path}: not a regular file (a device or a pipe), not a config")
        if st.st_size > MAX_CONFIG_BYTES:
            raise _too_big(path, st.st_size)
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the config file ({exc.strerror or exc})",
            hint=read_error_hint(path, exc),
        ) from exc
    if len(raw) > MAX_CONFIG_BYTES:  # it grew since stat
        raise _too_big(path, len(raw))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line})",
            hint="save the config as UTF-8 (any editor can; YAML configs are UTF-8)",
        ) from exc


def _too_big(path: Path, size: int) -> ConfigError:
    return ConfigError(
        f"{path}: the config file is {size:,} bytes, over the limit of {MAX_CONFIG_BYTES:,}",
        hint=_LIMITS_HINT,
    )


def read_yaml(path: Path) -> tuple[Any, Where]:
    """The file's data and its ``Where`` tree; a ConfigError if it cannot be read or parsed
    or is past one of the config limits."""
    return read_yaml_text(_read_text(path), path)


def read_yaml_text(text: str, path: Path) -> tuple[Any, Where]:
    """Like ``read_yaml`` for text not (yet) in a file; ``path`` names it in messages."""
    _refuse_init_report(text, path)
    loader = _Loader(text)
    node = None
    try:
        node = loader.get_single_node()
        data = _construct(loader, node) if node is not None else None
    except ValueError as exc:  # a timestamp that is no date, such as 2026-13-01
        node_at = _bad_scalar(node)
        mark = node_at.start_mark if node_at is not None else None
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        shown = f"{node_at.value} is not a date ({exc})" if node_at is not None else str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {shown}") from exc
    except _LimitExceeded as exc:
        at = f" line {exc.mark.line + 1}:" if exc.mark is not None else ""
        raise ConfigError(f"{path}:{at} refused: {exc.message}", hint=exc.hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        why = _syntax_hint(exc, text)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}{why}") from exc
    finally:
        loader.dispose()
    file = str(path)
    return data, (_where(node, file, 1) if node is not None else Where(file, 1))


_INIT_REPORT = re.compile(r"config init: wrote (.+?) \(extends [^)]*\)\s*$", re.M)


def _refuse_init_report(text: str, path: Path) -> None:
    """``salessheet config init sheet.xlsx > team.yaml`` saves what config init printed: the
    config itself went to the file it names."""
    m = _INIT_REPORT.match(text.lstrip("\ufeff"))
    if m is None:
        return
    wrote = m.group(1)
    raise ConfigError(
        f"{path}: this is what `salessheet config init` printed, not a config: the config it "
        f"wrote is {wrote}",
        hint=f"check that one: `salessheet config check {shlex.quote(wrote)}` (config init "
        "writes the config to a file; --out FILE chooses its name)",
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _syntax_hint(exc: yaml.YAMLError, text: str) -> str:
    """What the parser's words mean for a config a person edits: a tab, or a line indented so
    that it lines up with no key (the parser notices it a line late, or at the line after)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return ""
    lines = text.splitlines()
    if not 0 <= mark.line < len(lines):
        return ""
    here = lines[mark.line]
    if "\t" in here[: mark.column + 1]:
        return "; YAML indents with spaces only: replace the tab with spaces"
    before = [
        (i, t)
        for i, t in enumerate(lines[: mark.line])
        if t.strip() and not t.lstrip().startswith("#")
    ]
    problem = getattr(exc, "problem", None) or ""
    context = getattr(exc, "context_mark", None)
    n = _indent(here)
    if "mapping values are not allowed" in problem:
        if ": " in here[: mark.column].split("#")[0]:
            return "; a text that holds ': ' goes in quotes"
        if before:
            i, above = before[-1]
            key_at = len(above) - len(above.lstrip(" -"))
            return (
                f"; line {mark.line + 1} is indented {n} spaces, under line {i + 1} "
                f"({above.strip()!r}), whose key (at {key_at} spaces) already has a value: "
                "keys of one mapping line up in one column, and a key's own keys go under it "
                "only when it has no value"
            )
        return ""
    if context is None or ("expected key" not in problem and "'-' indicator" not in problem):
        return ""
    start, col = context.line + 1, context.column
    if "'-' indicator" in problem and n == col:
        return (
            f"; line {mark.line + 1} is indented like the items of the list that starts at line "
            f"{start} ({col} spaces) but does not start with '- ': a key of the item above goes "
            f"under the item's first key, indented {col + 2} spaces"
        )
    what = "keys" if "key" in problem else "items (- ...)"
    shown = (
        f"; line {mark.line + 1} is indented {n} spaces, which lines up with none of the {what} "
        f"of the block that starts at line {start} ({col} spaces)"
    )
    if before and before[-1][0] != context.line:
        i, above = before[-1]
        if _indent(above) == col:
            shown += (
                f"; line {i + 1} above it is one of those {what}: if it belongs under the key "
                f"before it, indent it {n} spaces like line {mark.line + 1}"
            )
            return shown
        shown += f", nor with line {i + 1} above it ({_indent(above)} spaces)"
    return shown + ": lines of one mapping or list line up in one column"


_STR_TAG = "tag:yaml.org,2002:str"
_MAX_NOT_DATES = 100


def _construct(loader: Any, node: yaml.Node) -> Any:
    """The document's data. A value YAML takes for a date but is none (``2026-13-01``) is
    read as the text it is, so the config's checks name it at its key path among every
    other problem, instead of the whole file stopping at the first one."""
    for _ in range(_MAX_NOT_DATES):
        try:
            return loader.construct_document(node)
        except ValueError:
            bad = _bad_scalar(node)
            if bad is None or bad.tag == _STR_TAG:
                raise
            bad.tag = _STR_TAG
            loader.constructed_objects, loader.recursive_objects = {}, {}
            loader.state_generators, loader.deep_construct = [], False
    return loader.construct_document(node)


def _bad_scalar(node: yaml.Node | None) -> yaml.ScalarNode | None:
    """The first scalar the constructor cannot turn into a value (only after it failed)."""
    probe = yaml.constructor.SafeConstructor()
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop(0)
        if isinstance(n, yaml.ScalarNode):
            try:
                probe.construct_object(n)
            except ValueError:
                return n
        elif isinstance(n, yaml.MappingNode):
            stack.extend(v for pair in n.value for v in pair)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return None


def _where(
    node: yaml.Node, file: str, line: int, seen: set[int] | None = None, via: int | None = None
) -> Where:
    """The lines of ``node``'s keys and items. A value met a second time (the tree is walked in
    the file's order, and an anchor comes before its aliases) is one a YAML alias repeats: its
    keys keep the lines where they are written, and ``via`` says where the alias uses them."""
    seen = set() if seen is None else seen
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        kids: dict[str, Where] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                at = key.start_mark.line + 1
                used = via
                if used is None and id(key) in seen:
                    used = line  # a key merged in from an anchor (<<: *name)
                elif used is None and id(value) in seen:
                    used = at  # key: *name
                seen.add(id(key))
                kids[key.value] = _where(value, file, at, seen, used)
        return Where(file, line, kids, via=via)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, v in enumerate(node.value):
            used = via if via is not None or id(v) not in seen else line
            items.append(_where(v, file, v.start_mark.line + 1, seen, used)._replace(place=i))
        return Where(file, line, items, via=via)
    return Where(file, line, via=via)


def kid(where: Where | None, key: Any) -> Where | None:
    if where is None:
        return None
    kids = where.kids
    if isinstance(kids, dict):
        return kids.get(str(key))
    if isinstance(kids, list) and isinstance(key, int) and 0 <= key < len(kids):
        item: Where = kids[key]
        return item
    return None


def read_config(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[Any, Where | None]:
    """A config file with its ``extends:`` chain resolved (see the module's merge rules)."""
    data, where = read_yaml(path)
    if _chain and isinstance(data, dict):  # a parent: its paths are relative to its own folder
        _anchor_paths(data, path.parent.resolve())
    if not isinstance(data, dict) or "extends" not in data:
        return data, where
    return resolve_extends(data, where, path, _chain)


def resolve_extends(
    data: dict[str, Any], where: Where | None, path: Path | None, chain: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], Where | None]:
    """``data`` merged over the profile its ``extends:`` names."""
    ref = data["extends"]
    label = str(path) if path else "<config>"
    line = kid(where, "extends")
    at = f"{line.file}:{line.line}" if line else label
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(
            f"{at}: extends: found {ref!r}, expected a built-in profile "
            f"({', '.join(BUILTIN_PROFILES)}) or a YAML file next to this one"
        )
    if ref in BUILTIN_PROFILES:
        parent = profile_path(ref)
    else:
        parent = Path(ref).expanduser()
        if not parent.is_absolute():
            parent = (path.parent if path else Path()) / parent
    me = path.resolve() if path else None
    seen = chain + ((me,) if me else ())
    if len(seen) >= MAX_EXTENDS_CHAIN:
        files = [str(p) for p in seen]
        raise ConfigError(
            f"{at}: refused: the extends: chain is longer than {MAX_EXTENDS_CHAIN} files",
            [" → ".join(files[:3] + ["…"] + files[-2:])],
            hint="a team's config extends a profile, perhaps through one shared base: "
            "shorten the chain",
        )
    if parent.resolve() in seen:
        files = [str(p) for p in seen] + [str(parent.resolve())]
        raise ConfigError(
            f"{at}: extends: {ref!r} makes a cycle", [" → ".join(files)], hint="remove one extends"
        )
    if not parent.exists():
        raise ConfigError(
            f"{at}: extends: found {ref!r}, expected a built-in profile "
            f"({', '.join(BUILTIN_PROFILES)}) or a YAML file; {parent} does not exist"
        )
    base, base_where = read_config(parent, seen)
    if not isinstance(base, dict):
        raise ConfigError(f"{parent}: expected a mapping with keys name, stages, columns, ...")
    child = {k: v for k, v in data.items() if k != "extends"}
    merged, merged_where = merge_over(base, base_where, child, where)
    if child.get("stages_replace") is True:
        _drop_stale_stage_rules(merged, child)
    return merged, merged_where


def _drop_stale_stage_rules(merged: dict[str, Any], child: dict[str, Any]) -> None:
    """With ``stages_replace: true`` an inherited ``documents.<kind>.stages`` that names a
    stage the new list lacks is dropped (the documents then use their default rule: quotes in
    the open stages, contracts from the last open stage on): a team that writes its own stages
    (a Spanish team's ``ganada``) need not rewrite the parent's document settings too."""
    stages = merged.get("stages")
    docs = merged.get("documents")
    if not isinstance(stages, list) or not isinstance(docs, dict):
        return
    ids = {s.get("id") for s in stages if isinstance(s, dict)}
    docs = merged["documents"] = dict(docs)  # never change the parent's own data
    theirs = child.get("documents")
    mine = theirs if isinstance(theirs, dict) else {}
    for kind, section in docs.items():
        if not isinstance(section, dict) or "stages" not in section:
            continue
        if isinstance(mine.get(kind), dict) and "stages" in mine[kind]:
            continue  # the child's own rule: validated as written
        rule = section["stages"]
        named = (
            [rule.get("from"), rule.get("to")]
            if isinstance(rule, dict)
            else list(rule)
            if isinstance(rule, list)
            else []
        )
        if any(n is not None and n not in ids for n in named):
            docs[kind] = {k: v for k, v in section.items() if k != "stages"}


def anchored(data: Any, folder: Path) -> Any:
    """A copy of ``data`` whose relative paths (templates, logo, documents' out_dir, the
    e-mail CA file) start at ``folder``."""
    out = copy.deepcopy(data)
    if isinstance(out, dict):
        _anchor_paths(out, folder)
    return out


def _anchor_paths(data: dict[str, Any], folder: Path) -> None:
    """Relative paths point into the folder of the file that wrote them."""

    def anchor(value: Any) -> Any:
        if isinstance(value, str) and value.strip() and not Path(value).expanduser().is_absolute():
            return str(folder / Path(value).expanduser())
        return value

    for *parents, key in _PATH_KEYS:
        section: Any = data
        for name in parents:
            section = section.get(name) if isinstance(section, dict) else None
        if isinstance(section, dict) and key in section:
            section[key] = anchor(section[key])
    docs = data.get("documents")
    if not isinstance(docs, dict):
        return
    for kind in _TEMPLATE_KINDS:
        templates = (
            docs.get(kind, {}).get("templates") if isinstance(docs.get(kind), dict) else None
        )
        if isinstance(templates, dict):
            for per_format in templates.values():
                if isinstance(per_format, dict):
                    for fmt in list(per_format):
                        per_format[fmt] = anchor(per_format[fmt])


# --------------------------------------------------------------------------------- the merge


def merge_over(
    parent: Any, pw: Where | None, child: Any, cw: Where | None, path: tuple[Any, ...] = ()
) -> tuple[Any, Where | None]:
    """``child`` merged over ``parent`` (both with their Where trees)."""
    if not (isinstance(parent, dict) and isinstance(child, dict)):
        return child, cw
    out = dict(parent)
    kids: dict[str, Where] = dict(pw.kids) if pw and isinstance(pw.kids, dict) else {}
    in_entry = len(path) == 2 and path[0] in ("columns", "stages")
    add_aliases = in_entry and child.get("aliases_replace") is not True
    for key, value in child.items():
        here = kid(cw, key)
        switch = in_entry or (key == "stages_replace" and path == ())
        if key in FLAGS and isinstance(value, bool) and switch:
            continue  # a switch for this merge, not a setting (other values: validated)
        old = parent.get(key)
        if key == "stages" and path == () and isinstance(old, list) and isinstance(value, list):
            merged = _merge_stages(
                old, kid(pw, key), value, here, replace=child.get("stages_replace") is True
            )
        elif key == "aliases" and add_aliases and isinstance(old, list) and isinstance(value, list):
            merged = _add(old, kid(pw, key), value, here)
        elif key in parent:
            merged = merge_over(old, kid(pw, key), value, here, (*path, key))
        else:
            merged = value, here
        out[key] = merged[0]
        if merged[1] is not None:
            kids[str(key)] = merged[1]
    where = (
        Where(cw.file, cw.line, kids, cw.place)
        if cw
        else (Where(pw.file, pw.line, kids, pw.place) if pw else None)
    )
    return out, where


def _add(
    old: list[Any], ow: Where | None, new: list[Any], nw: Where | None
) -> tuple[list[Any], Where | None]:
    """The parent's aliases, then the child's that are not already there."""
    out, kids = list(old), list(ow.kids) if ow and isinstance(ow.kids, list) else []
    seen = {_alias_key(a) for a in old}
    for i, alias in enumerate(new):
        marker = _alias_key(alias)
        if marker not in seen:
            seen.add(marker)
            out.append(alias)
            kids.append(kid(nw, i) or Where(nw.file, nw.line) if nw else Where("?", 0))
    where = Where(nw.file, nw.line, kids) if nw else None
    return out, where


def _alias_key(alias: Any) -> Any:
    """What makes two aliases the same; a list or mapping (invalid, reported by the
    validation) is never the same as another."""
    if isinstance(alias, str):
        return alias.casefold()
    try:
        hash(alias)
    except TypeError:
        return ("unhashable", id(alias))
    return alias


def _merge_stages(
    old: list[Any], ow: Where | None, new: list[Any], nw: Where | None, *, replace: bool
) -> tuple[list[Any], Where | None]:
    by_id = {
        s["id"]: i
        for i, s in enumerate(old)
        if isinstance(s, dict) and isinstance(s.get("id"), str)
    }
    # each slot: (value, where); parent stages first, in the parent's order
    slots: list[tuple[Any, Where | None]] = [(s, kid(ow, i)) for i, s in enumerate(old)]
    position = {i: i for i in range(len(old))}  # parent index -> slot
    listed: list[int] = []  # slots the child's list names, in its order
    previous = -1
    for j, stage in enumerate(new):
        sw = kid(nw, j)
        sid = stage.get("id") if isinstance(stage, dict) else None
        if isinstance(sid, str) and sid in by_id:
            slot = position[by_id[sid]]
            value, where = slots[slot]
            slots[slot] = merge_over(value, where, stage, sw, ("stages", slot))
        else:
            slot = previous + 1
            slots.insert(slot, (stage, sw))
            for k, v in position.items():
                if v >= slot:
                    position[k] = v + 1
            listed = [s + 1 if s >= slot else s for s in listed]
        listed.append(slot)
        previous = slot
    if replace:
        slots = [slots[s] for s in listed]
    where = (
        Where(nw.file, nw.line, [w or Where(nw.file, nw.line) for _, w in slots]) if nw else None
    )
    return [v for v, _ in slots], where


class _Dumper(yaml.SafeDumper):
    """Block mappings, and lists of plain values on one line (``aliases: [Deal ID, 编号]``)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(isinstance(v, (str, int, float, bool)) or v is None for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(list, _represent_list)


def inline_yaml(value: Any) -> str:
    """A YAML value on one line (flow style), quoted where YAML needs it."""
    dumped = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
    )
    return dumped.strip().removesuffix("...").strip()


def dump_yaml(data: Any, header: str = "") -> str:
    """``data`` as YAML that reads back to the same data (``header``: a leading comment)."""
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    return "\n".join([*lines, body]) if lines else body
