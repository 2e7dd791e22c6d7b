"""The .lrmx (干部任免审批表) writer, reader and upload checks."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone
from stdnum.cn import ric

from guazhi.cadres import importing, lrmx, services
from guazhi.cadres.models import Cadre, Rank
from guazhi.cadres.normalise import parse_annual_results
from guazhi.core.models import AuditEntry
from guazhi.testing import BaseTestCase


def make_id(birth: str = "19850315", seq: str = "123", area: str = "210102") -> str:
    """A valid 18-character ID; an odd third sequence digit is a man."""
    first = area + birth + seq
    # python-stdnum's calc_check_digit ignores the last character of what it is given
    return first + ric.calc_check_digit(first + "?")


ZHANG = make_id("19850315", "123")  # 男, 1985.03
LI = make_id("19900704", "246")  # 女, 1990.07
WANG = make_id("19880101", "135")  # 男, 1988.01


def lrmx_file(encoding: str = "UTF-8", declare: bool = True, **elements: str) -> str:
    body = "".join(f"<{tag}>{value}</{tag}>" for tag, value in elements.items())
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declare else ""
    return f"{declaration}<Person>{body}</Person>"


def minimal(id_number: str = ZHANG, **extra: str) -> bytes:
    elements = {
        "XingMing": "张三",
        "XingBie": "男",
        "ChuShengNianYue": id_number[6:12],
        "ShenFenZheng": id_number,
    }
    elements.update(extra)
    return lrmx_file(**elements).encode("utf-8")


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            if name.endswith("/"):
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, data)
    buffer.seek(0)
    return buffer


COMPARED = [*services.SCALAR_FIELDS, "unit_id", "rank_id", "id_number", "mobile"]


def snapshot(cadre: Cadre) -> dict:
    cadre = Cadre.objects.get(pk=cadre.pk)
    record = {name: getattr(cadre, name) for name in COMPARED}
    record["resume"] = [(e.start, e.end, e.content) for e in cadre.resume.all()]
    record["annual"] = sorted((a.year, a.result) for a in cadre.annual_results.all())
    return record


class LrmxTestCase(BaseTestCase):
    def full_cadre(self, **overrides) -> Cadre:
        values = {
            "name": "张三",
            "gender": "男",
            "birth": date(1985, 3, 1),
            "ethnicity": "满族",
            "native_place": "辽宁沈阳",
            "birthplace": "辽宁沈阳",
            "political_status": "中共党员",
            "party_join": date(2008, 7, 1),
            "work_start": date(2007, 7, 1),
            "health": "健康",
            "fulltime_education": "大学",
            "fulltime_degree": "学士",
            "fulltime_school": "东北大学经济学专业",
            "inservice_education": "研究生",
            "inservice_degree": "硕士",
            "inservice_school": "辽宁大学管理学专业",
            "professional_title": "经济师",
            "specialty": "熟悉产业经济，擅长招商引资",
            "current_post": "和平区发改局副局长",
            "rewards": "2019年获市优秀共产党员称号\n2021年嘉奖",
            "assessment_text": "",
        }
        values.update(overrides.pop("values", {}))
        data = services.CadreData(
            id_number=overrides.pop("id_number", ZHANG),
            unit=overrides.pop("unit", self.heping_fgj),
            values=values,
            rank=overrides.pop("rank", Rank.objects.get(name="副科级")),
            mobile=overrides.pop("mobile", "13912345678"),
            resume=overrides.pop(
                "resume",
                [
                    (date(2003, 9, 1), date(2007, 7, 1), "东北大学经济学专业学习"),
                    (
                        date(2007, 7, 1),
                        date(2015, 12, 1),
                        "和平区发改局科员（其间：2010.09--2013.07 在职研究生学习）",
                    ),
                    (date(2015, 12, 1), None, "和平区发改局副局长"),
                ],
            ),
            annual=overrides.pop("annual", [(2021, "优秀"), (2022, "称职"), (2023, "称职")]),
        )
        cadre, outcome = services.cadre_save(data=data, by=None)
        assert outcome == "created"
        return cadre

    def import_file(self, data: bytes, *, by=None, where="张三.lrmx", default_unit=None):
        row = lrmx.parse_lrmx(
            data, where=where, by=by or self.alice, default_unit=default_unit or self.heping_fgj
        )
        report = importing.Report(rows=[row])
        return row, importing.apply(report, by=by or self.alice)


class ExportTests(LrmxTestCase):
    def test_export_is_utf8_xml_with_declaration_root_person_and_the_documented_elements(self):
        cadre = self.full_cadre()
        data = lrmx.export_lrmx(cadre)
        self.assertTrue(data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'))
        root = ET.fromstring(data)
        self.assertEqual(root.tag, "Person")
        text = {child.tag: child.text or "" for child in root}
        self.assertEqual(text["XingMing"], "张三")
        self.assertEqual(text["ChuShengNianYue"], "198503")
        self.assertEqual(text["RuDangShiJian"], "200807")
        self.assertEqual(text["CanJiaGongZuoShiJian"], "200707")
        self.assertEqual(text["MinZu"], "满族")
        self.assertEqual(text["ShenFenZheng"], ZHANG)
        self.assertEqual(text["ChengBaoDanWei"], "和平区发改局")
        self.assertEqual(text["Version"], "3.2.1.6")
        self.assertEqual(text["TianBiaoShiJian"], timezone.localdate().strftime("%Y%m%d"))
        self.assertEqual(
            text["JianLi"].split("\n"),
            [
                "2003.09--2007.07  东北大学经济学专业学习",
                "2007.07--2015.12  和平区发改局科员（其间：2010.09--2013.07 在职研究生学习）",
                "2015.12--  和平区发改局副局长",
            ],
        )
        self.assertEqual(
            text["NianDuKaoHeJieGuo"], "2021年年度考核为优秀；2022、2023年年度考核均为称职。"
        )
        self.assertEqual(text["ShouJiHao"], "13912345678")
        self.assertEqual(text["ZhengZhiMianMao"], "中共党员")
        self.assertEqual(text["ZhiJi"], "副科级")

    def test_export_writes_the_original_assessment_text_when_there_is_one(self):
        cadre = self.full_cadre(values={"assessment_text": "2021年度考核优秀，其余称职"})
        root = ET.fromstring(lrmx.export_lrmx(cadre))
        self.assertEqual(root.findtext("NianDuKaoHeJieGuo"), "2021年度考核优秀，其余称职")

    def test_generated_annual_results_are_read_back_by_parse_annual_results(self):
        cases = [
            [(2021, "优秀"), (2022, "称职")],
            [(2020, "称职"), (2021, "称职"), (2022, "称职")],
            [(2019, "不定等次"), (2020, "不定等次"), (2021, "基本称职"), (2022, "不称职")],
            [(2023, "优秀")],
            [],
        ]
        for results in cases:
            with self.subTest(results=results):
                text = lrmx.format_annual_results(results)
                self.assertEqual(parse_annual_results(text), sorted(results))


class RoundTripTests(LrmxTestCase):
    def assert_round_trip(self, cadre: Cadre) -> None:
        before = snapshot(cadre)
        data = lrmx.export_lrmx(cadre)
        Cadre.objects.filter(pk=cadre.pk).delete()
        row, summary = self.import_file(data)
        self.assertEqual(row.errors, [])
        self.assertEqual(summary.created, 1)
        after = snapshot(Cadre.objects.get(id_number_hash=Cadre.hash_id_number(ZHANG)))
        for key, value in before.items():
            self.assertEqual(after[key], value, key)

    def test_export_parse_and_apply_give_the_same_record_field_by_field(self):
        self.assert_round_trip(self.full_cadre())

    def test_round_trip_keeps_an_original_assessment_text_and_a_party_name(self):
        cadre = self.full_cadre(
            values={
                "political_status": "民盟",
                "party_join": None,
                "assessment_text": "2021、2022年年度考核均为称职。",
                "health": "一般",
            },
            annual=[(2021, "称职"), (2022, "称职"), (2023, "优秀")],
            rank=None,
            mobile="",
        )
        self.assertEqual(ET.fromstring(lrmx.export_lrmx(cadre)).findtext("RuDangShiJian"), "民盟")
        self.assert_round_trip(cadre)

    def test_round_trip_with_empty_optional_fields(self):
        cadre = self.full_cadre(
            values={
                "political_status": "群众",
                "party_join": None,
                "work_start": None,
                "rewards": "",
                "inservice_school": "",
            },
            resume=[],
            annual=[],
            rank=None,
            mobile="",
        )
        self.assert_round_trip(cadre)


class LenientReadingTests(LrmxTestCase):
    def test_hand_written_lenient_file_imports(self):
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<Person>\n"
            "  <XingMing> 张\u3000三 </XingMing>\n"
            "  <XingBie>男\u200b</XingBie>\n"
            "  <ChuShengNianYue>1985.03</ChuShengNianYue>\n"
            "  <MinZu>汉</MinZu>\n"
            "  <RuDangShiJian>20080701</RuDangShiJian>\n"
            "  <CanJiaGongZuoShiJian> 2007.7 </CanJiaGongZuoShiJian>\n"
            "  <XianRenZhiWu>\u00a0和平区发改局副局长 </XianRenZhiWu>\n"
            "  <JianLi>\n"
            "    2003.09—2007.07  东北大学经济学专业学习\n"
            "    2007.07~2015.12  和平区发改局科员\n"
            "                    （其间：2010.09--2013.07 在职研究生学习）\n"
            "    2015.12--   和平区发改局副局长\n"
            "  </JianLi>\n"
            "  <NianDuKaoHeJieGuo>2021、2022、2023年年度考核均为称职。</NianDuKaoHeJieGuo>\n"
            "  <ZhaoPian>/9j/4AAQSkZJRgABAQ==</ZhaoPian>\n"
            "  <JiaTingChengYuan><Item><ChengWei>妻子</ChengWei><XingMing>李四</XingMing></Item>"
            "</JiaTingChengYuan>\n"
            "  <SomethingNew>ignored</SomethingNew>\n"
            f"  <ShenFenZheng> {ZHANG.lower()} </ShenFenZheng>\n"
            "  <ChengBaoDanWei>和平区发改局</ChengBaoDanWei>\n"
            "</Person>\n"
        )
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
        row, summary = self.import_file(data, default_unit=self.heping)
        self.assertEqual(row.errors, [])
        self.assertEqual(summary.created, 1)
        cadre = Cadre.objects.get()
        self.assertEqual(cadre.name, "张三")
        self.assertEqual(cadre.gender, "男")
        self.assertEqual(cadre.birth, date(1985, 3, 1))
        self.assertEqual(cadre.ethnicity, "汉族")
        self.assertEqual(cadre.party_join, date(2008, 7, 1))
        self.assertEqual(cadre.work_start, date(2007, 7, 1))
        self.assertEqual(cadre.current_post, "和平区发改局副局长")
        self.assertEqual(cadre.unit, self.heping_fgj)  # matched by name, not the default
        self.assertEqual(cadre.id_number, ZHANG)
        self.assertEqual(cadre.assessment_text, "2021、2022、2023年年度考核均为称职。")
        self.assertEqual(
            [(e.start, e.end, e.content) for e in cadre.resume.all()],
            [
                (date(2003, 9, 1), date(2007, 7, 1), "东北大学经济学专业学习"),
                (
                    date(2007, 7, 1),
                    date(2015, 12, 1),
                    "和平区发改局科员（其间：2010.09--2013.07 在职研究生学习）",
                ),
                (date(2015, 12, 1), None, "和平区发改局副局长"),
            ],
        )
        self.assertEqual(
            sorted((a.year, a.result) for a in cadre.annual_results.all()),
            [(2021, "称职"), (2022, "称职"), (2023, "称职")],
        )
        # missing elements: model defaults; nothing said about the party status → blank
        self.assertEqual(cadre.health, "健康")
        self.assertIsNone(cadre.rank)
        self.assertEqual(cadre.mobile, "")

    def test_missing_gender_and_birth_are_taken_from_the_id_number(self):
        data = lrmx_file(XingMing="李梅", ShenFenZheng=LI).encode()
        row, summary = self.import_file(data)
        self.assertEqual(row.errors, [])
        cadre = Cadre.objects.get()
        self.assertEqual((cadre.gender, cadre.birth), ("女", date(1990, 7, 1)))
        self.assertEqual(cadre.political_status, "")  # unknown, not the model's 中共党员

    def test_gbk_encoded_file_imports(self):
        text = lrmx_file(
            encoding="GBK",
            XingMing="王五",
            XingBie="男",
            ChuShengNianYue="198801",
            MinZu="朝鲜族",
            JiGuan="吉林延边",
            ShenFenZheng=WANG,
            ChengBaoDanWei="和平区发改局",
        )
        data = text.encode("gbk")
        with self.assertRaises(UnicodeDecodeError):
            data.decode("utf-8")
        row, summary = self.import_file(data, where="王五.lrmx")
        self.assertEqual(row.errors, [])
        cadre = Cadre.objects.get()
        self.assertEqual(
            (cadre.name, cadre.ethnicity, cadre.native_place), ("王五", "朝鲜族", "吉林延边")
        )

    def test_party_name_in_ru_dang_shi_jian_goes_to_political_status(self):
        for cell, status, joined in (
            ("九三学社", "九三学社", None),
            ("2006.05 民盟", "民盟", date(2006, 5, 1)),
            ("200807", "", date(2008, 7, 1)),
        ):
            with self.subTest(cell=cell):
                row = lrmx.parse_lrmx(
                    minimal(RuDangShiJian=cell),
                    where="a.lrmx",
                    by=self.alice,
                    default_unit=self.heping_fgj,
                )
                self.assertEqual(row.errors, [])
                self.assertEqual(row.data.values["party_join"], joined)
                self.assertEqual(row.data.values.get("political_status", ""), status)

    def test_bad_values_are_reported_naming_file_and_element_and_nothing_is_written(self):
        bad_id = ZHANG[:-1] + ("0" if ZHANG[-1] != "0" else "1")
        cases = [
            (
                minimal(id_number=ZHANG, ShenFenZheng=bad_id),
                "张三.lrmx 身份证号(ShenFenZheng): ",
                "校验位错误",
            ),
            (minimal(MinZu="火星族"), "张三.lrmx 民族(MinZu): ", "不在 GB/T 3304"),
            (minimal(ChuShengNianYue="198513"), "张三.lrmx 出生年月(ChuShengNianYue): ", "月份"),
            (
                minimal(ChuShengNianYue="19850230"),
                "张三.lrmx 出生年月(ChuShengNianYue): ",
                "不是有效日期",
            ),
            (
                minimal(CanJiaGongZuoShiJian="2007.13"),
                "张三.lrmx 参加工作时间(CanJiaGongZuoShiJian): ",
                "月份",
            ),
            (minimal(ChuShengNianYue="198604"), "张三.lrmx 出生年月(ChuShengNianYue): ", "不一致"),
            (
                minimal(JianLi="2003.09--2007.07  学习\n2010.09--2008.07  倒着写"),
                "张三.lrmx 简历(JianLi): ",
                "截止年月早于起始年月",
            ),
            (minimal(ZhiJi="宇宙级"), "张三.lrmx 职级(ZhiJi): ", "不在职级列表中"),
            (minimal(ShouJiHao="12345"), "张三.lrmx 手机号(ShouJiHao): ", "手机号"),
        ]
        for data, prefix, reason in cases:
            with self.subTest(prefix=prefix, reason=reason):
                row = lrmx.parse_lrmx(
                    data, where="张三.lrmx", by=self.alice, default_unit=self.heping_fgj
                )
                self.assertFalse(row.ok)
                self.assertTrue(
                    any(e.startswith(prefix) and reason in e for e in row.errors), row.errors
                )
                with self.assertRaises(importing.ImportRefused):
                    importing.apply(importing.Report(rows=[row]), by=self.alice)
                self.assertFalse(Cadre.objects.exists())

    def test_doctype_and_entity_payloads_are_refused(self):
        laughs = (
            '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            f"<Person><XingMing>&lol2;</XingMing><ShenFenZheng>{ZHANG}</ShenFenZheng></Person>"
        )
        external = (
            '<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f"<Person><XingMing>&xxe;</XingMing><ShenFenZheng>{ZHANG}</ShenFenZheng></Person>"
        )
        for payload in (laughs.encode(), external.encode(), external.encode("utf-16")):
            row = lrmx.parse_lrmx(
                payload, where="坏.lrmx", by=self.alice, default_unit=self.heping_fgj
            )
            self.assertIsNone(row.data)
            self.assertEqual(len(row.errors), 1)
            self.assertTrue(row.errors[0].startswith("坏.lrmx: "))
            self.assertIn("DTD", row.errors[0])
        report = lrmx.check_upload(
            zip_of({"坏.lrmx": laughs.encode()}),
            "x.zip",
            by=self.alice,
            default_unit=self.heping_fgj,
        )
        self.assertFalse(report.is_valid)
        self.assertFalse(Cadre.objects.exists())

    def test_files_that_are_not_lrmx_xml_are_reported(self):
        for data, reason in (
            (b"not xml at all", "不是有效的 XML"),
            (b"<Root><XingMing>x</XingMing></Root>", "根元素应为 Person"),
            (b'<?xml version="1.0" encoding="EBCDIC-XX"?><Person/>', "编码"),
        ):
            with self.subTest(reason=reason):
                row = lrmx.parse_lrmx(
                    data, where="a.lrmx", by=self.alice, default_unit=self.heping_fgj
                )
                self.assertIsNone(row.data)
                self.assertIn(reason, row.errors[0])


class UploadTests(LrmxTestCase):
    def three_files(self) -> dict[str, bytes]:
        return {
            "张三.lrmx": minimal(ZHANG),
            "李梅.lrmx": lrmx_file(
                XingMing="李梅", XingBie="女", ChuShengNianYue="199007", ShenFenZheng=LI
            ).encode(),
            "王五.lrmx": lrmx_file(XingMing="王五", ShenFenZheng=WANG).encode("utf-8"),
        }

    def test_single_lrmx_upload_imports(self):
        report = lrmx.check_upload(
            io.BytesIO(minimal()), "张三.lrmx", by=self.alice, default_unit=self.heping_fgj
        )
        self.assertTrue(report.is_valid, report.errors)
        self.assertEqual([r.where for r in report.rows], ["张三.lrmx"])
        self.assertEqual(importing.apply(report, by=self.alice).created, 1)

    def test_zip_of_three_files_imports_three_cadres(self):
        report = lrmx.check_upload(
            zip_of(self.three_files()), "三人.zip", by=self.alice, default_unit=self.heping_fgj
        )
        self.assertTrue(report.is_valid, report.errors)
        self.assertEqual(len(report.rows), 3)
        summary = importing.apply(report, by=self.alice)
        self.assertEqual(summary.created, 3)
        self.assertEqual(
            set(Cadre.objects.values_list("name", flat=True)), {"张三", "李梅", "王五"}
        )

    def test_zip_with_parent_path_member_and_nested_folder(self):
        upload = zip_of(
            {
                "../evil.lrmx": minimal(LI),
                "/etc/evil.lrmx": minimal(LI),
                "2024/第一批/": b"",
                "2024/第一批/张三.lrmx": minimal(ZHANG),
                "2024/说明.txt": "请查收".encode(),
            }
        )
        files = lrmx.read_upload(upload, "批次.zip")
        self.assertEqual([name for name, _data in files], ["2024/第一批/张三.lrmx"])
        self.assertEqual(len(files.refused), 2)
        self.assertTrue(
            any("../evil.lrmx" in message and "拒绝" in message for message in files.refused)
        )
        self.assertEqual(files.ignored, ["压缩包中的“2024/说明.txt”不是 .lrmx 文件，已忽略"])

        report = lrmx.check_upload(upload, "批次.zip", by=self.alice, default_unit=self.heping_fgj)
        self.assertEqual(len(report.rows), 1)
        self.assertTrue(report.rows[0].ok)
        self.assertEqual(len(report.file_errors), 2)
        self.assertEqual(len(report.notes), 1)
        with self.assertRaises(importing.ImportRefused):
            importing.apply(report, by=self.alice, valid_only=True)
        self.assertFalse(Cadre.objects.exists())

    def test_zip_bomb_is_refused_with_a_chinese_message(self):
        bomb = zip_of({"炸弹.lrmx": b"\0" * (6 * 1024 * 1024)})
        self.assertLess(len(bomb.getvalue()), 100 * 1024)
        with pytest.raises(lrmx.UploadRefused, match="解压后超过 5 MB"):
            lrmx.read_upload(bomb, "炸弹.zip")
        report = lrmx.check_upload(bomb, "炸弹.zip", by=self.alice, default_unit=self.heping_fgj)
        self.assertEqual(report.rows, [])
        self.assertIn("解压后超过 5 MB", report.file_errors[0])
        with self.assertRaises(importing.ImportRefused):
            importing.apply(report, by=self.alice)

    def test_zip_member_lying_about_its_size_is_refused(self):
        raw = bytearray(zip_of({"小.lrmx": b"\0" * (6 * 1024 * 1024)}).getvalue())
        # claim 1000 bytes uncompressed in the local header and in the central directory
        local = raw.find(b"PK\x03\x04")
        raw[local + 22 : local + 26] = struct.pack("<I", 1000)
        central = raw.find(b"PK\x01\x02")
        raw[central + 24 : central + 28] = struct.pack("<I", 1000)
        with pytest.raises(lrmx.UploadRefused):
            lrmx.read_upload(io.BytesIO(bytes(raw)), "小.zip")

    def test_zip_whose_members_add_up_to_more_than_50_mb_is_refused(self):
        members = {f"{i}.lrmx": b"\0" * (4 * 1024 * 1024 + 1) for i in range(13)}
        with pytest.raises(lrmx.UploadRefused, match="50 MB"):
            lrmx.read_upload(zip_of(members), "大.zip")

    def test_zip_with_too_many_members_is_refused(self):
        members = {f"{i}.txt": b"" for i in range(lrmx.MAX_MEMBERS + 1)}
        with pytest.raises(lrmx.UploadRefused, match="超过 500 个"):
            lrmx.read_upload(zip_of(members, zipfile.ZIP_STORED), "多.zip")

    def test_unusable_uploads_are_refused(self):
        with pytest.raises(lrmx.UploadRefused, match="不是有效的 zip"):
            lrmx.read_upload(io.BytesIO(b"plain text"), "假.zip")
        with pytest.raises(lrmx.UploadRefused, match="不是 .lrmx 文件或 .zip"):
            lrmx.read_upload(io.BytesIO(b"x"), "名册.xlsx")
        with pytest.raises(lrmx.UploadRefused, match="超过 5 MB"):
            lrmx.read_upload(io.BytesIO(b" " * (5 * 1024 * 1024 + 1)), "大.lrmx")
        self.assertTrue(issubclass(lrmx.UploadRefused, ValueError))
        report = lrmx.check_upload(
            zip_of({"说明.txt": b"x"}), "空.zip", by=self.alice, default_unit=self.heping_fgj
        )
        self.assertEqual(report.file_errors, ["上传的文件中没有 .lrmx 任免审批表文件"])

    def test_zip_member_names_written_in_gbk_are_read(self):
        placeholder = "AAAA.lrmx"  # as many bytes as 张三.lrmx in GBK
        raw = zip_of({placeholder: minimal(ZHANG)}).getvalue()
        raw = raw.replace(placeholder.encode(), "张三.lrmx".encode("gbk"))
        files = lrmx.read_upload(io.BytesIO(raw), "批次.zip")
        self.assertEqual([name for name, _data in files], ["张三.lrmx"])

    def test_duplicate_id_numbers_across_files_are_reported(self):
        upload = zip_of({"a/张三.lrmx": minimal(ZHANG), "b/张三.lrmx": minimal(ZHANG)})
        report = lrmx.check_upload(upload, "重复.zip", by=self.alice, default_unit=self.heping_fgj)
        self.assertTrue(report.rows[0].ok)
        self.assertEqual(
            report.rows[1].errors,
            [
                "b/张三.lrmx 身份证号(ShenFenZheng): 与“a/张三.lrmx”中的身份证号相同，"
                "同一人只能导入一份"
            ],
        )
        self.assertEqual(importing.apply(report, by=self.alice, valid_only=True).created, 1)


class ReimportAndPermissionTests(LrmxTestCase):
    def test_reimporting_the_same_file_changes_nothing(self):
        data = lrmx.export_lrmx(self.full_cadre())
        entries = AuditEntry.objects.count()
        row, summary = self.import_file(data)
        self.assertEqual(row.errors, [])
        self.assertEqual((summary.created, summary.updated, summary.unchanged), (0, 0, 1))
        self.assertEqual(AuditEntry.objects.count(), entries)

    def test_reimporting_a_foreign_file_twice_changes_nothing_the_second_time(self):
        data = minimal(JianLi="2003.09--2007.07  学习", NianDuKaoHeJieGuo="2022年度考核优秀")
        self.import_file(data)
        entries = AuditEntry.objects.count()
        _row, summary = self.import_file(data)
        self.assertEqual(summary.unchanged, 1)
        self.assertEqual(AuditEntry.objects.count(), entries)

    def test_eve_cannot_import_over_a_cadre_of_bobs_district(self):
        cadre = self.full_cadre(unit=self.heping_fgj)
        data = minimal(ZHANG, XianRenZhiWu="被篡改的职务", ChengBaoDanWei="浑南区科技局")
        row = lrmx.parse_lrmx(data, where="张三.lrmx", by=self.eve, default_unit=self.hunnan_kjj)
        self.assertFalse(row.ok)
        self.assertIn("张三.lrmx 身份证号(ShenFenZheng): ", row.errors[0])
        self.assertIn("无权修改", row.errors[0])
        with self.assertRaises(importing.ImportRefused):
            importing.apply(importing.Report(rows=[row]), by=self.eve)
        cadre.refresh_from_db()
        self.assertEqual((cadre.current_post, cadre.unit), ("和平区发改局副局长", self.heping_fgj))

    def test_bob_can_update_a_cadre_of_his_district(self):
        cadre = self.full_cadre(unit=self.heping_fgj)
        data = minimal(ZHANG, XianRenZhiWu="和平区发改局局长", ChengBaoDanWei="和平区发改局")
        row, summary = self.import_file(data, by=self.bob, default_unit=self.heping)
        self.assertEqual(row.errors, [])
        self.assertEqual(summary.updated, 1)
        cadre.refresh_from_db()
        self.assertEqual(cadre.current_post, "和平区发改局局长")
        self.assertEqual(cadre.unit, self.heping_fgj)
        # elements the file lacks keep their stored values
        self.assertEqual(cadre.rank.name, "副科级")
        self.assertEqual(cadre.mobile, "13912345678")
        self.assertEqual(cadre.resume.count(), 3)
        self.assertEqual(cadre.political_status, "中共党员")

    def test_a_file_without_xing_ming_keeps_the_stored_name(self):
        self.full_cadre()
        data = lrmx_file(ShenFenZheng=ZHANG, XianRenZhiWu="和平区发改局局长").encode()
        row, summary = self.import_file(data)
        self.assertEqual(row.errors, [])
        self.assertEqual(summary.updated, 1)
        self.assertEqual(Cadre.objects.get().name, "张三")

    def test_reporting_unit_outside_the_users_scope_falls_back_to_the_default_unit(self):
        data = minimal(ZHANG, ChengBaoDanWei="浑南区科技局")
        row = lrmx.parse_lrmx(data, where="张三.lrmx", by=self.bob, default_unit=self.heping_fgj)
        self.assertEqual(row.errors, [])
        self.assertEqual(row.data.unit, self.heping_fgj)

    def test_carol_cannot_register_a_cadre_outside_her_unit(self):
        row = lrmx.parse_lrmx(minimal(), where="张三.lrmx", by=self.carol, default_unit=self.heping)
        self.assertEqual(
            row.errors,
            ["张三.lrmx 呈报单位(ChengBaoDanWei): 您无权在“和平区委组织部”登记或修改干部"],
        )
