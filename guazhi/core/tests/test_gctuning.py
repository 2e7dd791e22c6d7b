"""A served worker freezes what start-up built and collects young objects less often
(core/gctuning.py, called from guazhi/wsgi.py). Checked in a fresh interpreter, as a gunicorn
worker imports the WSGI module, so that this test process keeps its own collector settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.test import SimpleTestCase

PROBE = (
    "import gc, json; before = gc.get_threshold()[0]; import guazhi.wsgi; "
    "import sys; print(json.dumps({'frozen': gc.get_freeze_count(), "
    "'threshold': gc.get_threshold()[0], 'before': before, "
    "'views_loaded': 'guazhi.cadres.views' in sys.modules}))"
)


def probe(**env) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "guazhi.settings", **env},
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


class WorkerCollectorTests(SimpleTestCase):
    def test_loading_the_wsgi_app_loads_the_views_then_freezes_them_and_raises_the_threshold(self):
        seen = probe(GC_THRESHOLD="")
        self.assertTrue(seen["views_loaded"])
        self.assertGreater(seen["frozen"], 50_000)  # Django, the apps and their views
        self.assertEqual(seen["threshold"], 10_000)
        self.assertEqual(seen["before"], 700)

    def test_gc_threshold_zero_leaves_the_interpreters_defaults(self):
        seen = probe(GC_THRESHOLD="0")
        self.assertEqual((seen["frozen"], seen["threshold"]), (0, 700))

    def test_gc_threshold_sets_the_young_generations_threshold(self):
        self.assertEqual(probe(GC_THRESHOLD="2500")["threshold"], 2500)

    def test_a_gc_threshold_that_is_not_a_number_stops_the_worker_with_its_name(self):
        run = subprocess.run(
            [sys.executable, "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "guazhi.settings", "GC_THRESHOLD": "1万"},
            check=False,
        )
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("环境变量 GC_THRESHOLD 必须是整数", run.stderr)
