"""Write what the agent protocol's definition generates: the JSON schema and the request table.

``plugins/plugin_utils/_protocol.py`` is the one definition of the protocol's limits, vocabularies
and request keys. This writes ``docs/agent-protocol.schema.json`` and the request table of
``docs/agent-protocol.md`` from it; ``tests/static/test_contract.py`` fails while either is stale.

    .venv/bin/python tools/protocol_docs.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

REPO = Path(__file__).resolve().parent.parent
TABLE = re.compile(r"(<!-- request-table: [^\n]*-->\n).*?(\n<!-- end of request-table -->)", re.S)


def main() -> int:
    init_plugin_loader([str(REPO / ".venv" / "collections")])
    from ansible_collections.multipoint.wms.plugins.plugin_utils import _protocol

    schema = REPO / "docs" / "agent-protocol.schema.json"
    schema.write_text(json.dumps(_protocol.schema(), indent=2) + "\n", encoding="utf-8")
    doc = REPO / "docs" / "agent-protocol.md"
    text = doc.read_text(encoding="utf-8")
    new, count = TABLE.subn(lambda m: m.group(1) + _protocol.request_table() + m.group(2), text)
    if count != 1:
        raise SystemExit(f"{doc}: no request-table markers")
    doc.write_text(new, encoding="utf-8")
    print(f"wrote {schema.relative_to(REPO)} and the request table of {doc.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
