from pathlib import Path

from spendsync.integrations.matrix import render_markdown

README = Path(__file__).parents[2] / "README.md"


def test_readme_matrix_is_the_declared_capabilities() -> None:
    assert render_markdown() in README.read_text(), "run `spendsync integrations` into README.md"


def test_matrix_reflects_capabilities() -> None:
    rows = {line.split("|")[1].strip(): line for line in render_markdown().splitlines()[2:]}
    assert "**available**" in rows["Xero"]
    assert rows["QuickBooks Desktop"].count("create") == 4
    assert "attachments" not in rows["QuickBooks Desktop"]
    assert rows["Dynamics 365 Business Central"].split("|")[5].strip() == "—"
