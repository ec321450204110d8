"""The schedule engine's enums (phases, cadences, project statuses, rule anchors).

A leaf module, pure like the engine: the policy and project models store these values,
and import them from here rather than reaching up into ``visits.scheduling``."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    KICKOFF = "kickoff"
    ONGOING = "ongoing"
    CLOSING = "closing"
    AFTERCARE = "aftercare"


class Cadence(StrEnum):
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Anchor(StrEnum):
    START = "start"
    END = "end"
