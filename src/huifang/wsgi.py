import os

from django.core.wsgi import get_wsgi_application

from huifang.core.request_size import RequestSizeLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huifang.settings")

# Oversized bodies are refused before Django (or anything) reads them.
application = RequestSizeLimit(get_wsgi_application())
