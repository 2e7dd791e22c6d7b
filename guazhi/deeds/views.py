"""Pages of the deeds app for the units and the organisation departments (thin: the rules are
in services.py, who sees what in access.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def deed_list(request):
    return render(request, "deeds/deed_list.html", {})
