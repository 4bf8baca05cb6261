"""The committed benchmark tables (``benchmarks/results/*.md``) as documentation.

The directive ``.. benchmark-results:: ../benchmarks/results/NAME.md`` parses a
committed markdown report with MyST and inserts its paragraphs, lists and
tables into the page, so the tables render as tables. The files themselves are
written by the benchmark scripts and are not edited for the documentation; two
things are adapted at build time:

- a ``|`` inside a table cell (``|pcorr|``) is escaped, so that it does not
  start a new column;
- relative image paths are made relative to the including page.

With ``:drop-title:`` the report's first ``#`` heading is left out (the page
gives its own title) and the other headings move up one level.
"""

import re
from pathlib import Path
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.utils import new_document
from sphinx.util.docutils import SphinxDirective

_LONG_CELL = 32  # characters; longer table cells may wrap
_DELIMITER_ROW = re.compile(r"^\|[-:| ]+\|\s*$")
_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)(\))")


def _escape_cell_pipes(line):
    """Escape the pipes of a table row that are cell content, not separators.

    Separators in the committed tables stand between spaces (``| a | b |``);
    a pipe touching a non-space character (``|pcorr|``) is content.
    """
    if not line.startswith("|") or _DELIMITER_ROW.match(line):
        return line
    out = []
    for k, char in enumerate(line):
        before = line[k - 1] if k else " "
        after = line[k + 1] if k + 1 < len(line) else " "
        content = k and not (before.isspace() and after.isspace())
        out.append("\\|" if char == "|" and content else char)
    return "".join(out)


def prepare(text, *, image_prefix="", drop_title=False):
    """The markdown ``text`` of a report, ready for MyST (see the module doc)."""
    lines = text.splitlines()
    if drop_title:
        k = next((k for k, line in enumerate(lines) if line.strip()), None)
        if k is not None and re.match(r"^# ", lines[k]):
            del lines[k]
        lines = [line[1:] if re.match(r"^##+ ", line) else line for line in lines]
    lines = [_escape_cell_pipes(line) for line in lines]
    text = "\n".join(lines) + "\n"

    def relink(match):
        target = match.group(2)
        if re.match(r"^[a-z]+:", target) or target.startswith("/"):
            return match.group(0)
        return match.group(1) + image_prefix + target + match.group(3)

    return _IMAGE.sub(relink, text)


class BenchmarkResults(SphinxDirective):
    """Insert a committed markdown report, parsed by MyST."""

    required_arguments = 1
    option_spec: ClassVar[dict] = {"drop-title": directives.flag}

    def run(self):
        from myst_parser.parsers.sphinx_ import MystParser

        rel, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        path = Path(path)
        if not path.is_file():
            raise self.error(f"benchmark report not found: {path}")
        self.env.note_dependency(rel)
        # image paths relative to the page's folder
        prefix = str(Path(self.arguments[0]).parent).replace("\\", "/")
        text = prepare(
            path.read_text(encoding="utf-8"),
            image_prefix="" if prefix == "." else prefix + "/",
            drop_title="drop-title" in self.options,
        )
        document = new_document(str(path), self.state.document.settings)
        MystParser().parse(text, document)
        for table in document.findall(nodes.table):
            table["classes"].append("benchmark-table")
        # numbers stay on one line (CSS); cells of sentences wrap
        for entry in document.findall(nodes.entry):
            if len(entry.astext()) > _LONG_CELL:
                entry["classes"].append("long-cell")
        return list(document.children)


def setup(app):
    app.add_directive("benchmark-results", BenchmarkResults)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
