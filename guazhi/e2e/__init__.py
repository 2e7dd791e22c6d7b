"""End-to-end tests in a real browser: the demo dataset served by gunicorn, driven by Chromium
(Debian's package) through Playwright. See conftest.py for how the server is started and
docs/testing.md for how to run them."""
