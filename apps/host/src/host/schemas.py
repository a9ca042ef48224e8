"""Request and response bodies of the host API: what validates a request is what the OpenAPI
description (``/api/schema``) says about it.

The request layer checks shape and storage bounds: strict JSON types (no "2" for 2, no
true for 1), ids and integers within PostgreSQL's bigint, text within its column and not
blank, money as a bounded decimal string. Business rules (a quantity of at least 1, two
decimal places, known currencies) stay with the domain packages, whose errors keep their
own codes. ``host.http`` has already refused NUL characters and lone surrogates anywhere
in the body.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictInt,
    StrictStr,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

# PostgreSQL bigint: ids, and the largest integer any column here can hold
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)
MAX_LINES = 100

# money: a plain decimal string, no exponent, a bounded number of digits either side
MONEY_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,12})?$"
NOT_BLANK_PATTERN = r"\S"

Integer = Annotated[StrictInt, Field(ge=MIN_INT, le=MAX_INT)]
MONEY_PROBLEM = 'must be a decimal string such as "12.50"'


def _money_is_a_string(value: Any) -> Any:
    # a JSON number for money is the mistake worth naming: binary floats lose cents
    if not isinstance(value, str):
        raise PydanticCustomError("money_type", MONEY_PROBLEM)
    return value


# the constraints come before the validator: after it, pydantic enforces the pattern but
# leaves it out of the JSON schema (test_host_api checks the schema has it)
Money = Annotated[
    str,
    StringConstraints(pattern=MONEY_PATTERN, max_length=26),
    BeforeValidator(_money_is_a_string),
    Field(
        description='a decimal string such as "12.50" (no exponent, at most 12 digits '
        "before and after the point); the domain then wants two decimal places at most",
        examples=["12.50"],
    ),
]

# non-blank text, at most as long as the column that stores it
Name = Annotated[StrictStr, Field(min_length=1, max_length=200, pattern=NOT_BLANK_PATTERN)]
Email = Annotated[StrictStr, Field(min_length=1, max_length=254, pattern=NOT_BLANK_PATTERN)]
Description = Annotated[StrictStr, Field(min_length=1, max_length=200, pattern=NOT_BLANK_PATTERN)]
EventText = Annotated[StrictStr, Field(min_length=1, max_length=100, pattern=NOT_BLANK_PATTERN)]


class Error(Schema):
    code: str = Field(description="stable: accounts.*, billing.*, request.*, auth.*, webhooks.*")
    message: str
    request_id: str | None = Field(None, description="on a 500: quote it when you report it")


class ErrorOut(Schema):
    error: Error


class _Body(BaseModel):
    """A request body: its fields, strictly; unknown fields are ignored."""


class AccountIn(_Body):
    name: Name
    email: Email = Field(description="a valid email address")


class AccountOut(Schema):
    id: int
    name: str
    email: str
    status: str = Field(description="active, suspended or closed")
    created_at: str = Field(description="ISO 8601, UTC")


class InvoiceLineIn(_Body):
    description: Description
    quantity: Integer
    unit_price: Money


class InvoiceIn(_Body):
    account_id: Integer = Field(description="an account that exists and is not closed")
    currency: StrictStr = Field(max_length=3, description="ISO 4217, upper case", examples=["EUR"])
    lines: list[InvoiceLineIn] = Field(max_length=MAX_LINES)


class InvoiceOut(Schema):
    """The same shape as the ``invoice`` object of billing's webhook payload."""

    id: int
    number: str
    account_id: int
    currency: str
    status: str = Field(description="draft, open, paid or void")
    total: str
    amount_paid: str
    amount_due: str


class PaymentIn(_Body):
    amount: Money


class PaymentOut(Schema):
    id: int
    invoice_id: int
    amount: str
    currency: str
    gateway_reference: str
    idempotency_key: str


class InboundEventIn(_Body):
    """A signed event: ``id`` and ``type``, and whatever else the sender puts in it (kept)."""

    model_config = ConfigDict(extra="allow")

    id: EventText = Field(description="the sender's event id: a retry sends the same one")
    type: EventText = Field(description="the event type, e.g. payment.settled")


class InboundEventOut(Schema):
    received: bool
    id: str
    duplicate: bool = Field(description="true when this event id was received before")
