class DeliveryError(Exception):
    """A delivery attempt failed. `permanent` failures (no address, a 4xx from the receiver) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
