import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Tests do not run collectstatic; serve static names unhashed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_settings_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
