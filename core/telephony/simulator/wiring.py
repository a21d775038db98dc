"""Which module handles what: every TwiML verb, and the clean-up when a leg ends.

The call machinery is layered (``twiml`` runs documents, ``gather``/``queues``/``dial``
implement verbs on top of it, ``lifecycle`` ends legs beneath them all), and a lower
module never imports a higher one. Where a lower module needs the higher ones — running
a verb it does not implement, or undoing a leg's place in a queue, Dial, recording or
bridge when the leg ends — it looks the function up on the simulator at run time:
``sim.verbs`` and ``sim.leg_end_hooks``, filled from these tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import bridge, call_recording, conference, dial, gather, queues, twiml

if TYPE_CHECKING:
    from .engine import Simulator
    from .records import Leg

VERBS: dict[str, Any] = {
    **twiml.VERBS, "Gather": gather.gather, "Record": gather.record,
    "Enqueue": queues.enqueue, "Dial": dial.dial,
}

# In this order: leave the queue, leave the conference, end the Dial, keep a recording in
# progress (its action gets Digits=hangup), complete the call's REST recordings, end the bridge
# and stop the transcriptions.
LEG_END_HOOKS: tuple[Callable[[Simulator, Leg], None], ...] = (
    queues.leg_gone, conference.leg_gone, dial.leg_gone, gather.record_hangup, call_recording.leg_gone,
    bridge.leg_gone,
)
