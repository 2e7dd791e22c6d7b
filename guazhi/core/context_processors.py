from .menu import menu_for


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    from .notices import unread_count

    return {"menu": menu_for(request), "unread_notices": unread_count(user)}
