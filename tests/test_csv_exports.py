"""CSV files as real exports write them: the delimiter and encoding are found, every row read."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY

from salessheet.api import open_pipeline

HEADER = ["Opportunity ID", "Account", "Stage", "Amount", "Owner", "Notes"]


def deals(n: int) -> list[list[str]]:
    """Rows whose every third note holds a line break, as CRM notes do."""
    return [
        [f"OPP-{i:04d}", f"Account {i}", "Qualification", f"{1000 + i}", "Jane Doe",
         f"called on Monday\r\nwants a demo {i}" if i % 3 == 0 else f"note {i}"]
        for i in range(1, n + 1)
    ]  # fmt: skip


def write(path: Path, rows: list[list[str]], delimiter: str, encoding: str) -> Path:
    def field(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in f'{delimiter}"\r\n') else v

    text = "".join(delimiter.join(field(v) for v in row) + "\r\n" for row in rows)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("name", "delimiter", "encoding"),
    [
        ("semicolon.csv", ";", "utf-8"),  # a European export
        ("unicode-text.csv", "\t", "utf-16"),  # Excel's "Unicode Text": UTF-16 with a BOM, tabs
        ("no-bom.csv", "\t", "utf-16-le"),  # UTF-16 without a byte-order mark
        ("pipes.csv", "|", "cp1252"),
    ],
)
def test_every_row_of_an_export_with_multi_line_notes_is_read(
    tmp_path: Path, name: str, delimiter: str, encoding: str
) -> None:
    """csv's sniffer gives up on quoted cells that hold line breaks; the reader fell back to a
    comma and found no header ("'deal_id' is missing from the header on row 2")."""
    path = write(tmp_path / name, [HEADER, *deals(40)], delimiter, encoding)
    p = open_pipeline(path, today=TODAY)
    assert len(p.deals) == 40
    assert [d.id for d in p.deals[:2]] == ["OPP-0001", "OPP-0002"]
    assert sum(d.values["amount"] for d in p.deals) == sum(1000 + i for i in range(1, 41))
