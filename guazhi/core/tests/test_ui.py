"""The UI shell: security headers, error pages, menus and homes per role, static assets."""

from guazhi.testing import BaseTestCase


class SecurityHeaderTests(BaseTestCase):
    def test_pages_carry_a_csp_without_inline_script(self):
        response = self.client.get("/login/")
        csp = response["Content-Security-Policy"]
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("unsafe-eval", csp)
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")

    def test_pages_contain_no_inline_script(self):
        self.login(self.alice)
        for url in ("/", "/units/", "/users/", "/me/"):
            html = self.client.get(url).content.decode()
            self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)[^>]*>", url)
            self.assertNotIn(" onclick=", html, url)

    def test_forms_are_protected_by_csrf(self):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        response = client.post("/login/", {"username": "bob", "password": "x"})
        self.assertEqual(response.status_code, 403)

    def test_authenticated_pages_are_not_cached(self):
        self.login(self.bob)
        self.assertEqual(self.client.get("/users/")["Cache-Control"], "no-store")


class ErrorPageTests(BaseTestCase):
    def test_missing_page_is_friendly_and_chinese(self):
        self.login(self.bob)
        response = self.client.get("/no-such-page/")
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "找不到该页面或记录", status_code=404)

    def test_forbidden_page_is_friendly_and_chinese(self):
        self.login(self.bob)
        response = self.client.get("/audit/")
        self.assertContains(response, "您没有权限执行此操作", status_code=403)

    def test_server_error_page_is_friendly(self):
        from django.test import RequestFactory

        from guazhi.core.views import server_error

        response = server_error(RequestFactory().get("/"))
        self.assertEqual(response.status_code, 500)
        self.assertIn("本次操作没有保存任何数据", response.content.decode())


class MenuAndHomeTests(BaseTestCase):
    def test_officer_menu_has_business_data_but_no_admin_items(self):
        self.login(self.alice)
        html = self.client.get("/").content.decode()
        self.assertIn("/units/", html)
        self.assertNotIn("/roles/", html)
        self.assertNotIn("/settings/", html)

    def test_system_administrator_menu_has_settings_but_no_roles(self):
        self.login(self.sam)
        html = self.client.get("/").content.decode()
        self.assertIn("/settings/", html)
        self.assertNotIn("/roles/", html)

    def test_menu_links_follow_the_script_prefix_the_app_is_served_under(self):
        """The menu's URLs are reversed once and kept, per script prefix (core/menu.py)."""
        from django.test import RequestFactory
        from django.urls import set_script_prefix

        from guazhi.core.menu import menu_for

        def urls(prefix):
            set_script_prefix(prefix)
            request = RequestFactory().get("/")
            request.user = self.alice
            return [i["url"] for g in menu_for(request) for i in g["items"]]

        try:
            plain = urls("/")
            self.assertIn("/units/", plain)
            self.assertIn("/guazhi/units/", urls("/guazhi/"))
            self.assertEqual(urls("/"), plain)
        finally:
            set_script_prefix("/")

    def test_security_administrator_menu_has_roles(self):
        self.login(self.sid)
        self.assertIn("/roles/", self.client.get("/").content.decode())

    def test_home_names_the_users_roles_and_scope(self):
        self.login(self.bob)
        response = self.client.get("/")
        self.assertContains(response, "区委组织部")
        self.assertContains(response, "本单位及下级")

    def test_home_counts_only_what_is_in_scope(self):
        self.login(self.bob)
        response = self.client.get("/")
        # bob's district: heping and heping_fgj
        self.assertEqual(response.context["cards"][0]["value"], 2)

    def test_pages_have_breadcrumbs(self):
        self.login(self.bob)
        self.assertContains(self.client.get(f"/units/{self.heping_fgj.pk}/"), 'class="breadcrumb')

    def test_empty_list_says_so(self):
        self.login(self.bob)
        self.assertContains(self.client.get("/units/", {"q": "不存在的单位"}), "没有符合条件的单位")


class StaticAssetTests(BaseTestCase):
    def test_front_end_libraries_are_served_by_the_app(self):
        from django.contrib.staticfiles import finders

        for path in (
            "vendor/htmx/htmx.min.js",
            "vendor/bootstrap/bootstrap.min.css",
            "vendor/echarts/echarts.min.js",
            "core/app.js",
        ):
            self.assertIsNotNone(finders.find(path), path)

    def test_no_page_loads_from_a_cdn(self):
        html = self.client.get("/login/").content.decode()
        self.assertNotRegex(html, r'(src|href)="https?://')
