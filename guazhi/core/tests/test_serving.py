"""The gunicorn command line that `guazhi serve` and the benchmarks share (core/serving.py)."""

from __future__ import annotations

from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase

from guazhi.core import serving


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


class GunicornArgsTests(SimpleTestCase):
    def test_a_worker_takes_one_and_a_half_times_its_threads_in_connections(self):
        with mock.patch.dict("os.environ", {"WEB_THREADS": "", "WEB_WORKER_CONNECTIONS": ""}):
            args = serving.gunicorn_args("127.0.0.1:8000")
        self.assertEqual(option(args, "--worker-class"), "gthread")
        self.assertEqual(option(args, "--threads"), "4")
        self.assertEqual(option(args, "--worker-connections"), "6")

    def test_the_limit_follows_the_threads_and_can_be_set(self):
        with mock.patch.dict("os.environ", {"WEB_THREADS": "8", "WEB_WORKER_CONNECTIONS": ""}):
            self.assertEqual(option(serving.gunicorn_args("x"), "--worker-connections"), "12")
        with mock.patch.dict("os.environ", {"WEB_WORKER_CONNECTIONS": "50"}):
            self.assertEqual(option(serving.gunicorn_args("x"), "--worker-connections"), "50")

    def test_a_value_that_is_not_a_number_is_refused_with_its_name(self):
        for name in ("WEB_WORKERS", "WEB_THREADS", "WEB_WORKER_CONNECTIONS"):
            refused = self.assertRaisesMessage(ImproperlyConfigured, f"环境变量 {name} 必须是整数")
            with self.subTest(name=name), mock.patch.dict("os.environ", {name: "六"}), refused:
                serving.gunicorn_args("x")
