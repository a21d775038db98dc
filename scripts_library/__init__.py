"""Hotline's scripted-response library: YAML data, matcher, CLI, ``/api/check``,
``/api/suggest``.

The functions other parts call live in ``scripts_library.service`` (importable without Flask)::

    from scripts_library.service import check, suggest, get_prompt, get_menu_synonyms, match_menu_option
"""
