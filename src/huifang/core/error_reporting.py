"""Error reporting to Sentry (or a Sentry-compatible server such as GlitchTip), on
when ``HUIFANG_SENTRY_DSN`` is set; started by the core app's ``ready()``, so every
process that sets Django up reports: gunicorn workers, Celery workers, commands.

What leaves the company is the error, its stack trace and the request's method, URL
and harmless headers. Not sent: cookies, the ``Authorization`` header, the signed-in
user (``send_default_pii=False``), request bodies (forms hold passwords and customers'
answers) and the stack frames' local variables (which hold the same)."""

from __future__ import annotations


def start_error_reporting(*, dsn: str, environment: str, release: str) -> None:
    # sentry-sdk is imported only where reporting is switched on.
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment or None,
        release=release or None,
        # send_default_pii is left unset, which is False (recent sentry-sdk releases
        # warn when it is passed at all): no user, no cookies, sensitive headers
        # filtered and the event scrubber on (tests/core/test_error_reporting.py).
        max_request_body_size="never",
        include_local_variables=False,
        # Errors only: no performance tracing unless a company asks for it.
        traces_sample_rate=None,
    )
