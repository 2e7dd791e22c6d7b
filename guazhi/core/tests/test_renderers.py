"""The fast <select> renderer (core/renderers.py) writes exactly what Django's templates write."""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import SimpleTestCase
from django.utils.safestring import mark_safe

from guazhi.core.renderers import FastWidgetRenderer

UNITS = [(1, "和平区委组织部"), (2, "浑南区<科技局>"), (3, 'A & "B"'), ("", "全部")]
GROUPED = [
    ("沈阳市", [(1, "和平区"), (2, "浑南区")]),
    ("北京市", [(3, "朝阳区"), (4, mark_safe("<b>海淀区</b>"))]),
    (5, "未分组"),
]


class Custom(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"


class SameAsDjango(SimpleTestCase):
    name = "unit"

    def same(self, widget, value, attrs=None):
        """The widget written by Django's templates and by the fast renderer: equal."""
        django_html = widget.render(self.name, value, attrs, renderer=DjangoTemplates())
        fast_html = widget.render(self.name, value, attrs, renderer=FastWidgetRenderer())
        self.assertEqual(fast_html, django_html)
        return fast_html


class FastWidgetRendererTests(SameAsDjango):
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

        self.assertIsInstance(get_default_renderer(), FastWidgetRenderer)


class FastInputRendererTests(SameAsDjango):
    """Inputs of every type and textareas: the same string as Django's templates."""

    name = "note"

    def test_every_input_type_with_and_without_a_value(self):
        from datetime import date, datetime, time
        from decimal import Decimal

        cases = [
            (forms.TextInput(), 'A & "B" <c>'),
            (forms.TextInput(attrs={"placeholder": "情况说明", "maxlength": 300}), None),
            (forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}), Decimal("9.50")),
            (forms.NumberInput(), 0),
            (forms.EmailInput(), "a@b.cn"),
            (forms.URLInput(), "https://x.cn/?a=1&b=2"),
            (forms.PasswordInput(render_value=True), "s3cr&t"),
            (forms.PasswordInput(), "not shown"),
            (forms.HiddenInput(), mark_safe("<b>安全</b>")),
            (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), date(2027, 5, 1)),
            (forms.DateTimeInput(), datetime(2027, 5, 1, 9, 30)),
            (forms.TimeInput(), time(9, 30)),
            (forms.CheckboxInput(), True),
            (forms.CheckboxInput(attrs={"class": "form-check-input"}), False),
            (forms.CheckboxInput(), "yes"),
            (forms.FileInput(), None),
            (forms.ColorInput(), "#ff0000"),
            (forms.SearchInput(), "王"),
            (forms.TelInput(), "13800000000"),
        ]
        for widget, value in cases:
            for attrs in (None, {"id": "id_note", "required": True, "disabled": False}):
                with self.subTest(widget=type(widget).__name__, value=value, attrs=attrs):
                    self.assertTrue(self.same(widget, value, attrs).startswith("<input"))

    def test_a_textarea_with_text_empty_and_escaped(self):
        for value in ("第一行\n第二行", "", None, "<script>alert(1)</script>", 12):
            with self.subTest(value=value):
                self.same(forms.Textarea(attrs={"rows": 3}), value)
        self.assertIn("&lt;script&gt;", self.same(forms.Textarea(), "<script>"))

    def test_a_whole_form_renders_the_same(self):
        class Form(forms.Form):
            name = forms.CharField(max_length=20, help_text="姓名")
            score = forms.DecimalField(max_digits=5, decimal_places=2)
            on = forms.BooleanField(required=False)
            when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
            note = forms.CharField(widget=forms.Textarea)
            unit = forms.ChoiceField(choices=UNITS)

        form = Form({"name": "李<明>", "score": "9.5", "on": "on", "when": "2027-5-1", "note": ""})
        form.is_valid()
        form.renderer = DjangoTemplates()
        django_html = str(form)
        form.renderer = FastWidgetRenderer()
        self.assertEqual(str(form), django_html)
