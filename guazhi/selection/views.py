"""Selection pages: nominations (list, nominate, review at each level, withdraw), the review
levels of a programme, and the person–post matching page of a batch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.core.access import require, scope_for
from guazhi.core.views import paginate
from guazhi.programmes import access as programme_access
from guazhi.programmes.models import Batch

from . import access, services
from .forms import DecisionForm, LevelFormSet, NominationFilter, NominationForm, WithdrawForm
from .models import Nomination, PairRule


@login_required
def nomination_list(request):
    require(request.user, "selection.view_nomination")
    qs = access.nominations_for(request.user).select_related(
        "cadre__unit", "batch__programme", "level", "post__host_unit", "nominating_unit"
    )
    filterset = NominationFilter(
        request.GET or None,
        queryset=qs,
        batches=programme_access.batches_for(request.user),
        waiting_q=services.review_queue_q(request.user),
    )
    waiting_q = services.review_queue_q(request.user)
    rows = filterset.qs.annotate(
        waiting_for_me=Case(When(waiting_q, then=Value(True)), default=Value(False))
    )
    page = paginate(request, rows)
    context = {
        "filter": filterset,
        "page": page,
        "can_nominate": not scope_for(request.user, "selection.add_nomination").is_none,
        "any_waiting": any(n.waiting_for_me for n in page),
    }
    if request.htmx:
        return render(request, "selection/nomination_list.html#results", context)
    return render(request, "selection/nomination_list.html", context)


@login_required
def nomination_create(request):
    require(request.user, "selection.add_nomination")
    batches = programme_access.batches_for(request.user).filter(status=Batch.Status.NOMINATING)
    chosen = request.POST.get("batch") or request.GET.get("batch") or ""
    # Not a number (typed or tampered): no batch; the form says so on the field.
    batch = batches.filter(pk=chosen).first() if chosen.isdigit() else None
    if not chosen and len(only := list(batches[:2])) == 1:
        # One batch open: it is the one, so the list offers only cadres who can go to it.
        batch = only[0]
    cadres = services.nominable_cadres(request.user, batch) if batch else None
    if cadres is None:
        from guazhi.cadres import access as cadre_access

        cadres = cadre_access.cadres_for(request.user, "selection.add_nomination")
    form = NominationForm(
        request.POST or None,
        batches=batches,
        cadres=cadres,
        initial={"batch": batch.pk if batch else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            nomination = services.nominate(
                batch=form.cleaned_data["batch"],
                cadre=form.cleaned_data["cadre"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except services.NominationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("已推荐%(n)s，等待“%(l)s”。")
                % {"n": nomination.cadre.name, "l": nomination.level.name},
            )
            return redirect("selection:detail", pk=nomination.pk)
    if not batches.exists():
        messages.info(request, _("当前没有接受推荐的批次。"))
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("推荐人选"), "back": reverse("selection:list")},
    )


@login_required
def nomination_detail(request, pk):
    nomination = access.access_nomination(request.user, pk)
    user = request.user
    can_review = services.can_review(user, nomination)
    can_withdraw = nomination.status == Nomination.Status.PENDING and scope_for(
        user, "selection.add_nomination"
    ).covers_unit(nomination.nominating_unit)
    levels = list(nomination.batch.programme.levels.order_by("order"))
    return render(
        request,
        "selection/nomination_detail.html",
        {
            "nomination": nomination,
            "steps": nomination.steps.select_related("user", "unit"),
            "levels": levels,
            "can_review": can_review,
            "can_withdraw": can_withdraw,
            "decision_form": DecisionForm(level=nomination.level) if can_review else None,
            "withdraw_form": WithdrawForm() if can_withdraw else None,
        },
    )


@login_required
@require_POST
def nomination_decide(request, pk):
    nomination = access.access_nomination(request.user, pk)
    form = DecisionForm(request.POST, level=nomination.level)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))
        return redirect("selection:detail", pk=pk)
    data = form.cleaned_data
    try:
        services.decide(
            nomination=nomination,
            by=request.user,
            approve=data["approve"],
            opinion=data.get("opinion", ""),
            document_number=data.get("document_number") or "",
            document_date=data.get("document_date"),
        )
    except services.NominationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("审核结果已记录。"))
    return redirect("selection:detail", pk=pk)


@login_required
@require_POST
def nomination_bulk_approve(request):
    """Pass several nominations waiting for the user at their levels with one opinion (and
    one filing document where the level needs it). All or nothing; each gets its own step."""
    require(request.user, "selection.review_nomination")
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    nominations = list(
        access.nominations_for(request.user).filter(pk__in=ids).select_related("cadre", "level")
    )
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("selection:list")  # "//elsewhere/" started with "/" too: never off-site
    if not nominations or len(nominations) != len(set(ids)):
        messages.error(
            request,
            _("请先勾选要审核通过的推荐人选。")
            if not ids
            else _("勾选的人选中有不在您范围内的，全部未办理。"),
        )
        return HttpResponseRedirect(back)
    from datetime import date as date_type

    raw_date = request.POST.get("document_date", "")
    try:
        on = date_type.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        on = None
        messages.error(request, _("备案日期格式不正确，应为 2027-02-01 这样的日期"))
        return HttpResponseRedirect(back)
    try:
        with transaction.atomic():
            for nomination in nominations:
                try:
                    services.decide(
                        nomination=nomination,
                        by=request.user,
                        approve=True,
                        opinion=request.POST.get("opinion", "")[:2000],
                        document_number=request.POST.get("document_number", "")[:60],
                        document_date=on,
                    )
                except services.NominationError as exc:
                    raise services.NominationError(f"{nomination.cadre.name}：{exc}") from exc
    except services.NominationError as exc:
        messages.error(request, _("未保存（全部未办理）：") + str(exc))
    else:
        messages.success(request, _("已审核通过 %(n)s 人。") % {"n": len(nominations)})
    return HttpResponseRedirect(back)


@login_required
@require_POST
def nomination_withdraw(request, pk):
    nomination = access.access_nomination(request.user, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.withdraw(nomination=nomination, by=request.user, reason=reason)
    except services.NominationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("推荐已撤回（记录保留）。"))
    return redirect("selection:detail", pk=pk)


# --- review levels -------------------------------------------------------------------------


@login_required
def levels(request, programme_pk):
    programme = programme_access.access_programme(
        request.user, programme_pk, "programmes.change_programme"
    )
    queryset = programme.levels.order_by("order")
    formset = LevelFormSet(request.POST or None, queryset=queryset, prefix="level")
    if request.method == "POST" and formset.is_valid():
        rows = [
            {**f.cleaned_data, "level": f.instance if f.instance.pk else None}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            services.levels_save(programme=programme, rows=rows, by=request.user)
        except services.NominationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("审核层级已保存。"))
            return redirect("programmes:detail", pk=programme.pk)
    return render(request, "selection/levels.html", {"programme": programme, "formset": formset})


# --- matching ------------------------------------------------------------------------------


def _seat_pairs(request, proposal) -> list[tuple[int, int]]:
    pairs = []
    for post in proposal.posts:
        for k in range(post.capacity):
            value = request.POST.get(f"seat-{post.pk}-{k}", "")
            if value.isdigit():
                pairs.append((int(value), post.pk))
    return pairs


@login_required
def match(request, batch_pk):
    batch = programme_access.access_batch(request.user, batch_pk)
    access.require_matcher(request.user)
    # Imported here: the engine brings numpy, scipy and OR-Tools (about 100 MB), which every
    # web worker would carry from its start (docs/benchmarks.md).
    from . import matching

    proposal = matching.propose(batch)
    comparison = None
    chosen: dict[str, int] = {}
    if request.method == "POST":
        pairs = _seat_pairs(request, proposal)
        action = request.POST.get("action")
        if action in {"compare", "confirm"}:
            # Keep the user's own choice in the selects when the page comes back.
            seen: dict[int, int] = {}
            for nomination_id, post_id in pairs:
                k = seen.get(post_id, 0)
                seen[post_id] = k + 1
                chosen[f"{post_id}-{k}"] = nomination_id
        if action == "compare":
            comparison = matching.compare(proposal, pairs)
        elif action in {"confirm", "confirm_proposal"}:
            if action == "confirm_proposal":
                pairs = proposal.pairs
            try:
                changed, comparison = matching.confirm(
                    proposal, pairs, by=request.user, opinion=request.POST.get("opinion", "")[:2000]
                )
            except services.NominationError as exc:
                comparison = matching.compare(proposal, pairs)
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("岗位已确定（%(n)s 条变动）。总匹配度 %(t)s，最优方案 %(o)s。")
                    % {"n": len(changed), "t": comparison.total, "o": comparison.optimum},
                )
                return redirect("selection:match", batch_pk=batch.pk)
    seat_rows = []
    counters: dict[int, int] = {}
    post_index = {p.pk: j for j, p in enumerate(proposal.posts)}
    for seat in proposal.seats:
        k = counters.get(seat.post.pk, 0)
        counters[seat.post.pk] = k + 1
        key = f"{seat.post.pk}-{k}"
        selected = chosen.get(key, seat.nomination.pk if seat.nomination else None)
        seat_rows.append(
            {
                "seat": seat,
                "name": f"seat-{key}",
                "selected": selected,
                "options": proposal.eligible_for(post_index[seat.post.pk]),
            }
        )
    assigned_here = batch.nominations.active().filter(post__isnull=False).count()
    level = services.assignment_level(batch.programme)
    waiting = (
        batch.nominations.filter(status=Nomination.Status.PENDING, level=level).count()
        if level
        else 0
    )
    return render(
        request,
        "selection/match.html",
        {
            "batch": batch,
            "proposal": proposal,
            "solution": proposal.solution,
            "seat_rows": seat_rows,
            "comparison": comparison,
            "assigned_here": assigned_here,
            "level": level,
            "waiting": waiting,
            "seats_total": sum(p.capacity for p in proposal.posts),
            "young_share": (
                f"{proposal.young * 100 / proposal.solution.filled:.1f}%"
                if proposal.solution.filled
                else "—"
            ),
        },
    )


@login_required
@require_POST
def match_rule(request, batch_pk):
    batch = programme_access.access_batch(request.user, batch_pk)
    access.require_matcher(request.user)
    nomination_id, post_id, kind = (
        request.POST.get("nomination"),
        request.POST.get("post"),
        request.POST.get("kind") or None,
    )
    if request.POST.get("pair"):
        # The proposal's buttons send "nomination-post-kind".
        nomination_id, post_id, kind = ([*request.POST["pair"].split("-"), "", ""])[:3]
    nomination = (
        services.match_candidates(batch)
        .filter(pk=int(nomination_id) if str(nomination_id).isdigit() else 0)
        .first()
    )
    post = batch.posts.filter(pk=int(post_id) if str(post_id).isdigit() else 0).first()
    kind = kind or None
    if nomination is None or post is None:
        messages.error(request, _("人选或岗位不在本批次的匹配范围内"))
    else:
        try:
            services.set_rule(nomination=nomination, post=post, kind=kind, by=request.user)
        except services.NominationError as exc:
            messages.error(request, str(exc))
        else:
            label = dict(PairRule.Kind.choices).get(kind, _("取消约束"))
            messages.success(
                request,
                _("%(k)s：%(c)s → %(p)s，已重新计算。")
                % {"k": label, "c": nomination.cadre.name, "p": post},
            )
    return HttpResponseRedirect(reverse("selection:match", args=[batch.pk]))


@login_required
@require_POST
def match_decide_all(request, batch_pk):
    """After posts are settled: pass those with a post at the matching level, and (optionally)
    decline those left without one, each as an ordinary recorded decision."""
    batch = programme_access.access_batch(request.user, batch_pk)
    access.require_matcher(request.user)
    level = services.assignment_level(batch.programme)
    if level is None:
        raise PermissionDenied
    waiting = list(batch.nominations.filter(status=Nomination.Status.PENDING, level=level))
    opinion = request.POST.get("opinion", "").strip()
    decline = request.POST.get("decline_unassigned") == "1"
    passed = declined = 0
    try:
        with transaction.atomic():
            for nomination in waiting:
                if nomination.post_id:
                    services.decide(
                        nomination=nomination,
                        by=request.user,
                        approve=True,
                        opinion=opinion or "综合比选，择优确定",
                    )
                    passed += 1
                elif decline:
                    services.decide(
                        nomination=nomination,
                        by=request.user,
                        approve=False,
                        opinion=opinion or "经综合比选，本批次未入选",
                    )
                    declined += 1
    except services.NominationError as exc:
        messages.error(request, _("未保存：") + str(exc))
    else:
        messages.success(
            request,
            _("“%(l)s”：通过 %(p)s 人，不通过 %(d)s 人。")
            % {"l": level.name, "p": passed, "d": declined},
        )
    return redirect("selection:match", batch_pk=batch.pk)


def nominations_section(request, cadre):
    """The cadre profile's 推荐记录 card."""
    if scope_for(request.user, "selection.view_nomination").is_none:
        return None
    nominations = (
        access.nominations_for(request.user)
        .filter(cadre=cadre)
        .select_related("batch__programme", "level", "post")
    )
    return "selection/_profile_nominations.html", {"nominations": nominations}


def home_cards(user) -> list[dict]:
    if scope_for(user, "selection.review_nomination").is_none:
        return []
    waiting = Nomination.objects.filter(services.review_queue_q(user)).count()
    return [
        {
            "label": _("待我审核的推荐人选"),
            "value": waiting,
            "url": reverse("selection:list") + "?waiting=1",
        }
    ]
