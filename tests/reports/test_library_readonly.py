"""Without library.dir the shipped library is read-only in the console (nothing in the repo changes)."""

from __future__ import annotations

from scripts_library.loader import DEFAULT_DIR


def test_shipped_library_is_read_only(lead_client):
    client, token = lead_client
    before = (DEFAULT_DIR / "zh-CN/s1_busy_line.yaml").read_bytes()
    listing = client.get("/console/library").get_data(as_text=True)
    assert "只读" in listing and "library.dir" in listing
    response = client.post("/console/library/save", data={
        "csrf_token": token, "new": "0", "entry_id": "s1.a1", "kind": "approved", "situation": "S1",
        "text-zh-CN": "改", "text-en": "changed"})
    assert response.status_code == 400 and "read-only" in response.get_data(as_text=True)
    assert (DEFAULT_DIR / "zh-CN/s1_busy_line.yaml").read_bytes() == before
