"""In a GitHub Actions job nothing the CLI prints can be a workflow command, however it is written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli import run
from reconciler.encode import actions

INVISIBLE = ("\ufeff", "\u200b", "\u200c", "\u200d", "\u2060")  # a BOM and the zero-width characters
PIECES = st.lists(
    st.sampled_from(
        [":", "::", "#", "##[", "##vso[", " ", "\t", "\n", "\r", "x", "add-mask::s", "\u2028", *INVISIBLE]
    )
)


def _is_command(line: str) -> bool:
    return line.lstrip("".join(INVISIBLE) + " \t\x0b\x0c").lstrip().startswith(("::", "##[", "##vso["))


@pytest.mark.parametrize("blank", INVISIBLE)
def test_an_invisible_lead_is_a_blank(blank: str) -> None:
    assert actions.line(f"{blank}::add-mask::x") == f"{blank}\\::add-mask::x"
    inner = io.StringIO()
    stream = actions.SafeStream(inner)
    for piece in (blank, " ", blank, ":", ":error::forged\n"):
        stream.write(piece)
    assert inner.getvalue() == f"{blank} {blank}\\::error::forged\n"


@given(PIECES, st.lists(st.booleans()))
def test_no_line_is_a_command_whatever_the_pieces(pieces: list[str], flushes: list[bool]) -> None:
    inner = io.StringIO()
    stream = actions.SafeStream(inner)
    for piece, flush in zip(pieces, flushes + [False] * len(pieces), strict=False):
        stream.write(piece)
        if flush:
            stream.flush()
    stream.flush()
    written = inner.getvalue()
    assert not any(_is_command(line) for line in written.splitlines())
    assert written.replace("\\", "") == "".join(pieces)  # only marks were added


def test_click_treats_it_as_a_text_stream() -> None:
    with pytest.raises(TypeError):
        actions.SafeStream(io.StringIO()).write(b"")  # type: ignore[arg-type]


def test_a_config_path_shaped_as_a_command_is_printed_inert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("::add-mask::forged.yaml").write_text("version: 1\nprovider: nope\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert run(["validate", "::add-mask::forged.yaml"]) == 1
    out = capsys.readouterr()
    assert "add-mask" in out.err
    assert not any(_is_command(line) for line in (out.out + out.err).splitlines())
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert run(["validate", "::add-mask::forged.yaml"]) == 1
    assert capsys.readouterr().err.startswith("::add-mask::")  # outside Actions, printed as it is
