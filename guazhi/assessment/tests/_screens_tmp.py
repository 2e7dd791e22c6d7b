import re
import time_machine
from django.contrib.staticfiles import finders
from .. import services
from ..models import Rating
from .helpers import AssessmentTestCase


def dump(name, html):
    def repl(m):
        path = finders.find(m.group(1))
        return f'"file://{path}"' if path else m.group(0)
    html = re.sub(r'"/static/([^"]+)"', repl, html)
    open(f"/tmp/screens/{name}.html", "w").write(html)


@time_machine.travel("2027-12-20 10:00 +0800", tick=False)
class Screens(AssessmentTestCase):
    def test_dump(self):
        round_ = self.open_round()
        self.rate(round_, 85, kinds=["host", "leader", "org"])
        services.round_compute(round=round_)
        e = round_.entries.get(placement=self.p_wang)
        pages = [
            (self.alice, "overview_alice", "/assessment/"),
            (self.dave, "overview_dave", "/assessment/"),
            (self.tina, "overview_tina", "/assessment/"),
            (self.alice, "plan", f"/assessment/placements/{self.p_wang.pk}/plan/"),
            (self.alice, "plan_edit", f"/assessment/placements/{self.p_wang.pk}/plan/edit/"),
            (self.tina, "quarter", f"/assessment/batches/{self.batch.pk}/quarters/2027/4/"),
            (self.alice, "round", f"/assessment/rounds/{round_.pk}/"),
            (self.alice, "entry", f"/assessment/entries/{e.pk}/"),
            (self.dave, "entry_dave", f"/assessment/entries/{e.pk}/"),
            (self.lucy, "ratings", "/assessment/ratings/"),
            (self.alice, "policy", f"/assessment/programmes/{self.programme.pk}/policy/"),
            (self.alice, "indicators", "/assessment/indicators/"),
        ]
        for user, name, url in pages:
            self.login(user)
            r = self.client.get(url)
            assert r.status_code == 200, (name, r.status_code)
            dump(name, r.content.decode())
        self.login(self.alice)
        r = self.client.get(f"/assessment/entries/{e.pk}/form.xlsx")
        open("/tmp/screens/form.xlsx", "wb").write(r.content)
        r = self.client.get(f"/assessment/rounds/{round_.pk}/results.xlsx")
        open("/tmp/screens/results.xlsx", "wb").write(r.content)
