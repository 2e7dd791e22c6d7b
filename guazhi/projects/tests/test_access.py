"""access.py's rules, the allowed and the forbidden persona side by side: who sees a project
(scope by responsible unit and by the credited cadre's unit; personal involvement; the work
team's batch), who changes it, who reports on a task or blocker, and the shared directory of
enterprises and events. Outside the scope → 404, visible but not allowed → 403."""

from __future__ import annotations

from datetime import date

import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from guazhi.core.models import OrgUnit

from .. import access, services
from ..models import Project
from .helpers import ProjectsTestCase

TODAY = date(2027, 10, 1)


@time_machine.travel(TODAY, tick=False)
class ProjectAccessTests(ProjectsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(TODAY, tick=False):
            # 和平区 is responsible; nobody is credited.
            cls.hp_unit = cls.make("和平区负责项目", cls.heping, cls.alice)
            # The city is responsible; found by 王晓明 (heping_fgj, batch 5).
            cls.hp_credit = cls.make("王晓明发现项目", cls.city, cls.alice, found_by=cls.wang)
            # 浑南区 is responsible; found by 李浑南 (hunnan_kjj, batch 5).
            cls.hn = cls.make("浑南区项目", cls.hunnan, cls.eve, found_by=cls.li)
            # Batch 6's project.
            cls.b6 = cls.make("第六批项目", cls.hunnan, cls.eve, batch=cls.batch6)
            # Owned by dave, another district's.
            cls.owned = cls.make("戴夫负责项目", cls.hunnan, cls.dave)
            # 和平区发改局 is responsible.
            cls.fgj = cls.make("发改局项目", cls.heping_fgj, cls.alice)
        cls.all = [cls.hp_unit, cls.hp_credit, cls.hn, cls.b6, cls.owned, cls.fgj]

    @classmethod
    def make(cls, title, unit, owner, found_by=None, batch=None):
        return services.project_create(
            by=cls.alice,
            programme=cls.programme,
            title=title,
            sector="agriculture",
            district=unit.name[:3],
            unit=unit,
            owner=owner,
            found_on=date(2027, 4, 1),
            channel="visit",
            found_by=found_by,
            batch=batch,
        )

    def visible(self, user) -> set[str]:
        return set(access.projects_for(user).values_list("title", flat=True))

    def titles(self, *projects) -> set[str]:
        return {p.title for p in projects}

    # --- who sees --------------------------------------------------------------------------

    def test_the_all_scope_sees_every_project(self):
        self.assertEqual(self.visible(self.alice), self.titles(*self.all))

    def test_a_district_officer_sees_his_districts_units_and_its_cadres_credits(self):
        self.assertEqual(
            self.visible(self.bob), self.titles(self.hp_unit, self.hp_credit, self.fgj)
        )
        self.assertEqual(self.visible(self.eve), self.titles(self.hn, self.b6, self.owned))

    def test_a_sending_unit_sees_its_own_and_what_its_cadres_are_credited_on(self):
        self.assertEqual(self.visible(self.carol), self.titles(self.hp_credit, self.fgj))
        self.assertNotIn(self.hp_unit.title, self.visible(self.carol))  # the district's

    def test_a_cadre_sees_what_he_owns_or_is_credited_on_and_nothing_else(self):
        self.assertEqual(self.visible(self.dave), self.titles(self.hp_credit, self.owned))
        self.assertEqual(self.visible(self.lily), self.titles(self.hn))

    def test_a_cadre_sees_a_project_through_its_task_force_a_task_or_a_blocker(self):
        self.assertNotIn(self.hp_unit.title, self.visible(self.dave))
        member = services.member_add(
            project=self.hp_unit, by=self.alice, role="liaison", cadre=self.wang
        )
        self.assertIn(self.hp_unit.title, self.visible(self.dave))
        member.delete()
        self.assertNotIn(self.hp_unit.title, self.visible(self.dave))
        task = services.task_create(
            project=self.hp_unit, by=self.alice, title="对接", owner=self.dave, deadline=TODAY
        )
        self.assertIn(self.hp_unit.title, self.visible(self.dave))
        task.delete()
        services.blocker_raise(project=self.hp_unit, by=self.alice, title="用地", owner=self.dave)
        self.assertIn(self.hp_unit.title, self.visible(self.dave))
        self.assertNotIn(self.hp_unit.title, self.visible(self.lily))

    def test_a_team_leader_sees_his_batchs_projects_only(self):
        self.assertEqual(self.visible(self.tina), self.titles(self.hp_credit, self.hn))
        self.assertEqual(self.visible(self.tom), self.titles(self.b6))

    def test_the_host_unit_and_the_administrators_see_no_project(self):
        for user in (self.hank, self.sam, self.sid, self.aud, AnonymousUser()):
            with self.subTest(user=str(user)):
                self.assertEqual(self.visible(user), set())

    def test_an_inactive_account_sees_nothing(self):
        self.alice.is_active = False
        self.assertEqual(self.visible(self.alice), set())
        self.assertFalse(access.can_change(self.alice, self.hp_unit))

    # --- who changes -----------------------------------------------------------------------

    def changeable(self, user) -> set[str]:
        return {p.title for p in self.all if access.can_change(user, p)}

    def test_who_may_change_which_project(self):
        expected = {
            self.alice: self.all,
            self.bob: [self.hp_unit, self.fgj],  # not the city's hp_credit, though visible
            self.eve: [self.hn, self.b6, self.owned],
            self.carol: [],  # reads only, even what she sees
            self.dave: [self.owned],  # owner; being credited is not enough
            self.lily: [],
            self.tina: [self.hp_credit, self.hn],  # her batch
            self.tom: [self.b6],
            self.hank: [],
        }
        for user, projects in expected.items():
            with self.subTest(user=user.username):
                self.assertEqual(self.changeable(user), self.titles(*projects))
                # The queryset and the single check agree, and change implies see.
                self.assertEqual(
                    set(access.changeable_projects(user).values_list("title", flat=True)),
                    self.titles(*projects),
                )
                self.assertLessEqual(self.titles(*projects), self.visible(user))

    def test_a_cadre_leading_the_task_force_may_change_but_a_liaison_may_not(self):
        services.member_add(project=self.hp_unit, by=self.alice, role="lead", cadre=self.li)
        services.member_add(project=self.hp_unit, by=self.alice, role="liaison", cadre=self.wang)
        self.assertTrue(access.can_change(self.lily, self.hp_unit))
        self.assertFalse(access.can_change(self.dave, self.hp_unit))
        self.assertEqual(
            access.access_project(self.lily, self.hp_unit.pk, change=True), self.hp_unit
        )
        with self.assertRaises(PermissionDenied):
            access.access_project(self.dave, self.hp_unit.pk, change=True)

    def test_outside_the_scope_a_project_is_missing(self):
        for user, project in (
            (self.eve, self.hp_unit),
            (self.bob, self.hn),
            (self.dave, self.hp_unit),
            (self.tom, self.hp_credit),
            (self.hank, self.hp_unit),
        ):
            with self.subTest(user=user.username, project=project.title):
                with self.assertRaises(Http404):
                    access.access_project(user, project.pk)
                with self.assertRaises(Http404):
                    access.access_project(user, project.pk, change=True)
        with self.assertRaises(Http404):
            access.access_project(self.alice, 999_999)

    def test_visible_but_not_changeable_is_refused(self):
        for user, project in (
            (self.bob, self.hp_credit),
            (self.carol, self.hp_credit),
            (self.carol, self.fgj),
            (self.dave, self.hp_credit),
            (self.lily, self.hn),
        ):
            with self.subTest(user=user.username, project=project.title):
                self.assertEqual(access.access_project(user, project.pk), project)
                with self.assertRaises(PermissionDenied):
                    access.access_project(user, project.pk, change=True)
        self.assertEqual(
            access.access_project(self.bob, self.hp_unit.pk, change=True), self.hp_unit
        )
        self.assertEqual(access.access_project(self.dave, self.owned.pk, change=True), self.owned)
        self.assertEqual(access.access_project(self.tina, self.hn.pk, change=True), self.hn)

    def test_who_may_register_a_lead_and_for_which_unit(self):
        self.assertTrue(access.can_add(self.dave))
        self.assertFalse(access.can_add(self.carol))
        self.assertFalse(access.can_add(self.hank))
        self.assertEqual(list(access.units_for_new_project(self.dave)), [self.heping_fgj])
        self.assertEqual(
            set(access.units_for_new_project(self.bob)), {self.heping, self.heping_fgj}
        )
        units = set(access.units_for_new_project(self.alice))
        self.assertIn(self.hunnan_kjj, units)
        self.assertFalse(any(u.kind == OrgUnit.Kind.HOST for u in units))
        self.assertEqual(list(access.units_for_new_project(self.carol)), [])

    # --- tasks and blockers ----------------------------------------------------------------

    def test_a_tasks_owner_reports_on_it_without_changing_the_project(self):
        task = services.task_create(
            project=self.hp_unit, by=self.bob, title="对接企业", owner=self.dave, deadline=TODAY
        )
        self.assertTrue(access.can_update_task(self.dave, task))
        self.assertTrue(access.can_update_task(self.bob, task))  # changes the project
        self.assertFalse(access.can_update_task(self.carol, task))
        self.assertFalse(access.can_update_task(self.lily, task))
        self.assertEqual(access.access_task(self.dave, task.pk), task)
        for user in (self.carol, self.eve):
            with self.subTest(user=user.username), self.assertRaises(Http404):
                access.access_task(user, task.pk)
        self.assertEqual(list(access.tasks_for(self.dave)), [task])
        self.assertEqual(list(access.tasks_for(self.eve)), [])

    def test_a_blockers_owner_works_on_it_without_changing_the_project(self):
        blocker = services.blocker_raise(
            project=self.hn, by=self.eve, title="能耗指标", owner=self.dave
        )
        self.assertTrue(access.can_work_blocker(self.dave, blocker))
        self.assertTrue(access.can_work_blocker(self.eve, blocker))
        self.assertTrue(access.can_work_blocker(self.tina, blocker))  # her batch
        self.assertFalse(access.can_work_blocker(self.lily, blocker))  # credited, not owner
        self.assertFalse(access.can_work_blocker(self.bob, blocker))
        self.assertEqual(access.access_blocker(self.dave, blocker.pk), blocker)
        with self.assertRaises(Http404):
            access.access_blocker(self.bob, blocker.pk)

    def test_members_and_credits_follow_the_project(self):
        services.member_add(project=self.hn, by=self.eve, role="lead", cadre=self.li)
        self.assertEqual(access.members_for(self.eve).count(), 1)
        self.assertEqual(access.members_for(self.bob).count(), 0)
        self.assertEqual(
            set(access.credits_for(self.carol).values_list("project__title", flat=True)),
            {self.hp_credit.title},
        )


class DirectoryAccessTests(ProjectsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.event = services.event_save(
            by=cls.alice,
            programme=cls.programme,
            name="京沈合作推介会",
            kind="promotion",
            day=date(2027, 6, 1),
        )

    def test_whoever_may_view_sees_the_whole_directory(self):
        for user in (self.alice, self.bob, self.carol, self.dave, self.tina, self.eve):
            with self.subTest(user=user.username):
                self.assertEqual(list(access.enterprises_for(user)), [self.enterprise])
                self.assertEqual(list(access.events_for(user)), [self.event])

    def test_without_the_view_permission_the_directory_is_empty(self):
        for user in (self.hank, self.sam, self.aud, AnonymousUser()):
            with self.subTest(user=str(user)):
                self.assertEqual(list(access.enterprises_for(user)), [])
                self.assertEqual(list(access.events_for(user)), [])
        with self.assertRaises(Http404):
            access.access_enterprise(self.hank, self.enterprise.pk)
        with self.assertRaises(Http404):
            access.access_event(self.hank, self.event.pk)

    def test_changing_an_entry_needs_its_own_permission(self):
        self.assertEqual(
            access.access_enterprise(self.alice, self.enterprise.pk, "projects.change_enterprise"),
            self.enterprise,
        )
        self.assertEqual(
            access.access_event(self.bob, self.event.pk, "projects.change_event"), self.event
        )
        for user in (self.carol, self.dave, self.tina):
            with self.subTest(user=user.username):
                with self.assertRaises(PermissionDenied):
                    access.access_enterprise(user, self.enterprise.pk, "projects.change_enterprise")
                with self.assertRaises(PermissionDenied):
                    access.access_event(user, self.event.pk, "projects.change_event")

    def test_a_contact_is_reached_through_the_directory_and_revealed_by_managers_only(self):
        contact = services.contact_add(
            enterprise=self.enterprise, by=self.alice, name="张经理", mobile="13812345678"
        )
        self.assertEqual(access.access_contact(self.carol, contact.pk), contact)
        with self.assertRaises(Http404):
            access.access_contact(self.hank, contact.pk)
        self.assertTrue(access.can_reveal_contact(self.alice))
        self.assertTrue(access.can_reveal_contact(self.bob))
        self.assertFalse(access.can_reveal_contact(self.carol))
        self.assertFalse(access.can_reveal_contact(self.dave))

    def test_owners_are_active_business_users(self):
        owners = set(access.owners_for(self.alice))
        self.assertTrue({self.alice, self.bob, self.dave, self.tina} <= owners)
        self.assertFalse({self.sam, self.sid, self.aud} & owners)
        self.dave.is_active = False
        self.dave.save()
        self.assertNotIn(self.dave, set(access.owners_for(self.alice)))
        self.assertFalse(Project.objects.exists())
