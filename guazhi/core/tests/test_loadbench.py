"""The load benchmark's parts that do not measure: reading wrk's output, judging the targets,
writing docs/benchmarks.md's generated section without touching the rest, choosing the
suites, and the floor view."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import SimpleTestCase, TestCase

from guazhi.core import crypto, loadbench
from guazhi.core.management.commands.bench import selected
from guazhi.deeds import services as deed_services
from guazhi.deeds.models import PhoneCode

WRK_OUTPUT = """Running 12s test @ http://127.0.0.1:40123
  2 threads and 16 connections
  4021 requests in 12.00s, 51.2MB read
Requests/sec:    335.08
BENCH_RESULT {"requests":4021,"duration_us":12000000,"bytes":53687091,"p50_us":41000,\
"p90_us":88000,"p95_us":120500,"p99_us":260000,"max_us":410000,"mean_us":48000.5,\
"errors":{"connect":0,"read":1,"write":0,"status":3,"timeout":2},"wrapped":0,\
"statuses":{"200":4018,"502":3}}
"""


def _endpoint(key="cadre_list", p95=120.5, rps=335.0, statuses=None, **kwargs):
    ep = loadbench.Endpoint(key, key, ["/x/"], **kwargs)
    ep.result = {
        "p95_ms": p95,
        "rps": rps,
        "requests": sum((statuses or {200: 100}).values()),
        "statuses": statuses or {200: 100},
        "socket_errors": 0,
    }
    return ep


def _results(vendor="postgresql", p95=120.0):
    row = {
        "key": "floor",
        "label": "floor",
        "p50_ms": 2.0,
        "p95_ms": 5.0,
        "rps": 1000.0,
        "unexpected": 0,
        "rss_mb": 200.0,
        "requests": 12000,
        "busy": 0.5,
        "verdict": "—",
        "ok": None,
    }
    page = {**row, "key": "dashboard", "label": "dashboard", "p95_ms": p95, "rps": 250.0}
    page.update(verdict="p95 < 300 ms: met", ok=True)
    return {
        "meta": {
            "vendor": vendor,
            "database": "PostgreSQL 15.8",
            "date": "2026-12-04 14:45 UTC",
            "machine": "AMD EPYC, 2 cores",
            "load_start": "0.50 / 0.40 / 0.30",
            "load_end": "3.00 / 1.00 / 0.50",
            "server": "3 workers × 4 threads",
            "wrk": "4.1.0",
            "clients": 16,
            "cores": 2,
            "wrk_threads": 2,
            "warmup": 3,
            "seconds": 12,
            "data": "20,000 cadres",
            "viewer": "sc1_zzb",
        },
        "rows": [row, page],
        "memory": {"start_mb": 150.0, "max_rss_mb": 250.0, "max_hwm_mb": 260.0},
        "profile": {
            "label": "dashboard",
            "ms": 180.0,
            "queries": 27,
            "sql_ms": 120.0,
            "slowest": [{"ms": 40.0, "sql": "SELECT 1"}],
        },
    }


class WrkOutputTests(SimpleTestCase):
    def test_the_result_line_gives_milliseconds_throughput_and_statuses(self):
        result = loadbench.parse_wrk(WRK_OUTPUT)
        self.assertEqual(result["requests"], 4021)
        self.assertAlmostEqual(result["rps"], 4021 / 12)
        self.assertEqual((result["p50_ms"], result["p95_ms"]), (41.0, 120.5))
        self.assertEqual(result["statuses"], {200: 4018, 502: 3})
        self.assertEqual(result["socket_errors"], 3)  # read + timeout; "status" is the 502s
        self.assertEqual(loadbench.unexpected(result, 200), 3 + 3)

    def test_output_without_the_result_line_is_an_error_that_shows_the_output(self):
        with self.assertRaisesMessage(ValueError, "unable to connect"):
            loadbench.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")

    def test_the_lua_script_prints_the_fields_the_parser_reads(self):
        script = loadbench.SCRIPT.read_text()
        fields = json.loads(WRK_OUTPUT.split("BENCH_RESULT ", 1)[1])
        for name in fields:
            self.assertIn(f'"{name}":', script)


class VerdictTests(SimpleTestCase):
    def test_a_p95_under_300_ms_is_met_and_over_it_says_by_how_much(self):
        self.assertEqual(loadbench.verdict(_endpoint(p95=299.0), 1000), ("p95 < 300 ms: met", True))
        text, ok = loadbench.verdict(_endpoint(p95=390.0), 1000)
        self.assertFalse(ok)
        self.assertIn("missed by 90 ms", text)
        self.assertIn("+30%", text)

    def test_the_dashboard_needs_a_fifth_of_the_floors_throughput(self):
        met = _endpoint("dashboard", rps=200.0, floor_target=0.2)
        self.assertEqual(loadbench.verdict(met, 1000)[1], True)
        short = _endpoint("dashboard", rps=150.0, floor_target=0.2)
        text, ok = loadbench.verdict(short, 1000)
        self.assertFalse(ok)
        self.assertIn("15.0%", text)
        self.assertIn("50 req/s short", text)

    def test_error_responses_or_no_response_fail_whatever_the_latency(self):
        text, ok = loadbench.verdict(_endpoint(statuses={200: 90, 500: 10}), 1000)
        self.assertFalse(ok)
        self.assertIn("10 responses not 200", text)
        rate = _endpoint("rate", statuses={201: 50}, expect=201)
        self.assertTrue(loadbench.verdict(rate, 1000)[1])
        silent = _endpoint(statuses={})
        silent.result["requests"] = 0
        self.assertEqual(loadbench.verdict(silent, 1000)[1], False)

    def test_the_floor_has_no_target(self):
        floor = _endpoint("floor", p95_target=False)
        self.assertEqual(loadbench.verdict(floor, 1000), ("—", None))


class DocumentTests(SimpleTestCase):
    HAND = "# Benchmarks\n\n## Cadre registry\n\nHand-written text.\n"

    def test_the_first_run_appends_the_section_and_later_runs_replace_only_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            doc = Path(tmp) / "benchmarks.md"
            doc.write_text(self.HAND + "\n## Later section\n\nMore text.\n")
            loadbench.write_doc(_results(p95=120.0), doc)
            first = doc.read_text()
            self.assertTrue(first.startswith(self.HAND + "\n## Later section\n\nMore text.\n"))
            self.assertIn("<!-- loadbench:postgresql:begin -->", first)
            self.assertIn("| dashboard | 2.0 | 120.0 | 250 | 0.25 | 1.0 |", first)
            # Text written by hand after the section stays where it is.
            doc.write_text(first + "\nNotes after the table.\n")
            loadbench.write_doc(_results(p95=150.0), doc)
            loadbench.write_doc(_results("sqlite", p95=90.0), doc)
            second = doc.read_text()
        self.assertNotIn("| 120.0 |", second)
        self.assertIn("| dashboard | 2.0 | 150.0 |", second)
        self.assertIn("| dashboard | 2.0 | 90.0 |", second)
        self.assertEqual(second.count("<!-- loadbench:postgresql:begin -->"), 1)
        self.assertIn("Notes after the table.", second)
        self.assertTrue(second.startswith(self.HAND))

    def test_the_section_names_the_machine_date_database_load_and_memory(self):
        text = loadbench.render(_results())
        for part in (
            "PostgreSQL 15.8",
            "2026-12-04 14:45 UTC",
            "AMD EPYC, 2 cores",
            "Load average at the start: 0.50 / 0.40 / 0.30",
            "< 300 MB: 250 MB after the run, met; peak 260 MB, met",
            "40 ms: `SELECT 1`",
        ):
            self.assertIn(part, text)

    def test_a_worker_over_300_mb_says_by_how_much(self):
        text = loadbench.memory_verdict({"max_rss_mb": 280.0, "max_hwm_mb": 340.0})
        self.assertEqual(
            text,
            "< 300 MB: 280 MB after the run, met; peak 340 MB, **over by 40 MB** (the "
            "sign-in's Argon2 password hash takes 100 MiB for a moment)",
        )
        self.assertIn(
            "**over by 10 MB**; peak",
            loadbench.memory_verdict({"max_rss_mb": 310.0, "max_hwm_mb": 340.0}),
        )

    def test_markers_in_the_wrong_order_are_not_used(self):
        begin, end = loadbench.markers("sqlite")
        text = f"a\n{end}\nb\n{begin}\n"
        replaced = loadbench.replace_section(text, "sqlite", "NEW")
        self.assertTrue(replaced.startswith(text.rstrip("\n")))
        self.assertTrue(replaced.endswith(f"{begin}\nNEW\n{end}\n"))


class GenerationTimeTests(SimpleTestCase):
    """The Data line says how long seed-scale took for this very data, against 10 minutes."""

    def note(self, recorded: dict | None, prefix: str = "sc2_") -> str:
        with tempfile.TemporaryDirectory() as var, self.settings(VAR_DIR=var):
            if recorded is not None:
                loadbench._generation_file().write_text(json.dumps(recorded), "utf-8")
            return loadbench.generation_note(prefix)

    def made(self, seconds: float) -> dict:
        return {"prefix": "sc2_", "scale": 1.0, "seconds": seconds, "load_start": "0.10 / 0.20 / 0.30",
                "date": "2026-12-04"}  # fmt: skip

    def test_under_ten_minutes_is_met_and_over_says_by_how_much(self):
        self.assertIn("in 9 min 30 s, load average 0.10 / 0.20 / 0.30", self.note(self.made(570)))
        self.assertIn("(target under 10 min: met)", self.note(self.made(570)))
        self.assertIn("**missed by 2.5 min** (+25%)", self.note(self.made(750)))

    def test_data_generated_elsewhere_or_by_another_run_is_not_given_a_time(self):
        unknown = "; its generation time was not recorded here"
        self.assertEqual(self.note(None), unknown)
        self.assertEqual(self.note(self.made(570), prefix="sc3_"), unknown)


class SuiteTests(SimpleTestCase):
    LABELS = ["core", "cadres", "dashboard", "deeds"]

    def test_apps_runs_every_app_but_the_load_suite_and_load_only_it(self):
        self.assertEqual(selected(self.LABELS, None, "apps"), ["cadres", "dashboard", "deeds"])
        self.assertEqual(selected(self.LABELS, None, "load"), ["core"])
        self.assertEqual(selected(self.LABELS, None, "all"), self.LABELS)

    def test_only_narrows_each_suite(self):
        self.assertEqual(selected(self.LABELS, "core", "apps"), [])
        self.assertEqual(selected(self.LABELS, "core", "load"), ["core"])
        self.assertEqual(selected(self.LABELS, "dashboard,deeds", "load"), [])
        self.assertEqual(selected(self.LABELS, "dashboard,deeds", "apps"), ["dashboard", "deeds"])


class PhoneTests(TestCase):
    def test_the_script_and_the_codes_use_the_same_phones_new_to_the_database(self):
        script = loadbench.SCRIPT.read_text()
        self.assertIn('"mobile":"15%04d%d%04d"', script)  # run, thread, k
        self.assertEqual(loadbench.phone(12, 1, 34), "15001210034")
        run = loadbench.issue_codes(2, 3)
        keys = {
            deed_services.phone_key(loadbench.phone(r, t, k))
            for r in (run, run + 1)
            for t in range(2)
            for k in range(3)
        }
        codes = PhoneCode.objects.filter(phone_key__in=keys)
        self.assertEqual(codes.count(), 12)
        key = deed_services.phone_key(loadbench.phone(run + 1, 1, 2))
        code = codes.get(phone_key=key)
        self.assertEqual(code.code_hash, crypto.blind_index(f"{key}:{loadbench.CODE}"))
        # A second benchmark on the same database takes other phones.
        self.assertNotIn(loadbench.issue_codes(2, 3), (run, run + 1))


class WorkerMemoryTests(SimpleTestCase):
    def test_a_web_worker_loads_neither_the_matching_engine_nor_the_pinyin_dictionary(self):
        # scipy and OR-Tools (about 100 MB) and pypinyin (about 55 MB) are imported where
        # they are used, not by the URLconf every gunicorn worker loads at its start.
        code = (
            "import sys, django; django.setup(); import guazhi.urls, guazhi.wsgi; "
            "from django.urls import resolve; resolve('/cadres/'); "
            "print(sorted(m for m in ('scipy', 'ortools', 'pypinyin') if m in sys.modules))"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "guazhi.settings"}
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        )
        self.assertEqual(done.stdout.strip(), "[]", done.stderr[-2000:])


class FloorViewTests(TestCase):
    def test_the_floor_answers_json_without_a_query_and_healthz_stays_plain_text(self):
        with self.assertNumQueries(0):
            response = self.client.get("/healthz.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"ok": True})
        plain = self.client.get("/healthz")
        self.assertEqual((plain["Content-Type"], plain.content), ("text/plain", b"ok"))
