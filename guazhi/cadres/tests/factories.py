"""Test data for cadres: valid ID numbers and cadres created through the service."""

from __future__ import annotations

import itertools
from datetime import date

from stdnum.cn import ric

from guazhi.cadres.services import CadreData, cadre_save

_serial = itertools.count(1)


def id_number(birth: date = date(1985, 3, 1), male: bool = True, region: str = "210102") -> str:
    n = next(_serial) % 50
    first17 = f"{region}{birth:%Y%m}{10 + n % 18:02d}{n:02d}{(1 if male else 2) + 2 * (n % 4)}"
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum ignores the last character


def make_cadre(
    unit,
    name: str = "张三",
    *,
    birth: date = date(1985, 3, 1),
    male: bool = True,
    by=None,
    **values,
):
    ident = values.pop("id_number", None) or id_number(birth, male)
    mobile = values.pop("mobile", "13812345678")
    data = CadreData(
        id_number=ident,
        unit=unit,
        values={"name": name, "gender": "男" if male else "女", "birth": birth, **values},
        mobile=mobile,
        resume=values.pop("resume", None),
    )
    cadre, _ = cadre_save(data=data, by=by)
    return cadre
