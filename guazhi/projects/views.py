"""Placeholder: the pages are being written."""

from django.http import HttpResponse


def home_cards(user):
    return []


def profile_section(request, cadre):
    return None


def project_list(request, *args, **kwargs):
    return HttpResponse("")


def project_export(request, *args, **kwargs):
    return HttpResponse("")


def board(request, *args, **kwargs):
    return HttpResponse("")


def funnel(request, *args, **kwargs):
    return HttpResponse("")


def green_channel(request, *args, **kwargs):
    return HttpResponse("")


def project_create(request, *args, **kwargs):
    return HttpResponse("")


def project_detail(request, *args, **kwargs):
    return HttpResponse("")


def project_edit(request, *args, **kwargs):
    return HttpResponse("")


def project_move(request, *args, **kwargs):
    return HttpResponse("")


def project_terminate(request, *args, **kwargs):
    return HttpResponse("")


def project_reopen(request, *args, **kwargs):
    return HttpResponse("")


def member_add(request, *args, **kwargs):
    return HttpResponse("")


def member_remove(request, *args, **kwargs):
    return HttpResponse("")


def task_add(request, *args, **kwargs):
    return HttpResponse("")


def task_edit(request, *args, **kwargs):
    return HttpResponse("")


def blocker_add(request, *args, **kwargs):
    return HttpResponse("")


def blocker_detail(request, *args, **kwargs):
    return HttpResponse("")


def update_add(request, *args, **kwargs):
    return HttpResponse("")


def credit_add(request, *args, **kwargs):
    return HttpResponse("")


def credit_remove(request, *args, **kwargs):
    return HttpResponse("")


def enterprise_list(request, *args, **kwargs):
    return HttpResponse("")


def enterprise_create(request, *args, **kwargs):
    return HttpResponse("")


def enterprise_detail(request, *args, **kwargs):
    return HttpResponse("")


def enterprise_edit(request, *args, **kwargs):
    return HttpResponse("")


def contact_add(request, *args, **kwargs):
    return HttpResponse("")


def contact_edit(request, *args, **kwargs):
    return HttpResponse("")


def contact_reveal(request, *args, **kwargs):
    return HttpResponse("")


def event_list(request, *args, **kwargs):
    return HttpResponse("")


def event_create(request, *args, **kwargs):
    return HttpResponse("")


def event_detail(request, *args, **kwargs):
    return HttpResponse("")


def event_edit(request, *args, **kwargs):
    return HttpResponse("")


def programme_settings(request, *args, **kwargs):
    return HttpResponse("")
