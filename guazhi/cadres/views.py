from django.http import HttpResponse


def cadre_list(request):
    return HttpResponse("")
