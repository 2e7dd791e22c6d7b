import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guazhi.settings")
application = get_wsgi_application()

# Each worker imports this module once: freeze what start-up built (core/gctuning.py).
from guazhi.core import gctuning  # noqa: E402

gctuning.after_startup()
