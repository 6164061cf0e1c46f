"""Use cases: load rows, call the domain, persist, send. Shared by the web, the CLI, the API and the scheduler."""
