"""The form renderer (settings.FORM_RENDERER): Django's own, except that the commonest widgets
are written in Python instead of through Django's widget templates.

- A <select>: Django renders each option with its own `{% include %}` and spends about 0.1 ms
  per option, so a 500-unit select (a filter's unit list at province scale) cost a page some
  50 ms.
- An <input> of any type (text, number, date, checkbox, hidden …) and a <textarea>: each is two
  template renders in Django (the widget's template includes input.html, which includes
  attrs.html), about 0.2 ms. The assessment round's table has 61 rows × 3 inputs: 30 ms.

The output is the same string Django's templates produce (tests/test_renderers.py compares them
for every widget handled here); a select with a custom option template, and every other widget,
still goes through the templates.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# Django's templates that are only `{% include "django/forms/widgets/input.html" %}`.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in [
        *("input", "checkbox", "color", "date", "datetime", "email", "file", "hidden"),
        *("number", "password", "search", "tel", "text", "time", "url"),
    ]
)


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes it bare.
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _text(value) -> str:
    # What {{ value }} prints with autoescape on.
    return str(conditional_escape(localize(value)))


def render_select(widget: dict) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{conditional_escape(option["value"])}"'
                f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def render_input(widget: dict) -> str:
    # django/forms/widgets/input.html; `value|stringformat:'s'` is str(value), escaped unless
    # it was marked safe.
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def render_textarea(widget: dict) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>"
    )


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUTS:
            return render_input(context["widget"])
        if template_name == TEXTAREA:
            return render_textarea(context["widget"])
        if template_name == SELECT:
            widget = context["widget"]
            if all(
                option["template_name"] == OPTION
                for _name, options, _index in widget["optgroups"]
                for option in options
            ):
                return render_select(widget)
        return super().render(template_name, context, request)
