"""Every relative link of the README and docs/ leads somewhere: the file exists and, with a #fragment, the
page has that heading (GitHub's anchor of it). A reader following the README from its top meets no dead
link (issue 31 walk: plan-format.md pointed at a heading locking.md had renamed), and every whole config the
pages show is valid as written."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.loading import load_configs

ROOT = Path(__file__).resolve().parents[2]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but hyphens dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found, fenced = set(), False
    for line in page.read_text().splitlines():
        fenced = fenced != line.startswith("```")
        if not fenced and line.startswith("#"):
            found.add(anchor(line.lstrip("#")))
    return found


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def dead_links(page: Path) -> list[str]:
    dead = []
    for target in _LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path) if path else page
        if not linked.exists():
            dead.append(f"{target}: no such file")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            dead.append(f"{target}: no such heading")
    return dead


def test_every_relative_link_resolves() -> None:
    dead = {str(p.relative_to(ROOT)): d for p in pages() if (d := dead_links(p))}
    assert dead == {}


def test_the_check_catches_a_dead_heading(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    page.write_text("# A title (v1)\n\n[ok](#a-title-v1) [gone](#a-title) [file](b.md)\n")
    assert dead_links(page) == ["#a-title: no such heading", "b.md: no such file"]


def test_every_whole_config_the_pages_show_is_valid(tmp_path: Path) -> None:
    """A block with ``version:`` and ``provider:`` is one a reader copies into a file and validates."""
    blocks = [
        block
        for page in pages()
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(), re.S)
        if re.search(r"^version:", block, re.M) and re.search(r"^provider:", block, re.M)
    ]
    assert len(blocks) >= 2  # the README's AB Tasty and Taplytics examples at least
    for n, block in enumerate(blocks):
        (tmp_path / f"{n}.yaml").write_text(block)
    assert len(load_configs([tmp_path])) == len(blocks)
