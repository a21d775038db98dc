"""Helpers to read TwiML in tests: parse the XML and look at verbs and attributes."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def parse(body: str | bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == "Response", f"not TwiML: {root.tag}"
    return root


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def texts(root: ET.Element, tag: str = "Say") -> list[str]:
    return [(el.text or "") for el in root.iter(tag)]


def first(root: ET.Element, tag: str) -> ET.Element:
    found = root.find(f".//{tag}")
    assert found is not None, f"no <{tag}> in {ET.tostring(root, encoding='unicode')}"
    return found
