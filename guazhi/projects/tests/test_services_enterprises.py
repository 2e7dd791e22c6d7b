"""The enterprise directory: a 统一社会信用代码 is normalised and checked against GB 32100 (the
message names the expected check character), an enterprise is registered once by code and by
name, a contact's mobile is stored encrypted and shown masked, and revealing it is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.test import SimpleTestCase

from guazhi.core.models import AuditEntry

from .. import services
from ..models import Enterprise, EnterpriseContact
from ..services import ProjectError, check_credit_code
from .helpers import ProjectsTestCase, credit_code

# credit_code(1) ends in the letter Y: lower case and full width matter for it.
CODE = credit_code(1)
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


class CreditCodeTests(SimpleTestCase):
    def refused(self, value) -> str:
        with self.assertRaises(ProjectError) as caught:
            check_credit_code(value)
        self.assertEqual(caught.exception.field, "credit_code")
        return str(caught.exception)

    def test_a_valid_code_is_returned_as_is(self):
        self.assertEqual(CODE, "91110105000000001Y")
        self.assertEqual(check_credit_code(CODE), CODE)

    def test_full_width_lower_case_spaces_and_dashes_are_normalised(self):
        for pasted in (
            CODE.lower(),
            CODE.translate(FULL_WIDTH),
            f" {CODE[:6]} {CODE[6:12]}-{CODE[12:]} ",
            f"{CODE[:9]}\u3000{CODE[9:].lower()}",
            CODE.lower().translate(FULL_WIDTH),
        ):
            with self.subTest(pasted=pasted):
                self.assertEqual(check_credit_code(pasted), CODE)

    def test_an_empty_code_is_refused(self):
        self.assertEqual(self.refused("  "), "请填写统一社会信用代码")

    def test_a_code_of_the_wrong_length_is_refused_with_its_length(self):
        self.assertEqual(
            self.refused(CODE[:-1]), f"统一社会信用代码“{CODE[:-1]}”应为 18 位，现为 17 位"
        )
        self.assertIn("现为 19 位", self.refused(CODE + "1"))

    def test_letters_the_standard_does_not_use_are_refused_by_name(self):
        for letter in "IOZSV":
            code = CODE[:9] + letter + CODE[10:]
            with self.subTest(letter=letter):
                self.assertEqual(
                    self.refused(code.lower()),
                    f"统一社会信用代码“{code}”含有不允许的字符“{letter}”（不使用 I、O、Z、S、V）",
                )
        self.assertIn("不允许的字符“*”", self.refused(CODE[:-1] + "*"))

    def test_a_wrong_check_character_is_refused_naming_the_expected_one(self):
        wrong = CODE[:-1] + "3"
        self.assertEqual(
            self.refused(wrong),
            f"统一社会信用代码“{wrong}”校验位不正确：按 GB 32100 第 18 位应为“Y”",
        )
        changed = CODE[:16] + "2" + CODE[17]  # a typo in the body: the check no longer fits
        expected = credit_code(2)[-1]
        self.assertNotEqual(expected, "Y")
        self.assertIn(f"第 18 位应为“{expected}”", self.refused(changed))

    def test_a_code_whose_first_eight_are_not_digits_breaks_the_rules(self):
        from stdnum.cn import uscc

        body = "A1110105000000001"
        code = body + uscc.calc_check_digit(body)
        self.assertEqual(self.refused(code), f"统一社会信用代码“{code}”不符合 GB 32100 的编码规则")


class EnterpriseTests(ProjectsTestCase):
    def create(self, name="北京某生物医药有限公司", code=None, **kwargs):
        return services.enterprise_create(
            by=self.alice,
            name=name,
            credit_code=code or credit_code(7),
            sector="biomedicine",
            city="北京市",
            **kwargs,
        )

    def test_an_enterprise_is_stored_with_its_normalised_code(self):
        enterprise = self.create(name=" 北京某生物医药有限公司 ", code=credit_code(7).lower())
        enterprise.refresh_from_db()
        self.assertEqual(
            (enterprise.name, enterprise.credit_code), ("北京某生物医药有限公司", credit_code(7))
        )
        self.assertEqual(enterprise.created_by, self.alice)

    def test_the_same_code_is_refused_naming_the_enterprise_that_has_it(self):
        with self.assertRaises(ProjectError) as caught:
            self.create(code=self.enterprise.credit_code.lower())
        self.assertEqual(
            caught.exception.errors,
            {
                "credit_code": f"统一社会信用代码 {self.enterprise.credit_code} 已登记为"
                "“北京某农业科技有限公司”，请勿重复登记"
            },
        )
        self.assertEqual(Enterprise.objects.count(), 1)

    def test_the_same_name_is_refused(self):
        with self.assertRaises(ProjectError) as caught:
            self.create(name="北京某农业科技有限公司")
        self.assertEqual(
            caught.exception.errors, {"name": "企业“北京某农业科技有限公司”已登记，请勿重复登记"}
        )
        self.assertEqual(Enterprise.objects.count(), 1)

    def test_an_update_may_keep_its_own_code_and_name_but_not_take_anothers(self):
        other = self.create()
        services.enterprise_update(enterprise=other, by=self.alice, city="天津市")
        other.refresh_from_db()
        self.assertEqual(other.city, "天津市")
        with self.assertRaises(ProjectError) as caught:
            services.enterprise_update(
                enterprise=other, by=self.alice, credit_code=self.enterprise.credit_code
            )
        self.assertEqual(caught.exception.field, "credit_code")
        with self.assertRaises(ProjectError) as caught:
            services.enterprise_update(enterprise=other, by=self.alice, name=self.enterprise.name)
        self.assertEqual(caught.exception.field, "name")
        other.refresh_from_db()
        self.assertEqual(
            (other.name, other.credit_code), ("北京某生物医药有限公司", credit_code(7))
        )

    def test_a_contacts_mobile_is_stored_encrypted_and_masked(self):
        enterprise = self.create(
            contacts=[{"name": "张经理", "title": "投资总监", "mobile": "138 1234-5678"}]
        )
        contact = enterprise.contacts.get()
        stored = EnterpriseContact.objects.filter(pk=contact.pk).values(
            "mobile_encrypted", "mobile_masked"
        )[0]
        self.assertTrue(stored["mobile_encrypted"])
        self.assertNotIn("13812345678", stored["mobile_encrypted"])
        self.assertNotIn("12345678", stored["mobile_encrypted"])
        self.assertEqual(stored["mobile_masked"], "138****5678")
        self.assertEqual(EnterpriseContact.objects.get(pk=contact.pk).mobile, "13812345678")

    def test_a_malformed_mobile_is_refused_and_no_enterprise_is_left_behind(self):
        with self.assertRaises(ProjectError) as caught:
            self.create(contacts=[{"name": "张经理", "mobile": "1234567"}])
        self.assertEqual(caught.exception.field, "mobile")
        self.assertFalse(Enterprise.objects.filter(name="北京某生物医药有限公司").exists())

    def test_a_contact_without_a_mobile_is_allowed_and_an_update_may_keep_the_number(self):
        contact = services.contact_add(enterprise=self.enterprise, by=self.alice, name="李秘书")
        self.assertEqual((contact.mobile_encrypted, contact.mobile_masked), ("", ""))
        services.contact_update(contact=contact, by=self.alice, name="李秘书", mobile="13900001111")
        services.contact_update(contact=contact, by=self.alice, name="李主任")  # keeps the number
        contact = EnterpriseContact.objects.get(pk=contact.pk)
        self.assertEqual((contact.name, contact.mobile), ("李主任", "13900001111"))

    def reveals(self, contact):
        return AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL, object_id=str(contact.pk))

    def test_revealing_a_contacts_mobile_is_audited(self):
        contact = services.contact_add(
            enterprise=self.enterprise, by=self.alice, name="张经理", mobile="13812345678"
        )
        self.assertEqual(services.contact_reveal(contact=contact, by=self.alice), "13812345678")
        entry = self.reveals(contact).get()
        self.assertEqual(entry.actor, self.alice)
        self.assertIn("北京某农业科技有限公司", entry.message)
        self.assertNotIn("13812345678", str(entry.changes) + entry.message)

    def test_revealing_without_the_permission_is_refused_and_leaves_no_trace(self):
        contact = services.contact_add(
            enterprise=self.enterprise, by=self.alice, name="张经理", mobile="13812345678"
        )
        for user in (self.carol, self.dave, self.hank):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                services.contact_reveal(contact=contact, by=user)
        self.assertFalse(self.reveals(contact).exists())
        self.assertEqual(services.contact_reveal(contact=contact, by=self.bob), "13812345678")
