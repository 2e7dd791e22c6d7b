"""API fuzzing: schemathesis generates requests from the OpenAPI document (/api/v1/schema/)
for every operation under /api/v1/, valid ones and invalid ones, and sends them through the
WSGI application with a token, as each kind of role, over the demo data.

Every answer must: not be a server error (5xx); have a status code the document lists; match
the document's schema for that status; and, when it is a 400, say what is wrong in Chinese,
keyed by the fields it names (non_field_errors for several together) or, for a whole request
refused, one `detail` (core/apifields.py). Valid requests to /{id}/ paths use ids the caller
can see (so the record is really read or written); invalid ones use made-up ids.

The default run is short: GUAZHI_FUZZ_EXAMPLES=2 examples per operation, mode and role (about
three minutes on SQLite for the six roles). A long run:
    GUAZHI_FUZZ_EXAMPLES=200 pytest guazhi/core/tests/test_api_fuzz.py -k ApiFuzzTests
GUAZHI_FUZZ_REPORT=var/fuzz writes each role's failures, with a curl line to reproduce each, to
var/fuzz-<username>.txt. Writes (POST/PUT/PATCH/DELETE) are in scope: each role's run is one
test, in a transaction that is rolled back.
"""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict
from contextlib import contextmanager

import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections
from django.test import TestCase
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from guazhi.core.models import User

EXAMPLES = int(os.environ.get("GUAZHI_FUZZ_EXAMPLES", "2"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def documented_fields(operation) -> set[str]:
    """The names a 400 may use: the operation's parameters and request-body fields."""
    raw = operation.definition.raw
    components = operation.schema.raw_schema["components"]["schemas"]
    names = {p["name"] for p in raw.get("parameters", [])}
    for media in raw.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        names |= set(schema.get("properties", {}))
    return names


def field_level_messages(ctx, response, case):
    """A 400 says what is wrong in Chinese: keyed by the fields it names (non_field_errors for
    several together), or, when the request as a whole is refused, one `detail`."""
    if response.status_code != 400:
        return None
    body = response.json()
    assert isinstance(body, dict) and body, f"400 without messages: {body!r}"
    allowed = documented_fields(case.operation) | {"non_field_errors", "detail"}
    unknown = set(body) - allowed
    assert not unknown, f"400 names fields the operation does not have: {sorted(unknown)}"

    def leaves(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from leaves(item)
        elif isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)

    for field, messages in body.items():
        texts = list(leaves(messages))
        assert texts, f"400 with no message for {field!r}"
        for message in texts:
            assert CJK.search(message), f"400 message for {field!r} is not in Chinese: {message!r}"
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    field_level_messages,
]

# The demo logins fuzzed, one per kind of role (guazhi/core/demo.py). The administrators see
# no business data; the system administrator stands for the three.
ROLES = ["zzb", "heping", "lingdao", "jieshou", "ganbu", "sysadmin"]


@contextmanager
def keeping_the_test_connection():
    """As Django's test client does around each request: the request's start and end must not
    close the database connection, and with it the transaction the test runs in (PostgreSQL;
    SQLite's in-memory test database ignores the close)."""
    started = signals.request_started.disconnect(close_old_connections)
    finished = signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        if started:
            signals.request_started.connect(close_old_connections)
        if finished:
            signals.request_finished.connect(close_old_connections)


def api_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(document)


class ApiFuzzTests(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.app = WSGIHandler()
        cls.schema = api_schema()

    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open(os.devnull, "w"))  # noqa: SIM115

    def known_ids(self, headers: dict) -> dict[str, list[int]]:
        """For each list path, the ids the caller can see (first page), so that detail paths
        are tried with real records as well as with made-up ones."""
        ids: dict[str, list[int]] = {}
        for path in self.schema.raw_schema["paths"]:
            if "{" in path or path.startswith("/api/v1/public/"):
                continue
            response = self.client.get(path, headers=headers)
            if response.status_code == 200 and isinstance(response.json(), dict):
                found = [r["id"] for r in response.json().get("results", []) if "id" in r]
                if found:
                    ids[path] = found
        return ids

    def fuzz_as(self, username: str):
        user = User.objects.get(username=username)
        token = Token.objects.create(user=user)
        headers = {"Authorization": f"Token {token.key}"}
        ids = self.known_ids(headers)
        failures: dict[tuple[str, str], str] = {}
        counts: dict[str, int] = defaultdict(int)
        unsatisfiable: list[str] = []
        crashes: list[BaseException] = []

        def record_crash(sender, request, **kwargs):
            crashes.append(sys.exc_info()[1])

        signals.got_request_exception.connect(record_crash)
        self.addCleanup(signals.got_request_exception.disconnect, record_crash)

        for result in self.schema.get_all_operations():
            operation = result.ok()
            list_path = operation.path.split("{", 1)[0]
            real = ids.get(list_path, [])
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                # Valid requests name records the caller can see; invalid ones made-up ids.
                real_ids = (
                    st.sampled_from(real)
                    if real and "{id}" in operation.path and mode is GenerationMode.POSITIVE
                    else st.none()
                )

                @settings(
                    max_examples=EXAMPLES,
                    phases=[Phase.generate],
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy, real_id=real_ids)
                def run(case, real_id):
                    if real_id is not None:
                        case.path_parameters["id"] = real_id
                    crashes.clear()
                    with keeping_the_test_connection():
                        response = case.call(app=self.app, headers=headers)
                    counts[operation.label] += 1
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except FailureGroup as group:
                        # Collected and reported together, one per operation and kind.
                        for failure in group.exceptions:
                            key = (operation.label, failure.title)
                            failures.setdefault(
                                key,
                                f"{failure.title}\n{failure.message}\n"
                                f"{case.as_curl_command(headers=headers)}\n"
                                f"{response.status_code} {response.text[:500]}"
                                + (f"\nServer exception: {crashes[-1]!r}" if crashes else ""),
                            )

                try:
                    run()
                except Unsatisfiable:
                    # Nothing in this operation can be made invalid (e.g. no parameters).
                    unsatisfiable.append(f"{operation.label} {mode.value}")
        self.assertGreater(len(counts), 150)
        if os.environ.get("GUAZHI_FUZZ_REPORT"):
            with open(f"{os.environ['GUAZHI_FUZZ_REPORT']}-{username}.txt", "w") as out:
                for (label, title), text in sorted(failures.items()):
                    out.write(f"== {label} | {title}\n{text}\n\n")
        report = "\n\n".join(f"== {label}\n{text}" for (label, _), text in failures.items())
        self.assertEqual(len(failures), 0, f"{len(failures)} failures as {username}:\n{report}")

    def test_the_city_org_department_gets_only_documented_answers(self):
        self.fuzz_as("zzb")

    def test_a_district_org_department_gets_only_documented_answers(self):
        self.fuzz_as("heping")

    def test_a_leader_gets_only_documented_answers(self):
        self.fuzz_as("lingdao")

    def test_a_host_unit_gets_only_documented_answers(self):
        self.fuzz_as("jieshou")

    def test_a_cadre_gets_only_documented_answers(self):
        self.fuzz_as("ganbu")

    def test_an_administrator_gets_only_documented_answers(self):
        self.fuzz_as("sysadmin")


class FuzzFindingsTests(TestCase):
    """Each fault the fuzzing found, kept as a plain regression test."""

    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open(os.devnull, "w"))  # noqa: SIM115
        cls.token = Token.objects.create(user=User.objects.get(username="zzb"))

    def api(self, method: str, path: str, data=None, **kwargs):
        headers = {"Authorization": f"Token {self.token.key}"}
        return getattr(self.client, method)(path, data, headers=headers, **kwargs)

    def test_an_id_in_the_path_that_is_not_a_number_is_a_json_404_not_a_500(self):
        for path in ("/api/v1/batches/abc/", "/api/v1/assessment/entries/x1/integrity/"):
            response = self.api("patch", path, data={}, content_type="application/json")
            self.assertEqual(response.status_code, 404, path)
            self.assertEqual(response.json(), {"detail": "未找到。"})
        batch = self.api("get", "/api/v1/batches/").json()["results"][0]["id"]
        self.assertEqual(self.api("get", f"/api/v1/batches/{batch}/").status_code, 200)

    def test_an_unknown_api_address_answers_json(self):
        response = self.api("get", "/api/v1/no-such-thing/")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response["Content-Type"], "application/json")

    def test_an_id_filter_too_large_for_the_database_is_a_400_on_the_field(self):
        response = self.api("get", "/api/v1/deeds/", {"cadre": str(10**30)})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"cadre": ["id 超出范围"]})
        self.assertEqual(self.api("get", "/api/v1/deeds/", {"cadre": "1"}).status_code, 200)

    def test_ids_too_large_for_the_database_are_a_400_on_the_field(self):
        response = self.api(
            "post",
            "/api/v1/assessment/quarter-results/confirm/",
            {"ids": [10**30]},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("ids", response.json())

    def test_a_body_that_is_not_json_is_refused_in_chinese(self):
        response = self.api("post", "/api/v1/posts/", data="\x00", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertRegex(response.json()["detail"], CJK)

    def test_a_follow_up_not_yet_evaluated_matches_the_document(self):
        response = self.api("get", "/api/v1/returns/")
        results = {f["result"] for r in response.json()["results"] for f in r["follow_ups"]}
        self.assertIn("", results)
        document = SchemaGenerator().get_schema(request=None, public=True)
        result = document["components"]["schemas"]["FollowUp"]["properties"]["result"]
        self.assertEqual(result["type"], "string")
        self.assertNotIn("enum", result)
        self.assertNotIn("$ref", result)

    def test_the_document_lists_the_error_answers_of_every_operation(self):
        document = SchemaGenerator().get_schema(request=None, public=True)
        cadres = document["paths"]["/api/v1/cadres/{id}/"]["patch"]["responses"]
        self.assertEqual(set(cadres) >= {"200", "400", "401", "403", "404"}, True, cadres)
        self.assertEqual(
            cadres["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/FieldErrors",
        )
        public = document["paths"]["/api/v1/public/deeds/{key}/ratings/"]["post"]["responses"]
        self.assertNotIn("401", public)

    def test_a_null_body_is_refused_in_chinese(self):
        response = self.api(
            "post", "/api/v1/project-credits/", data="null", content_type="application/json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(), {"non_field_errors": ["请求内容为空：应为 JSON 对象或表单"]}
        )

    def test_confirming_quarter_results_answers_the_list_the_document_describes(self):
        document = SchemaGenerator().get_schema(request=None, public=True)
        confirm = document["paths"]["/api/v1/assessment/quarter-results/confirm/"]["post"]
        schema = confirm["responses"]["200"]["content"]["application/json"]["schema"]
        self.assertEqual(schema["type"], "array")
        listed = self.api("get", "/api/v1/assessment/quarter-results/")
        ids = [r["id"] for r in listed.json()["results"][:1]]
        self.assertTrue(ids, "the demo has quarter results")
        response = self.api(
            "post",
            "/api/v1/assessment/quarter-results/confirm/",
            {"ids": ids},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertIsInstance(response.json(), list)
