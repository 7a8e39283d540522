"""`salessheet schedule` from the command line: a second scheduler on a source refuses to start."""

from __future__ import annotations

from conftest import make_xlsx

from salessheet.nightly.scheduler import acquire_lock, scheduler_paths


def test_second_scheduler_on_the_same_source_refuses(cli, tmp_path) -> None:
    path = make_xlsx(
        tmp_path / "p.xlsx",
        {
            "Pipeline": [
                ["Deal ID", "Customer", "Stage", "Owner"],
                ["D1", "Acme", "Lead", "Ann"],
            ]
        },
    )
    state = tmp_path / "state"
    lock_path, _log = scheduler_paths(str(path), state)
    held = acquire_lock(lock_path, holder={"pid": 4242, "source": str(path)})
    try:
        res = cli("schedule", path, "--at", "02:00", "--state-dir", state)
    finally:
        held.close()
    assert res.exit_code == 2
    assert "4242" in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_time_is_a_usage_error(cli, tmp_path) -> None:
    path = make_xlsx(tmp_path / "p.xlsx", {"Pipeline": [["Deal ID", "Stage"], ["D1", "Lead"]]})
    res = cli("schedule", path, "--at", "25:99", "--state-dir", tmp_path / "s")
    assert res.exit_code == 2
    assert "25:99" in res.stderr
