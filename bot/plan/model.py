"""The plan as the rest of the bot sees it: phases, their dependencies, and what was found."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Diagnostic:
    """A warning or error about a plan, with the 1-based source line it concerns (0: none)."""

    message: str
    line: int = 0


@dataclass(frozen=True)
class Phase:
    id: str
    label: str
    title: str
    line: int
    depends_on: tuple[str, ...] = ()
    touches: tuple[str, ...] = ()
    section: str = ""
    estimate_minutes: float | None = None


@dataclass(frozen=True)
class Plan:
    phases: tuple[Phase, ...]
    overview: str = ""
    warnings: tuple[Diagnostic, ...] = ()
    errors: tuple[Diagnostic, ...] = field(default_factory=tuple)

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)
