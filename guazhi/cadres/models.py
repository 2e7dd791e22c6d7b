"""The cadre registry (干部任免审批表 fields), résumé, annual results, expertise tags and the
young-cadre reserve pool (年轻干部储备库)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guazhi.core import crypto
from guazhi.core.models import OrgUnit
from guazhi.core.personal import mask_mobile
from guazhi.core.versioning import Versioned

from . import codes


def mask_id_number(value: str) -> str:
    """2101**********123X: the first four and last four characters stay visible."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


class Rank(models.Model):
    """职务职级, ordered from lowest; a managed list (posts in later modules ask for ranges)."""

    name = models.CharField(_("名称"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("顺序"), unique=True)

    class Meta:
        verbose_name = _("职级")
        verbose_name_plural = _("职级")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class ExpertiseTag(models.Model):
    """The managed vocabulary of expertise tags (e.g. 招商引资, 农业, 金融)."""

    name = models.CharField(_("名称"), max_length=30, unique=True)
    category = models.CharField(_("类别"), max_length=30, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("专长标签")
        verbose_name_plural = _("专长标签")
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class CadreQuerySet(models.QuerySet):
    def born_in_decade(self, decade: int) -> CadreQuerySet:
        """80后 → decade=1980: born 1980-01 to 1989-12."""
        return self.filter(birth__gte=date(decade, 1, 1), birth__lt=date(decade + 10, 1, 1))

    def in_pool(self) -> CadreQuerySet:
        return self.filter(pool_memberships__left_on__isnull=True).distinct()


class Cadre(Versioned):
    class Gender(models.TextChoices):
        MALE = "男", _("男")
        FEMALE = "女", _("女")

    class PlacementStatus(models.TextChoices):
        NONE = "none", _("未挂职")
        NOMINATED = "nominated", _("推荐中")
        ON_POST = "on_post", _("在岗")
        EXTENDED = "extended", _("延期")
        FINISHED = "finished", _("期满")
        ENDED_EARLY = "ended_early", _("提前结束")

    name = models.CharField(_("姓名"), max_length=30)
    name_initials = models.CharField(_("拼音首字母"), max_length=30, db_index=True, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth = models.DateField(_("出生年月"), db_index=True, help_text=_("只记年月，日固定为 1 日"))
    ethnicity = models.CharField(
        _("民族"), max_length=10, choices=[(e, e) for e in codes.ETHNIC_GROUPS], default="汉族"
    )
    native_place = models.CharField(_("籍贯"), max_length=40, blank=True)
    birthplace = models.CharField(_("出生地"), max_length=40, blank=True)
    political_status = models.CharField(
        _("政治面貌"), max_length=30, blank=True, default="中共党员"
    )
    party_join = models.DateField(_("入党时间"), null=True, blank=True)
    work_start = models.DateField(_("参加工作时间"), null=True, blank=True)
    health = models.CharField(_("健康状况"), max_length=10, blank=True, default="健康")
    fulltime_education = models.CharField(_("全日制学历"), max_length=30, blank=True)
    fulltime_degree = models.CharField(_("全日制学位"), max_length=30, blank=True)
    fulltime_school = models.CharField(_("全日制毕业院校系及专业"), max_length=100, blank=True)
    inservice_education = models.CharField(_("在职学历"), max_length=30, blank=True)
    inservice_degree = models.CharField(_("在职学位"), max_length=30, blank=True)
    inservice_school = models.CharField(_("在职毕业院校系及专业"), max_length=100, blank=True)
    professional_title = models.CharField(_("专业技术职务"), max_length=50, blank=True)
    specialty = models.CharField(_("熟悉专业有何专长"), max_length=200, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所在单位（派出单位）"),
        on_delete=models.PROTECT,
        related_name="cadres",
    )
    current_post = models.CharField(_("现任职务"), max_length=100, blank=True)
    rank = models.ForeignKey(
        Rank,
        verbose_name=_("职级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cadres",
    )
    rewards = models.TextField(_("奖惩情况"), blank=True)
    assessment_text = models.CharField(_("年度考核结果（原文）"), max_length=200, blank=True)
    tags = models.ManyToManyField(
        ExpertiseTag, verbose_name=_("专长标签"), blank=True, related_name="cadres"
    )
    id_number_encrypted = models.TextField(_("身份证号（密文）"), editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_masked = models.CharField(_("身份证号"), max_length=18, editable=False)
    mobile_encrypted = models.TextField(_("手机号（密文）"), blank=True, editable=False)
    mobile_masked = models.CharField(_("手机号"), max_length=11, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadre",
    )
    placement_status = models.CharField(
        _("挂职状态"),
        max_length=20,
        choices=PlacementStatus.choices,
        default=PlacementStatus.NONE,
        db_index=True,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CadreQuerySet.as_manager()

    class Meta:
        verbose_name = _("干部")
        verbose_name_plural = _("干部")
        ordering = ["unit__path", "name"]
        permissions = [
            ("reveal_cadre_personal", _("可以查看干部完整身份证号和手机号（留痕）")),
            ("import_cadres", _("可以导入干部花名册和任免审批表")),
            ("export_cadres", _("可以导出干部名册")),
            ("manage_pool", _("可以管理年轻干部储备库")),
        ]
        indexes = [
            # The list's default order (by unit, then pinyin) straight from the index.
            models.Index(fields=["unit", "name_initials", "id"], name="cadre_unit_initials_idx"),
            models.Index(fields=["gender", "birth"], name="cadre_gender_birth_idx"),
            # The list's "recently updated" order: the first page without sorting them all.
            models.Index(fields=["updated_at", "id"], name="cadre_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    # --- personal fields: always through these, never the *_encrypted columns -----------

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_encrypted)

    @id_number.setter
    def id_number(self, value: str) -> None:
        self.id_number_encrypted = crypto.encrypt(value)
        self.id_number_hash = crypto.blind_index(value)
        self.id_masked = mask_id_number(value)

    @property
    def mobile(self) -> str:
        return crypto.decrypt(self.mobile_encrypted)

    @mobile.setter
    def mobile(self, value: str) -> None:
        self.mobile_encrypted = crypto.encrypt(value)
        self.mobile_masked = mask_mobile(value)

    @staticmethod
    def hash_id_number(value: str) -> str:
        return crypto.blind_index(value)

    def save(self, *args, **kwargs) -> None:
        from .normalise import pinyin_initials

        self.name_initials = pinyin_initials(self.name)
        super().save(*args, **kwargs)

    # --- derived ------------------------------------------------------------------------

    def age_on(self, when: date | None = None) -> int:
        return self.age_at(self.birth, when or date.today())

    @staticmethod
    def age_at(birth: date, when: date) -> int:
        """Completed years, counted in months as the cadre forms do (the day is not kept)."""
        return when.year - birth.year - ((when.month, 1) < (birth.month, 1))

    @property
    def age(self) -> int:
        return self.age_on()

    @property
    def cohort(self) -> str:
        """80后, 90后 …"""
        return f"{self.birth.year // 10 % 10}0后"

    def open_pool_membership(self):
        return self.pool_memberships.filter(left_on__isnull=True).first()


class ResumeEntry(models.Model):
    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="resume")
    start = models.DateField(_("起始年月"))
    end = models.DateField(_("截止年月"), null=True, blank=True, help_text=_("空表示至今"))
    content = models.CharField(_("单位及职务"), max_length=200)
    sort = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("简历")
        verbose_name_plural = _("简历")
        ordering = ["sort", "start"]

    def __str__(self) -> str:
        end = self.end.strftime("%Y.%m") if self.end else ""
        return f"{self.start:%Y.%m}--{end}  {self.content}"


class AnnualAssessment(models.Model):
    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="annual_results")
    year = models.PositiveSmallIntegerField(_("年度"))
    result = models.CharField(
        _("考核结果"), max_length=10, choices=[(r, r) for r in codes.ASSESSMENT_RESULTS]
    )
    source = models.CharField(_("来源"), max_length=30, blank=True, default="录入")

    class Meta:
        verbose_name = _("年度考核结果")
        verbose_name_plural = _("年度考核结果")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year"], name="one_result_per_cadre_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.result}"


class PoolMembership(models.Model):
    """One stay in the reserve pool; leaving closes it, rejoining opens a new one."""

    class Level(models.TextChoices):
        CITY = "city", _("市级")
        DISTRICT = "district", _("区级")

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="pool_memberships")
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    joined_on = models.DateField(_("入库日期"))
    recommending_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("推荐单位"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    left_on = models.DateField(_("出库日期"), null=True, blank=True)
    left_reason = models.CharField(_("出库原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("储备库记录")
        verbose_name_plural = _("储备库记录")
        ordering = ["-joined_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre"], condition=Q(left_on__isnull=True), name="one_open_pool_stay"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre} {self.get_level_display()} {self.joined_on}"

    @property
    def is_open(self) -> bool:
        return self.left_on is None
