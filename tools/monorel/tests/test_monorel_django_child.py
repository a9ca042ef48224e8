"""The describe child started ahead of its job (monorel.adapters.django_.DescribeChild)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from monorel.adapters import django_


def test_a_describe_child_never_given_a_job_is_stopped_when_its_block_ends(
    tmp_path: Path,
) -> None:
    # given: a child started ahead, waiting for its job on stdin
    with django_.DescribeChild(cwd=tmp_path, python=sys.executable) as child:
        pid = child.pid
        assert pid is not None and _alive(pid)
        # when: the block ends without giving it a job
    # then: the child is gone (killed with its process group, and reaped)
    assert child.pid is None
    assert not _alive(pid)
    assert list(tmp_path.iterdir()) == []


def test_a_describe_child_given_its_job_answers_like_one_started_for_it(tmp_path: Path) -> None:
    # given: a job that cannot even set Django up (its settings module does not exist)
    job = django_.DescribeJob(
        settings="no_such_settings_module",
        labels=("shop",),
        database=django_.Database(host="127.0.0.1", port=1, user="postgres", name="postgres"),
        released={"shop": ()},
    )
    # when: it goes to a child started ahead, and to one started for it
    with django_.DescribeChild(cwd=tmp_path, python=sys.executable) as child:
        [ahead] = django_.describe_migrations([job], cwd=tmp_path, child=child)
    [started] = django_.describe_migrations([job], cwd=tmp_path, python=sys.executable)
    # then: both fail the same way, before describing anything
    assert ahead.described is None
    assert ahead == started
    assert ahead.failure == "ModuleNotFoundError: No module named 'no_such_settings_module'"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
