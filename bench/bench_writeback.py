"""Write-back speed against python-calamine's read speed, measured in the same run.

Builds a 100,000-row x 20-column pipeline workbook (shared strings, numbers, styled dates, like
Excel writes it), then times
  (a) python-calamine reading the sheet into Python lists (the baseline), and
  (b) salessheet's no-loss write-back: 2 owned columns for every row + a 100,000-row history
      sheet, including lock/fingerprint checks, temp file, fsync, verification and backup;
  then (c) the next night (every days-in-stage value changes; best of --repeat, each on a fresh
  copy of the first night's result) and, once, (d) a run where nothing changed (no write).
Target: (b) <= 2 x (a). Each is the best of --repeat runs (the write always on a fresh copy);
CPU seconds are printed too, as a steadier figure on a busy machine.

    python bench/bench_writeback.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import python_calamine  # noqa: E402

from salessheet.stores.base import CellWrite, SheetReplace  # noqa: E402
from salessheet.stores.file_safety import fingerprint  # noqa: E402
from salessheet.stores.xlsx.patch import patch_xlsx  # noqa: E402

COLS = 20
STAGES = ["research", "lead", "opportunity", "follow_up", "negotiation", "contract", "delivery"]
OWNERS = [f"Owner {i:02d}" for i in range(20)]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def build_workbook(path: Path, rows: int) -> None:
    strings: dict[str, int] = {}

    def si(text: str) -> int:
        if text not in strings:
            strings[text] = len(strings)
        return strings[text]

    letters = [_col(c) for c in range(1, COLS + 1)]
    headers = [
        "Deal ID", "Customer", "Stage", "Owner", "Amount", "Probability", "Created",
        "Expected Close", "Last Activity", "Region", "Product", "Source", "Next Step",
        "Contact", "Phone", "Email", "Discount", "Quantity", "Notes", "Priority",
    ]  # fmt: skip
    out = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
        f'xmlns:r="{RELS}"><dimension ref="A1:{letters[-1]}{rows + 1}"/><sheetData>'
        '<row r="1" spans="1:20">'
    ]
    out += [f'<c r="{letters[i]}1" t="s"><v>{si(h)}</v></c>' for i, h in enumerate(headers)]
    out.append("</row>")
    base = 45000
    for r in range(2, rows + 2):
        i = r - 2
        vals = [
            ("s", f"D-{i:06d}"), ("s", f"Customer {i % 5000}"), ("s", STAGES[i % 7]),
            ("s", OWNERS[i % 20]), ("n", str(1000 + (i * 37) % 90000)), ("n", f"0.{i % 10}"),
            ("d", str(base + i % 700)), ("d", str(base + 30 + i % 700)), ("d", str(base + i % 400)),
            ("s", ["North", "South", "East", "West"][i % 4]), ("s", f"Product {i % 50}"),
            ("s", ["Web", "Referral", "Event"][i % 3]), ("s", f"Call back {i % 30}"),
            ("s", f"Contact {i % 3000}"), ("s", f"+86 10 {i:08d}"), ("s", f"c{i}@example.com"),
            ("n", str(i % 15)), ("n", str(1 + i % 9)), ("s", f"note {i % 100}"), ("n", str(i % 3)),
        ]  # fmt: skip
        cells = []
        for c, (kind, v) in enumerate(vals):
            ref = f"{letters[c]}{r}"
            if kind == "s":
                cells.append(f'<c r="{ref}" t="s"><v>{si(v)}</v></c>')
            elif kind == "d":
                cells.append(f'<c r="{ref}" s="1"><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        out.append(f'<row r="{r}" spans="1:20">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    sst = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" '
           f'count="{len(strings)}" uniqueCount="{len(strings)}">']  # fmt: skip
    sst += [f"<si><t>{s}</t></si>" for s in strings]
    sst.append("</sst>")
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types '
        'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default '
        'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook'
        '.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main'
        '+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/'
        'styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook '
        f'xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="Pipeline" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet '
        f'xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
        'patternType="gray125"/></fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/><xf numFmtId="14" '
        'applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": "".join(sst),
        "xl/worksheets/sheet1.xml": "".join(out),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text.encode("utf-8"))


def calamine_read(path: Path) -> list[list]:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name("Pipeline").to_python()


def next_night(cells: list[CellWrite]) -> list[CellWrite]:
    """Day 2: every deal's days-in-stage moves on; a few flags appear or clear."""
    out = []
    for c in cells:
        value = c.value
        if isinstance(value, int):
            value += 1
        elif c.col == 21 and c.row > 1 and c.row % 50 == 0:
            value = None if value else "stalled: 31 days in lead (limit 30)"
        out.append(CellWrite(c.sheet, c.row, c.col, value))
    return out


def write_batch(rows: int) -> tuple[list[CellWrite], list[SheetReplace]]:
    cells = [CellWrite("Pipeline", 1, 21, "⚑ salessheet"), CellWrite("Pipeline", 1, 22,
             "Days in stage")]  # fmt: skip
    for r in range(2, rows + 2):
        i = r - 2
        flag = "stalled: 45 days in negotiation (limit 30)" if i % 9 == 0 else None
        cells.append(CellWrite("Pipeline", r, 21, flag))
        cells.append(CellWrite("Pipeline", r, 22, i % 120))
    history = [["Deal ID", "Stage", "Entered", "Left", "Seen by run", "Note"]]
    day = dt.date(2026, 11, 28)
    for i in range(rows):
        history.append([f"D-{i:06d}", STAGES[i % 7], day - dt.timedelta(days=i % 120), None,
                        "2026-11-28T02:00", "seeded" if i % 2 else "transition"])  # fmt: skip
    return cells, [SheetReplace("salessheet history", history)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pipeline.xlsx"
        t0 = time.perf_counter()
        build_workbook(src, args.rows)
        print(f"built {args.rows:,} x {COLS} workbook: {src.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        cells, sheets = write_batch(args.rows)
        reads, writes, reads_cpu, writes_cpu = [], [], [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            data = calamine_read(src)
            reads.append(time.perf_counter() - t0)
            reads_cpu.append(time.process_time() - c0)
            assert len(data) == args.rows + 1, len(data)
            target = Path(tmp) / "work" / "pipeline.xlsx"
            shutil.rmtree(target.parent, ignore_errors=True)
            target.parent.mkdir()
            shutil.copyfile(src, target)
            t0, c0 = time.perf_counter(), time.process_time()
            fp = fingerprint(target)
            report = patch_xlsx(target, fp, cells, sheets)
            writes.append(time.perf_counter() - t0)
            writes_cpu.append(time.process_time() - c0)
            assert report.written_sheets == ["salessheet history"], report
        day2 = next_night(cells)
        night1 = Path(tmp) / "night1.xlsx"
        shutil.copyfile(target, night1)
        nights, nights_cpu = [], []
        for _ in range(args.repeat):  # each on a fresh copy of the first night's result
            shutil.copyfile(night1, target)
            t0, c0 = time.perf_counter(), time.process_time()
            report2 = patch_xlsx(target, fingerprint(target), day2, sheets)
            nights.append(time.perf_counter() - t0)
            nights_cpu.append(time.process_time() - c0)
        night2, night2_cpu = min(nights), min(nights_cpu)
        t0, c0 = time.perf_counter(), time.process_time()
        report3 = patch_xlsx(target, fingerprint(target), day2, sheets)
        same, same_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report3.unchanged and report2.written_cells >= args.rows
        back = python_calamine.CalamineWorkbook.from_path(str(target))
        got = back.get_sheet_by_name("Pipeline").to_python()
        assert got[1][20] == "stalled: 45 days in negotiation (limit 30)" and got[2][21] == 2.0
        assert len(back.get_sheet_by_name("salessheet history").to_python()) == args.rows + 1
        read, write = min(reads), min(writes)
        runs_r = ", ".join(f"{x:.3f}" for x in reads)
        runs_w = ", ".join(f"{x:.3f}" for x in writes)
        size = target.stat().st_size / 1e6
        print(f"(a) calamine read        : {read:.3f} s  (runs: {runs_r})")
        print(f"(b) write-back (patch)   : {write:.3f} s  (runs: {runs_w})")
        print(f"ratio write/read         : {write / read:.2f}  (target <= 2.00)")
        rc, wc = min(reads_cpu), min(writes_cpu)
        print(f"CPU seconds (best)       : read {rc:.3f}, write {wc:.3f}, ratio {wc / rc:.2f}")
        print(f"cells written: {report.written_cells:,}; output {size:.1f} MB")
        print(
            f"(c) next night (all days-in-stage change): {night2:.3f} s, CPU {night2_cpu:.3f} s "
            f"({report2.written_cells:,} cells); ratio {night2 / read:.2f} "
            f"(CPU {night2_cpu / rc:.2f})"
        )
        print(
            f"(d) same night again (nothing changes)  : {same:.3f} s, CPU {same_cpu:.3f} s; "
            f"ratio {same / read:.2f} (CPU {same_cpu / rc:.2f})"
        )


if __name__ == "__main__":
    main()
