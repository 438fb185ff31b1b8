"""A believable, clearly fictional city for the demo: 示范市.

Region codes start with 99, which no real Chinese prefecture uses, so demo data can
never be mistaken for a real place's. The shape follows a prefecture-level city like
the seeds' Linfen: 17 counties and districts, about 30 city departments, a discipline
commission, a development zone, and government service halls with windows.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinqing.org.models import Role, Unit, UnitKind
from qinqing.org.services import ensure_staff, ensure_unit

CITY_CODE = "990000"
CITY_NAME = "示范市"

CITY_DEPARTMENTS = [
    "发展和改革委员会", "工业和信息化局", "教育局", "科学技术局", "公安局", "民政局", "司法局",
    "财政局", "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局",
    "城市管理局", "交通运输局", "水务局", "农业农村局", "商务局", "文化和旅游局",
    "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
    "行政审批服务管理局", "税务局", "消防救援支队", "住房公积金管理中心", "地方金融管理局",
    "营商环境建设局",
]

COUNTIES = [
    ("990102", "河阳区"), ("990103", "城东区"), ("990104", "城西区"), ("990121", "云台县"),
    ("990122", "清河县"), ("990123", "石桥县"), ("990124", "柳溪县"), ("990125", "安平县"),
    ("990126", "古城县"), ("990127", "梨花县"), ("990128", "凤鸣县"), ("990129", "北山县"),
    ("990130", "南塬县"), ("990131", "平川县"), ("990132", "汾源县"), ("990181", "东关市"),
    ("990182", "西岭市"),
]

COUNTY_DEPARTMENTS = ["市场监督管理局", "行政审批服务管理局", "住房和城乡建设局", "人力资源和社会保障局"]

CITY_WINDOWS = [
    "企业开办窗口", "工程建设项目审批窗口", "不动产登记窗口", "社保医保窗口", "税务综合窗口",
    "“办不成事”反映窗口",
]
COUNTY_WINDOWS = ["综合受理窗口", "“办不成事”反映窗口"]

DEMO_PASSWORD = "qinqing-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: Role
    unit_code: str
    superuser: bool = False


# One login per role (domain.md §1). Hotline, callback, supervision and analysis staff
# belong to the city government unit, so the scoping rule lets them see the whole city;
# unit handlers see only their own unit.
DEMO_LOGINS = [
    DemoLogin("intake", "张敏", Role.INTAKE_AGENT, CITY_CODE),
    DemoLogin("dispatcher", "李强", Role.DISPATCHER, CITY_CODE),
    DemoLogin("handler", "王芳", Role.HANDLER, "990102-SCJG"),
    DemoLogin("leader", "赵军", Role.UNIT_LEADER, "990102-SCJG"),
    DemoLogin("handler2", "刘洋", Role.HANDLER, "990103-SCJG"),
    DemoLogin("callback", "陈静", Role.CALLBACK_AGENT, CITY_CODE),
    DemoLogin("supervisor", "杨帆", Role.SUPERVISOR, CITY_CODE),
    DemoLogin("inspector", "黄磊", Role.DISCIPLINE_INSPECTOR, "990000-JW"),
    DemoLogin("analyst", "周平", Role.ANALYST, CITY_CODE),
    DemoLogin("admin", "吴刚", Role.ADMINISTRATOR, CITY_CODE, superuser=True),
]

_COUNTY_DEPT_CODES = {
    "市场监督管理局": "SCJG", "行政审批服务管理局": "XZSP",
    "住房和城乡建设局": "ZJ", "人力资源和社会保障局": "RS",
}


def build_demo_organisation() -> dict[str, int]:
    """Create (or refresh) the demo city. Safe to run again: codes are stable."""
    units = 0
    city = ensure_unit(code=CITY_CODE, name=f"{CITY_NAME}人民政府", short_name=CITY_NAME,
                       kind=UnitKind.CITY_GOVERNMENT, region_code=CITY_CODE)
    units += 1
    ensure_unit(code="990000-JW", name=f"{CITY_NAME}纪委监委", kind=UnitKind.DISCIPLINE_COMMISSION,
                parent=city, sort_order=1)
    units += 1
    for i, name in enumerate(CITY_DEPARTMENTS, start=1):
        ensure_unit(code=f"990000-D{i:02d}", name=f"{CITY_NAME}{name}", short_name=f"市{name}",
                    kind=UnitKind.DEPARTMENT, parent=city, sort_order=10 + i)
        units += 1
    hall = ensure_unit(code="990000-HALL", name=f"{CITY_NAME}政务服务中心",
                       kind=UnitKind.SERVICE_HALL, parent=city, sort_order=60)
    units += 1
    for i, name in enumerate(CITY_WINDOWS, start=1):
        ensure_unit(code=f"990000-W{i:02d}", name=f"{CITY_NAME}政务服务中心{name}",
                    short_name=name, kind=UnitKind.WINDOW, parent=hall, sort_order=i)
        units += 1
    ensure_unit(code="990171", name=f"{CITY_NAME}经济技术开发区管委会", short_name="经开区",
                kind=UnitKind.DEVELOPMENT_ZONE, parent=city, region_code="990171", sort_order=70)
    units += 1
    for i, (code, name) in enumerate(COUNTIES, start=1):
        county = ensure_unit(code=code, name=f"{name}人民政府", short_name=name,
                             kind=UnitKind.COUNTY, parent=city, region_code=code,
                             sort_order=100 + i)
        units += 1
        for dept in COUNTY_DEPARTMENTS:
            ensure_unit(code=f"{code}-{_COUNTY_DEPT_CODES[dept]}", name=f"{name}{dept}",
                        kind=UnitKind.DEPARTMENT, parent=county)
            units += 1
        county_hall = ensure_unit(code=f"{code}-HALL", name=f"{name}政务服务中心",
                                  kind=UnitKind.SERVICE_HALL, parent=county)
        units += 1
        for j, window in enumerate(COUNTY_WINDOWS, start=1):
            ensure_unit(code=f"{code}-W{j:02d}", name=f"{name}政务服务中心{window}",
                        short_name=window, kind=UnitKind.WINDOW, parent=county_hall, sort_order=j)
            units += 1

    created = 0
    for login in DEMO_LOGINS:
        _, was_created = ensure_staff(
            username=login.username, full_name=login.full_name,
            unit=Unit.objects.get(code=login.unit_code), role=login.role,
            password=DEMO_PASSWORD, superuser=login.superuser,
        )
        created += was_created
    return {"units": units, "logins": len(DEMO_LOGINS), "logins_created": created}
