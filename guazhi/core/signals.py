"""Which models the audit log tracks (platform models; each app registers its own)."""

from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from . import audit
from .models import CalendarDay, OrgUnit, Role, SiteSettings, User

audit.track(OrgUnit, exclude={"path", "depth"})
audit.track(
    User,
    exclude={"last_login", "failed_login_count", "password_changed_at"},
    masked={"password"},
)
audit.track(Role)
audit.track(SiteSettings)
audit.track(CalendarDay, exclude={"created_at", "updated_at"})
audit.track(Token, masked={"key"})
audit.track(
    TOTPDevice,
    exclude={
        "last_t",
        "drift",
        "throttling_failure_timestamp",
        "throttling_failure_count",
        "last_used_at",
    },
    masked={"key"},
)
