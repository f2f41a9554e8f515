"""Delivery channels for the outbox: one function per channel, each sends one Notification or raises
DeliveryError. They neither lock nor save the row; oncall.services.notifications does that."""

from oncall.delivery.errors import DeliveryError
from oncall.delivery.send import send

__all__ = ["DeliveryError", "send"]
