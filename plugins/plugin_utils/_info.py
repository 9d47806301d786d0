# Copyright: (c) 2026, multipoint.wms contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""session_info: read the sessions of one host and filter them.

This is an internal module of multipoint.wms: it may change at any time and is not for use
outside the collection.
"""

from __future__ import annotations

from collections import Counter

from ansible_collections.multipoint.wms.plugins.plugin_utils._agent import Runner
from ansible_collections.multipoint.wms.plugins.plugin_utils._errors import (
    HostFailure,
    checked,
    noise_warning,
)
from ansible_collections.multipoint.wms.plugins.plugin_utils._options import InfoOptions
from ansible_collections.multipoint.wms.plugins.plugin_utils._protocol import (
    inventory_request,
)


def run_info(run: Runner, opts: InfoOptions, host: str) -> dict:
    """One agent command; everything else happens here on the controller."""
    reply = run(inventory_request(opts.backend, diagnose=opts.diagnose))
    if opts.diagnose and not reply.ok:
        # The diagnostics are what a failed first contact needs most: keep them in the failure.
        try:
            checked(reply, host, opts.backend)
        except HostFailure as err:
            err.facts["diagnostics"] = reply.diagnostics
            raise
    reply = checked(reply, host, opts.backend)
    sessions = sorted(reply.sessions, key=lambda s: s.id)
    warnings = []
    if opts.session_ids is not None:
        present = {s.id for s in sessions}
        missing = [i for i in opts.session_ids if i not in present]
        if missing:
            warnings.append(f"session_id {', '.join(map(str, missing))} not found on {host}")
        sessions = [s for s in sessions if s.id in opts.session_ids]
    selected = []
    for session in sessions:
        kind = session.system_kind()
        if kind and not opts.include_system:
            continue
        if session.connect_state not in opts.states:
            continue
        if not kind and opts.user_filter.exclusion(session):
            continue
        if kind and (opts.user_filter.users is not None or opts.user_filter.exclude_admins):
            continue  # user filters select users; a session without one never matches them
        data = session.as_result()
        data["wms_listed"] = session.wms_listed
        data["system"] = kind
        selected.append(data)
    result = {
        "changed": False,
        "sessions": selected,
        "count": len(selected),
        "states": dict(Counter(s["state"] for s in selected)),
        "generation": reply.generation,
        "backend": reply.backend,
        "module": reply.module,
        "host": reply.host,
        "unmatched_exclusions": [p.text for p in opts.user_filter.exclude_users
                                 if not any(p.matches(s) for s in sessions if not s.system_kind())],
        "notes": [note] if (note := reply.fallback_note(opts.backend)) else [],
    }
    if opts.diagnose:
        result["diagnostics"] = reply.diagnostics
    noise = noise_warning(reply, host)
    if noise:
        warnings.append(noise)
    if warnings:
        result["warnings"] = warnings
    return result
