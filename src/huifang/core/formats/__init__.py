"""The one place where the pages' date and time formats are decided (FORMAT_MODULE_PATH).

One format per language, on every page (issue #14, item 8):

- zh-Hans: dates ``2026-12-02``, date-times ``2026-12-02 14:05``, months ``2026年12月``.
- English: dates ``2 Dec 2026``, date-times ``2 Dec 2026 14:05``, months ``December 2026``.

Both the long (``DATE_FORMAT``) and the short (``SHORT_DATE_FORMAT``) names map to the same
format, so a template that asks for either prints the same thing. Input formats are not
set here: Django's own per-language input formats still parse what people type, and date
fields are ``<input type="date">`` (ISO) anyway.
"""
