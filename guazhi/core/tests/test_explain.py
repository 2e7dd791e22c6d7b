"""`guazhi explain` (core/explain.py): grouping the captured queries and its safety check."""

import io

from django.db import connection
from django.test import TestCase

from guazhi.core import explain


class ExplainTests(TestCase):
    def test_the_same_query_for_another_row_has_the_same_shape_and_another_query_does_not(self):
        a = explain.shape("SELECT * FROM t WHERE id = 12 AND name = 'O''Brien'")
        b = explain.shape("SELECT *  FROM t\nWHERE id = 7 AND name = '张三'")
        c = explain.shape("SELECT * FROM t WHERE code = 12")
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_it_refuses_a_database_whose_name_does_not_say_bench(self):
        self.assertNotIn("bench", str(connection.settings_dict["NAME"]))
        with self.assertRaisesMessage(RuntimeError, "bench"):
            explain.run(io.StringIO())

    def test_the_plan_of_a_query_comes_from_the_database(self):
        plan, ms = explain.explain("SELECT id FROM core_orgunit WHERE id = 1")
        self.assertTrue(plan)
        if connection.vendor == "postgresql":
            self.assertIn("Execution Time", plan)
            self.assertIsNotNone(ms)
        else:
            self.assertIsNone(ms)
