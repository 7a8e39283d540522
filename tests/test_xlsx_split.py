"""A big sheet is cut into row ranges that calamine parses on several cores at once. Whatever the
cut, the rows, merged ranges and error cells must be exactly those of one whole read."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from concurrent.futures import Future
from pathlib import Path

import pytest
from conftest import CORPUS, REPO, TODAY, corpus_file, make_xlsx, set_error_cells

from salessheet.api import validate
from salessheet.stores.xlsx import split as xlsx_split
from salessheet.stores.xlsx.parts import reader_parts, workbook_sheets
from salessheet.stores.xlsx.store import XlsxStore, _read_piece

pytestmark = pytest.mark.skipif(
    xlsx_split.usable_cores() < 2, reason="a parallel read needs two cores"
)


def _rows() -> list[list]:
    rows: list[list] = [["Q4 pipeline"], [], [None, "Deal ID", "Stage", "Value", "Created"]]
    for i in range(400):
        if 100 <= i < 106:
            rows.append([])  # a gap of empty rows, likely across a cut
            continue
        row = [None, f"D-{i:04d}", ["Lead", "Won", "Lost"][i % 3], 1000 + i * 7.25]
        row.append(dt.datetime(2026, 1, 1) + dt.timedelta(days=i))
        if i == 350:
            row += [None, None, "a note far to the right"]
        rows.append(row)
    return rows


def _workbook(path: Path) -> Path:
    make_xlsx(
        path,
        {"Pipeline": _rows(), "Notes": [["small sheet"], ["read whole"]]},
        merges={"Pipeline": ["A1:D1", "B395:C395"]},
    )
    set_error_cells(path, {"D380": ("1/0", "#DIV/0!"), "D12": ("NA()", "#N/A")})
    return path


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, *, split: bool) -> XlsxStore:
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 4096 if split else 1 << 62)
    store = XlsxStore(str(path))
    store.sheets_read = store.read(["Pipeline", "Notes"])  # type: ignore[attr-defined]
    return store


def test_a_cut_sheet_reads_exactly_like_a_whole_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook(tmp_path / "p.xlsx")
    whole = _read(path, monkeypatch, split=False)
    cut = _read(path, monkeypatch, split=True)
    assert whole.pieces_read == {}
    assert cut.pieces_read["Pipeline"] >= 2 and "Notes" not in cut.pieces_read
    for name in ("Pipeline", "Notes"):
        a, b = whole.sheets_read[name], cut.sheets_read[name]  # type: ignore[attr-defined]
        assert b.rows == a.rows
        assert b.merged == a.merged
        assert b.error_cells == a.error_cells
    rows = cut.sheets_read["Pipeline"].rows  # type: ignore[attr-defined]
    assert rows[2][:5] == ["", "Deal ID", "Stage", "Value", "Created"]
    assert rows[379][3].code == "#DIV/0!" and rows[11][3].code == "#N/A"
    assert rows[353][7] == "a note far to the right" and len(rows[-1]) == 8
    assert rows[402][4] == dt.date(2027, 2, 4)
    assert sorted(cut.sheets_read["Pipeline"].merged) == [((0, 0), (0, 3)), ((394, 1), (394, 2))]


def _cut(path: Path, pieces: int, folder: Path) -> xlsx_split.Cut:
    with zipfile.ZipFile(path) as zf:
        parts = {s.name: s.part for s in workbook_sheets(zf)}
        part = parts["Pipeline"]

        def start(piece: Path, careful: str | None) -> Future:
            assert careful is None
            done: Future = Future()
            done.set_result(_read_piece(piece, "Pipeline"))
            return done

        shared = [(name, zf.read(name)) for name in reader_parts(zf)[0]]
        return xlsx_split.cut_sheet(zf, part, pieces, shared, folder, start)


def test_four_pieces_join_into_the_whole_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook(tmp_path / "p.xlsx")
    cut = _cut(path, 4, tmp_path / "pieces")
    assert len(cut.pieces) == 4 and cut.has_errors
    results = [f.result() for f in cut.pieces]
    starts = [r[0][0] for r in results]
    assert starts == sorted(starts) and starts[0] == 0
    whole = _read(path, monkeypatch, split=False).sheets_read["Pipeline"]  # type: ignore[attr-defined]
    joined = _stream(cut.pieces).rows
    for (r, c), err in zip(sorted(whole.error_cells), ["#N/A", "#DIV/0!"], strict=True):
        joined[r][c] = whole.rows[r][c]  # the store puts error values in from its own scan
        assert whole.rows[r][c].code == err
    assert joined == whole.rows


def _strip_row_numbers(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    items["xl/worksheets/sheet1.xml"] = re.sub(
        rb'<row r="\d+"', b"<row", items["xl/worksheets/sheet1.xml"]
    )
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)


def test_rows_without_numbers_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook(tmp_path / "p.xlsx")
    expected = _read(path, monkeypatch, split=False).sheets_read["Pipeline"].rows  # type: ignore[attr-defined]
    _strip_row_numbers(path)
    with pytest.raises(xlsx_split.NotCuttable, match="without an r number"):
        _cut(path, 2, tmp_path / "pieces")
    store = _read(path, monkeypatch, split=True)
    assert store.pieces_read == {}
    assert store.sheets_read["Pipeline"].rows == expected  # type: ignore[attr-defined]


def test_validate_finds_the_same_on_a_cut_sheet(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 1 << 62)
    whole = validate(example_copy, today=TODAY)
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 64)
    cut = validate(example_copy, today=TODAY)
    assert whole.deals == cut.deals == 59  # 60 rows, D-0016 on two of them
    assert [f.to_dict() for f in cut.findings] == [f.to_dict() for f in whole.findings]
    assert len(whole.findings) > 10


def _stream(pieces: list[Future]) -> xlsx_split.StreamedSheet:
    def no_whole_read() -> list:
        raise AssertionError("a piece failed")

    return xlsx_split.StreamedSheet("Pipeline", [], True, pieces, no_whole_read, lambda: None)


def test_join_pads_gaps_offsets_and_widths_like_a_whole_read() -> None:
    first = ((0, 0), (1, 2), [["Deal ID", "Stage", "Value"], ["D-1", "Won", 5.0]])
    # the next piece starts after three empty rows, its first column is empty, and it is wider
    second = ((5, 1), (6, 3), [["Lead", 7.0, "note"], ["Lost", 1.0, ""]])
    empty = (None, None, [])
    pieces = [_done((*piece, [])) for piece in (first, empty, second)]
    assert _stream(pieces).rows == [
        ["Deal ID", "Stage", "Value", ""],
        ["D-1", "Won", 5.0, ""],
        ["", "", "", ""],
        ["", "", "", ""],
        ["", "", "", ""],
        ["", "Lead", 7.0, "note"],
        ["", "Lost", 1.0, ""],
    ]


def test_without_a_usable_temp_folder_the_sheet_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    path = _workbook(tmp_path / "p.xlsx")
    expected = _read(path, monkeypatch, split=False).sheets_read["Pipeline"]  # type: ignore[attr-defined]
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    store = _read(path, monkeypatch, split=True)
    assert store.pieces_read == {}
    assert store.sheets_read["Pipeline"].rows == expected.rows  # type: ignore[attr-defined]
    assert store.sheets_read["Pipeline"].error_cells == expected.error_cells  # type: ignore[attr-defined]


def _done(value: object) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def _failed(exc: Exception) -> Future:
    f: Future = Future()
    f.set_exception(exc)
    return f


def test_a_piece_that_cannot_be_parsed_is_replaced_by_a_whole_read() -> None:
    whole = [["Deal ID", "Stage"], ["D-1", "Won"], ["D-2", "Lead"], ["D-3", "Lost"]]
    freed = []
    sheet = xlsx_split.StreamedSheet(
        "Pipeline",
        [],
        True,
        [
            _done(((0, 0), (1, 1), [["Deal ID", "Stage"], ["D-1", "Won"]], [])),
            _failed(ValueError("unsupported cell")),
            _done(((3, 0), (3, 1), [["never", "used"]], [])),
        ],  # fmt: skip
        read_whole=lambda: [list(r) for r in whole],
        done=lambda: freed.append(True),
    )
    assert sheet.head(1) == [["Deal ID", "Stage"]] and sheet.rows_so_far() == whole[:2]
    assert freed == []
    assert sheet.rows == whole
    assert freed == [True] and not sheet.more()


def test_a_real_11_mb_sheet_gives_the_same_findings_cut_or_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = corpus_file("ayusophia_sales_pipeline_assessment", "Sales Pipeline.xlsx")
    profile = str(REPO / "examples" / "ayusophia.yaml")
    store = XlsxStore(str(path))
    store.read([s.name for s in store.sheets()])
    assert max(store.pieces_read.values()) >= 2  # big enough to be cut by default
    cut = validate(path, profile=profile, today=TODAY)
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 1 << 62)
    whole = validate(path, profile=profile, today=TODAY)
    assert cut.deals == whole.deals == 5009  # 9,994 rows; repeated ids counted once
    assert cut.notes == whole.notes
    assert [f.to_dict() for f in cut.findings] == [f.to_dict() for f in whole.findings]


CORPUS_WORKBOOKS = sorted(CORPUS.glob("*/*.xlsx")) if CORPUS.exists() else []


@pytest.mark.skipif(not CORPUS_WORKBOOKS, reason="the corpus is not available")
@pytest.mark.parametrize("path", CORPUS_WORKBOOKS, ids=lambda p: p.parent.name)
def test_every_corpus_sheet_reads_the_same_cut_or_whole(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 1 << 62)
    store = XlsxStore(str(path))
    names = [s.name for s in store.sheets()]
    whole = store.read(names)
    monkeypatch.setattr(xlsx_split, "SPLIT_MIN_BYTES", 1024)  # cut every sheet
    store = XlsxStore(str(path))
    cut = store.read(names)
    assert set(store.pieces_read) == set(names)
    for name in names:
        assert cut[name].rows == whole[name].rows, name
        assert cut[name].merged == whole[name].merged, name
        assert cut[name].error_cells == whole[name].error_cells, name
