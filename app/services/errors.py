"""Errors raised by services, with messages a person can act on."""


class ServiceError(Exception):
    """A request that cannot be carried out; the message says why and what to do."""


class NotFound(ServiceError):
    """Something named by the caller does not exist."""


class AlreadyExists(ServiceError):
    """Something the caller wants to create exists already."""
