"""DisplayField (core/apifields.py) gives exactly what the model's get_<field>_display() gives,
for every choice of every serializer that uses it, in both languages."""

from __future__ import annotations

from django.test import SimpleTestCase
from django.utils import translation
from rest_framework import serializers

import guazhi.api_urls  # noqa: F401 — imports every app's serializers
from guazhi.core.apifields import DisplayField


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


class DisplayFieldTests(SimpleTestCase):
    def test_every_label_is_the_models_own_in_both_languages(self):
        checked = 0
        for serializer_class in set(all_subclasses(serializers.ModelSerializer)):
            if not serializer_class.__module__.startswith("guazhi."):
                continue
            serializer = serializer_class()
            for name, field in serializer.fields.items():
                if not isinstance(field, DisplayField):
                    continue
                model = serializer_class.Meta.model
                choices = model._meta.get_field(field.source).flatchoices
                self.assertTrue(choices, f"{serializer_class.__name__}.{name}")
                for language in ("zh-hans", "en"):
                    with translation.override(language):
                        for value, _label in choices:
                            instance = model(**{field.source: value})
                            expected = getattr(instance, f"get_{field.source}_display")()
                            self.assertEqual(
                                field.to_representation(value),
                                str(expected),
                                f"{serializer_class.__name__}.{name}={value!r} ({language})",
                            )
                        checked += 1
        self.assertGreater(checked, 40 * 2)  # the 43 labels of the API, in two languages

    def test_an_unknown_value_is_shown_as_it_is(self):
        from guazhi.projects.api import ProjectSerializer

        field = ProjectSerializer().fields["status_display"]
        self.assertEqual(field.to_representation("active"), "推进中")
        self.assertEqual(field.to_representation("zzz"), "zzz")
        with translation.override("en"):
            self.assertNotEqual(field.to_representation("active"), "推进中")

    def test_a_plain_serializer_reads_the_choices_from_the_instance(self):
        from guazhi.programmes.models import Placement
        from guazhi.teams.api import TeamMemberSerializer

        field = TeamMemberSerializer().fields["status_display"]
        for value, _label in Placement._meta.get_field("status").flatchoices:
            placement = Placement(status=value)
            self.assertEqual(
                field.to_representation(field.get_attribute(placement)),
                placement.get_status_display(),
            )
