"""Writes the channel sample files of this folder from the demo city (run it when a format changes).

    python data/samples/build_samples.py [--demo DIR]

Places, addresses, grid cells and officers come from the demo city (generated into a temporary folder unless
``--demo`` names one); complaints, callers and phone numbers are invented. The deliberately bad records are
written at fixed positions, listed in README.md and checked by ``tests/ingest/test_samples.py``. The output is
the same bytes on every run.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import re
import sys
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from data.demo_city import generate  # noqa: E402
from geo.coords import convert  # noqa: E402

SEED = 20261103
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY0 = datetime(2026, 11, 2)

SURNAMES = "陈林黄张吴李王郑蔡刘杨许洪苏叶庄曾颜柯谢周徐何高郭"
GIVEN = "伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚志建华文辉鹏斌婷雪琳晨宇浩凯俊鑫振荣海燕玲红峰宏毅兴龙清坤榕"
PHONE_PREFIXES = ("133", "135", "137", "138", "139", "150", "151", "158", "159", "177", "180", "186", "189")

# item → what a caller, worker or officer says about it ({p} = the place)
COMPLAINTS = {
    "ZF001": ["{p}门口有流动摊贩占道卖水果，行人只能走机动车道", "{p}路边早上有人摆摊卖菜，堵塞人行道",
              "{p}附近每天晚上都有小吃摊占道经营，垃圾遍地"],
    "ZF002": ["{p}旁边的店铺把货架摆到店外人行道上经营", "{p}一家五金店长期出店经营，占用盲道"],
    "ZF004": ["{p}楼顶新装了一块大型广告牌，不知是否审批", "{p}门口立了落地广告牌，占用人行道"],
    "ZF005": ["{p}电线杆和墙面被贴满了办证小广告", "{p}楼道里到处是开锁、通下水道的小广告"],
    "ZF007": ["{p}门口堆放大量建材和沙石，占用人行道", "{p}路边堆了很多废旧家具，一直没人清理"],
    "ZF008": ["{p}旁边空地有人夜里偷倒生活垃圾，气味很大", "{p}附近有车辆倾倒装修垃圾"],
    "ZF010": ["{p}门口每晚有露天烧烤，油烟很大", "{p}夜市有几个摊位露天烧烤到凌晨"],
    "ZF011": ["{p}楼下餐馆油烟直排，住户无法开窗", "{p}一家餐饮店没装油烟净化设备，油烟扰民"],
    "ZF012": ["{p}附近有人焚烧垃圾，烟雾很大", "{p}旁边田里有人焚烧秸秆"],
    "ZF013": ["{p}工地没有围挡洒水，扬尘严重", "{p}旁边工地车辆进出带泥上路，扬尘很大"],
    "ZF015": ["{p}的KTV晚上音响声音太大，影响休息", "{p}广场舞音响声音过大，晚上十点还没停"],
    "ZF016": ["{p}工地夜间施工，凌晨还在打桩", "{p}附近工地晚上十一点后还在浇筑混凝土，噪声很大"],
    "ZF017": ["{p}有住户在楼顶违规加盖房屋", "{p}一楼住户在院子里违章搭建彩钢房"],
    "ZF018": ["{p}门口有人搭建铁皮棚经营", "{p}路边违规搭建了一个雨棚"],
    "ZF019": ["{p}路段有渣土车抛洒，路面全是泥土", "{p}附近渣土车未密闭运输，沿路撒漏"],
    "ZF022": ["{p}旁边的绿化带被人毁坏种菜", "{p}门口绿地被铲平停车"],
    "ZF023": ["{p}门口人行道上长期停满机动车", "{p}附近人行道被私家车占用，行人无法通行"],
    "ZF024": ["{p}门口共享单车乱停放，堵住出入口", "{p}公交站旁共享单车堆积成山"],
    "ZF032": ["{p}小区消防通道被车辆堵塞", "{p}楼下消防通道堆放杂物"],
    "ZF033": ["{p}有住户从楼上飞线给电动车充电", "{p}楼道里停放电动车充电，存在火灾隐患"],
    "ZF042": ["{p}门口公共停车位被私人装了地锁", "{p}路边有人私设地桩占用车位"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="an existing demo-city folder (default: generate one)")
    args = parser.parse_args()
    if args.demo:
        build(args.demo)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            build(Path(tmp))


def build(demo: Path) -> None:
    world = World(demo)
    write_hotline_xlsx(world, HERE / "hotline_12345.xlsx")
    write_hotline_csv(world, HERE / "hotline_12345_gbk.csv")
    write_dcm(world, HERE / "dcm_12319.csv")
    write_grid_worker(world, HERE / "grid_worker.json")
    write_police(world, HERE / "police_110.jsonl")
    write_patrol(world, HERE / "patrol.json")
    write_generic(world, HERE / "generic.csv")
    write_history(demo, HERE / "history_szcg.csv")
    for name in ("hotline_12345.xlsx", "hotline_12345_gbk.csv", "dcm_12319.csv", "grid_worker.json",
                 "police_110.jsonl", "patrol.json", "generic.csv", "history_szcg.csv"):
        print(f"wrote {name}")


class World:
    """The demo city's places, cells and officers, and a seeded random source."""

    def __init__(self, demo: Path):
        self.rng = random.Random(SEED)
        townships = json.loads((demo / "townships.geojson").read_text(encoding="utf-8"))
        self.township_names = {f["properties"]["code"]: f["properties"]["name"] for f in townships["features"]}
        with (demo / "places.csv").open(encoding="utf-8") as f:
            self.places = [p for p in csv.DictReader(f) if p["kind"] in ("poi", "compound", "building", "landmark",
                                                                          "intersection")]
        cells = json.loads((demo / "cells.geojson").read_text(encoding="utf-8"))
        self.cells = {(c["properties"]["col"], c["properties"]["row"], c["properties"]["community_code"]):
                      c["properties"]["code"] for c in cells["features"]}
        with (demo / "officers.csv").open(encoding="utf-8") as f:
            self.officers = [o for o in csv.DictReader(f) if "-ZF" in o["team_code"]]
        with (demo / "teams.csv").open(encoding="utf-8") as f:
            self.squads = {t["township_code"]: t["name"] for t in csv.DictReader(f) if t["kind"] == "squad"}

    def place(self) -> dict:
        return self.rng.choice(self.places)

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + "".join(str(self.rng.randrange(10)) for _ in range(8))

    def moment(self, day_span: int = 4, hours: tuple[int, int] = (7, 23)) -> datetime:
        day = DAY0 + timedelta(days=self.rng.randrange(day_span))
        return day + timedelta(hours=self.rng.randrange(*hours), minutes=self.rng.randrange(60),
                               seconds=self.rng.randrange(60))

    def complaint(self, item: str, place: dict) -> str:
        return self.rng.choice(COMPLAINTS[item]).format(p=place["name"])

    def cell(self, place: dict) -> str | None:
        x, y = convert(float(place["lon"]), float(place["lat"]), "wgs84", "EPSG:4548")
        return self.cells.get((math.floor(float(x) / 100), math.floor(float(y) / 100), place["community_code"]))

    def spoken_address(self, place: dict) -> str:
        """The address as a caller says it: with or without the district, with a landmark word."""
        address = place["address"]
        if place["kind"] == "intersection":
            address = f"{self.township_names[place['township_code']]}{place['name']}"
        style = self.rng.randrange(4)
        if style == 0:
            return address
        if style == 1:
            return address.removeprefix("同安区")
        if style == 2:
            return f"{address}{self.rng.choice(['附近', '旁边', '对面', '门口', '楼下'])}"
        return f"厦门市{address}往{self.rng.choice('东南西北')}{self.rng.choice([30, 50, 100])}米"


def wordings(channel: str) -> dict[str, list[str]]:
    """Item → the channel's wordings for it, from category_mappings.yaml (so the samples map)."""
    import yaml

    table = yaml.safe_load((HERE.parents[1] / "data/sources/category_mappings.yaml").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for text, item in (table[channel].get("wording") or {}).items():
        if item in COMPLAINTS:
            found.setdefault(item, []).append(text)
    return found


# ------------------------------------------------------------------------------------------------ 12345

HOTLINE_HEADER = ["工单编号", "来电时间", "来电号码", "来电人", "诉求类型", "诉求内容", "事发地址", "紧急程度",
                  "承办单位", "办理时限"]
ITEM_NAMES = {"ZF001": "占道经营", "ZF002": "店外经营", "ZF004": "违规户外广告", "ZF005": "违规张贴小广告",
              "ZF007": "乱堆物料", "ZF008": "违规倾倒垃圾", "ZF010": "露天烧烤", "ZF011": "餐饮油烟",
              "ZF012": "违规焚烧", "ZF013": "施工扬尘", "ZF015": "噪声扰民", "ZF016": "夜间施工",
              "ZF017": "违法建设", "ZF018": "违规搭建棚亭", "ZF019": "建筑垃圾（渣土）违规运输", "ZF022": "破坏绿地",
              "ZF023": "人行道违法停车", "ZF024": "共享单车乱停放", "ZF032": "堵塞消防通道", "ZF033": "消防安全隐患",
              "ZF042": "违规设置地桩地锁"}
DOMAIN_PATH = {"ZF001": "城市管理-市容环境", "ZF002": "城市管理-市容环境", "ZF007": "城市管理-市容环境",
               "ZF008": "城市管理-环境卫生", "ZF015": "生态环境-噪声污染", "ZF017": "城乡建设-违法建设",
               "ZF023": "交通管理-停车秩序"}


def hotline_rows(world: World, prefix: str, count: int, day_offset: int) -> list[dict]:
    words = wordings("hotline_12345")
    rows = []
    for n in range(1, count + 1):
        place = world.place()
        item = world.rng.choice(sorted(COMPLAINTS))
        choice = world.rng.randrange(3)
        if choice == 0 and item in DOMAIN_PATH:
            category = f"{DOMAIN_PATH[item]}-{ITEM_NAMES[item]}"
        elif choice == 1 and item in words:
            category = world.rng.choice(words[item])
        else:
            category = ITEM_NAMES[item]
        called = world.moment() + timedelta(days=day_offset)
        anonymous = world.rng.random() < 0.12
        urgency = world.rng.choices(["一般", "紧急", "特急"], weights=[7, 2, 1])[0]
        rows.append({
            "工单编号": f"{prefix}{called:%Y%m%d}{n:04d}",
            "来电时间": called,
            "来电号码": world.phone() if world.rng.random() > 0.08 else f"0592-{world.rng.randrange(2000000, 7999999)}",
            "来电人": "匿名" if anonymous else world.person() + world.rng.choice(["", "", "先生", "女士"]),
            "诉求类型": category,
            "诉求内容": f"市民来电反映：{world.complaint(item, place)}，请相关部门尽快处理。",
            "事发地址": world.spoken_address(place),
            "紧急程度": urgency,
            "承办单位": world.squads.get(place["township_code"], "同安区综合执法局"),
            "办理时限": "3个工作日" if urgency == "一般" else "24小时",
        })
    return rows


def write_hotline_xlsx(world: World, path: Path) -> None:
    """56 work orders; title line in row 1, header in row 2, orders from row 3; 6 bad ones."""
    import openpyxl

    rows = hotline_rows(world, "TA12345-", 56, 0)
    # deliberately bad records (sheet rows = index + 3)
    rows[4]["诉求类型"] = None                                     # row 7: missing 诉求类型
    rows[11]["诉求类型"] = "宠物走失"                                # row 14: unmapped category
    rows[11]["诉求内容"] = "市民来电称家中一只柯基犬走失，希望帮助寻找。"
    rows[19]["来电时间"] = "2026-11-31 09:15"                        # row 22: bad time
    rows[27]["事发地址"] = None                                     # row 30: missing 事发地址
    rows[35]["工单编号"] = rows[2]["工单编号"]                        # row 38: duplicate of row 5
    rows[44]["诉求类型"] = "城市管理-市容环境-其他"                    # row 47: unmapped path
    # good records with formats worth testing
    rows[8]["来电时间"] = "2026年11月3日 14:05"
    rows[15]["来电时间"] = "2026/11/4 下午3:20"
    rows[23]["来电号码"] = 13959201234                               # row 26: a phone typed into a numeric cell
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "工单"
    sheet.append(["同安区12345热线工单导出（综合执法类） 导出时间：2026-11-06 08:00"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HOTLINE_HEADER))
    sheet.append(HOTLINE_HEADER)
    for row in rows:
        sheet.append([row[h] for h in HOTLINE_HEADER])
    for cell in sheet["B"][2:]:
        if isinstance(cell.value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    notes = book.create_sheet("说明")
    notes.append(["本表由12345热线平台导出，仅含派往同安区各镇街综合执法的工单。"])
    fixed = datetime(2026, 11, 6, 8, 0, 0)
    book.properties.created = book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_stable_zip(buffer.getvalue()))


def write_hotline_csv(world: World, path: Path) -> None:
    """52 work orders in GBK, as an older export writes them; 5 bad ones and one mangled phone."""
    rows = hotline_rows(world, "TA12345-", 52, 4)
    lines: list[bytes] = []
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(HOTLINE_HEADER)
    lines.append(out.getvalue().encode("gbk"))
    for n, row in enumerate(rows, start=2):  # file row numbers: header = 1
        called = row["来电时间"]
        row["来电时间"] = f"{called:%Y/%m/%d %H:%M:%S}" if n % 2 else f"{called.year}-{called.month}-{called.day} {called:%H:%M}"
        if n == 9:
            row["来电号码"] = "1.38123E+10"                        # good, but the phone is lost: a note
        if n == 17:
            row["诉求类型"] = "物业纠纷"                             # unmapped (known, no enforcement item)
            row["诉求内容"] = "市民来电反映小区物业收费不透明，要求查处。"
        if n == 25:
            row["来电时间"] = "2026/11/7 25:10"                      # hour 25
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow([_cell_text(row[h]) for h in HOTLINE_HEADER])
        text = out.getvalue()
        if n == 33:  # a row pasted from a UTF-8 file: its Chinese is not GBK
            lines.append(text.encode("utf-8"))
            continue
        if n == 41:  # an unquoted comma in the complaint shifts the columns after it
            text = text.replace("，请相关部门", ",请相关部门", 1)
        lines.append(text.encode("gbk"))
    path.write_bytes(b"".join(lines))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


# ------------------------------------------------------------------------------------------------ 12319

DCM_HEADER = ["案卷号", "问题来源", "案件类型", "大类代码", "大类名称", "小类代码", "小类名称", "问题描述", "位置描述",
              "X坐标", "Y坐标", "单元网格", "上报时间", "监督员", "照片"]


def write_dcm(world: World, path: Path) -> None:
    """55 cases, UTF-8 with BOM (Excel opens it); 6 bad ones, 3 in surveying X/Y order, 1 zone-prefixed."""
    import yaml

    table = yaml.safe_load((HERE.parents[1] / "data/sources/category_mappings.yaml").read_text(encoding="utf-8"))
    codes = [(kind, major, minor, entry["name"], sub["name"])
             for kind, majors in table["dcm_12319"].items() for major, entry in majors.items()
             for minor, sub in entry["小类"].items() if sub["item"]]
    supervisors = [(world.person(), f"JD{world.rng.randrange(100, 999):04d}") for _ in range(8)]
    rows = []
    for n in range(1, 56):
        place = world.place()
        kind, major, minor, major_name, minor_name = world.rng.choice(codes)
        x, y = convert(float(place["lon"]), float(place["lat"]), "wgs84", "EPSG:4548")
        reported = world.moment(hours=(8, 18))
        name, staff = world.rng.choice(supervisors)
        rows.append({
            "案卷号": f"{reported:%Y%m%d}{n:05d}",
            "问题来源": world.rng.choices(["监督员上报", "公众举报", "视频发现"], weights=[7, 2, 1])[0],
            "案件类型": kind, "大类代码": major, "大类名称": major_name, "小类代码": minor, "小类名称": minor_name,
            "问题描述": f"{place['name']}{minor_name}" if kind == "部件" else f"{place['name']}附近{minor_name}",
            "位置描述": place["address"],
            "X坐标": f"{float(x):.2f}", "Y坐标": f"{float(y):.2f}",
            "单元网格": world.cell(place) or "",
            "上报时间": f"{reported:%Y-%m-%d %H:%M:%S}",
            "监督员": f"{name}({staff})",
            "照片": ";".join(f"http://12319.xmta.example/photo/{reported:%Y%m%d}/{n:05d}_{k}.jpg" for k in (1, 2)),
        })
    # surveying order (X = northing) on rows 4, 12, 20 — good records with a note
    for i in (2, 10, 18):
        rows[i]["X坐标"], rows[i]["Y坐标"] = rows[i]["Y坐标"], rows[i]["X坐标"]
    rows[30]["X坐标"] = f"39{float(rows[30]['X坐标']):.2f}"           # row 32: zone-prefixed easting, good
    rows[6].update({"案件类型": "事件", "大类代码": "09", "大类名称": "其他", "小类代码": "99", "小类名称": "其他"})  # row 8
    rows[14].update({"案件类型": "事件", "大类代码": "04", "大类名称": "突发事件", "小类代码": "01",
                     "小类名称": "路面塌陷"})                          # row 16: known, unmapped
    rows[22].update({"X坐标": "616350.2O", "Y坐标": "2736635.4"})   # row 24: letter O for zero
    rows[28]["上报时间"] = ""                                       # row 30: missing 上报时间
    lon, lat = float(world.places[0]["lon"]), float(world.places[0]["lat"])
    rows[38].update({"X坐标": f"{lon:.6f}", "Y坐标": f"{lat:.6f}"})  # row 40: degrees in the metre columns
    rows[46]["案件类型"] = "设施"                                    # row 48: no such 案件类型
    rows[51].update({"X坐标": "", "Y坐标": ""})                     # row 53: no X/Y, address only: good
    out = io.StringIO()
    writer = csv.DictWriter(out, DCM_HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


# ---------------------------------------------------------------------------------------------- grid worker


def write_grid_worker(world: World, path: Path) -> None:
    """55 reports in the app's envelope; GCJ-02 from Amap mostly, some WGS-84 and BD-09; 7 bad ones."""
    words = wordings("grid_worker")
    communities = sorted({p["community_code"] for p in world.places})
    workers = [(f"WG{code}-{k:02d}", code, world.person(), world.phone())
               for code in world.rng.sample(communities, 12) for k in (1, 2)]
    records = []
    for n in range(1, 56):
        worker_id, community, worker_name, worker_phone = world.rng.choice(workers)
        place = world.rng.choice([p for p in world.places if p["community_code"] == community])  # own community
        item = world.rng.choice(sorted(words))
        crs = world.rng.choices(["gcj02", "wgs84", "bd09"], weights=[6, 2, 2])[0]
        lon, lat = convert(float(place["lon"]), float(place["lat"]), "wgs84", crs)
        reported = world.moment(hours=(8, 19))
        record = {
            "id": f"WG-{reported:%Y%m%d}-{n:04d}",
            "reported_at": f"{reported:%Y-%m-%dT%H:%M:%S}+08:00",
            "worker": {"id": worker_id, "name": worker_name, "phone": worker_phone},
            "cell_code": world.cell(place),
            "category": world.rng.choice(words[item]),
            "description": world.complaint(item, place),
            "location": {"lon": round(float(lon), 6), "lat": round(float(lat), 6), "crs": crs,
                         "accuracy_m": world.rng.choice([5, 8, 12, 15, 25])},
            "address": place["address"],
            "photos": [f"https://wgy.xmta.example/img/{reported:%Y%m%d}/{n:04d}-{k}.jpg"
                       for k in range(1, world.rng.choice((2, 3, 4)))],
            "urgent": world.rng.random() < 0.1,
        }
        if n % 9 == 0:
            record["reported_at"] = int(reported.replace(tzinfo=SHANGHAI).timestamp() * 1000)  # epoch ms
        records.append(record)
    records[3]["location"]["crs"] = "bd09mc"                          # record 4
    del records[9]["location"]["crs"]                                 # record 10
    records[15]["location"]["lon"] = "118.15x"                        # record 16
    loc = records[21]["location"]
    loc["lon"], loc["lat"] = loc["lat"], loc["lon"]                   # record 22: swapped
    del records[27]["reported_at"]                                    # record 28
    records[33]["category"] = "邻里纠纷"                               # record 34: known, no item
    records[39]["location"] = {"lon": 0, "lat": 0, "crs": "wgs84"}    # record 40: no fix, but an address: good
    records[45]["location"] = {"lon": 0, "lat": 0, "crs": "wgs84"}    # record 46: no fix and no address
    records[45]["address"] = ""
    document = {"code": 0, "msg": "success", "data": {"total": len(records), "list": records}}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------------- 110


def write_police(world: World, path: Path) -> None:
    """52 transfers as JSON Lines; BD-09 points or addresses only; 6 bad ones (one line broken)."""
    words = wordings("police_110")
    stations = {code: f"{name.removesuffix('街道').removesuffix('镇')}派出所" for code, name in world.township_names.items()}
    lines = []
    for n in range(1, 53):
        place = world.place()
        item = world.rng.choice(sorted(words))
        call = world.moment(hours=(0, 24))
        transfer = call + timedelta(minutes=world.rng.randrange(3, 25))
        record = {
            "transfer_no": f"FL350212{call:%Y%m%d}{n:05d}",
            "incident_no": f"J350212{call:%Y%m%d}{world.rng.randrange(1000, 9999)}",
            "call_time": f"{call:%Y-%m-%d %H:%M:%S}",
            "transfer_time": f"{transfer:%Y-%m-%d %H:%M:%S}",
            "category": world.rng.choice(words[item]),
            "content": f"报警人称{world.complaint(item, place)}。",
            "caller": {"name": world.person(), "phone": world.phone()},
            "address": place["address"],
            "level": world.rng.choices(["一般", "紧急"], weights=[8, 2])[0],
            "police_station": stations[place["township_code"]],
        }
        if world.rng.random() < 0.7:
            lon, lat = convert(float(place["lon"]), float(place["lat"]), "wgs84", "bd09")
            record["location"] = {"lng": round(float(lon), 6), "lat": round(float(lat), 6), "coord_type": "bd09ll"}
        lines.append(record)
    lines[5]["location"] = {"lng": 13152345.12, "lat": 2844521.77, "coord_type": "bd09mc"}  # line 6
    lines[12]["category"] = "家庭纠纷"                                                        # line 13
    del lines[19]["transfer_no"]                                                             # line 20
    lines[26].pop("location", None)                                                          # line 27
    lines[26]["address"] = ""
    lines[33]["transfer_time"] = "2026-11-03 24:30:00"                                       # line 34
    text = [json.dumps(record, ensure_ascii=False) for record in lines]
    text[40] = text[40][: len(text[40]) // 2]                                                # line 41: cut off
    path.write_text("\n".join(text) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------------------- patrol


def write_patrol(world: World, path: Path) -> None:
    """50 findings posted by the phone page; WGS-84 GPS; 5 bad ones, one imprecise fix."""
    records = []
    for n in range(1, 51):
        officer = world.rng.choice(world.officers)
        township = officer["team_code"][:9]
        place = world.rng.choice([p for p in world.places if p["township_code"] == township])  # on their beat
        item = world.rng.choice(sorted(COMPLAINTS))
        found = world.moment(hours=(8, 21))
        submitted = found + timedelta(minutes=world.rng.randrange(1, 15), seconds=world.rng.randrange(60))
        team = officer["team_code"]
        records.append({
            "finding_id": f"XC-{team}-{found:%Y%m%d}-{n:03d}",
            "officer": {"code": officer["code"], "name": officer["name"]},
            "team_code": team,
            "found_at": f"{found:%Y-%m-%dT%H:%M:%S}+08:00",
            "submitted_at": f"{submitted:%Y-%m-%dT%H:%M:%S}+08:00",
            "item_code": item if n % 4 else ITEM_NAMES[item],
            "description": world.complaint(item, place),
            "gps": {"lon": round(float(place["lon"]) + world.rng.uniform(-2e-4, 2e-4), 7),
                    "lat": round(float(place["lat"]) + world.rng.uniform(-2e-4, 2e-4), 7),
                    "accuracy": round(world.rng.uniform(4, 30), 1)},
            "address": place["address"],
            "photos": [f"/media/patrol/{found:%Y/%m/%d}/XC-{n:03d}-{k}.jpg" for k in (1, 2)],
            "priority": world.rng.choice([2, 3, 3, 3]),
        })
    records[6]["item_code"] = "ZF099"                                  # record 7
    records[13]["gps"] = {"lon": None, "lat": None, "accuracy": None}  # record 14
    records[13]["address"] = ""
    records[20]["submitted_at"] = "2026-11-03T25:00:00+08:00"          # record 21
    records[27]["finding_id"] = records[26]["finding_id"]              # record 28: duplicate of 27
    records[34]["gps"]["lon"] = "118.1.2"                              # record 35
    records[41]["gps"]["accuracy"] = 350.0                             # record 42: good, imprecise
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------------- generic CSV

GENERIC_HEADER = ["序号", "督查编号", "发现时间", "问题类型", "问题描述", "点位", "经度", "纬度", "督查人", "联系电话",
                  "整改期限"]
GENERIC_WORDS = {"ZF008": ["乱扔垃圾", "垃圾暴露"], "ZF024": ["非机动车乱停"], "ZF001": ["占道摆卖"],
                 "ZF007": ["楼道堆物"], "ZF005": ["小广告"], "ZF023": ["乱停车"], "ZF011": ["餐饮油烟"]}


def write_generic(world: World, path: Path) -> None:
    """51 rows of a 文明城市 volunteer inspection sheet, UTF-8; 4 bad ones."""
    rows = []
    for n in range(1, 52):
        place = world.place()
        item = world.rng.choice(sorted(GENERIC_WORDS))
        found = world.moment(hours=(8, 17))
        with_point = world.rng.random() < 0.6
        rows.append({
            "序号": n, "督查编号": f"WMDC-2026-{n:04d}", "发现时间": f"{found:%Y.%m.%d %H:%M}",
            "问题类型": world.rng.choice(GENERIC_WORDS[item]),
            "问题描述": world.complaint(item, place) if item in COMPLAINTS else "",
            "点位": place["address"].removeprefix("同安区"),
            "经度": place["lon"] if with_point else "", "纬度": place["lat"] if with_point else "",
            "督查人": world.person(), "联系电话": world.phone(), "整改期限": "3天",
        })
    rows[7]["问题类型"] = "文明用语不规范"                      # row 9: unmapped
    rows[15]["经度"] = "东经118.14"                            # row 17: not a number
    rows[15]["纬度"] = rows[15]["纬度"] or "24.72"
    rows[23]["问题类型"] = ""                                   # row 25: missing 问题类型
    rows[31]["发现时间"] = "11月3日上午"                         # row 33: no year
    out = io.StringIO()
    writer = csv.DictWriter(out, GENERIC_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


# ------------------------------------------------------------------------------- history (old platform)

HISTORY_HEADER = ["序号", "案件编号", "问题来源", "问题类别", "问题描述", "发生地址", "经度", "纬度", "紧急程度",
                  "上报时间", "受理时间", "派遣时间", "处置时间", "结案时间", "处置时限", "处置单位", "处置结果",
                  "案件状态", "不予受理原因"]
HISTORY_SOURCES = ("监督员上报", "12345热线", "12319热线", "公众举报", "巡查发现")
TOWNSHIP_ITEMS = ("ZF001", "ZF002", "ZF005", "ZF007", "ZF008", "ZF011", "ZF018", "ZF022", "ZF023", "ZF024",
                  "ZF042")
DEPARTMENT_ITEMS = ("ZF015", "ZF028")  # 噪声扰民, 无照经营: where the 事项清单 sends them to 公安, 市场监管
HISTORY_ITEM_NAMES = {**ITEM_NAMES, "ZF028": "无照经营"}
HISTORY_COMPLAINTS = {**COMPLAINTS, "ZF028": ["{p}附近有一家无照经营的小吃店", "{p}旁边有人无证无照开设废品收购站"]}
HANDLING_NOTES = ("已现场责令整改，当事人已自行清理", "已劝离并清理现场", "已立案查处，责令限期改正",
                  "已整改到位，现场恢复原状", "已教育劝导，当事人承诺不再发生")
DEPARTMENT_UNITS = {"公安": "派出所", "市场监管": "市场监管所"}
HOLIDAYS_2024_2025 = (  # 国务院办公厅节假日安排: the sample keeps off them (work_calendar.yaml may add those years)
    ("2024-01-01", "2024-01-01"), ("2024-02-10", "2024-02-18"), ("2024-04-04", "2024-04-07"),
    ("2024-05-01", "2024-05-05"), ("2024-06-10", "2024-06-10"), ("2024-09-15", "2024-09-17"),
    ("2024-10-01", "2024-10-07"), ("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"),
    ("2025-04-04", "2025-04-06"), ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"),
    ("2025-10-01", "2025-10-08"))


def _plain_workday(day: datetime) -> bool:
    text = f"{day:%Y-%m-%d}"
    return day.isoweekday() <= 5 and not any(a <= text <= b for a, b in HOLIDAYS_2024_2025)


def _workday_after(day: datetime, n: int) -> datetime:
    """The ``n``-th plain working day after ``day`` (same clock time)."""
    while n > 0:
        day += timedelta(days=1)
        n -= _plain_workday(day)
    return day


def write_history(demo: Path, path: Path) -> None:
    """64 cases of an old 数字城管 platform, 2024–2025, UTF-8 with BOM, GCJ-02 points; 7 contradictory rows."""
    rng = random.Random(SEED + 9)
    with (demo / "places.csv").open(encoding="utf-8") as f:
        places = [p for p in csv.DictReader(f) if p["kind"] in ("poi", "compound", "building")]
    with (demo / "teams.csv").open(encoding="utf-8") as f:
        teams = list(csv.DictReader(f))
    sub_squads: dict[str, list[str]] = {}
    units: dict[tuple[str, str], str] = {}
    for team in teams:
        if team["kind"] == "sub_squad":
            sub_squads.setdefault(team["township_code"], []).append(team["name"])
        elif team["kind"] == "department_unit":
            units[(team["township_code"], team["department"])] = team["name"]
    with (demo / "authority.csv").open(encoding="utf-8") as f:
        authority = {(a["township_code"], a["item_code"]): a for a in csv.DictReader(f)}
    rows = []
    plan = (["closed"] * 40 + ["archived"] * 6 + ["transferred_closed"] * 6 + ["rejected"] * 4
            + ["dispatched", "in_progress", "accepted", "reported"] + ["late"] * 4)
    rng.shuffle(plan)
    day = datetime(2024, 1, 8)
    for n, kind in enumerate(plan, start=1):
        day += timedelta(days=rng.randrange(6, 14))
        while not _plain_workday(day):
            day += timedelta(days=1)
        place = rng.choice(places)
        department_case = kind == "transferred_closed"
        acts = [i for i in (DEPARTMENT_ITEMS if department_case else TOWNSHIP_ITEMS)  # as its 事项清单 says
                if (authority[(place["township_code"], i)]["authority"] == "部门") == department_case]
        item = rng.choice(acts)
        urgent = rng.random() < 0.2
        reported = day + timedelta(hours=rng.randrange(8, 16), minutes=rng.randrange(60))
        accepted = reported + timedelta(minutes=rng.randrange(5, 80))
        dispatched = accepted + timedelta(minutes=rng.randrange(5, 50))
        limit_days = 1 if urgent else rng.choice((1, 2, 3))
        deadline = _workday_after(accepted, limit_days).replace(hour=17, minute=30, second=0)
        late = kind == "late" or rng.random() < 0.12
        if late:  # handled on a working day after the deadline's
            handled = _workday_after(deadline, rng.choice((1, 2))).replace(hour=rng.randrange(9, 16),
                                                                          minute=rng.randrange(60))
        else:  # on a working day up to the deadline's, in office hours
            days = [d for d in range((deadline.date() - dispatched.date()).days + 1)
                    if _plain_workday(dispatched + timedelta(days=d))]
            handled = (dispatched + timedelta(days=rng.choice(days))).replace(hour=rng.randrange(9, 17),
                                                                               minute=rng.randrange(60))
            handled = min(max(handled, dispatched + timedelta(minutes=30)), deadline - timedelta(minutes=10))
        closed = _workday_after(handled, rng.choice((0, 1, 1, 2))).replace(hour=rng.randrange(9, 18),
                                                                          minute=rng.randrange(60))
        closed = max(closed, handled + timedelta(minutes=20))
        township = place["township_code"]
        if department_case:
            department = authority[(township, item)]["department"]
            unit = units.get((township, department)) or ("同安区市场监督管理局" if department == "市场监管"
                                                         else "厦门市公安局同安分局")
            result = "已转交部门依法处理，部门已反馈处理结果"
        else:
            unit = rng.choice(sub_squads[township])
            result = rng.choice(HANDLING_NOTES)
        lon, lat = convert(float(place["lon"]), float(place["lat"]), "wgs84", "gcj02")
        status = {"closed": "已结案", "late": "已结案", "transferred_closed": "已结案", "archived": "已归档",
                  "rejected": "不予受理", "dispatched": "已派遣", "in_progress": "处置中", "accepted": "已受理",
                  "reported": "待受理"}[kind]
        row = {
            "序号": n, "案件编号": f"TASZCG{reported:%Y%m%d}{n:04d}", "问题来源": rng.choice(HISTORY_SOURCES),
            "问题类别": HISTORY_ITEM_NAMES[item], "问题描述": rng.choice(HISTORY_COMPLAINTS[item]).format(p=place["name"]),
            "发生地址": place["address"], "经度": f"{float(lon):.6f}", "纬度": f"{float(lat):.6f}",
            "紧急程度": "紧急" if urgent else "一般", "上报时间": f"{reported:%Y-%m-%d %H:%M:%S}",
            "受理时间": f"{accepted:%Y-%m-%d %H:%M:%S}", "派遣时间": f"{dispatched:%Y-%m-%d %H:%M:%S}",
            "处置时间": f"{handled:%Y-%m-%d %H:%M:%S}", "结案时间": f"{closed:%Y-%m-%d %H:%M:%S}",
            "处置时限": f"{deadline:%Y-%m-%d %H:%M}", "处置单位": unit, "处置结果": result, "案件状态": status,
            "不予受理原因": "",
        }
        if kind == "rejected":
            row.update(派遣时间="", 处置时间="", 结案时间="", 处置时限="", 处置单位="", 处置结果="",
                       不予受理原因=rng.choice(("重复上报", "非本辖区", "无效信息", "非执法事项")))
        elif kind in ("dispatched", "in_progress"):
            row.update(处置时间="", 结案时间="", 处置结果="")
        elif kind == "accepted":
            row.update(派遣时间="", 处置时间="", 结案时间="", 处置单位="", 处置结果="")
        elif kind == "reported":
            row.update(受理时间="", 派遣时间="", 处置时间="", 结案时间="", 处置时限="", 处置单位="", 处置结果="")
        rows.append(row)
    # the contradictions an old platform's export holds (listed in README.md), on closed township cases
    closed = iter(k for k, kind in enumerate(plan) if kind == "closed" and k % 7 == 4)
    clock = "%Y-%m-%d %H:%M:%S"
    row = rows[next(closed)]  # closed before it was reported
    row["结案时间"] = f"{datetime.strptime(row['上报时间'], clock) - timedelta(days=3):{clock}}"
    row = rows[next(closed)]  # handled before it was dispatched
    row["处置时间"] = f"{datetime.strptime(row['派遣时间'], clock) - timedelta(minutes=3):{clock}}"
    row = rows[next(closed)]  # a typo in the year: closed in the future
    row["结案时间"] = "2052" + row["结案时间"][4:]
    rows[next(closed)]["处置时间"] = ""  # closed, but no handling time
    row = rows[next(closed)]  # a squad that does not exist
    row["处置单位"] = row["处置单位"][:-3] + "九中队"
    row = rows[next(closed)]  # noise is the police's (事项清单: 部门 → 公安), not a township squad's
    row.update(问题类别="噪声扰民", 问题描述=HISTORY_COMPLAINTS["ZF015"][1].format(p=row["发生地址"][5:]))
    row = rows[next(k for k, kind in enumerate(plan) if kind == "rejected")]  # rejected without a reason
    row["不予受理原因"] = ""
    out = io.StringIO()
    writer = csv.DictWriter(out, HISTORY_HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def _stable_zip(data: bytes) -> bytes:
    """The workbook with fixed entry times, so that rebuilding it gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 6, 8, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time as "modified"
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-06T08:00:00Z", content)
            target.writestr(entry, content)
    return out.getvalue()


if __name__ == "__main__":
    main()
