"""The English catalogue: complete, compiled, served, and in step with the source strings.

The source strings (msgids) are Chinese; guazhi/locale/en/LC_MESSAGES/django.po holds the
English. To refresh it after changing strings, from the guazhi/ directory:

    ../.venv/bin/python ../manage.py makemessages -l en --no-obsolete --ignore 'node_modules/*'
    (translate the new entries, remove any "#, fuzzy" flags)
    ../.venv/bin/python ../manage.py compilemessages -l en
"""

from __future__ import annotations

import ast
import contextlib
import gettext
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from unittest import skipUnless

from django.conf import settings
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase, override_settings

GUAZHI_DIR = Path(__file__).resolve().parents[2]
EN_DIR = GUAZHI_DIR / "locale" / "en" / "LC_MESSAGES"
PO_PATH = EN_DIR / "django.po"
MO_PATH = EN_DIR / "django.mo"

GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"{PO_PATH.name}:{self.line} msgid {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for the files makemessages writes. Skips obsolete (#~)
    entries; returns the header entry (msgid "") too."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None

    def finish():
        nonlocal entry, target
        if entry is not None and (entry.msgid or entry.msgstr):
            entries.append(entry)
        entry, target = None, None

    def append(kind: str, index: int, text: str):
        if kind == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        else:
            setattr(entry, kind, (getattr(entry, kind) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        starts_entry = line.startswith("#") or line.startswith(("msgctxt ", "msgid "))
        if starts_entry and entry is not None and entry.msgstr:
            finish()
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if target is None:
                raise ValueError(f"{path}:{number}: continuation line without a keyword")
            append(*target, ast.literal_eval(line))
        else:
            keyword, _, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                target = ("msgstr", int(match.group(1)))
            elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
                target = (keyword, 0)
            else:
                raise ValueError(f"{path}:{number}: unexpected line {raw!r}")
            if keyword == "msgid":
                entry.line = number
            append(*target, ast.literal_eval(rest))
    finish()
    return entries


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid != ""]


def header(entries: list[Entry]) -> dict[str, str]:
    head = next(e for e in entries if e.msgid == "")
    pairs = (line.partition(":") for line in head.msgstr[0].splitlines() if line)
    return {key.strip(): value.strip() for key, _, value in pairs}


class PoFileTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entries = parse_po(PO_PATH)

    def test_every_entry_is_translated_and_none_is_fuzzy(self):
        self.assertGreater(len(messages(self.entries)), 100)
        empty = [e.label for e in messages(self.entries) if not all(e.msgstr.values())]
        fuzzy = [e.label for e in self.entries if "fuzzy" in e.flags]
        self.assertEqual(empty, [], "entries without a translation")
        self.assertEqual(fuzzy, [], "fuzzy entries (check the translation, drop the flag)")

    def test_header_declares_english_and_utf8(self):
        head = header(self.entries)
        self.assertEqual(head.get("Language"), "en")
        self.assertEqual(head.get("Content-Type"), "text/plain; charset=UTF-8")

    def test_translations_keep_the_placeholders(self):
        wrong = []
        for e in messages(self.entries):
            wanted = sorted(PLACEHOLDER.findall(e.msgid + (e.msgid_plural or "")))
            for text in e.msgstr.values():
                found = PLACEHOLDER.findall(text)
                if e.msgid_plural is None and sorted(found) != wanted:
                    wrong.append(f"{e.label}: {found} != {wanted}")
                elif not set(found) <= set(wanted):
                    wrong.append(f"{e.label}: {found} not in {wanted}")
        self.assertEqual(wrong, [])

    def test_the_mo_file_is_compiled_from_the_current_po(self):
        with MO_PATH.open("rb") as fp:
            mo = gettext.GNUTranslations(fp)
        stale = []
        for e in messages(self.entries):
            if e.msgid_plural is None:
                pairs = [
                    (
                        e.msgstr[0],
                        mo.pgettext(e.msgctxt, e.msgid)
                        if e.msgctxt is not None
                        else mo.gettext(e.msgid),
                    )
                ]
            else:
                # English: plural=(n != 1), so n=1 selects msgstr[0] and n=2 msgstr[1].
                pairs = [
                    (
                        e.msgstr[index],
                        mo.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                        if e.msgctxt is not None
                        else mo.ngettext(e.msgid, e.msgid_plural, n),
                    )
                    for index, n in ((0, 1), (1, 2))
                ]
            stale += [f"{e.label}: .mo has {got!r}" for want, got in pairs if want != got]
        self.assertEqual(stale, [], "django.mo is out of date: run compilemessages -l en")

    @skipUnless(
        all(shutil.which(tool) for tool in GETTEXT_TOOLS), "GNU gettext tools are not installed"
    )
    def test_every_source_string_is_in_the_po(self):
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "src"
            locale = Path(tmp) / "out" / "locale"
            shutil.copytree(
                GUAZHI_DIR,
                source,
                ignore=shutil.ignore_patterns(
                    "locale", "static", "node_modules", "__pycache__", "*.pyc", "*.mo"
                ),
            )
            with override_settings(LOCALE_PATHS=[locale]), contextlib.chdir(source):
                call_command(
                    "makemessages",
                    locale=["en"],
                    ignore_patterns=["node_modules/*"],
                    no_obsolete=True,
                    verbosity=0,
                )
            extracted = parse_po(locale / "en" / "LC_MESSAGES" / "django.po")

        def keys(entries):
            return {(e.msgctxt, e.msgid) for e in messages(entries)}

        missing = sorted(keys(extracted) - keys(self.entries), key=str)
        self.assertEqual(
            missing,
            [],
            "source strings missing from the English catalogue: run makemessages -l en",
        )


class LanguageSwitchTests(TestCase):
    def test_login_page_is_chinese_by_default(self):
        response = self.client.get("/login/")
        self.assertContains(response, '<html lang="zh-hans">')
        self.assertContains(response, "登录")
        self.assertNotContains(response, "Log in")

    def test_language_cookie_selects_english(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.get("/login/")
        self.assertContains(response, '<html lang="en">')
        self.assertContains(response, "Log in")
        self.assertContains(response, "Cadre Secondment Management Platform")
        self.assertContains(response, "Username")
        self.assertNotContains(response, "登录")

    def test_set_language_view_switches_to_english(self):
        response = self.client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
        self.assertRedirects(response, "/login/", fetch_redirect_response=False)
        self.assertEqual(self.client.cookies[settings.LANGUAGE_COOKIE_NAME].value, "en")
        response = self.client.get("/login/")
        self.assertContains(response, "Log in")
        self.assertNotContains(response, "登录")
