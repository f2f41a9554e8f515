"""The one application error type. Pages show it as a form error, the API maps it to 400/409."""


class ApplicationError(Exception):
    """A request that cannot be carried out as asked; the message is for the user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class ConflictError(ApplicationError):
    """The object changed under the caller (someone else acted first, or the state forbids it)."""

    status_code = 409
