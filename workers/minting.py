"""The events side of a builder's tokens: mint them and hand them over once (workers/tokens.py)."""

from __future__ import annotations

import json

from workers.registry import plan_job
from workers.runtime import Runtime
from workers.tokens import HANDOVER_SECONDS, mint


def mint_for_builder(run_id: str, phase_id: str, handover: str) -> None:
    """RQ job on the events queue: mint a builder's tokens and push them to `handover`."""
    rt = Runtime.for_job(plan_job)
    tokens = mint(rt, run_id, phase_id)
    pipe = rt.redis.pipeline()
    pipe.rpush(handover, json.dumps({"push": tokens.push, "api": tokens.api}))
    pipe.expire(handover, HANDOVER_SECONDS)
    pipe.execute()
