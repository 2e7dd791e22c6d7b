"""The fast <select> renderer (core/renderers.py) writes exactly what Django's templates write."""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import SimpleTestCase
from django.utils.safestring import mark_safe

from guazhi.core.renderers import FastSelectRenderer

UNITS = [(1, "和平区委组织部"), (2, "浑南区<科技局>"), (3, 'A & "B"'), ("", "全部")]
GROUPED = [
    ("沈阳市", [(1, "和平区"), (2, "浑南区")]),
    ("北京市", [(3, "朝阳区"), (4, mark_safe("<b>海淀区</b>"))]),
    (5, "未分组"),
]


class Custom(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"


class FastSelectRendererTests(SimpleTestCase):
    def same(self, widget, value, attrs=None):
        django_html = widget.render("unit", value, attrs, renderer=DjangoTemplates())
        fast_html = widget.render("unit", value, attrs, renderer=FastSelectRenderer())
        self.assertEqual(fast_html, django_html)
        return fast_html

    def test_a_plain_select_is_written_exactly_as_django_writes_it(self):
        html = self.same(forms.Select(choices=UNITS), 2)
        self.assertIn('<option value="2" selected>浑南区&lt;科技局&gt;</option>', html)

    def test_no_selection_escaping_and_attributes(self):
        attrs = {"id": "id_unit", "class": "form-select", "required": True, "disabled": False}
        html = self.same(forms.Select(choices=UNITS, attrs={"data-x": '"q"'}), None, attrs)
        self.assertIn(" required", html)
        self.assertNotIn("disabled", html)
        self.same(forms.Select(choices=UNITS), "")

    def test_optgroups_and_safe_labels(self):
        html = self.same(forms.Select(choices=GROUPED), 4)
        self.assertIn('<optgroup label="北京市">', html)
        self.assertIn("<b>海淀区</b>", html)

    def test_multiple_selection(self):
        html = self.same(forms.SelectMultiple(choices=UNITS), [1, 3])
        self.assertIn(" multiple", html)
        self.assertEqual(html.count(" selected"), 2)

    def test_empty_choices(self):
        self.same(forms.Select(choices=[]), None)

    def test_a_model_choice_field_renders_the_same(self):
        field = forms.TypedChoiceField(choices=UNITS, coerce=int)
        self.same(field.widget, 1)

    def test_a_select_with_its_own_option_template_goes_through_the_templates(self):
        html = self.same(Custom(choices=UNITS), 1)
        self.assertIn("<input", html)  # the custom option template's output

    def test_the_site_renders_forms_with_it(self):
        from django.forms.renderers import get_default_renderer

        self.assertIsInstance(get_default_renderer(), FastSelectRenderer)
