class DomainError(Exception):
    """A broken business rule, with a message meant for the user who caused it.

    Services raise it; views show the message next to the form, the API answers it
    as ``{"detail": message}`` with status 400 or 409."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
