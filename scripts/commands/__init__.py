"""The ``registry`` command groups: one module per group, found by ``scripts.cli`` at start.

To add a group (``registry council …``, ``registry import …``), add one module here that defines

    def register(app: typer.Typer) -> None:
        group = CommandLine(help="…")          # registry_core.cli.CommandLine
        app.add_typer(group, name="council")   # or app.command("import")(a_function)

and nothing else: ``registry --help`` lists it, and its commands follow the conventions of
``registry_core.cli`` (``--help``, ``--json``, exit status 0/1/2). Modules whose name starts with
``_`` are helpers, not groups.
"""
