"""Output file names: safe, capped, always inside the output folder."""

from pathlib import Path

import pytest

from salessheet.core.errors import UsageError
from salessheet.documents.filenames import MAX_NAME_BYTES, document_filename, output_path


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        ("Müller & Söhne <KG>", "Q-2026-0007_Müller_&_Söhne_KG.pdf"),
        ("上海星河科技有限公司", "Q-2026-0007_上海星河科技有限公司.pdf"),
        ("../../etc/passwd", "Q-2026-0007_etc_passwd.pdf"),
        ("..\\..\\windows\\system32", "Q-2026-0007_windows_system32.pdf"),
        ("a\x00b\nc\td\x1b", "Q-2026-0007_a_b_c_d.pdf"),
        ("ＡＢＣ　Ltd", "Q-2026-0007_ABC_Ltd.pdf"),  # full-width folded by NFKC
        ("..", "Q-2026-0007.pdf"),
        (None, "Q-2026-0007.pdf"),
        ("", "Q-2026-0007.pdf"),
    ],
)
def test_safe_names(customer, expected) -> None:
    assert document_filename("Q-2026-0007", customer, "pdf") == expected


def test_length_is_capped_in_bytes_without_breaking_characters() -> None:
    name = document_filename("HT-2026-0001-R2", "长" * 300, "docx")
    stem = name.removesuffix(".docx")
    assert len(stem.encode("utf-8")) <= MAX_NAME_BYTES
    assert stem.startswith("HT-2026-0001-R2_长")
    stem.encode("utf-8").decode("utf-8")  # whole characters only


def test_output_path_stays_inside(tmp_path: Path) -> None:
    assert output_path(tmp_path, "Q-1.pdf") == (tmp_path / "Q-1.pdf").resolve()
    for bad in ("../x.pdf", "sub/x.pdf", "..", "/etc/passwd"):
        with pytest.raises(UsageError, match="outside the output folder"):
            output_path(tmp_path, bad)


def test_a_language_other_than_the_teams_goes_before_the_extension() -> None:
    assert document_filename("Q-2026-0007", "Acme", "pdf", "zh") == "Q-2026-0007_Acme.zh.pdf"
    assert document_filename("Q-2026-0007", None, "pdf", "en") == "Q-2026-0007.en.pdf"
    long = document_filename("Q-2026-0007", "长" * 300, "pdf", "zh")
    assert long.endswith("长.zh.pdf") and len(long.encode("utf-8")) <= MAX_NAME_BYTES + 4
