from django.db import migrations

RANKS = [
    "科员", "四级主任科员", "三级主任科员", "副科级", "二级主任科员", "一级主任科员", "正科级",
    "四级调研员", "三级调研员", "副处级", "二级调研员", "一级调研员", "正处级",
    "二级巡视员", "一级巡视员", "副局级", "正局级",
]


def add_ranks(apps, schema_editor):
    Rank = apps.get_model("cadres", "Rank")
    for order, name in enumerate(RANKS, start=1):
        Rank.objects.get_or_create(name=name, defaults={"order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("cadres", "0001_initial")]
    operations = [migrations.RunPython(add_ranks, migrations.RunPython.noop)]
