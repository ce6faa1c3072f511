"""The invitations table: one after every contact, and one to every customer alive at a relationship wave."""

from __future__ import annotations

RELATIONSHIP_EVERY_MONTHS = 6

#: A relationship wave's invitations go out this far (in months) into the wave's last month.
RELATIONSHIP_SENT_AT = 0.85

#: How a post-contact invitation reaches the customer, by the contact's channel; relationship
#: invitations go by email.
INVITATION_MEDIUM = {
    "voice": "sms",
    "chat": "in_app",
    "email": "email",
    "web": "in_app",
    "social": "email",
    "ivr": "sms",
}
RELATIONSHIP_MEDIUM = "email"
