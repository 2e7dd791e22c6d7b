"""领导看板: thin view over services.overview (the viewer's data scope)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import translation

from guazhi.core import figurecache
from guazhi.core.access import require
from guazhi.core.dbrouter import replica_reads

from . import services
from .forms import FilterForm


@login_required
@replica_reads
def index(request):
    require(request.user, "programmes.view_placement")
    form = FilterForm(request.GET)
    form.is_valid()  # invalid fields are shown with their message and count as not given
    filters = form.values()
    key = services.cache_key(request.user, **filters)
    data = services.cached_overview(request.user, key=key, **filters)
    charts = {
        "batches": [
            {
                "label": row.label,
                "sent": row.sent.value,
                "url": row.sent.url,
                "young": row.young.value,
                "cohorts": [{"name": c.label, "value": c.value, "url": c.url} for c in row.cohorts],
            }
            for row in data.batches
        ],
        "stages": [
            {"name": s["figure"].label, "value": s["figure"].value, "url": s["figure"].url}
            for s in data.stages
        ],
        "grades": [{"name": g.label, "value": g.value, "url": g.url} for g in data.grades],
        "levels": [{"name": f.label, "value": f.value, "url": f.url} for f in data.rating_levels],
    }
    # The rendered body is kept beside the figures, under their key and the language and query
    # string it was drawn for: rendering it costs more than the figures' cache lookup (about 15
    # of 21 ms of CPU at province scale).
    body_key = (key, translation.get_language(), request.GET.urlencode())
    return render(
        request,
        "dashboard/index.html",
        {
            "data": data,
            "charts": charts,
            "form": form,
            "body_key": "|".join(body_key),
            "body_seconds": figurecache.seconds(),
        },
    )
