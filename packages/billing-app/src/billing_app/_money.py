"""Validation of money: amounts are Decimals with at most two places, currencies ISO 4217.

Currencies are checked strictly (upper-case, known code) and never normalized: a client that
sends "eur" has a bug worth hearing about, and what we store is exactly what we were given.
"""

from __future__ import annotations

import re
from decimal import Decimal

from billing_app._errors import InvalidAmount, InvalidCurrency

CENT = Decimal("0.01")
# Decimal(12, 2) columns: ten integer digits
_LIMIT = Decimal(10) ** 10

_CURRENCY_SHAPE = re.compile(r"[A-Z]{3}")

# Active ISO 4217 codes of circulating currencies. Left out on purpose: fund codes (BOV, CHE,
# CHW, CLF, COU, MXV, USN, UYI, UYW), metals, SDR and the testing/no-currency codes (X*),
# apart from the real regional currencies XAF, XCD, XCG, XOF, XPF.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 - a block of codes reads better than 160 quoted strings
)


def validate_currency(currency: object) -> str:
    if not isinstance(currency, str) or not _CURRENCY_SHAPE.fullmatch(currency):
        raise InvalidCurrency(f"{currency!r} is not three upper-case letters (ISO 4217)")
    if currency not in ISO_4217:
        raise InvalidCurrency(f"{currency!r} is not an ISO 4217 currency code")
    return currency


def _to_cents(value: object, *, what: str) -> Decimal:
    # bool is an int; float cannot hold cents exactly; str belongs to the caller's parsing
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidAmount(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidAmount(f"{what} must be a finite number, not {value}")
    # bounded before quantize: quantizing 1E+26 to cents needs more digits than the
    # decimal context has and raises InvalidOperation instead of answering
    if amount.copy_abs() >= _LIMIT:  # copy_abs: abs() rounds, and 1E+1000000 overflows
        raise InvalidAmount(f"{what} {value} is too large (limit {_LIMIT - CENT})")
    quantized = amount.quantize(CENT)
    if quantized != amount:
        raise InvalidAmount(f"{what} {value} has more than two decimal places")
    return quantized


def validate_positive_amount(value: object, *, what: str = "amount") -> Decimal:
    """A money amount > 0, returned quantized to 0.01."""
    amount = _to_cents(value, what=what)
    if amount <= 0:
        raise InvalidAmount(f"{what} must be greater than zero, not {value}")
    return amount


def validate_price(value: object, *, what: str = "unit_price") -> Decimal:
    """A money amount >= 0 (a free line is fine), returned quantized to 0.01."""
    amount = _to_cents(value, what=what)
    if amount < 0:
        raise InvalidAmount(f"{what} must not be negative, not {value}")
    return amount


def validate_total(value: Decimal) -> Decimal:
    if value >= _LIMIT:
        raise InvalidAmount(f"invoice total {value} is too large (limit {_LIMIT - CENT})")
    return value.quantize(CENT)
