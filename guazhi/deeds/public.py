"""The public side of deeds: pages anyone opens without logging in (a phone is the main
target), and the JSON endpoints of the public rating.

- `/public/deeds/` 公开公示: every deed with its targets, status, ratings per level, 满意率 and
  rectifications; filters by category and unit.
- `/public/deeds/<key>/` one deed, its dated progress and the rating form (a verified phone);
  `/public/deeds/<key>/code/` sends the code when the page is used without JavaScript;
  `/public/deeds/<key>/qr.svg` the QR code of the page.
- `/public/panel/<token>/` a 群众评议团 member's deeds to rate, each with the channel used.
- `/public/rerate/<token>/` the rater's re-rating once the rectification is done.
- `/api/v1/public/deeds/<key>/code/` and `…/ratings/`: the same submission as JSON.

What these pages never show: who rated (phone, masked phone, panel member — the member sees
only his own name on his own link), comments (they may name people), responsible cadres,
panel members, photos, the text of rectification measures (it may name the rater; only the
rater sees it, on his re-rating page). Pages reached by a secret link (panel, re-rating) are
neither cached nor indexed and send no referrer; pages with a form are not cached.

The rules are in services.py; these views parse, call and render. They run outside
ATOMIC_REQUESTS: the services' steps (limits, code, the rating with its rectification and
audit entries) each commit in their own short transaction, so a wrong code is counted, locks
are held briefly under load, the SMS leaves only after its code is stored, and reading a
public page never takes SQLite's write lock (its transactions begin IMMEDIATE)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from decimal import Decimal

import qrcode
import qrcode.image.svg
from django import forms
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guazhi.core.audit import client_ip
from guazhi.core.models import OrgUnit
from guazhi.core.personal import normalise_mobile
from guazhi.core.views import paginate

from . import services, sms
from .models import Deed, Level, PanelMember, Rating, Rectification, Status
from .services import DeedError, RatingFigures, Throttled

PAGE_SIZE = 20

# Level → (icon, Bootstrap tone) of its big choice button, best first.
LEVEL_LOOK = {
    Level.VERY_GOOD: ("emoji-laughing", "success"),
    Level.GOOD: ("emoji-smile", "success"),
    Level.FAIR: ("emoji-neutral", "primary"),
    Level.BAD: ("emoji-frown", "warning"),
    Level.VERY_BAD: ("emoji-angry", "danger"),
}
PANEL_CHANNELS = [(c.value, c.label) for c in Rating.Channel if c != Rating.Channel.PUBLIC]


def _levels() -> list[tuple[int, str, str, str]]:
    return [(int(v), v.label, *LEVEL_LOOK[v]) for v in sorted(Level, reverse=True)]


def _client(request) -> str:
    return client_ip(request) or ""


# --- responses -------------------------------------------------------------------------------


def _page(request, template: str, context: dict, *, status=200, secret=False, cache=0):
    """A public page. `secret`: reached by a personal link (not cached, not indexed, no
    referrer); `cache`: seconds a page without a form or personal data may be kept."""
    response = render(request, template, context, status=status)
    # `private`: the page carries this browser's CSRF token (base.html), not for shared caches.
    response["Cache-Control"] = f"private, max-age={cache}" if cache else "no-store"
    if secret:
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found(request, message: str, *, secret=False):
    return _page(
        request, "deeds/public/not_found.html", {"message": message}, status=404, secret=secret
    )


def _deed_or_none(key: str) -> Deed | None:
    return Deed.objects.select_related("unit", "status").filter(public_key=key).first()


NO_DEED = gettext_lazy("找不到这件实事。请核对链接或重新扫描二维码。")
NO_PANEL = gettext_lazy("该评议邀请链接无效或已失效。如有疑问，请联系邀请您参加评议的单位。")
NO_RERATE = gettext_lazy("再评价链接无效。请核对短信或回访人员提供的链接。")


# --- figures of a page of deeds --------------------------------------------------------------


def rating_figures_by_deed(deed_ids: list[int]) -> dict[int, RatingFigures]:
    """services.rating_figures() for each deed of a page in two queries (the ratings, the
    policy) whatever the number of deeds (a test compares the two on a known dataset)."""
    ratings = Rating.objects.filter(deed_id__in=deed_ids)
    return services.rating_figures_by(ratings, "deed_id", deed_ids)


def _pct(n, d) -> Decimal | None:
    return services._pct(n, d)  # the services' rounding, so both agree to the tenth


@dataclass
class LevelCount:
    value: int
    label: str
    tone: str
    n: int


def _level_counts(figures: RatingFigures) -> list[LevelCount]:
    return [
        LevelCount(value, label, tone, figures.counts[value])
        for value, label, _icon, tone in _levels()
    ]


def _decorate(deed: Deed, figures: RatingFigures, today) -> Deed:
    deed.figures = figures
    deed.level_counts = _level_counts(figures)
    deed.overdue = deed.status.kind == Status.Kind.OPEN and deed.promised_on < today
    return deed


# --- 公开公示: the list ------------------------------------------------------------------------


class DisclosureFilter(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("类别"),
        required=False,
        choices=[("", gettext_lazy("全部类别")), *Deed.Category.choices],
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("责任单位"),
        required=False,
        queryset=OrgUnit.objects.none(),
        empty_label=gettext_lazy("全部单位"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only units that are responsible for a deed (an org unit's name is public; the list
        # of all units is not needed here).
        self.fields["unit"].queryset = OrgUnit.objects.filter(
            pk__in=Deed.objects.values("unit_id")
        ).order_by("path")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"


@require_GET
@transaction.non_atomic_requests
def deed_list(request):
    """公开公示: a page of deeds with their figures in a fixed number of queries."""
    form = DisclosureFilter(request.GET or None)
    qs = Deed.objects.select_related("unit", "status").order_by("-opened_on", "-id")
    filtered = False
    if form.is_valid():
        if category := form.cleaned_data["category"]:
            qs, filtered = qs.filter(category=category), True
        if unit := form.cleaned_data["unit"]:
            qs, filtered = qs.filter(unit=unit), True
    page = paginate(request, qs.prefetch_related("targets"), PAGE_SIZE)
    figures = rating_figures_by_deed([d.pk for d in page])
    today = timezone.localdate()
    for deed in page:
        _decorate(deed, figures[deed.pk], today)
    return _page(
        request,
        "deeds/public/deed_list.html",
        {"form": form, "page": page, "filtered": filtered},
        cache=60,
    )


# --- one deed and its rating form ------------------------------------------------------------

FIELDS = ("level", "comment", "mobile", "code")


def _values(data) -> dict[str, str]:
    return {name: str(data.get(name) or "").strip() for name in FIELDS}


def _deed_page(request, deed: Deed, *, values=None, errors=None, status=200, **extra):
    figures = services.rating_figures(Rating.objects.filter(deed=deed))
    _decorate(deed, figures, timezone.localdate())
    rectifications = Rectification.objects.filter(deed=deed, rating__excluded=False).only(
        "opened_on", "deadline", "status", "done_on"
    )
    rated = request.GET.get("rated") if request.method == "GET" else None
    context = {
        "deed": deed,
        "evidence": list(deed.evidence.only("deed_id", "date", "note")),
        "rectifications": list(rectifications),
        "levels": _levels(),
        "values": values or {},
        "errors": errors or {},
        "general_error": (errors or {}).get(""),
        "rated": rated if rated in ("ok", "bad") else "",
        "show_demo": sms.shows_code(),
        "page_url": request.build_absolute_uri(
            reverse("deeds_public:deed", args=[deed.public_key])
        ),
        **extra,
    }
    if context["rated"] == "bad":
        context.update(_rectify_promise())
    return _page(request, "deeds/public/deed_detail.html", context, status=status)


def _rectify_promise() -> dict:
    """What a bad rater is told: within how many working days, and by which date."""
    return {
        "rectify_days": services.policy().rectify_working_days,
        "rectify_by": services.rectification_deadline(timezone.localdate()),
    }


@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def deed_detail(request, key: str):
    """The deed's page: facts, progress, figures and the rating form. POST rates (the code
    was sent by `code_send` or the JSON endpoint); success → redirect to the thank-you
    state, errors next to their fields (Throttled: 429)."""
    deed = _deed_or_none(key)
    if deed is None:
        return _not_found(request, NO_DEED)
    if request.method == "GET":
        return _deed_page(request, deed)
    values = _values(request.POST)
    try:
        rating = services.rate_public(
            deed=deed,
            mobile=values["mobile"],
            code=values["code"],
            level=values["level"],
            comment=values["comment"],
            client=_client(request),
        )
    except DeedError as exc:
        status = 429 if isinstance(exc, Throttled) else 200
        return _deed_page(request, deed, values=values, errors=exc.errors, status=status)
    url = reverse("deeds_public:deed", args=[deed.public_key])
    return redirect(f"{url}?rated={'bad' if rating.is_bad else 'ok'}#rate")


def _issue_code(mobile: str, client: str) -> str:
    code = services.code_request(mobile=mobile, client=client)
    sms.send_code(normalise_mobile(mobile), code)  # valid: code_request checked it
    return code


@require_POST
@transaction.non_atomic_requests
def code_send(request, key: str):
    """获取验证码 without JavaScript: the form posts here and the page comes back with what
    was typed, the code sent (and shown outside production)."""
    deed = _deed_or_none(key)
    if deed is None:
        return _not_found(request, NO_DEED)
    values = _values(request.POST)
    try:
        code = _issue_code(values["mobile"], _client(request))
    except DeedError as exc:
        status = 429 if isinstance(exc, Throttled) else 200
        return _deed_page(request, deed, values=values, errors=exc.errors, status=status)
    return _deed_page(
        request,
        deed,
        values={**values, "code": ""},
        code_sent=True,
        demo_code=code if sms.shows_code() else "",
    )


@require_GET
@transaction.non_atomic_requests
def deed_qr(request, key: str):
    """The QR code (SVG, no image library) of the deed's public page, to print and post."""
    deed = Deed.objects.filter(public_key=key).only("public_key").first()
    if deed is None:
        return _not_found(request, NO_DEED)
    url = request.build_absolute_uri(reverse("deeds_public:deed", args=[deed.public_key]))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    out = io.BytesIO()
    image.save(out)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=3600"
    response["Content-Disposition"] = f'inline; filename="deed-{deed.public_key}.svg"'
    return response


# --- 群众评议团 --------------------------------------------------------------------------------


def _member_or_none(token: str) -> PanelMember | None:
    return PanelMember.objects.filter(token=token, active=True).first()


@require_GET
@transaction.non_atomic_requests
def panel(request, token: str):
    """A panel member's page: the deeds not closed, which he has rated and how."""
    member = _member_or_none(token)
    if member is None:
        return _not_found(request, NO_PANEL, secret=True)
    qs = (
        Deed.objects.exclude(status__kind=Status.Kind.CLOSED)
        .select_related("unit", "status")
        .order_by("-opened_on", "-id")
    )
    page = paginate(request, qs, PAGE_SIZE)
    mine = dict(
        Rating.objects.filter(panel_member=member, deed__in=list(page)).values_list(
            "deed_id", "level"
        )
    )
    for deed in page:
        level = mine.get(deed.pk)
        deed.my_level = Level(level).label if level else ""
    thanks = None
    done = request.GET.get("rated")
    if done:
        thanks = (
            Rating.objects.filter(panel_member=member, deed__public_key=done)
            .select_related("deed__unit")
            .first()
        )
    context = {"member": member, "page": page, "thanks": thanks}
    if thanks is not None and thanks.is_bad:
        context.update(_rectify_promise())
    return _page(request, "deeds/public/panel.html", context, secret=True)


@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def panel_rate(request, token: str, key: str):
    """A panel member rates one deed: the channel (实地看/现场问/座谈议/网络评) and the level."""
    member = _member_or_none(token)
    if member is None:
        return _not_found(request, NO_PANEL, secret=True)
    deed = (
        Deed.objects.exclude(status__kind=Status.Kind.CLOSED)
        .select_related("unit", "status")
        .filter(public_key=key)
        .first()
    )
    if deed is None:
        return _not_found(request, NO_DEED, secret=True)
    mine = Rating.objects.filter(panel_member=member, deed=deed).only("level").first()
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = {
            k: str(request.POST.get(k) or "").strip() for k in ("level", "channel", "comment")
        }
        try:
            services.rate_panel(deed=deed, member=member, **values)
        except DeedError as exc:
            errors = exc.errors
            status = 429 if isinstance(exc, Throttled) else 200
        else:
            url = reverse("deeds_public:panel", args=[member.token])
            return redirect(f"{url}?rated={deed.public_key}")
    context = {
        "member": member,
        "deed": deed,
        "mine": Level(mine.level).label if mine else "",
        "levels": _levels(),
        "channels": PANEL_CHANNELS,
        "values": values,
        "errors": errors,
        "general_error": errors.get(""),
    }
    return _page(request, "deeds/public/panel_rate.html", context, status=status, secret=True)


# --- re-rating after a rectification ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def rerate(request, token: str):
    """The rater's second rating, once the rectification is done (services.rerate)."""
    rectification = (
        Rectification.objects.select_related("deed__unit", "deed__status", "rating")
        .filter(rerate_token=token)
        .first()
    )
    if rectification is None:
        return _not_found(request, NO_RERATE, secret=True)
    values, errors, refusal = {}, {}, ""
    if request.method == "POST":
        values = {k: str(request.POST.get(k) or "").strip() for k in ("level", "comment")}
        try:
            services.rerate(token=token, **values)
        except DeedError as exc:
            errors, refusal = exc.errors, str(exc)
        else:
            return redirect("deeds_public:rerate", token)
    rating = rectification.rating
    context = {
        "r": rectification,
        "deed": rectification.deed,
        "first_label": Level(rating.first_level).label,
        "new_label": Level(rating.level).label if rating.rerated_at else "",
        "done": rectification.status == Rectification.Status.DONE,
        "rerated": rating.rerated_at is not None,
        "levels": _levels(),
        "values": values,
        "errors": errors,
        "general_error": errors.get(""),
        "refusal": refusal,
    }
    return _page(request, "deeds/public/rerate.html", context, secret=True)


# --- JSON endpoints (/api/v1/public/deeds/<key>/…) -------------------------------------------


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    if status == 429:
        response["Retry-After"] = "60"
    return response


def _body(request) -> dict | None:
    """The submitted fields: a JSON object, or an ordinary form post."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return request.POST.dict()


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value)


BAD_BODY = gettext_lazy("请求内容应为 JSON 对象")


def _error(exc: DeedError) -> JsonResponse:
    if isinstance(exc, Throttled):
        return _json(exc.errors, status=429)
    if isinstance(exc, sms.SendFailed):
        return _json(exc.errors, status=503)
    return _json(exc.errors, status=400)


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def api_code(request, key: str):
    """POST {mobile} → 200 {sent: true} (outside production also {demo_code}); 400
    {field: message}; 429 when a limit is reached; 503 when the SMS gateway fails; 404 for an
    unknown deed."""
    if not Deed.objects.filter(public_key=key).exists():
        return _json({"": str(NO_DEED)}, status=404)
    data = _body(request)
    if data is None:
        return _json({"": str(BAD_BODY)}, status=400)
    try:
        code = _issue_code(_text(data, "mobile"), _client(request))
    except DeedError as exc:
        return _error(exc)
    answer = {"sent": True}
    if sms.shows_code():
        answer["demo_code"] = code
    return _json(answer)


def _deed_to_rate(key: str) -> Deed | None:
    """The deed behind a public key with what a rating reads (title, state, status, unit),
    by one statement written as SQL: the endpoint takes bursts, and the ORM's building of the
    same query cost three times the query itself (1.4 against 0.4 ms)."""
    sql = (
        "SELECT d.id, d.title, d.closed_on, d.unit_id, d.status_id, "  # noqa: S608 (tables)
        's."order" AS status_order, s.name AS status_name, s.kind AS status_kind '
        f"FROM {Deed._meta.db_table} d JOIN {Status._meta.db_table} s ON s.id = d.status_id "
        "WHERE d.public_key = %s"
    )
    deed = next(iter(Deed.objects.raw(sql, [key])), None)
    if deed is not None:
        status = Status(
            pk=deed.status_id, order=deed.status_order, name=deed.status_name, kind=deed.status_kind
        )
        status._state.adding = False
        Deed.status.field.set_cached_value(deed, status)
    return deed


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def api_rate(request, key: str):
    """POST {mobile, code, level, comment} → 201 {id, level}; 400 {field: message}; 429 when
    the client's submissions exceed the limit; 404 for an unknown deed.

    No session, login or CSRF; the service commits its steps itself (module docstring).
    SQL statements per accepted submission on PostgreSQL (a test counts them): 4 for a good
    rating — the deed, then one transaction (services.rate_public): count, code and rating
    in one statement, the audit entry in two. A bad rating 9: also the policy and the
    calendar for the deadline, the rectification and its audit entry. SQLite needs 8 and 15."""
    deed = _deed_to_rate(key)
    if deed is None:
        return _json({"": str(NO_DEED)}, status=404)
    data = _body(request)
    if data is None:
        return _json({"": str(BAD_BODY)}, status=400)
    try:
        rating = services.rate_public(
            deed=deed,
            mobile=_text(data, "mobile"),
            code=_text(data, "code"),
            level=data.get("level"),
            comment=_text(data, "comment"),
            client=_client(request),
        )
    except DeedError as exc:
        return _error(exc)
    return _json({"id": rating.pk, "level": rating.level}, status=201)
