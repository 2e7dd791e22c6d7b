"""The demo dataset makes the dashboard show the seed's figures (issue 9, SPEC §6), read
through the dashboard's own queries as the city's organisation department sees them."""

from __future__ import annotations

from decimal import Decimal

from django.core.management import call_command
from django.test import TestCase

from guazhi.core.models import User

from .. import services


class SeedFiguresTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115
        cls.zzb = User.objects.get(username="zzb")
        cls.data = services.overview(cls.zzb)

    def test_the_programme_is_jingshen_with_four_batches_and_73_cadres(self):
        self.assertIn("京沈", self.data.programme.name)
        sent = {row.label: row.sent.value for row in self.data.batches}
        self.assertEqual(sent, {"第1批": 20, "第2批": 18, "第3批": 17, "第4批": 18})
        self.assertEqual(self.data.cadres.value, 73)

    def test_batch_3_is_all_young_and_batch_4_mostly_born_in_the_1980s(self):
        rows = {row.label: row for row in self.data.batches}
        self.assertEqual((rows["第3批"].young.value, rows["第3批"].young_share), (17, "100.0%"))
        cohorts = {c.label: c.value for c in rows["第4批"].cohorts}
        self.assertEqual(cohorts["80后"], 15)
        self.assertEqual(
            f"{Decimal(100) * cohorts['80后'] / rows['第4批'].sent.value:.1f}%", "83.3%"
        )

    def test_young_and_birth_decades_agree_with_the_batch_composition(self):
        from guazhi.programmes.models import Batch
        from guazhi.programmes.services import batch_composition

        for row in self.data.batches:
            with self.subTest(batch=row.label):
                comp = batch_composition(Batch.objects.get(pk=row.batch_id))
                self.assertEqual((row.sent.value, row.young.value), (comp.total, comp.young))
                self.assertEqual({c.label: c.value for c in row.cohorts}, dict(comp.cohorts))

    def test_360_projects_a_summit_signing_6_and_a_landed_3_yi_project(self):
        self.assertEqual(self.data.projects.value, 360)
        summit = next(e for e in self.data.events if "峰会" in e.label)
        self.assertEqual(summit.value, 6)
        landed = {f.label: f.value for f in self.data.big_recent}
        # 3亿元 = 30,000 万元 in place, among the latest projects landed with 1亿元 or more
        self.assertEqual(landed["农业产业互联网平台沈阳运营中心项目"], Decimal(30000))

    def test_22_cadres_promoted_or_reused_after_return(self):
        self.assertEqual(self.data.promoted.value, 22)

    def test_the_education_deed_planned_22_groups_and_formed_16(self):
        groups = next(t for t in self.data.targets if "教育集团" in t["name"])
        self.assertEqual((groups["planned"], groups["achieved"]), (Decimal(22), Decimal(16)))


class DashboardPageTests(TestCase):
    """The page on the demo data: every number links to the records behind it, for the
    leader and within his scope; without the permission it is refused."""

    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def get(self, username, url="/dashboard/"):
        self.client.force_login(User.objects.get(username=username))
        return self.client.get(url)

    def test_the_leader_reaches_every_figures_records_in_one_click(self):
        import re

        page = self.get("lingdao")
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertIn('id="dashboard-data"', html)
        main = html[html.index("<main") :]
        links = sorted(
            set(
                re.findall(
                    r'href="(/(?:programmes|projects|deeds|returns|assessment)/[^"]*)"', main
                )
            )
        )
        self.assertGreater(len(links), 20)
        for url in links:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url.replace("&amp;", "&")).status_code, 200)

    def test_a_cohort_link_lists_exactly_the_cadres_counted(self):
        data = services.overview(User.objects.get(username="lingdao"))
        row = next(r for r in data.batches if r.label == "第4批")
        link = next(c for c in row.cohorts if c.label == "80后")
        page = self.get("lingdao", link.url)
        self.assertEqual(page.context["page"].paginator.count, link.value)
        self.assertEqual(link.value, 15)

    def test_a_district_officer_counts_only_his_district(self):
        city = services.overview(User.objects.get(username="zzb"))
        district = services.overview(User.objects.get(username="heping"))
        self.assertLess(district.cadres.value, city.cadres.value)
        self.assertLess(district.projects.value, city.projects.value)
        page = self.get("heping")
        self.assertEqual(page.status_code, 200)

    def test_users_without_the_placements_permission_are_refused(self):
        from guazhi.core.models import OrgUnit

        User.objects.create_user("norole", password="x", unit=OrgUnit.objects.first())
        self.assertEqual(self.get("norole").status_code, 403)
        self.assertEqual(self.get("lingdao").status_code, 200)

    def test_the_city_and_a_district_cost_the_same_queries(self):
        """The same statements whatever the number of records in scope (73 cadres and 360
        projects for the city, a part of them for 和平区)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = []
        for username in ("zzb", "heping", "zzb"):
            with CaptureQueriesContext(connection) as queries:
                services.overview(User.objects.get(username=username))
            counts.append(len(queries.captured_queries))
        self.assertEqual(counts[1], counts[2])

    def test_one_batch_narrows_every_section_and_its_links(self):
        from guazhi.programmes.models import Batch

        user = User.objects.get(username="zzb")
        whole = services.overview(user)
        batch = Batch.objects.get(programme=whole.programme, number=3)
        data = services.overview(user, batch_id=batch.pk)
        self.assertEqual([row.label for row in data.batches], ["第3批"])
        self.assertEqual(data.cadres.value, 17)
        self.assertLess(data.projects.value, whole.projects.value)
        self.assertIn(f"batch={batch.pk}", data.projects.url)
        page = self.get("zzb", data.projects.url)
        self.assertEqual(page.context["page"].paginator.count, data.projects.value)
        self.assertLessEqual(data.deeds.deeds, whole.deeds.deeds)
        self.assertIn("第3批", data.round_label)
        page = self.get("zzb", f"/dashboard/?batch={batch.pk}")
        self.assertContains(page, 'data-batch="第3批"')
        self.assertNotContains(page, 'data-batch="第4批"')

    def test_a_district_narrows_every_section_and_its_lists_show_the_same_counts(self):
        from guazhi.programmes.models import Placement
        from guazhi.projects.models import Project

        user = User.objects.get(username="zzb")
        whole = services.overview(user)
        self.assertIn("和平区", whole.districts)
        data = services.overview(user, district="和平区")
        expected = Placement.objects.filter(
            batch__programme=whole.programme, cadre__unit__region="和平区"
        )
        self.assertEqual(sum(r.sent.value for r in data.batches), expected.count())
        self.assertLess(data.cadres.value, whole.cadres.value)
        self.assertEqual(
            data.projects.value,
            Project.objects.filter(programme=whole.programme, district="和平区").count(),
        )
        self.assertLess(data.deeds.deeds, whole.deeds.deeds)
        self.assertLessEqual(sum(g.value for g in data.grades), sum(g.value for g in whole.grades))
        for figure in (data.cadres, data.projects, data.batches[0].sent, data.lights[0]):
            with self.subTest(figure=figure.label):
                self.assertIn("和平区", __import__("urllib.parse").parse.unquote(figure.url))
                page = self.get("zzb", figure.url)
                self.assertEqual(page.context["page"].paginator.count, figure.value)
        page = self.get("zzb", data.rating_levels[0].url)
        self.assertEqual(page.context["page"].paginator.count, data.deeds.deeds)

    def test_a_period_keeps_the_projects_found_and_the_placements_on_post_in_it(self):
        from datetime import date

        from guazhi.projects.models import Project

        user = User.objects.get(username="zzb")
        whole = services.overview(user)
        start, end = date(2024, 1, 1), date(2024, 12, 31)
        data = services.overview(user, start=start, end=end)
        found = Project.objects.filter(
            programme=whole.programme, found_on__gte=start, found_on__lte=end
        ).count()
        self.assertEqual(data.projects.value, found)
        self.assertLess(found, whole.projects.value)
        self.assertGreater(found, 0)
        page = self.get("zzb", data.projects.url)
        self.assertEqual(page.context["page"].paginator.count, found)
        # Batches that had ended before 2024 are left out, each row's link lists its count.
        self.assertLess(len(data.batches), len(whole.batches))
        for row in data.batches:
            page = self.get("zzb", row.sent.url)
            self.assertEqual(page.context["page"].paginator.count, row.sent.value)

    def test_an_end_before_the_start_is_refused_with_a_message_and_ignored(self):
        page = self.get("zzb", "/dashboard/?start=2025-06-01&end=2024-01-01")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "期间止不能早于期间起")
        self.assertFalse(page.context["data"].period)
        page = self.get("zzb", "/dashboard/?start=not-a-date&district=%E5%92%8C%E5%B9%B3%E5%8C%BA")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.context["data"].period.district, "和平区")
        self.assertIsNone(page.context["data"].period.start)

    def test_filters_do_not_change_the_number_of_queries(self):
        from datetime import date

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        user = User.objects.get(username="zzb")
        counts = []
        for kwargs in (
            {},
            {"district": "和平区", "start": date(2024, 1, 1), "end": date(2025, 1, 1)},
        ):
            with CaptureQueriesContext(connection) as queries:
                services.overview(User.objects.get(pk=user.pk), **kwargs)
            counts.append(len(queries.captured_queries))
        self.assertEqual(counts[0], counts[1])

    def test_the_page_reuses_its_figures_until_a_record_behind_them_changes(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from guazhi.projects.models import Project

        self.get("zzb", "/dashboard/")
        with CaptureQueriesContext(connection) as cached:
            first = self.client.get("/dashboard/")

        def figure_queries(captured):
            return [
                q["sql"]
                for q in captured.captured_queries
                if "projects_project" in q["sql"] or "programmes_placement" in q["sql"]
            ]

        self.assertEqual(figure_queries(cached), [])  # the session, menu and notices only
        project = Project.objects.filter(programme=first.context["data"].programme).first()
        project.title = "看板缓存测试项目"
        project.save()  # an edit through the ORM invalidates at once
        with CaptureQueriesContext(connection) as fresh:
            self.client.get("/dashboard/")
        self.assertGreater(len(figure_queries(fresh)), 5)

    def test_the_rendered_page_follows_an_edit_of_a_record_behind_it(self):
        """The page's body is kept beside the figures; an edit through the ORM makes both stale:
        a landed project renamed shows its new title on the very next request."""
        from guazhi.projects.models import Project

        old = "农业产业互联网平台沈阳运营中心项目"
        self.assertIn(f'data-landed="{old}"', self.get("zzb").content.decode())
        self.assertIn(f'data-landed="{old}"', self.client.get("/dashboard/").content.decode())
        project = Project.objects.get(title=old)
        project.title = "农业产业互联网平台（更名）"
        project.save()
        page = self.client.get("/dashboard/").content.decode()
        self.assertIn('data-landed="农业产业互联网平台（更名）"', page)
        self.assertNotIn(f'data-landed="{old}"', page)

    def test_the_rendered_page_is_kept_per_viewer_language_and_query(self):
        """What one viewer, language or query string was shown is never served for another."""
        import re

        from django.conf import settings

        def cadres(response):
            return int(re.search(r'data-figure="cadres">(\d+)<', response.content.decode())[1])

        city = cadres(self.get("zzb"))
        self.assertGreater(city, cadres(self.get("heping")))
        self.assertEqual(cadres(self.get("zzb")), city)
        self.assertIn("领导看板", self.client.get("/dashboard/").content.decode())
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = self.client.get("/dashboard/").content.decode()
        self.assertIn("Leader dashboard", english)
        self.assertNotIn('<h1 class="h4 mb-0">领导看板', english)
        del self.client.cookies[settings.LANGUAGE_COOKIE_NAME]
        # The same valid filters as an invalid query's (its start does not count), yet the
        # invalid one is shown its error and the valid one is not.
        self.assertNotContains(self.client.get("/dashboard/?end=2025-01-01"), "期间止不能早于")
        bad = self.client.get("/dashboard/?start=2025-06-01&end=2025-01-01")
        self.assertContains(bad, "期间止不能早于期间起")

    def test_cached_figures_are_per_viewer_and_per_filter(self):
        city = self.get("zzb", "/dashboard/").context["data"]
        district = self.get("heping", "/dashboard/").context["data"]
        self.assertLess(district.cadres.value, city.cadres.value)
        narrowed = self.get("zzb", "/dashboard/?district=%E5%92%8C%E5%B9%B3%E5%8C%BA")
        self.assertLess(narrowed.context["data"].cadres.value, city.cadres.value)
        self.assertEqual(
            self.get("zzb", "/dashboard/").context["data"].cadres.value, city.cadres.value
        )

    def test_moving_a_user_to_another_unit_shows_his_new_scope_at_once(self):
        """A district officer's scope is his unit: kept figures of the old one are not served
        after the move (core/figurecache.py watches a user's record, not his logins)."""
        import re

        from guazhi.core.models import OrgUnit

        def cadres(response):
            return int(re.search(r'data-figure="cadres">(\d+)<', response.content.decode())[1])

        heping = User.objects.get(username="heping")
        before = cadres(self.get("heping"))
        self.assertEqual(cadres(self.client.get("/dashboard/")), before)
        heping.unit = OrgUnit.objects.get(name="浑南区委组织部")
        heping.save()
        after = cadres(self.client.get("/dashboard/"))
        self.assertNotEqual(after, before)
        self.assertEqual(after, services.overview(User.objects.get(pk=heping.pk)).cadres.value)

    def test_an_audit_entry_or_a_login_does_not_invalidate_the_figures(self):
        from django.core.cache import cache

        from guazhi.core import audit

        self.get("zzb", "/dashboard/")
        version = cache.get(services.VERSION_KEY)
        audit.record("export", object_type="x", object_repr="y", message="z")
        self.assertEqual(cache.get(services.VERSION_KEY), version)

    def test_another_districts_filter_shows_a_district_officer_nothing_outside_his_scope(self):
        """The district filter narrows the viewer's scope; it never widens it: 和平区's officer
        asking for 浑南区 sees none of 浑南区's cadres, and of the projects landing there only
        his own units' (the city officer sees more of both)."""
        from guazhi.projects import access as projects_access

        user = User.objects.get(username="heping")
        heping = services.overview(user, district="浑南区")
        city = services.overview(User.objects.get(username="zzb"), district="浑南区")
        self.assertGreater(city.cadres.value, 0)
        self.assertEqual(heping.cadres.value, 0)
        own = projects_access.projects_for(user).filter(
            programme=heping.programme, district="浑南区"
        )
        self.assertEqual(heping.projects.value, own.count())
        self.assertLess(heping.projects.value, city.projects.value)
