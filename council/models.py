"""Imports every core table so ``Base.metadata`` is complete (Alembic, tests)."""

from council.audit.models import AuditEntry, AuditHead
from council.auth.models import ApiToken, LoginThrottle, User
from council.orgs.models import Organization

__all__ = ["ApiToken", "AuditEntry", "AuditHead", "LoginThrottle", "Organization", "User"]
