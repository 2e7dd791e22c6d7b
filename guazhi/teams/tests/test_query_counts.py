"""The team page, the meeting list and the calendar use a fixed number of queries whatever
the number of members, meetings and pairings (no N+1)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post

from .. import services
from .helpers import TeamTestCase


@time_machine.travel("2027-06-15 09:00 +0800")
class QueryCountTests(TeamTestCase):
    serial = itertools.count()

    def grow(self, n):
        for _ in range(n):
            i = next(self.serial)
            cadre = make_cadre(self.heping_fgj, f"队员{i}", birth=date(1980 + i % 15, 1, 1))
            post = Post.objects.create(batch=self.batch, title=f"岗位{i}", host_unit=self.chaoyang)
            programme_services.placement_create(cadre=cadre, post=post)
            day = date(2027, 3, 2) + timedelta(days=3 * i)
            self.meeting("group" if i % 2 else "study", day, absent={cadre: "公务"})
            services.pairing_create(
                team=self.team,
                by=self.tina,
                members=[cadre, self.wang],
                goals=f"目标{i}",
                started_on=date(2027, 4, 1),
            )

    def count(self, url):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(ctx.captured_queries)

    def test_team_pages(self):
        urls = (
            "/teams/",
            f"/teams/{self.team.pk}/",
            f"/teams/{self.team.pk}/meetings/",
            f"/teams/{self.team.pk}/calendar/?month=2027-03",
        )
        for user in (self.tina, self.alice, self.dave):
            with self.subTest(user=user.username):
                self.login(user)
                self.grow(2)
                for url in urls:
                    self.count(url)  # warm the session and the per-user permission caches
                small = {url: self.count(url) for url in urls}
                self.grow(8)
                for url in urls:
                    with self.subTest(url=url):
                        self.assertEqual(self.count(url), small[url])

    def test_the_meeting_page(self):
        self.login(self.tina)
        meeting = self.meeting("study", date(2027, 5, 8))
        url = f"/teams/meetings/{meeting.pk}/"
        self.count(url)
        small = self.count(url)
        self.grow(6)
        meeting = self.meeting("study", date(2027, 5, 9))
        self.assertEqual(self.count(f"/teams/meetings/{meeting.pk}/"), small)
