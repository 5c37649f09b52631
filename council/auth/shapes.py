"""Shapes of the auth slice's REST answers (council/api/contract.py documents them)."""

from __future__ import annotations

from datetime import datetime

from council.api.shapes import Out


class SecondFactorStatus(Out):
    enrolled: bool
    required: bool  # by COUNCIL_MFA (platform admins always); TLP:RED rooms ask everyone
    confirmed_at: datetime | None
    recovery_codes_left: int
    # Whether this browser session proved the factor (always false for a token: tokens are excepted).
    verified_in_session: bool
