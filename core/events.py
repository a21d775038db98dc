"""Signals between parts (blinker), so parts stay decoupled.

Senders pass the Flask app; receivers open their own session when they need one.
"""

from blinker import Namespace

_signals = Namespace()

# An agent's presence changed (kwargs: user_id, presence). Routing listens.
presence_changed = _signals.signal("presence-changed")
# A caller joined, left or changed place in the queue (kwargs: call_sid, status).
queue_changed = _signals.signal("queue-changed")
# A call leg's status changed (kwargs: call_sid, status).
call_status_changed = _signals.signal("call-status-changed")
# Something the console should show now (kwargs: topic, payload). The console pushes it.
live_update = _signals.signal("live-update")
