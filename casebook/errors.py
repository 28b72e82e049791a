"""Errors a user can fix or must be told about, in plain words."""


class CasebookError(Exception):
    """Base of every error the pages and the command line show as one plain sentence."""


class NotFound(CasebookError):
    """The record does not exist (or the user may not know that it does)."""


class AccessDenied(CasebookError):
    """The acting user may not do this."""


class ValidationError(CasebookError):
    """The input cannot be saved as it is; the message says what to fix."""


class Conflict(CasebookError):
    """The record changed since it was read, or the change clashes with another record."""


class LoginFailed(CasebookError):
    """Wrong user name or password, or the account cannot log in."""
