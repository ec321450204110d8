from __future__ import annotations

from django.core.mail import send_mail


def test_mail_reaches_the_real_smtp_server(smtp_server) -> None:
    send_mail("Hello", "Body text", "huifang@example.com", ["pm@example.com"])
    assert [(m["Subject"], m["X-Envelope-To"]) for m in smtp_server.messages] == [
        ("Hello", "pm@example.com")
    ]
