"""The "describe" job of ``_django_child.py``: migrations as Django and PostgreSQL see them.

Loaded by the child by file path (never imported by monorel itself), inside a forked
process that runs one job. Input (one JSON object, see ``monorel.adapters.django_``)::

    {"kind": "describe", "settings": MODULE, "pythonpath": [DIR, ...],
     "labels": [LABEL, ...],                      # the member's apps: the ones judged
     "released": {LABEL: [NAME, ...]},            # migrations at the release point
     "edited": {LABEL: {NAME: FILE}},             # released migrations changed since:
                                                  #   FILE is the release's version
     "static": {LABEL: {NAME: {"dependencies": [[L, N]], "replaces": [[L, N]],
                               "initial": BOOL}}},  # for stand-ins of unimportable files
     "database": {"host", "port", "user", "password", "name"}}

What it does:

1. ``django.setup()`` under the member's settings, every database alias but
   ``default`` swapped for the dummy backend and ``default`` pointed at the given
   PostgreSQL server; routers are dropped (a verdict asks what the migration does).
2. Every migration module of the judged labels is imported first, one by one; one that
   fails is replaced by a stand-in with the dependencies read statically (so the graph
   stays whole) and reported in ``import_errors``.
3. ``MigrationLoader`` builds the graph as ``migrate`` would on a database at the release
   point: the released migrations of the judged labels and every migration of the other
   apps count as applied (Django's own squash rules then pick squash or originals).
   Migrations of the judged labels not applied are "new".
4. In one transaction that is rolled back at the end, inside a schema of its own (so
   several jobs can share one server), the plan up to every new and edited migration is
   applied for real with a recording schema editor: each statement is recorded as
   ``sqlmigrate`` prints it, then executed, so the introspection later operations do
   (constraint names) sees a real database. RunPython code runs too, as ``migrate``
   would run it on a fresh database (later migrations may need the rows it creates);
   its ORM queries are not recorded, and a failure on the empty tables is kept in
   ``data_errors`` only. Statements PostgreSQL refuses inside a transaction (CREATE
   INDEX CONCURRENTLY) are recorded, not executed.
5. For each new migration: every operation (class, arguments, reversibility), the SQL
   it ran, and the change of Django's model state it made (models and fields before and
   after). For each edited one, the same for the release's version, run on the same
   state in a savepoint that is rolled back, then for the tree's version.

Output: ``{"error": null | TEXT, "statuses": {"L.N": STATUS}, "import_errors": {"L.N":
TEXT}, "migrations": [RECORD, ...], "server_version": INT, "seconds": {...}}``; STATUS is
"applied" (released), "new", "replaced" (by a squash this graph uses) or
"unused-squash" (a squash this graph cannot use: some of what it replaces is applied).
"""

import contextlib
import hashlib
import importlib
import importlib.util
import os
import pkgutil
import sys
import time
import traceback
import types
import uuid

_MAX_DEPTH = 6


def run(job):
    started = time.perf_counter()
    sys.path[0:0] = job.get("pythonpath", [])
    os.environ["DJANGO_SETTINGS_MODULE"] = job["settings"]
    import django
    from django.conf import settings

    database = job["database"]
    aliases = list(settings.DATABASES) or ["default"]
    settings.DATABASES = {alias: {"ENGINE": "django.db.backends.dummy"} for alias in aliases}
    settings.DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database["name"],
        "USER": database.get("user") or "",
        "PASSWORD": database.get("password") or "",
        "HOST": database.get("host") or "",
        "PORT": str(database.get("port") or ""),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {},
        "TIME_ZONE": None,
        "TEST": {},
    }
    settings.DATABASE_ROUTERS = []
    django.setup()
    seconds = {"setup": time.perf_counter() - started}
    labels = list(job["labels"])
    import_errors = _import_migrations(labels, job.get("static", {}))
    loader = _released_loader(labels, job.get("released", {}))
    seconds["load"] = time.perf_counter() - started - seconds["setup"]
    statuses = _statuses(loader, labels)
    edited = {
        (label, name): path
        for label, names in job.get("edited", {}).items()
        for name, path in names.items()
    }
    wanted = [
        key
        for key, status in statuses.items()
        if key in loader.graph.nodes and (status == "new" or key in edited)
    ]
    records = _describe(loader, labels, wanted, edited, import_errors) if wanted else []
    seconds["apply"] = time.perf_counter() - started - seconds["setup"] - seconds["load"]
    from django.db import connection

    return {
        "error": None,
        "statuses": {f"{k[0]}.{k[1]}": v for k, v in sorted(statuses.items())},
        "import_errors": import_errors,
        "migrations": records,
        "server_version": connection.pg_version if wanted else None,
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
    }


# ---------------------------------------------------------------- loading


def _import_migrations(labels, static):
    """Import each migration module of ``labels``; stand-ins for the ones that fail."""
    from django.db import migrations
    from django.db.migrations.loader import MigrationLoader

    errors = {}
    for label in labels:
        try:
            module_name, _ = MigrationLoader.migrations_module(label)
        except LookupError:
            continue  # not installed: reported by the caller from "statuses"
        if module_name is None:
            continue
        try:
            package = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001 - the caller reports every migration as unreadable
            continue
        for _, name, is_pkg in pkgutil.iter_modules(getattr(package, "__path__", [])):
            if is_pkg or name[0] in "_~":
                continue
            full = f"{module_name}.{name}"
            try:
                importlib.import_module(full)
            except Exception as exc:  # noqa: BLE001 - any failure of the member's code
                errors[f"{label}.{name}"] = _error_text(exc)
                info = static.get(label, {}).get(name, {})
                stand_in = types.ModuleType(full)
                stand_in.Migration = type(
                    "Migration",
                    (migrations.Migration,),
                    {
                        "dependencies": [tuple(d) for d in info.get("dependencies", [])],
                        "replaces": [tuple(r) for r in info.get("replaces", [])],
                        "initial": info.get("initial", False),
                        "operations": [],
                    },
                )
                sys.modules[full] = stand_in
    return errors


class _AppliedRecorder:
    """Stands in for MigrationRecorder: what a database at the release point has applied."""

    def __init__(self, connection):
        self._connection = connection

    def applied_migrations(self):
        return self._connection.applied()


class _ReleasePoint:
    """Passed as the loader's "connection": only the recorder above ever talks to it."""

    def __init__(self, applied):
        self.applied = applied


def _released_loader(labels, released):
    from django.db.migrations import loader as loader_module

    holder = {}
    released_keys = {(label, name) for label, names in released.items() for name in names}

    def applied():
        return {
            key: None
            for key in holder["loader"].disk_migrations
            if key[0] not in labels or key in released_keys
        }

    original = loader_module.MigrationRecorder
    loader_module.MigrationRecorder = _AppliedRecorder
    try:
        loader = loader_module.MigrationLoader(
            _ReleasePoint(applied), load=False, ignore_no_migrations=True
        )
        holder["loader"] = loader
        loader.build_graph()
    finally:
        loader_module.MigrationRecorder = original
    loader.connection = None
    return loader


def _statuses(loader, labels):
    statuses = {}
    for key in sorted(loader.disk_migrations):
        if key[0] not in labels:
            continue
        if key in loader.graph.nodes:
            statuses[key] = "applied" if key in loader.applied_migrations else "new"
        elif key in loader.replacements:
            statuses[key] = "unused-squash"
        else:
            statuses[key] = "replaced"
    return statuses


# ---------------------------------------------------------------- applying and recording


def _describe(loader, labels, wanted, edited, import_errors):
    from django.db import connection, transaction
    from django.db.migrations.state import ProjectState

    plan = _plan(loader, wanted)
    wanted_set = set(wanted)
    editor_class = _recording_editor(connection.SchemaEditorClass)
    records = []
    schema = f"monorel_semver_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            cursor.execute(f'SET LOCAL search_path TO "{schema}"')
        state = ProjectState(real_apps=loader.unmigrated_apps)
        _create_unmigrated_tables(connection, editor_class, loader)
        for key in plan:
            migration = loader.graph.nodes[key]
            if key not in wanted_set:
                state, _ = _apply(connection, editor_class, migration, state, labels, None)
                continue
            record = _record_head(migration, key, import_errors)
            if key in edited:
                record["release"] = _release_version(
                    connection, editor_class, edited[key], key, state, labels
                )
            state, touched = _apply(connection, editor_class, migration, state, labels, record)
            if key in edited:
                release_after = record["release"].pop("_after", None)
                keys = set(touched) | set(record["release"].pop("_touched", []))
                # the tree's version against the release's: how the state after it differs
                record["edit_state"] = (
                    [
                        change
                        for change in (
                            _model_change(k, release_after.models.get(k), state.models.get(k))
                            for k in sorted(keys)
                        )
                        if _differs(change)
                    ]
                    if release_after is not None
                    else None
                )
            records.append(record)
        transaction.set_rollback(True)
    return records


def _plan(loader, wanted):
    """Every migration ``wanted`` needs, in the order ``migrate`` would apply them."""
    needed = set()
    for key in wanted:
        needed.update(loader.graph.forwards_plan(key))
    order = []
    seen = set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key in needed and key not in seen:
                seen.add(key)
                order.append(key)
    return order


def _create_unmigrated_tables(connection, editor_class, loader):
    from django.apps import apps

    models = [
        model
        for label in sorted(loader.unmigrated_apps)
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed and not model._meta.proxy
    ]
    if not models:
        return
    with editor_class(connection, atomic=True) as editor:
        for model in models:
            editor.create_model(model)


def _record_head(migration, key, import_errors):
    return {
        "app": key[0],
        "name": key[1],
        "atomic": bool(migration.atomic),
        "initial": bool(migration.initial),
        "replaces": [list(r) for r in migration.replaces],
        "import_error": import_errors.get(f"{key[0]}.{key[1]}"),
        "operations": [],
        "statements": [],
        "errors": [],
    }


def _release_version(connection, editor_class, path, key, state, labels):
    """The release's version of an edited migration, run on ``state`` and rolled back."""
    from django.db import transaction

    record = {"operations": [], "statements": [], "errors": [], "import_error": None}
    try:
        spec = importlib.util.spec_from_file_location(f"_monorel_release_{key[0]}_{key[1]}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        migration = module.Migration(key[1], key[0])
    except Exception as exc:  # noqa: BLE001 - any failure of the member's code
        record["import_error"] = _error_text(exc)
        return record
    savepoint = transaction.savepoint()
    try:
        after, touched = _apply(connection, editor_class, migration, state.clone(), labels, record)
        record["_after"] = after
        record["_touched"] = touched
    finally:
        transaction.savepoint_rollback(savepoint)
    return record


class _Careful(Exception):
    """Something failed on the fast path: the migration runs again, carefully."""


def _apply(connection, editor_class, migration, state, labels, record):
    """Apply ``migration`` to the database and ``state``; fill ``record`` if given.

    Returns the state after it and the model keys (of ``labels``) whose state changed.
    Carefully, each operation runs in a savepoint: one that fails is recorded and rolled
    back, and the state still moves on, so that later migrations are judged against the
    state their author saw. Most migrations fail nowhere, and a savepoint costs two round
    trips to the server (per operation and per deferred statement: about a fifth of the
    job's time on wagtail's history): each migration first runs without them, in the
    schema editor's savepoint only; where anything fails, that savepoint is rolled back,
    the state and the record are put back as they were, and the migration runs again,
    carefully. MONOREL_SEMVER_CAREFUL=1 runs every migration carefully.
    """
    from django.db import DatabaseError

    if _ALWAYS_CAREFUL:
        return _apply_once(connection, editor_class, migration, state, labels, record, True)
    start_state = state.clone()
    start_record = _record_lengths(record)
    try:
        return _apply_once(connection, editor_class, migration, state, labels, record, False)
    except (_Careful, DatabaseError):  # DatabaseError: releasing the savepoint failed
        _forget()  # a failure may leave rendered models half-changed
        _restore_record(record, start_record)
        return _apply_once(connection, editor_class, migration, start_state, labels, record, True)


_ALWAYS_CAREFUL = os.environ.get("MONOREL_SEMVER_CAREFUL") == "1"


def _record_lengths(record):
    if record is None:
        return None
    return {
        key: len(record[key])
        for key in ("operations", "statements", "errors", "data_errors")
        if key in record
    }


def _restore_record(record, lengths):
    if record is None:
        return
    for key in ("operations", "statements", "errors", "data_errors"):
        if key not in lengths:
            record.pop(key, None)
        else:
            del record[key][lengths[key] :]


def _apply_once(connection, editor_class, migration, state, labels, record, careful):
    """``_apply``, with a savepoint per operation (``careful``) or none."""
    from django.db import transaction
    from django.db.migrations.operations.special import RunPython, RunSQL

    touched = []
    editor = editor_class(connection, atomic=True)
    editor.monorel_statements = record["statements"] if record is not None else None
    editor.monorel_owner = None
    editor.monorel_deferred_owner = {}
    editor.monorel_tolerant = False
    with editor:
        for index, operation in enumerate(migration.operations):
            # ``state`` is never rendered: each operation's database_forwards gets states
            # that render what it reads (see "rendering" below)
            before = state.clone()
            operation.state_forwards(migration.app_label, state)
            _forget_views(operation)
            path = [index]
            editor.monorel_owner = path
            deferred_before = {id(sql) for sql in editor.deferred_sql}
            error = None
            try:
                _run_forwards(operation, migration, editor, before, state, path, careful)
            except _Careful:
                raise
            except Exception as exc:  # noqa: BLE001 - recorded: the verdict fails on it
                _forget()  # a failure may leave rendered models half-changed
                if not isinstance(operation, RunPython):
                    error = _error_text(exc)
                elif record is not None:
                    # data code on empty tables may expect rows: that says nothing about
                    # what it does to a real database (its verdict is its reversibility)
                    record.setdefault("data_errors", []).append(
                        {"op": path, "error": _error_text(exc)}
                    )
            for sql in editor.deferred_sql:
                if id(sql) not in deferred_before:
                    editor.monorel_deferred_owner.setdefault(id(sql), path)
            if record is None:
                continue
            changed = _changed_models(before, state, labels)
            touched += [key for key in changed if key not in touched]
            described = _operation(operation, path)
            described["state"] = [
                _model_change(key, before.models.get(key), state.models.get(key)) for key in changed
            ]
            record["operations"].append(described)
            if error is not None:
                record["errors"].append({"op": path, "error": error})
            if isinstance(operation, RunPython | RunSQL):
                # rows they wrote must meet their deferred foreign keys now, as they would at
                # the commit of a real migrate (else the next ALTER TABLE of that table fails
                # with "pending trigger events")
                _check_deferred(connection)
        # deferred statements (indexes, foreign keys of new tables) run now, each on its own,
        # and are recorded for the operation that deferred them
        deferred, editor.deferred_sql = editor.deferred_sql, []
        for sql in deferred:
            owner = editor.monorel_deferred_owner.get(id(sql))
            editor.monorel_owner = owner
            if not careful:
                try:
                    editor.execute(sql, None)
                except Exception as exc:
                    raise _Careful() from exc
                continue
            try:
                with transaction.atomic(savepoint=True):
                    editor.execute(sql, None)
            except Exception as exc:  # noqa: BLE001 - recorded: the verdict fails on it
                if record is not None:
                    record["errors"].append({"op": owner, "error": _error_text(exc)})
    return state, touched


def _check_deferred(connection):
    from django.db import transaction

    try:
        with transaction.atomic(savepoint=True), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except Exception:  # noqa: BLE001 - rows that break a key: the data code's problem
        pass


def _run_forwards(operation, migration, editor, from_state, to_state, path, careful):
    """``_forwards`` in a savepoint; where rendering a subset of the state missed something
    the operation reads, once more (the savepoint rolled back) on the whole state. Not
    ``careful``: without a savepoint, and any failure raises ``_Careful``."""
    from django.db import transaction

    if not careful:
        try:
            _forwards(operation, migration, editor, from_state, to_state, path, subset=True)
        except Exception as exc:
            raise _Careful() from exc
        return
    statements = editor.monorel_statements
    recorded = len(statements) if statements is not None else 0
    deferred = list(editor.deferred_sql)
    try:
        with transaction.atomic(savepoint=True):
            _forwards(operation, migration, editor, from_state, to_state, path, subset=True)
        return
    except _SubsetMissed:
        if statements is not None:
            del statements[recorded:]
        editor.deferred_sql = deferred
        editor.monorel_owner = path
    with transaction.atomic(savepoint=True):
        _forwards(operation, migration, editor, from_state, to_state, path, subset=False)


def _forwards(operation, migration, editor, from_state, to_state, path, *, subset):
    from django.db.migrations.operations.special import SeparateDatabaseAndState

    if isinstance(operation, SeparateDatabaseAndState):
        for index, inner in enumerate(operation.database_operations):
            inner_to = from_state.clone()
            inner.state_forwards(migration.app_label, inner_to)
            editor.monorel_owner = [*path, index]
            _forwards(inner, migration, editor, from_state, inner_to, [*path, index], subset=subset)
            from_state = inner_to
        return
    tolerant = not migration.atomic or hasattr(operation, "_ensure_not_in_transaction")
    if hasattr(operation, "_ensure_not_in_transaction"):
        # the check Django makes at migrate time, recorded instead of raised: the
        # statements must be seen; whether the migration may run them is judged outside
        operation._ensure_not_in_transaction = lambda schema_editor: None
    editor.monorel_tolerant = tolerant
    try:
        _database_forwards(operation, migration.app_label, editor, from_state, to_state, subset)
    finally:
        editor.monorel_tolerant = False


# ---------------------------------------------------------------- rendering
#
# Django renders model classes from the model states for an operation's database_forwards
# (``state.apps``). ``migrate`` keeps one rendered registry and re-renders, after every
# operation, the changed model with every model related to it, recursively: in a project
# like wagtail, where everything reaches Page, User and ContentType, that is most of the
# project for every operation (three quarters of the verdict's time, bench/RESULTS.md).
# Here the state itself is never rendered. Each operation gets views of it that render on
# first use (an operation that reads no model, like AlterModelOptions or RunSQL, renders
# nothing), and for Django's own schema operations only what their SQL can read:
# - the models the operation names, whole;
# - the models they reach (foreign key targets, bases), as targets: table, primary key,
#   plain fields, the fields to_field names; not their own relations, indexes and
#   constraints, which shape only their own SQL;
# - where the schema editor follows incoming foreign keys (RenameModel; AlterField of a
#   primary key or unique field, whose referring columns it rewrites, recursively), every
#   model that reaches them and everything those reach, whole.
# An AlterField whose fields agree on everything that reaches the database renders nothing
# (_alters_nothing). Any other operation (RunPython, third-party classes, subclasses) gets
# the whole state, as migrate would. Where an operation fails on a subset (a reference the
# subset misses, or a real failure), its savepoint is rolled back and it runs again on the
# whole state, which decides. MONOREL_SEMVER_FULL_RENDER=1 renders the whole state for
# every operation: the reference the subsets are checked against (bench/migrations.py
# --verify compares the two descriptions).

# operation class -> (the attributes that name its models, which of them need what reaches
# them: "always", "never", or "keys" for AlterField: only where the field is or becomes a
# primary key or unique, the one case the schema editor rewrites the columns that refer to
# it). Exact classes only: a subclass may read anything.
_SUBSET_OPERATIONS = (
    {
        f"django.db.migrations.operations.models.{name}": (attributes, reached)
        for name, attributes, reached in (
            ("CreateModel", ("name",), "never"),
            ("DeleteModel", ("name",), "never"),
            ("RenameModel", ("old_name", "new_name"), "always"),
            ("AlterModelTable", ("name",), "never"),
            ("AlterModelTableComment", ("name",), "never"),
            ("AlterUniqueTogether", ("name",), "never"),
            ("AlterIndexTogether", ("name",), "never"),
            ("AlterOrderWithRespectTo", ("name",), "never"),
            ("AlterModelOptions", ("name",), "never"),
            ("AlterModelManagers", ("name",), "never"),
            ("AddIndex", ("model_name",), "never"),
            ("RemoveIndex", ("model_name",), "never"),
            ("RenameIndex", ("model_name",), "never"),
            ("AddConstraint", ("model_name",), "never"),
            ("RemoveConstraint", ("model_name",), "never"),
            ("AlterConstraint", ("model_name",), "never"),
        )
    }
    | {
        f"django.db.migrations.operations.fields.{name}": (("model_name",), reached)
        for name, reached in (
            ("AddField", "never"),
            ("RemoveField", "never"),
            ("AlterField", "keys"),
            ("RenameField", "never"),
        )
    }
    | {
        f"django.contrib.postgres.operations.{name}": (("model_name",), "never")
        for name in (
            "AddIndexConcurrently",
            "RemoveIndexConcurrently",
            "AddConstraintNotValid",
            "ValidateConstraint",
        )
    }
)
_FULL_RENDER = os.environ.get("MONOREL_SEMVER_FULL_RENDER") == "1"


class _SubsetMissed(Exception):
    """An operation failed on a subset of the state: the whole state decides."""


def _database_forwards(operation, app_label, editor, from_state, to_state, subset):
    """``operation.database_forwards`` on states that render only what it reads."""
    cls = type(operation)
    known = _SUBSET_OPERATIONS.get(f"{cls.__module__}.{cls.__qualname__}")
    if not subset or known is None or _FULL_RENDER:
        operation.database_forwards(app_label, editor, _whole(from_state), _whole(to_state))
        return
    attributes, reached = known
    keys = {(app_label, getattr(operation, a).lower()) for a in attributes}
    if reached == "keys" and _alters_nothing(operation, keys, editor, from_state, to_state):
        return
    if reached == "keys":
        reached = "always" if _is_key(operation, keys, from_state, to_state) else "never"
    try:
        operation.database_forwards(
            app_label,
            editor,
            _subset(from_state, keys, reached == "always"),
            _subset(to_state, keys, reached == "always"),
        )
    except Exception as exc:  # noqa: BLE001 - the whole state decides, failures included
        raise _SubsetMissed() from exc


def _alters_nothing(operation, keys, editor, from_state, to_state):
    """Does the schema editor return at once for this AlterField (no SQL, nothing read)?

    Its ``alter_field`` first asks ``_field_should_be_altered``: it compares the two
    fields' columns and definitions (``deconstruct()``) without the attributes that do not
    reach the database (``non_db_attrs``: verbose_name, help_text, choices, on_delete,
    ...), and then drops a few more differences. Where the unrendered fields, bound to
    their name only, already agree on exactly that, the rendered ones agree too (a
    rendered field is a copy of its unrendered one; equal targets render equal), so the
    editor would return without a statement: nothing needs rendering.
    """
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor

    if type(editor).alter_field is not BaseDatabaseSchemaEditor.alter_field:
        return False  # another backend's or Django's own order: let it decide
    [key] = keys
    try:
        old = from_state.models[key].fields[operation.name].clone()
        new = to_state.models[key].fields[operation.name].clone()
        if not operation.preserve_default:
            # as AlterField.database_forwards sets it for the schema editor
            new.default = operation.field.default
        old.set_attributes_from_name(operation.name)
        new.set_attributes_from_name(operation.name)
        if old.column != new.column:
            return False
        definitions = []
        for field in (old, new):
            _, path, args, kwargs = field.deconstruct()
            for attribute in field.non_db_attrs:
                kwargs.pop(attribute, None)
            definitions.append((path, args, kwargs))
        return definitions[0] == definitions[1]
    except Exception:  # noqa: BLE001 - anything unusual: let the schema editor decide
        return False


def _is_key(operation, keys, from_state, to_state):
    """Is the field an AlterField changes a primary key or unique, before or after?"""
    for state in (from_state, to_state):
        for key in keys:
            model = state.models.get(key)
            field = model.fields.get(operation.name) if model is not None else None
            if field is None or field.primary_key or field.unique:
                return True
    return False


def _whole(state):
    """A view of all of ``state``, rendered (on first use) for itself: its ``apps`` renders
    when the operation asks it for anything (a RunPython whose code works through the
    schema editor only, as collation and sequence fixes do, renders nothing)."""
    view = _view(state, state.models, {})
    if "apps" not in view.__dict__:
        view.__dict__["apps"] = _LazyApps(view)
    return view


class _LazyApps:
    """Stands in for a view's rendered registry (``ProjectState.apps``) until something
    reads any attribute of it; from then on it passes every read to the rendered one."""

    def __init__(self, view):
        self._monorel_view = view
        self._monorel_apps = None

    def __getattr__(self, name):
        if self._monorel_apps is None:
            view = self._monorel_view
            if view.__dict__.get("apps") is self:
                del view.__dict__["apps"]  # the cached_property renders on the next read
            self._monorel_apps = view.apps
        return getattr(self._monorel_apps, name)


def _subset(state, keys, reached):
    """A view of the models of ``state`` that the SQL of an operation on ``keys`` reads.

    With ``reached``: those models, every model that reaches them (recursively) and
    everything all of them reach, whole. Without: the named models whole (with the
    explicit through models of their many-to-many fields) and what they reach as
    *targets* only: without the relation fields a target's SQL would need but a
    reference to it does not (its table, primary key, the fields named by to_field,
    its bases and options are kept; its indexes, constraints and together-options,
    which name fields, are not), so that rendering a model that points at User does
    not render Group, Permission and ContentType too.
    """
    models = state.models
    if reached:
        forward, backward = _relation_graph(models)
        whole = _closure([key for key in keys if key in models], backward)
        return _view(state, _closure(whole, forward), {})
    whole = {key for key in keys if key in models}
    for key in list(whole):
        for field in models[key].fields.values():
            through = getattr(getattr(field, "remote_field", None), "through", None)
            reference = _model_key(through, key)
            if reference in models:
                whole.add(reference)
    targets = {}  # key -> the names of its fields that relations point at (to_field)
    changed = True
    while changed:
        changed = False
        for key in [*whole, *targets]:
            model = models[key]
            kept = model.fields if key in whole else _target_fields(model, targets[key])
            reached_keys = []
            for name in kept:
                remote = getattr(model.fields[name], "remote_field", None)
                if remote is None:
                    continue
                reference = _model_key(remote.model, key)
                named = set(getattr(model.fields[name], "to_fields", None) or ())
                if getattr(remote, "field_name", None):
                    named.add(remote.field_name)
                reached_keys.append((reference, named))
                reached_keys.append((_model_key(getattr(remote, "through", None), key), set()))
            reached_keys += [(_model_key(base, key), set()) for base in model.bases]
            for reference, named in reached_keys:
                if reference is None or reference not in models or reference in whole:
                    continue
                known = targets.get(reference)
                if known is None or not named <= known:
                    targets[reference] = (known or set()) | named
                    changed = True
    return _view(state, whole, targets)


def _closure(start, edges):
    seen = set()
    stack = list(start)
    while stack:
        key = stack.pop()
        if key not in seen:
            seen.add(key)
            stack.extend(edges.get(key, ()))
    return seen


# options that name fields: a target renders without them (they shape its own SQL only)
_TARGET_DROPS = (
    "indexes",
    "constraints",
    "unique_together",
    "index_together",
    "order_with_respect_to",
)


def _target_fields(model, named):
    """The fields of ``model`` that a reference to it needs: every plain field, its
    primary key (also a relation: a multi-table child's parent link) and ``named``."""
    return tuple(
        name
        for name, field in model.fields.items()
        if getattr(field, "remote_field", None) is None or field.primary_key or name in named
    )


def _as_target(model, kept):
    from django.db.migrations.state import ModelState

    return ModelState(
        model.app_label,
        model.name,
        [(name, model.fields[name]) for name in kept],
        {key: value for key, value in model.options.items() if key not in _TARGET_DROPS},
        model.bases,
        list(model.managers),
    )


# Rendered views of recent states, by what they hold: an operation's from_state is usually
# the previous one's to_state, and migrate hands it the same rendered models too. A view
# holds copies of its model states, which keep every object its key names (by identity)
# alive. Operations that may change field objects in place (RenameField fixes the to_fields
# of others; anything not Django's) empty it (_forget_views).
_VIEWS: dict = {}
_VIEWS_KEPT = 8
_KEEP_VIEWS = {
    name
    for name, (_, _) in _SUBSET_OPERATIONS.items()
    if not name.endswith((".RenameField", ".RenameModel"))
} | {"django.db.migrations.operations.special.RunPython"}


def _view(state, whole, targets):
    """A state of the models in ``whole`` and, reduced to what references need, the ones
    in ``targets`` (key -> names to keep), in ``state``'s order (the order they render
    and register in); the same view again where nothing it holds changed."""
    from django.db.migrations.state import ProjectState

    chosen = []
    for key, model in state.models.items():
        if key in whole:
            chosen.append((key, model, None))
        elif key in targets:
            chosen.append((key, model, _target_fields(model, targets[key])))
    fingerprint = (
        tuple(sorted(state.real_apps)),
        tuple((key, kept, _model_identity(model)) for key, model, kept in chosen),
    )
    view = _VIEWS.pop(fingerprint, None)
    if view is None:
        view = ProjectState(
            models={
                key: model.clone() if kept is None else _as_target(model, kept)
                for key, model, kept in chosen
            },
            real_apps=state.real_apps,
        )
    _VIEWS[fingerprint] = view
    while len(_VIEWS) > _VIEWS_KEPT:
        del _VIEWS[next(iter(_VIEWS))]
    return view


def _model_identity(model):
    return (
        model.app_label,
        model.name,
        tuple((name, id(field)) for name, field in model.fields.items()),
        tuple((name, id(value)) for name, value in model.options.items()),
        tuple(map(id, model.bases)),
        tuple((name, id(manager)) for name, manager in model.managers),
    )


def _forget_views(operation):
    """After ``operation``'s state_forwards: drop the rendered views unless it is known to
    leave the objects that model states share with their copies as they were."""
    from django.db.migrations.operations.special import RunSQL

    cls = type(operation)
    name = f"{cls.__module__}.{cls.__qualname__}"
    keeps = name in _KEEP_VIEWS or (cls is RunSQL and not operation.state_operations)
    if not keeps:
        _forget()


def _forget():
    """Drop what is kept by the identity of model states' objects (views, descriptions)."""
    _VIEWS.clear()
    _MODELS.clear()


def _relation_graph(models):
    """(model -> the models it reaches, model -> the models that reach it) through relation
    fields, their explicit through models and model bases (proxies, multi-table children)."""
    forward = {}
    backward = {}
    for key, model_state in models.items():
        targets = set()
        for field in model_state.fields.values():
            remote = getattr(field, "remote_field", None)
            if remote is None:
                continue
            for target in (remote.model, getattr(remote, "through", None)):
                reference = _model_key(target, key)
                if reference is not None:
                    targets.add(reference)
        for base in model_state.bases:
            reference = _model_key(base, key)
            if reference is not None:
                targets.add(reference)
        targets.discard(key)
        forward[key] = targets
        for target in targets:
            backward.setdefault(target, set()).add(key)
    return forward, backward


def _model_key(reference, owner):
    from django.db.migrations.utils import resolve_relation

    if reference is None:
        return None
    if not isinstance(reference, str):
        meta = getattr(reference, "_meta", None)
        if meta is None or meta.abstract:
            return None  # models.Model and mixins
    try:
        return resolve_relation(reference, *owner)
    except (TypeError, ValueError, AttributeError):
        return None


def _recording_editor(base):
    from django.db import DatabaseError, transaction

    class RecordingSchemaEditor(base):
        """Records each statement as ``sqlmigrate`` prints it, then executes it."""

        monorel_statements = None
        monorel_owner = None
        monorel_deferred_owner = None
        monorel_tolerant = False

        def execute(self, sql, params=()):
            owner = (self.monorel_deferred_owner or {}).get(id(sql), self.monorel_owner)
            text = _render(self, sql, params)
            entry = {"op": owner, "sql": text}
            if self.monorel_statements is not None:
                self.monorel_statements.append(entry)
            if not self.monorel_tolerant:
                return super().execute(sql, params)
            try:
                with transaction.atomic(savepoint=True):
                    return super().execute(sql, params)
            except DatabaseError as exc:
                # 25001: active_sql_transaction (CREATE INDEX CONCURRENTLY and the like)
                if getattr(exc.__cause__, "sqlstate", None) != "25001":
                    raise
                entry["not_executed"] = "cannot run inside a transaction block"
                return None

    return RecordingSchemaEditor


def _render(editor, sql, params):
    text = str(sql)
    ending = "" if text.rstrip().endswith(";") else ";"
    if params is not None:
        with contextlib.suppress(TypeError, ValueError, KeyError):
            text = text % tuple(map(editor.quote_value, params))
    return text + ending


# ---------------------------------------------------------------- descriptions


def _changed_models(before, after, labels):
    keys = {k for k in before.models if k[0] in labels} | {
        k for k in after.models if k[0] in labels
    }
    changed = []
    for key in sorted(keys):
        old, new = before.models.get(key), after.models.get(key)
        if old is None or new is None or not _same_model(old, new):
            changed.append(key)
    return changed


def _same_model(old, new):
    if old.fields.keys() != new.fields.keys():
        return False
    if any(old.fields[name] is not new.fields[name] for name in old.fields):
        return False
    try:
        return (
            old.options == new.options
            and list(old.bases) == list(new.bases)
            and [m[0] for m in old.managers] == [m[0] for m in new.managers]
        )
    except Exception:  # noqa: BLE001 - options that cannot be compared count as changed
        return False


def _model_change(key, old, new):
    """What changed in one model: its head (table), its changed fields and options."""
    old_model, new_model = _model(old), _model(new)
    change = {
        "model": f"{key[0]}.{key[1]}",
        "before": _head(old_model),
        "after": _head(new_model),
        "fields": {},
        "options": {},
    }
    old_fields = old_model["fields"] if old_model else {}
    new_fields = new_model["fields"] if new_model else {}
    if old_model and new_model:
        for name in [*old_fields, *(n for n in new_fields if n not in old_fields)]:
            before, after = old_fields.get(name), new_fields.get(name)
            if before != after:
                change["fields"][name] = {"before": before, "after": after}
        for option in ("options", "indexes", "constraints"):
            if old_model[option] != new_model[option]:
                change["options"][option] = {
                    "before": old_model[option],
                    "after": new_model[option],
                }
    else:
        # a model added or removed: its fields, for pairing a removal with an addition
        # (a rename) and for naming what went
        change["fields"] = {
            name: {"before": old_fields.get(name), "after": new_fields.get(name)}
            for name in (old_fields or new_fields)
        }
    return change


def _head(model):
    if model is None:
        return None
    return {key: model[key] for key in ("name", "db_table", "managed", "proxy")}


def _differs(change):
    return change["before"] != change["after"] or change["fields"] or change["options"]


# Descriptions of recent model states, by what they hold (as _VIEWS): an operation's
# "before" is the previous one's "after", described again otherwise. Each entry keeps its
# key's objects, so that its ids stay those of live objects (the model state itself may
# change in place, and let go of them).
_MODELS: dict = {}
_MODELS_KEPT = 64


def _model(model_state):
    if model_state is None:
        return None
    identity = _model_identity(model_state)
    kept = _MODELS.pop(identity, None)
    described = kept[1] if kept is not None else _describe_model(model_state)
    alive = (
        tuple(model_state.fields.values()),
        tuple(model_state.options.values()),
        tuple(model_state.bases),
        tuple(manager for _, manager in model_state.managers),
    )
    _MODELS[identity] = (alive, described)
    while len(_MODELS) > _MODELS_KEPT:
        del _MODELS[next(iter(_MODELS))]
    return described


def _describe_model(model_state):
    from django.db import connection
    from django.db.backends.utils import truncate_name

    options = model_state.options
    table = options.get("db_table") or truncate_name(
        f"{model_state.app_label}_{model_state.name_lower}", connection.ops.max_name_length()
    )
    return {
        "name": model_state.name,
        "db_table": table,
        "managed": bool(options.get("managed", True)),
        "proxy": bool(options.get("proxy", False)),
        "fields": {
            name: _field(field, name, model_state.app_label)
            for name, field in model_state.fields.items()
        },
        "options": {
            key: _stable(value)
            for key, value in sorted(options.items())
            if key not in ("indexes", "constraints")
        },
        "indexes": sorted((_stable(index) for index in options.get("indexes", [])), key=repr),
        "constraints": sorted((_stable(c) for c in options.get("constraints", [])), key=repr),
    }


def _field(field, name, app_label):
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    relation = field.remote_field
    target = on_delete = related_name = None
    if relation is not None:
        model = relation.model
        target = model.lower() if isinstance(model, str) else model._meta.label_lower
        if "." not in target:
            target = f"{app_label}.{target}"
        on_delete = getattr(getattr(relation, "on_delete", None), "__name__", None)
        related_name = relation.related_name
    try:
        db_type = None if relation is not None else field.db_type(connection)
    except Exception:  # noqa: BLE001 - a custom field that needs a bound model
        db_type = None
    concrete_relation = relation is not None and (field.many_to_one or field.one_to_one)
    try:
        choices = sorted({str(value) for value, _ in field.flatchoices}) if field.choices else None
    except Exception:  # noqa: BLE001 - choices that cannot be listed
        choices = None
    try:
        _, path, _, kwargs = field.deconstruct()
    except Exception:  # noqa: BLE001
        path, kwargs = f"{type(field).__module__}.{type(field).__qualname__}", {}
    db_default = getattr(field, "db_default", NOT_PROVIDED)
    return {
        "type": path,
        "db_type": db_type,
        "column": field.db_column or (f"{name}_id" if concrete_relation else name),
        "null": bool(field.null),
        "has_default": bool(field.has_default()),
        "default": _stable(field.default) if field.has_default() else None,
        "db_default": None if db_default is NOT_PROVIDED else _stable(db_default),
        "choices": choices,
        "max_length": getattr(field, "max_length", None),
        "max_digits": getattr(field, "max_digits", None),
        "decimal_places": getattr(field, "decimal_places", None),
        "unique": bool(field.unique),
        "primary_key": bool(field.primary_key),
        "db_index": bool(field.db_index),
        "to": target,
        "on_delete": on_delete,
        "related_name": related_name,
        "many_to_many": bool(field.many_to_many),
        "kwargs": {key: _stable(value) for key, value in sorted(kwargs.items())},
    }


def _operation(operation, path):
    from django.db.migrations.operations.special import (
        RunPython,
        RunSQL,
        SeparateDatabaseAndState,
    )

    cls = type(operation)
    described = {
        "path": path,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "name": cls.__name__,
        "bases": [f"{b.__module__}.{b.__qualname__}" for b in cls.__mro__[1:-1]],
        "describe": _safe(operation.describe),
        "reversible": bool(operation.reversible),
        "arguments": _stable(_safe(operation.deconstruct)),
    }
    if isinstance(operation, RunPython):
        described["code"] = _callable_name(operation.code)
        described["reverse_code"] = (
            _callable_name(operation.reverse_code) if operation.reverse_code else None
        )
        described["noop"] = operation.code is RunPython.noop
        described["fingerprint"] = _fingerprint(operation.code, operation.reverse_code)
    elif isinstance(operation, RunSQL):
        described["reverse_noop"] = operation.reverse_sql == RunSQL.noop
        described["state_operations"] = [
            _operation(inner, [*path, "state", i])
            for i, inner in enumerate(operation.state_operations)
        ]
    elif isinstance(operation, SeparateDatabaseAndState):
        described["database_operations"] = [
            _operation(inner, [*path, i]) for i, inner in enumerate(operation.database_operations)
        ]
        described["state_operations"] = [
            _operation(inner, [*path, "state", i])
            for i, inner in enumerate(operation.state_operations)
        ]
    return described


def _callable_name(value):
    module = getattr(value, "__module__", None) or "?"
    return f"{module}.{getattr(value, '__qualname__', repr(value))}"


def _fingerprint(*functions):
    """What the functions' code does, independent of file names and line numbers."""
    digest = hashlib.sha256()
    for function in functions:
        code = getattr(function, "__code__", None)
        digest.update(_code_bytes(code) if code is not None else repr(function).encode())
    return digest.hexdigest()[:16]


def _code_bytes(code, depth=0):
    if depth > _MAX_DEPTH:
        return b""
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            parts.append(_code_bytes(const, depth + 1))
        else:
            parts.append(repr(const).encode())
    return b"\0".join(parts)


def _stable(value, depth=0):
    """A JSON value for ``value`` that is the same for equal definitions in two files."""
    if depth > _MAX_DEPTH:
        return "..."
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_stable(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): _stable(v, depth + 1) for k, v in sorted(value.items(), key=repr)}
    if isinstance(value, types.FunctionType | types.BuiltinFunctionType | type):
        return _callable_name(value)
    deconstruct = getattr(value, "deconstruct", None)
    if callable(deconstruct) and not isinstance(value, type):
        try:
            parts = deconstruct()
        except Exception:  # noqa: BLE001
            return repr(value)
        if isinstance(parts, tuple) and len(parts) == 4:  # a field: (name, path, args, kwargs)
            parts = parts[1:]
        if isinstance(parts, tuple) and len(parts) == 3:
            path, args, kwargs = parts
            return {
                "__path__": path,
                "args": _stable(list(args), depth + 1),
                "kwargs": _stable(dict(kwargs), depth + 1),
            }
    if callable(value):
        return _callable_name(value)
    return repr(value)


def _safe(method):
    try:
        return method()
    except Exception as exc:  # noqa: BLE001
        return f"? ({type(exc).__name__})"


def _error_text(exc):
    """``ExcType: message`` plus the deepest frame in the member's code."""
    frames = [] if isinstance(exc, SyntaxError) else traceback.extract_tb(exc.__traceback__)
    where = ""  # a SyntaxError names its file and line itself
    for frame in reversed(frames):
        if frame.filename.startswith("<") or frame.filename == __file__:
            continue
        if "site-packages" not in frame.filename and "/django/" not in frame.filename:
            where = f" ({os.path.basename(frame.filename)}:{frame.lineno})"
            break
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}{where}" if message else type(exc).__name__ + where
