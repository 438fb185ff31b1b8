"""Importing the assignment catalogue from Excel: validate everything, then all or nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from qinqing.cases.models import AssignmentRule, Category
from qinqing.cases.queries import propose_assignment
from qinqing.cases.routing_import import (
    ImportFileError, InvalidCatalogue, RuleRow, import_assignment_rules, read_rules, validate,
)
from qinqing.org.models import Unit

pytestmark = pytest.mark.django_db

HEADER = ["类别编码", "区划代码", "主办单位编码", "协办单位编码", "依据"]
SCJG, XZSP, FGW, CZJ, JW = "990000-D22", "990000-D25", "990000-D01", "990000-D08", "990000-JW"


def xlsx(tmp_path, rows, header=HEADER, name="catalogue.xlsx", before=()):
    wb = Workbook()
    ws = wb.active
    ws.title = "派单目录"
    for line in before:
        ws.append(line)
    if header:
        ws.append(header)
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def snapshot():
    return sorted(
        (r.category.code, r.region.code if r.region else "", r.lead_unit.code,
         tuple(sorted(u.code for u in r.co_units.all())), r.basis, r.is_active)
        for r in AssignmentRule.objects.select_related("category", "region", "lead_unit"))


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_routing", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path, *args):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_routing", str(path), *args, stdout=out, stderr=err)
    return str(info.value), err.getvalue()


VALID = [
    ["SPFW", None, XZSP, None, "市行政审批服务管理局三定方案"],
    ["ZFJG", "990102", "990102-SCJG", None, None],
    ["TQZK", "", CZJ, f"{FGW}，{SCJG}", "清欠工作方案"],
    ["GBZF", None, JW, None, None],
]


def test_valid_import_creates_rules(demo_org, tmp_path):
    out, err = run(xlsx(tmp_path, VALID))
    assert "4 created, 0 replaced, 0 unchanged" in out and err == ""
    rule = AssignmentRule.objects.get(category__code="TQZK", is_active=True)
    assert rule.region is None and rule.lead_unit.code == CZJ and rule.basis == "清欠工作方案"
    assert {u.code for u in rule.co_units.all()} == {FGW, SCJG}
    assert AssignmentRule.objects.get(category__code="ZFJG").region.code == "990102"


def test_reimport_replaces_changed_rules_keeps_history_and_skips_identical(demo_org, tmp_path):
    run(xlsx(tmp_path, VALID))
    changed = [list(r) for r in VALID]
    changed[0][2] = SCJG  # SPFW: new lead unit
    changed[2][3] = FGW  # TQZK: one co-unit fewer
    changed.append(["SCHJ", None, SCJG, None, None])  # new
    out, _ = run(xlsx(tmp_path, changed, name="v2.xlsx"))
    assert "5 rule(s) read: 1 created, 2 replaced, 2 unchanged" in out
    spfw = AssignmentRule.objects.filter(category__code="SPFW", region=None)
    assert spfw.count() == 2
    assert spfw.get(is_active=True).lead_unit.code == SCJG
    assert spfw.get(is_active=False).lead_unit.code == XZSP  # the old rule, kept as history
    tqzk = AssignmentRule.objects.get(category__code="TQZK", is_active=True)
    assert [u.code for u in tqzk.co_units.all()] == [FGW]
    assert AssignmentRule.objects.filter(is_active=True).count() == 5
    # Importing the same file again changes nothing.
    before = snapshot()
    out, _ = run(xlsx(tmp_path, changed, name="v3.xlsx"))
    assert "0 created, 0 replaced, 5 unchanged" in out
    assert snapshot() == before


def test_dry_run_changes_nothing(demo_org, tmp_path):
    run(xlsx(tmp_path, VALID[:2]))
    before = snapshot()
    out, _ = run(xlsx(tmp_path, [VALID[0], [*VALID[1][:2], "990102-XZSP", None, None],
                                 VALID[2]], name="d.xlsx"), "--dry-run")
    assert out.startswith("dry run, nothing written.")
    assert "1 created, 1 replaced, 1 unchanged" in out
    assert snapshot() == before


@pytest.mark.parametrize("bad_row, message", [
    (["XXXX-99", None, SCJG, None, None], "unknown category code 'XXXX-99'"),
    (["SPFW", None, "990000-D99", None, None], "unknown lead unit code '990000-D99'"),
    (["SPFW", None, None, None, None], "lead unit code is missing"),
    ([None, None, SCJG, None, None], "category code is missing"),
    (["SPFW", None, SCJG, f"{FGW};NOPE", None], "unknown co-unit code 'NOPE'"),
    (["SPFW", None, SCJG, SCJG, None], "co-unit '990000-D22' is also the lead unit"),
    (["SPFW", "990199", SCJG, None, None], "unknown region code '990199'"),
    (["SPFW", SCJG, SCJG, None, None], "'990000-D22' (示范市市场监督管理局) is not a region"),
    (["SPFW", "990102-W01", SCJG, None, None], "'990102-W01' (河阳区政务服务中心综合受理窗口) is not a region"),
    (["ZFJG", "990102", SCJG, None, None], "duplicate of row 3 (category ZFJG, region 990102)"),
    (["spfw", "", SCJG, None, None], "duplicate of row 2 (category SPFW, any region)"),
])
def test_every_invalid_row_changes_nothing_and_names_its_row(demo_org, tmp_path, bad_row,
                                                             message):
    run(xlsx(tmp_path, [["QT", None, "990000-D30", None, None]], name="before.xlsx"))
    before = snapshot()
    rows = [*VALID, bad_row]  # the bad row is spreadsheet row 6
    summary, err = run_failing(xlsx(tmp_path, rows))
    assert "nothing was imported" in summary
    assert f"row 6: {message}" in err, err
    assert snapshot() == before
    # The same through the functions.
    errors = validate(read_rules(tmp_path / "catalogue.xlsx"))
    assert any(e.startswith("row 6: ") and message in e for e in errors)
    with pytest.raises(InvalidCatalogue):
        import_assignment_rules(read_rules(tmp_path / "catalogue.xlsx"))
    assert snapshot() == before


def test_all_errors_are_listed_one_per_line(demo_org, tmp_path):
    rows = [["NOPE", "990000-D22", "X1", "X2", None], ["SPFW", None, None, None, None]]
    _, err = run_failing(xlsx(tmp_path, rows))
    lines = err.strip().splitlines()
    assert lines == [
        "row 2: unknown category code 'NOPE'",
        "row 2: '990000-D22' (示范市市场监督管理局) is not a region: use the code of the city, "
        "a county or a development zone",
        "row 2: unknown lead unit code 'X1'",
        "row 2: unknown co-unit code 'X2'",
        "row 3: lead unit code is missing",
    ]
    assert not AssignmentRule.objects.exists()


def test_inactive_units_and_categories_are_refused(demo_org, tmp_path):
    Unit.objects.filter(code="990000-D30").update(is_active=False)
    Category.objects.filter(code="QT-02").update(is_active=False)
    errors = validate([RuleRow(2, "QT", "", "990000-D30"), RuleRow(3, "QT-02", "", SCJG)])
    assert errors == ["row 2: lead unit '990000-D30' (示范市营商环境建设局) is no longer active",
                      "row 3: category 'QT-02' is no longer active"]


def test_english_headers_title_rows_numeric_codes_and_separators(demo_org, tmp_path):
    path = xlsx(tmp_path, [
        ["ZFJG", 990102, "990102-SCJG", "990000-D07、990000-D13", ""],
        ["ZCLS-03", None, CZJ, f"{FGW} ; 990000-D02", "奖补资金"],
        [None, None, None, None, None],  # blank rows are skipped
        ["SQSF", 990103.0, "990103-SCJG", f"{SCJG},{FGW}", None],
    ], header=["Category", "Region code", "Lead unit", "Co-units", "Basis"],
        before=[["示范市营商环境投诉派单目录"], []])
    rows = read_rules(path)
    assert [(r.row, r.category, r.region) for r in rows] == [
        (4, "ZFJG", "990102"), (5, "ZCLS-03", ""), (7, "SQSF", "990103")]
    assert rows[0].co_units == ("990000-D07", "990000-D13")
    assert rows[1].co_units == (FGW, "990000-D02")
    assert validate(rows) == []
    assert import_assignment_rules(rows) == {"created": 3, "replaced": 0, "unchanged": 0}


def test_optional_columns_may_be_absent(demo_org, tmp_path):
    path = xlsx(tmp_path, [["SPFW", None, XZSP]], header=["类别编码", "区划代码", "主办单位编码"])
    out, _ = run(path)
    assert "1 created" in out


def test_propose_assignment_returns_the_imported_rule(demo_org, tmp_path):
    run(xlsx(tmp_path, VALID))
    county = Unit.objects.get(code="990102")
    other = Unit.objects.get(code="990104")
    zfjg_child = Category.objects.get(code="ZFJG-02")
    # The county's own rule first, walking up from the child category ...
    assert propose_assignment(zfjg_child, county).lead_unit.code == "990102-SCJG"
    # ... another county has no ZFJG rule.
    assert propose_assignment(zfjg_child, other) is None
    rule = propose_assignment(Category.objects.get(code="TQZK-02"), other)
    assert rule.lead_unit.code == CZJ and {u.code for u in rule.co_units.all()} == {FGW, SCJG}
    # After a replacement the new rule is proposed, not the history.
    run(xlsx(tmp_path, [["ZFJG", "990102", "990102-XZSP", None, None]], name="v2.xlsx"))
    assert propose_assignment(zfjg_child, county).lead_unit.code == "990102-XZSP"


# ----------------------------------------------------------------- unreadable files

def test_missing_file(demo_org, tmp_path):
    message, _ = run_failing(tmp_path / "nope.xlsx")
    assert message == f"{tmp_path / 'nope.xlsx'}: no such file"


@pytest.mark.parametrize("name, body", [
    ("text.xlsx", "类别编码,区划代码\nSPFW,990102\n".encode()),
    ("catalogue.csv", "类别编码,区划代码\nSPFW,990102\n".encode()),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
    ("empty.xlsx", b""),
])
def test_not_an_xlsx_file(demo_org, tmp_path, name, body):
    path = tmp_path / name
    path.write_bytes(body)
    message, _ = run_failing(path)
    assert message.startswith(f"{path}: not a readable Excel .xlsx workbook (")
    assert "\n" not in message and "Traceback" not in message


def test_corrupt_xlsx(demo_org, tmp_path):
    good = xlsx(tmp_path, VALID)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    message, _ = run_failing(broken)
    assert message.startswith(f"{broken}: not a readable Excel .xlsx workbook")
    assert "\n" not in message


def test_missing_header_columns(demo_org, tmp_path):
    path = xlsx(tmp_path, [["SPFW", XZSP]], header=["类别编码", "主办单位编码"])
    message, _ = run_failing(path)
    assert message == f"{path}: sheet '派单目录': missing header column(s): 区划代码 (region)"
    with pytest.raises(ImportFileError):
        read_rules(path)


def test_empty_sheet_and_header_without_rules(demo_org, tmp_path):
    empty = xlsx(tmp_path, [], header=None, name="empty.xlsx")
    message, _ = run_failing(empty)
    assert message == f"{empty}: the workbook is empty"
    header_only = xlsx(tmp_path, [], name="header.xlsx")
    message, _ = run_failing(header_only)
    assert message == f"{header_only}: sheet '派单目录' has a header row but no rules"
    assert not AssignmentRule.objects.exists()


def test_cli_prints_one_line_without_traceback(tmp_path):
    """Through `qinqing`, a bad file ends with one line on stderr and exit status 1."""
    import os
    import subprocess
    import sys

    path = tmp_path / "bad.xlsx"
    path.write_text("not a workbook")
    env = {**os.environ, "QINQING_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "qinqing", "import_routing", str(path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    # (a fresh data folder first reports its generated keys, on one line)
    assert all(line.startswith("qinqing: WARNING: generated ") for line in lines[:-1])
    assert lines[-1] == (
        f"CommandError: {path}: not a readable Excel .xlsx workbook (File is not a zip file)")
