"""Exactly one menu item is active: the one whose URL is the longest prefix of the page."""

from __future__ import annotations

import re

from guazhi.testing import BaseTestCase


class ActiveMenuItemTests(BaseTestCase):
    def active_links(self, path):
        self.login(self.alice)
        html = self.client.get(path).content.decode()
        html = html[html.index("<aside") : html.index("</aside>")]  # the left menu only
        return re.findall(r'<a class="nav-link active" href="([^"]+)"', html)

    def test_a_page_under_another_items_url_lights_only_its_own_item(self):
        self.assertEqual(self.active_links("/projects/board/"), ["/projects/board/"])
        self.assertEqual(self.active_links("/cadres/pool/"), ["/cadres/pool/"])

    def test_the_parent_item_is_active_on_its_own_pages(self):
        self.assertEqual(self.active_links("/projects/"), ["/projects/"])
        self.assertEqual(self.active_links("/"), ["/"])
