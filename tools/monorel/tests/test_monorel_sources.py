"""monorel.sources (PEP 263 decoding) and monorel.migration_files (the one static reader)."""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel import migration_files, sources


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\xef\xbb\xbfx = 1\n", "x = 1\n"),
        ("# -*- coding: latin-1 -*-\nx = 'café'\n".encode("latin-1"), None),
        (
            "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '€'\n".encode("cp1252"),
            None,
        ),
        ("x = 'café'\n".encode(), "x = 'café'\n"),
    ],
    ids=["bom", "latin-1-cookie", "cookie-on-line-2", "utf-8"],
)
def test_source_decodes_as_python_does(data: bytes, text: str | None) -> None:
    # when
    decoded = sources.decode(data)

    # then: the text Python compiles (the cookie line stays a comment)
    assert decoded == (text if text is not None else data.decode(sources.encoding_of(data)))
    assert compile(decoded, "<test>", "exec") is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("x = 'café'\n".encode("latin-1"), "does not decode as UTF-8 and declares no encoding"),
        (b"# coding: klingon\nx = 1\n", "unknown encoding: klingon"),
        (b"# coding: utf-8\n\nx = '\xe9'\n", "does not decode as utf-8 at byte"),
    ],
    ids=["no-cookie", "unknown-codec", "bad-bytes-later"],
)
def test_undecodable_source_is_a_syntax_error_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(SyntaxError) as excinfo:
        sources.decode(data, "m.py")

    assert isinstance(excinfo.value, sources.SourceDecodeError)
    assert message in str(excinfo.value)


def test_migration_reader_resolves_names_concatenation_and_unpacking(tmp_path: Path) -> None:
    # given: operations split over module and class variables
    path = tmp_path / "0002_x.py"
    path.write_text(
        "from django.db import migrations\n"
        'BASE = [migrations.RemoveField("invoice", "note")]\n'
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("shop", "0001_initial")]\n'
        '    extra = [migrations.DeleteModel("Refund")]\n'
        "    operations = BASE + [*extra, migrations.SeparateDatabaseAndState(\n"
        '        state_operations=[migrations.RenameField("invoice", "a", "b")])]\n',
        encoding="utf-8",
    )

    # when
    source = migration_files.read(path)

    # then
    assert [op.kind for op in source.operations] == [
        "RemoveField",
        "DeleteModel",
        "SeparateDatabaseAndState",
    ]
    assert [(op.kind, op.model) for op in source.all_operations()] == [
        ("RemoveField", "invoice"),
        ("DeleteModel", "refund"),
        ("RenameField", "invoice"),
    ]
    assert [(d.label, d.name) for d in source.dependencies] == [("shop", "0001_initial")]
    assert (source.operations_read, source.operation_line(0)) == (True, 2)


def test_migration_reader_reports_what_it_cannot_read(tmp_path: Path) -> None:
    # given: operations built by a helper
    path = tmp_path / "0003_x.py"
    path.write_text(
        "from django.db import migrations\n"
        "class Migration(migrations.Migration):\n"
        "    operations = build()\n",
        encoding="utf-8",
    )

    # when
    source = migration_files.read(path)

    # then: never an empty list that looks read
    assert source.operations == []
    assert source.operations_read is False
    assert source.opaque == ["line 3: build() is not a literal list"]
    assert source.operation_line(0) is None
