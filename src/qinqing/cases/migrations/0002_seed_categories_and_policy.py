"""Seed a business-environment category tree and the default time-limit policy.

Both are master data an administrator edits afterwards; seeding them means a new site
can take its first case without configuration.
"""

from django.db import migrations

TAXONOMY = [
    ("SPFW", "审批服务", ["办理时限超期", "多头跑、重复提交材料", "一次性告知不到位", "网上办理不畅",
                      "窗口服务态度"]),
    ("ZFJG", "执法监管", ["随意检查、重复检查", "乱罚款、以罚代管", "执法程序不规范", "选择性执法"]),
    ("ZCLS", "政策落实", ["惠企政策不兑现", "政策宣传解读不到位", "奖补资金拨付迟缓"]),
    ("YSBZ", "要素保障", ["用水用电用气", "用地保障", "融资服务", "用工服务"]),
    ("TQZK", "拖欠账款", ["拖欠企业账款", "拖欠工程款", "拖欠保证金"]),
    ("ZWCX", "政务诚信", ["招商承诺不兑现", "政府合同违约", "新官不理旧账"]),
    ("GBZF", "干部作风", ["吃拿卡要", "推诿扯皮", "不作为、慢作为、乱作为", "违规插手经济活动"]),
    ("SQSF", "涉企收费", ["乱收费、乱摊派", "中介服务收费", "行业协会商会收费"]),
    ("SCHJ", "市场环境", ["市场准入壁垒", "招投标不公", "不正当竞争"]),
    ("QT", "其他", ["政策咨询", "其他事项"]),
]


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    TimeLimitPolicy = apps.get_model("cases", "TimeLimitPolicy")
    for i, (code, name, children) in enumerate(TAXONOMY, start=1):
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name,
                                                                        "sort_order": i})
        for j, child in enumerate(children, start=1):
            Category.objects.get_or_create(code=f"{code}-{j:02d}", defaults={
                "name": child, "parent": parent, "sort_order": j})
    if not TimeLimitPolicy.objects.filter(kind="", urgency="", is_active=True).exists():
        TimeLimitPolicy.objects.create(
            name="营商环境专线默认时限（1小时派单、3个工作日办结、1个工作日回访）", kind="", urgency="",
            dispatch_limit="1h", sign_limit="2h", resolve_limit="3d", callback_limit="1d",
            warning_percent=80, max_extensions=2, max_suspensions=1, is_active=True)
        TimeLimitPolicy.objects.create(
            name="紧急事项（自然小时）", kind="", urgency="urgent", dispatch_limit="1n",
            sign_limit="1n", resolve_limit="24n", callback_limit="24n", warning_percent=80,
            max_extensions=1, max_suspensions=1, is_active=True)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
