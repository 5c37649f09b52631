"""Who acts when no signed-in user does: the operator at the command line.

Services take an explicit actor. Views always pass the signed-in User; the
CLI passes SYSTEM. A separate object (not ``None``) means a view can never
gain the operator's rights by forgetting to pass someone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    id: None = None
    email: str = "system"
    name: str = "System"
    org_id: None = None
    is_admin: bool = True


SYSTEM = SystemActor()
