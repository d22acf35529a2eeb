"""`python -m hearth.adapters.miio`: the stand-alone simulator refuses bad input clearly."""

from __future__ import annotations

import pytest

from hearth.adapters.miio.__main__ import main


def test_missing_spec_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--spec", "/nonexistent/spec.json", "--port", "0"]) == 1
    assert "cannot read MIoT spec" in capsys.readouterr().err


def test_a_type_or_a_spec_is_required() -> None:
    with pytest.raises(SystemExit):
        main([])
