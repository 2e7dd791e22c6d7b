"""`guazhi match BATCH`: propose the best person–post assignment for a batch, explain each
pair, and optionally confirm it (writes the posts, as the page's confirm button does)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from guazhi.core import audit
from guazhi.core.models import User
from guazhi.programmes.models import Batch
from guazhi.selection import matching, services


class Command(BaseCommand):
    help = "为批次计算人岗匹配的最优方案（可选：确认写入）"

    def add_arguments(self, parser):
        parser.add_argument(
            "batch", type=int, nargs="?", help="批次 id（见批次页地址 /programmes/batches/ID/）"
        )
        parser.add_argument("--number", type=int, help="按批次号选择，如 5 表示第5批")
        parser.add_argument("--programme", help="选派项目名称（有多个项目时与 --number 一起用）")
        parser.add_argument("--json", action="store_true", dest="as_json", help="以 JSON 输出")
        parser.add_argument(
            "--confirm-as",
            metavar="USERNAME",
            help="以该用户身份确认方案并写入拟任岗位（需其有人岗匹配权限）",
        )

    def handle(
        self, *args, batch, number=None, programme=None, as_json=False, confirm_as=None, **options
    ):
        found = _find_batch(batch, number, programme)
        proposal = matching.propose(found)
        solution = proposal.solution
        if as_json:
            self.stdout.write(_as_json(proposal))
        else:
            self._print(proposal)
        if confirm_as:
            user = User.objects.filter(username=confirm_as, is_active=True).first()
            if user is None:
                raise CommandError(f"没有用户 {confirm_as}")
            from django.core.exceptions import PermissionDenied

            from guazhi.selection.access import require_matcher

            try:
                require_matcher(user)
            except PermissionDenied as exc:
                raise CommandError(f"{confirm_as} 没有人岗匹配权限") from exc
            if solution.status == "infeasible":
                raise CommandError("没有可行方案，未写入")
            with audit.acting_as(f"guazhi match ({confirm_as})"):
                try:
                    changed, _comparison = matching.confirm(
                        proposal, proposal.pairs, by=user, opinion="经人岗匹配（命令行）确定"
                    )
                except services.NominationError as exc:
                    raise CommandError(str(exc)) from exc
            self.stdout.write(f"已写入拟任岗位：{len(changed)} 条变动")

    def _print(self, proposal):
        s = proposal.solution
        w = self.stdout.write
        w(
            f"{proposal.batch}：人选 {len(proposal.candidates)} 人，岗位席位 "
            f"{sum(p.capacity for p in proposal.posts)} 个"
        )
        verdict = "已证明最优" if s.proven_optimal else f"相对差距 {s.gap:.4%}"
        w(
            f"状态：{s.status}（{verdict}），安排 {s.filled} 人，总匹配度 {s.total_fit:.1f}，"
            f"用时 {s.seconds:.2f} s"
        )
        if s.message:
            w(s.message)
        for seat in proposal.seats:
            if seat.nomination is None:
                w(f"- {seat.post}：空缺")
                continue
            e = seat.explanation
            w(f"- {seat.post}：{seat.nomination.cadre.name}（{e.score:.1f} 分）")
            for item in e.items:
                mark = "✓" if item.met else "✗"
                w(f"    {mark} {item.label} {item.points:.1f}/{item.max_points:.1f} {item.detail}")
        if proposal.missing_tags:
            w("未覆盖的专长：" + "、".join(proposal.missing_tags))


def _find_batch(pk: int | None, number: int | None, programme: str | None) -> Batch:
    batches = Batch.objects.select_related("programme")
    if pk is not None:
        found = batches.filter(pk=pk).first()
        if found is None:
            raise CommandError(f"没有 id 为 {pk} 的批次")
        return found
    if number is None:
        raise CommandError("请给出批次 id，或用 --number（和 --programme）指定批次")
    matches = batches.filter(number=number)
    if programme:
        matches = matches.filter(programme__name=programme)
    found = list(matches[:2])
    if not found:
        raise CommandError(f"没有第{number}批" + (f"（项目“{programme}”）" if programme else ""))
    if len(found) > 1:
        raise CommandError(f"有多个项目都有第{number}批，请用 --programme 指定项目名称")
    return found[0]


def _as_json(proposal) -> str:
    s = proposal.solution
    return json.dumps(
        {
            "batch": proposal.batch.pk,
            "status": s.status,
            "proven_optimal": s.proven_optimal,
            "gap": s.gap,
            "total_fit": round(s.total_fit, 1),
            "filled": s.filled,
            "seconds": round(s.seconds, 3),
            "message": s.message,
            "pairs": [
                {
                    "nomination": seat.nomination.pk,
                    "cadre": seat.nomination.cadre.name,
                    "post": seat.post.pk,
                    "post_title": str(seat.post),
                    "score": seat.explanation.score,
                    "met": [i.label for i in seat.explanation.met],
                    "missed": [i.label for i in seat.explanation.missed],
                }
                for seat in proposal.seats
                if seat.nomination is not None
            ],
            "unassigned": [n.pk for n in proposal.unassigned],
            "missing_tags": proposal.missing_tags,
        },
        ensure_ascii=False,
        indent=2,
    )
