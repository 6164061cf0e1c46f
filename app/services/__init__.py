"""Use cases, one feature package per capability; shared by the web, the CLI, the API and the scheduler.

Each package's `__init__` names what other packages may call; nothing outside a package imports
its submodules' private names. `audit` (the audit log) and `errors` (the error types) are used by
all of them. Which package may call which: docs/architecture.md.
"""
