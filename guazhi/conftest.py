import pytest


def pytest_configure(config):
    from django.conf import settings

    # Argon2 with production cost makes each test login take ~0.3 s; the same algorithm
    # with a small cost keeps the suite quick. Production hashers are checked in
    # test_settings.py.
    settings.PASSWORD_HASHERS = ["guazhi.testing.QuickArgon2PasswordHasher"]


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
