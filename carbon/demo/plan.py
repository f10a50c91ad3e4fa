"""The demo city's annual plan: register, sector targets, and per-enterprise annual quantities.

Pure logic, no I/O. Everything is derived from the seed with numpy generators keyed by a stream
name (``rng(seed, "register")``), so each part is reproducible on its own.

Calibration: the city's Scope-1 CO2 is ``TARGET_TCO2_PER_YEAR`` (CEADs 2019 Yancheng 44.99 Mt),
split over the 47 CEADs sectors × fuels in the proportions of Jiangsu's CEADs 2019 inventory
(``carbon.demo.ceads``). Process CO2 (cement clinker, lime) takes Jiangsu's process share; crude
steel's carbonate-flux process CO2 is taken out of the ferrous sector's combustion so the sector
total keeps its share. Each sector × fuel target is split over the sector's reporting enterprises,
each held to the plausibility bound of its industry (``carbon.demo.bounds``: what one plant of its
kind can emit, use and buy in a year); what no reporter burns (households, agriculture,
construction, sectors with no reporter at the scale) or what exceeds the bounds of the sector's
reporters (at ``tiny``: most of road transport) stays in the top-down balance only.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from carbon.demo.bounds import bound_of
from carbon.demo.ceads import jiangsu2019
from carbon.demo.factors import FUEL_REMAP, PROCESS_FACTORS, TARGET_TCO2_PER_YEAR, TCO2_PER_UNIT
from carbon.domain import codes

CITY = "320900"
PROVINCE = "320000"
# the nine county-level divisions under the city, in GB/T 2260 order (carbon/domain/data/gbt2260_regions.csv)
COUNTIES: tuple[str, ...] = tuple(
    codes.regions().query("parent_code == @CITY and level == 'county'")["region_code"]
)

# 2025 resident population (persons) and GDP (10^4 CNY) by county: Yancheng ≈ 6.69 M, ≈ 7,400 亿元
COUNTY_STATS: dict[str, tuple[int, float]] = {
    "320902": (960_000, 10_900_000.0),  # 亭湖区
    "320903": (730_000, 8_300_000.0),  # 盐都区
    "320904": (640_000, 8_200_000.0),  # 大丰区
    "320921": (480_000, 4_500_000.0),  # 响水县
    "320922": (900_000, 6_700_000.0),  # 滨海县
    "320923": (800_000, 6_500_000.0),  # 阜宁县
    "320924": (770_000, 7_300_000.0),  # 射阳县
    "320925": (640_000, 7_200_000.0),  # 建湖县
    "320981": (770_000, 13_800_000.0),  # 东台市
}
JIANGSU_2025 = (85_260_000, 1_440_000_000.0)  # persons, 10^4 CNY (≈ 14.4 万亿元)
COASTAL = ("320904", "320921", "320922", "320924", "320981")
URBAN_CORE = ("320902", "320903")


def rng(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator for one named stream of the seed (stable across runs and Python hashes)."""
    parts = [int(seed)]
    for k in keys:
        parts.append(k if isinstance(k, int) else zlib.crc32(str(k).encode()))
    return np.random.default_rng(parts)


@dataclass(frozen=True)
class Industry:
    code: str
    counts: tuple[int, int, int]  # tiny, small, city
    account_type: str  # enterprise / datacenter / public
    fuel_size: float  # relative per-firm Scope-1 size inside its CEADs sector (city counts)
    fuels: tuple[str, ...] | None  # fuels it may report (None: all of its sector's fuels)
    gwh: float  # typical grid electricity per firm at city scale, GWh/yr
    product: (
        str | None
    )  # main product code (carbon.domain.units.PRODUCTS), None: no activity report
    price: float  # 10^4 CNY per unit of product
    va_ratio: float  # value added / output value
    out_per_mwh: float  # 10^4 CNY output per MWh of electricity (products derived from output)
    counties: tuple[str, ...] | None  # where firms sit (None: by population)
    suffix: str
    uscc_prefix: str = "91"  # registration authority + kind (91 = enterprise)


_COAL_POWER = ("raw_coal", "natural_gas", "diesel", "fuel_oil")
_I = Industry
INDUSTRIES: tuple[Industry, ...] = (
    _I(
        "4411",
        (2, 3, 6),
        "enterprise",
        1.0,
        _COAL_POWER,
        20,
        "electricity",
        0.039,
        0.25,
        0,
        COASTAL,
        "发电有限公司",
    ),
    _I(
        "4412",
        (2, 6, 20),
        "enterprise",
        0.35,
        None,
        10,
        "electricity",
        0.039,
        0.25,
        0,
        None,
        "热电有限公司",
    ),
    _I(
        "4415",
        (2, 8, 40),
        "enterprise",
        0.0,
        (),
        1,
        "electricity",
        0.045,
        0.6,
        0,
        COASTAL,
        "风力发电有限公司",
    ),
    _I(
        "4416",
        (2, 10, 80),
        "enterprise",
        0.0,
        (),
        0.3,
        "electricity",
        0.04,
        0.6,
        0,
        COASTAL,
        "光伏发电有限公司",
    ),
    _I(
        "4430",
        (0, 2, 6),
        "enterprise",
        0.1,
        ("raw_coal", "natural_gas"),
        5,
        "heat",
        0.006,
        0.2,
        0,
        None,
        "热力有限公司",
    ),
    _I(
        "3110",
        (1, 1, 2),
        "enterprise",
        1.0,
        None,
        600,
        "pig_iron",
        0.30,
        0.12,
        0,
        ("320922", "320904"),
        "钢铁有限公司",
    ),
    _I(
        "3120",
        (1, 2, 3),
        "enterprise",
        0.6,
        None,
        800,
        "crude_steel",
        0.38,
        0.15,
        0,
        ("320922", "320904"),
        "特钢有限公司",
    ),
    _I(
        "3130",
        (1, 4, 15),
        "enterprise",
        0.05,
        ("natural_gas", "coke_oven_gas", "diesel"),
        80,
        "steel_products",
        0.42,
        0.1,
        0,
        None,
        "钢材加工有限公司",
    ),
    _I(
        "3011",
        (2, 3, 6),
        "enterprise",
        1.0,
        None,
        120,
        "clinker",
        0.03,
        0.3,
        0,
        None,
        "水泥有限公司",
    ),
    _I(
        "3012",
        (1, 2, 8),
        "enterprise",
        0.15,
        ("raw_coal", "natural_gas", "coke"),
        10,
        "lime",
        0.05,
        0.3,
        0,
        None,
        "石灰有限公司",
    ),
    _I(
        "3041",
        (0, 1, 2),
        "enterprise",
        0.8,
        ("natural_gas", "fuel_oil", "coke_oven_gas"),
        150,
        "flat_glass",
        0.15,
        0.25,
        0,
        None,
        "玻璃有限公司",
    ),
    _I(
        "2614",
        (1, 8, 50),
        "enterprise",
        0.5,
        None,
        30,
        "other",
        1.0,
        0.25,
        1.0,
        ("320921", "320922"),
        "化工有限公司",
    ),
    _I(
        "2621",
        (1, 2, 4),
        "enterprise",
        2.0,
        None,
        150,
        "ammonia",
        0.3,
        0.2,
        0,
        ("320921", "320922"),
        "化肥有限公司",
    ),
    _I(
        "2651",
        (1, 6, 40),
        "enterprise",
        0.3,
        None,
        25,
        "other",
        1.0,
        0.25,
        1.5,
        ("320921", "320922"),
        "新材料有限公司",
    ),
    _I(
        "2511",
        (0, 1, 2),
        "enterprise",
        1.0,
        None,
        200,
        "other",
        1.0,
        0.15,
        3.0,
        ("320922",),
        "石化有限公司",
    ),
    _I(
        "1711",
        (2, 15, 150),
        "enterprise",
        1.0,
        None,
        12,
        "yarn",
        2.5,
        0.22,
        1.2,
        ("320925", "320923", "320981"),
        "纺织有限公司",
    ),
    _I(
        "1713",
        (1, 8, 80),
        "enterprise",
        1.5,
        None,
        10,
        "fabric",
        8.0,
        0.25,
        0.8,
        ("320925", "320923", "320981"),
        "印染有限公司",
    ),
    _I(
        "1311", (0, 5, 40), "enterprise", 1.0, None, 3, "other", 1.0, 0.2, 3.0, None, "米业有限公司"
    ),
    _I(
        "2211",
        (0, 2, 10),
        "enterprise",
        1.0,
        None,
        40,
        "other",
        1.0,
        0.25,
        0.8,
        None,
        "纸业有限公司",
    ),
    _I(
        "3411", (1, 8, 80), "enterprise", 1.0, None, 5, "other", 1.0, 0.3, 4.0, None, "锅炉有限公司"
    ),
    _I(
        "3670",
        (2, 15, 150),
        "enterprise",
        1.0,
        None,
        8,
        "auto_parts",
        1.0,
        0.25,
        4.0,
        URBAN_CORE,
        "汽车零部件有限公司",
    ),
    _I(
        "3825",
        (1, 6, 50),
        "enterprise",
        1.0,
        None,
        30,
        "pv_modules",
        80.0,
        0.2,
        2.5,
        ("320903", "320981", "320904"),
        "光伏科技有限公司",
    ),
    _I(
        "3841",
        (1, 3, 20),
        "enterprise",
        1.0,
        None,
        60,
        "batteries",
        500.0,
        0.2,
        2.0,
        URBAN_CORE,
        "新能源电池有限公司",
    ),
    _I(
        "3973",
        (1, 3, 20),
        "enterprise",
        1.0,
        None,
        80,
        "integrated_circuits",
        2.0,
        0.35,
        2.0,
        URBAN_CORE,
        "半导体有限公司",
    ),
    _I(
        "3982",
        (1, 6, 60),
        "enterprise",
        1.0,
        None,
        20,
        "pcb",
        0.05,
        0.3,
        2.5,
        URBAN_CORE,
        "电路科技有限公司",
    ),
    _I("4500", (1, 1, 3), "enterprise", 1.0, None, 2, "other", 1.0, 0.2, 5.0, None, "燃气有限公司"),
    _I(
        "4610", (0, 1, 9), "enterprise", 1.0, None, 15, "other", 1.0, 0.3, 1.5, None, "水务有限公司"
    ),
    _I(
        "5411",
        (1, 1, 9),
        "enterprise",
        3.0,
        ("diesel", "natural_gas", "gasoline"),
        10,
        None,
        0,
        0,
        0,
        None,
        "公共交通有限公司",
    ),
    _I("5431", (1, 6, 80), "enterprise", 1.0, None, 1, None, 0, 0, 0, None, "物流有限公司"),
    _I("5910", (0, 3, 30), "enterprise", 0.2, None, 2, None, 0, 0, 0, None, "仓储有限公司"),
    _I("5212", (0, 4, 40), "enterprise", 1.0, None, 3, None, 0, 0, 0, URBAN_CORE, "超市有限公司"),
    _I("6110", (0, 4, 40), "enterprise", 1.0, None, 3, None, 0, 0, 0, URBAN_CORE, "大酒店有限公司"),
    _I(
        "6450",
        (2, 2, 4),
        "datacenter",
        0.3,
        ("diesel",),
        0,
        "compute_service",
        0.3,
        0.5,
        0,
        ("320902", "320903", "320904"),
        "数据科技有限公司",
    ),
    _I(
        "8321",
        (2, 20, 300),
        "public",
        0.1,
        ("natural_gas",),
        0.6,
        None,
        0,
        0,
        0,
        None,
        "实验小学",
        "12",
    ),
    _I(
        "8411",
        (1, 5, 40),
        "public",
        1.0,
        ("natural_gas", "diesel"),
        12,
        None,
        0,
        0,
        0,
        None,
        "人民医院",
        "12",
    ),
    _I(
        "9221",
        (1, 5, 60),
        "public",
        1.0,
        ("gasoline", "diesel"),
        1.5,
        None,
        0,
        0,
        0,
        None,
        "机关事务管理局",
        "11",
    ),
)
del _I
INDUSTRY_BY_CODE = {i.code: i for i in INDUSTRIES}
SCALES = ("tiny", "small", "city")


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    households: int
    persons: int
    daily_days: int  # default length of the daily window (last N days of the window)
    dc_sites_it_mw: tuple[float, ...] = ()


SCALE_SPECS: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec("tiny", 300, 200, 31),
    "small": ScaleSpec("small", 20_000, 5_000, 31),
    "city": ScaleSpec("city", 2_500_000, 100_000, 1),
}

_FIRM_WORDS = [
    "恒泰",
    "华能",
    "鑫源",
    "天成",
    "海润",
    "东方",
    "瑞丰",
    "宏达",
    "新科",
    "盛隆",
    "远景",
    "国信",
    "苏盐",
    "丰华",
    "盈科",
    "海晨",
    "大洋",
    "振华",
    "康达",
    "金海",
    "永盛",
    "联鑫",
    "德润",
    "中恒",
    "汇通",
    "九洲",
    "明阳",
    "润邦",
    "黄海",
    "新洋",
    "通达",
    "长江",
    "弘业",
    "协鑫",
    "捷威",
    "悦达",
    "华东",
    "瀚海",
    "森茂",
    "银河",
    "金禾",
    "嘉禾",
    "宝龙",
    "锦程",
    "兴盛",
    "华润",
    "富民",
    "丹顶",
    "鹤鸣",
    "麋鹿",
    "沿海",
    "晨曦",
    "海鸥",
    "新城",
    "润达",
    "鼎盛",
    "创新",
]


@cache
def _county_names() -> dict[str, str]:
    return dict(zip(codes.regions()["region_code"], codes.regions()["name_zh"], strict=True))


@cache
def _sectors() -> dict[str, str]:
    t = codes.industries()
    return dict(zip(t["industry_code"], t["ceads_sector"], strict=True))


def county_short(code: str) -> str:
    name = _county_names()[code]
    return name[:-1] if len(name) > 2 else name


def sector_of(industry_code: str) -> str:
    return _sectors()[industry_code]


def _org_code(r: np.random.Generator) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "".join(alphabet[i] for i in r.integers(0, 31, 8))


def build_register(scale: str, seed: int) -> pd.DataFrame:
    """The enterprise register: one row per enterprise / institution, with plan weights.

    Columns: uscc, name, industry_code, region_code, account_type, ceads_sector, weight
    (lognormal share of its industry), is_datacenter.
    """
    col = SCALES.index(scale)
    r = rng(seed, "register")
    pop = np.array([COUNTY_STATS[c][0] for c in COUNTIES], dtype=float)
    rows: list[dict] = []
    seen: set[str] = set()
    names: set[str] = set()
    for ind in INDUSTRIES:
        n = ind.counts[col]
        if n == 0:
            continue
        weights = r.lognormal(0.0, 0.6, n)
        for k in range(n):
            if ind.counties:
                county = ind.counties[int(r.integers(len(ind.counties)))]
            else:
                county = COUNTIES[int(r.choice(len(COUNTIES), p=pop / pop.sum()))]
            while True:
                uscc = codes.make_uscc(county, _org_code(r), ind.uscc_prefix[0], ind.uscc_prefix[1])
                if uscc not in seen:
                    seen.add(uscc)
                    break
            short = county_short(county)
            if ind.account_type == "public":
                nth = ["第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八"][k % 8]
                base = f"{short}{nth}{ind.suffix}" if ind.code != "9221" else f"{short}{ind.suffix}"
            else:
                word = _FIRM_WORDS[int(r.integers(len(_FIRM_WORDS)))]
                base = f"{'盐城' if r.random() < 0.5 else short}{word}{ind.suffix}"
            name, j = base, 2
            while name in names:
                name, j = f"{base}（{j}）", j + 1
            names.add(name)
            rows.append(
                {
                    "uscc": uscc,
                    "name": name,
                    "industry_code": ind.code,
                    "region_code": county,
                    "account_type": ind.account_type,
                    "ceads_sector": sector_of(ind.code),
                    "weight": float(weights[k] / weights.sum()),
                    "is_datacenter": ind.account_type == "datacenter",
                }
            )
    return pd.DataFrame(rows)


def sector_fuel_targets(target: float = TARGET_TCO2_PER_YEAR) -> pd.DataFrame:
    """Annual tCO2 by CEADs sector × column (fuel codes of FUEL_FACTORS, or ``process``)."""
    j = jiangsu2019().copy()
    scale = target / (j["mt_co2"].sum() * 1e6)
    j["column"] = j["column"].map(lambda c: FUEL_REMAP.get(c, c))
    j["tco2"] = j["mt_co2"] * 1e6 * scale
    out = j.groupby(["sector", "column"], as_index=False, sort=False)["tco2"].sum()
    return out[out["tco2"] > 0].reset_index(drop=True)


@dataclass(frozen=True)
class Plan:
    """Annual plan of the city (the same every year): all quantities per year."""

    register: pd.DataFrame  # build_register(...) + annual columns (kwh, heat, ...)
    fuel: pd.DataFrame  # uscc, fuel_code, tco2, quantity (annual, in the fuel's unit)
    process: pd.DataFrame  # uscc, product_code, quantity (t), tco2
    products: (
        pd.DataFrame
    )  # uscc, product_code, quantity, output_value_10k_cny, value_added_10k_cny
    balance: pd.DataFrame  # sector, fuel_code, tco2, quantity  (top-down combustion)
    targets: pd.DataFrame  # sector, column, tco2 (after the steel-process adjustment)


CLINKER_SHARE_OF_PROCESS = 0.9  # the rest of the non-metal process CO2 is lime
STEEL_TCO2_PER_T = 1.9  # all-in ferrous-sector CO2 per t crude steel (BF-BOF route)
POWER_TCO2_PER_MWH = 0.85  # coal-fired generation
CHP_HEAT_SHARE = 0.25  # share of a CHP's CO2 that goes with exported heat
HEAT_USERS = ("1713", "1711", "2614", "2621", "2651", "2211", "1311", "3841")


def _share(df: pd.DataFrame, mask: pd.Series, col: str = "weight") -> pd.Series:
    w = df[col].where(mask, 0.0)
    total = w.sum()
    return w / total if total > 0 else w


def build_plan(scale: str, seed: int, target: float = TARGET_TCO2_PER_YEAR) -> Plan:
    reg = build_register(scale, seed)
    col = SCALES.index(scale)
    ind = reg["industry_code"].map(INDUSTRY_BY_CODE)
    # industry-level weight (city counts × per-firm size) × firm share inside its industry
    reg["fuel_w"] = [i.counts[2] * i.fuel_size * w for i, w in zip(ind, reg["weight"], strict=True)]
    reg["kwh"] = [
        min(i.counts[2] * i.gwh * 1e6 * w, bound_of(i.code).grid_gwh * 1e6)
        for i, w in zip(ind, reg["weight"], strict=True)
    ]
    targets = sector_fuel_targets(target)

    # process: cement clinker + lime take the non-metal process target; crude steel's flux CO2
    proc_rows = []
    nonmetal_proc = targets.loc[targets["column"] == "process", "tco2"].sum()
    clinker = reg["industry_code"] == "3011"
    lime = reg["industry_code"] == "3012"
    lime_share = (1 - CLINKER_SHARE_OF_PROCESS) if lime.any() else 0.0
    for mask, product, share in ((clinker, "clinker", 1 - lime_share), (lime, "lime", lime_share)):
        for idx, s in _share(reg, mask)[mask].items():
            tco2 = nonmetal_proc * share * s
            proc_rows.append((reg.at[idx, "uscc"], product, tco2 / PROCESS_FACTORS[product], tco2))
    ferrous = "Smelting and Pressing of Ferrous Metals"
    steel = reg["industry_code"] == "3120"
    ferrous_total = targets.loc[targets["sector"] == ferrous, "tco2"].sum()
    crude_total = ferrous_total / STEEL_TCO2_PER_T
    if steel.any():
        steel_proc = crude_total * PROCESS_FACTORS["crude_steel"]
        for idx, s in _share(reg, steel)[steel].items():
            qty = crude_total * s
            proc_rows.append(
                (reg.at[idx, "uscc"], "crude_steel", qty, qty * PROCESS_FACTORS["crude_steel"])
            )
        fmask = (targets["sector"] == ferrous) & (targets["column"] != "process")
        comb = targets.loc[fmask, "tco2"].sum()
        targets.loc[fmask, "tco2"] *= 1 - steel_proc / comb
    process = pd.DataFrame(proc_rows, columns=["uscc", "product_code", "quantity", "tco2"])

    # combustion: each sector × fuel target over the reporters allowed to burn that fuel, each firm
    # held to its industry's Scope-1 bound (less its process CO2); what the bounds leave over goes to
    # the sector's other reporters, and what none of them can take stays top-down only
    comb = targets[targets["column"] != "process"]
    proc_t = process.groupby("uscc")["tco2"].sum()
    headroom = (
        reg["industry_code"].map(lambda c: bound_of(c).scope1_tco2)
        - reg["uscc"].map(proc_t).fillna(0.0)
    ).clip(lower=0.0)
    fuel_rows = _capped_fuel(reg, ind, comb, headroom)
    fuel = pd.DataFrame(fuel_rows, columns=["uscc", "fuel_code", "tco2", "quantity"])
    balance = comb.rename(columns={"column": "fuel_code"}).copy()
    balance["quantity"] = balance["tco2"] / balance["fuel_code"].map(TCO2_PER_UNIT)

    products = _products(reg, fuel, process, crude_total, seed, col)
    heat = _heat(reg, fuel)
    reg = reg.merge(heat, on="uscc", how="left").fillna({"gj_purchased": 0.0, "gj_exported": 0.0})
    return Plan(reg, fuel, process, products, balance.reset_index(drop=True), targets)


def _capped_fuel(
    reg: pd.DataFrame, ind: pd.Series, comb: pd.DataFrame, headroom: pd.Series
) -> list[tuple[str, str, float, float]]:
    """Split each sector × fuel target over its allowed reporters by ``fuel_w`` (water-filling under
    each firm's ``headroom``, tCO2/yr): a firm over its bound is cut back to it, pro rata over its
    fuels, and the cut goes to the cell's firms still under theirs. Rows: uscc, fuel, tCO2, quantity."""
    cells = []
    for sector, fuel, tco2 in comb[["sector", "column", "tco2"]].itertuples(index=False):
        can_burn = np.array([(i.fuels is None or fuel in i.fuels) and i.fuel_size > 0 for i in ind])
        allowed = ((reg["ceads_sector"] == sector) & can_burn).to_numpy()
        if allowed.any():
            cells.append((sector, fuel, tco2, allowed))  # else nobody reports it: top-down only
    alloc: dict[tuple[int, str], float] = {}
    residual = {(s, f): t for s, f, t, _ in cells}
    saturated = np.zeros(len(reg), dtype=bool)
    room = headroom.to_numpy()
    for _ in range(len(reg) + 1):
        for sector, fuel, _t, allowed in cells:
            rest = residual[(sector, fuel)]
            m = pd.Series(allowed & ~saturated, index=reg.index)
            if rest <= 0 or not m.any() or reg["fuel_w"].where(m, 0.0).sum() <= 0:
                continue
            for idx, s in _share(reg, m, "fuel_w")[m].items():
                alloc[(idx, fuel)] = alloc.get((idx, fuel), 0.0) + rest * s
            residual[(sector, fuel)] = 0.0
        totals = np.zeros(len(reg))
        for (idx, _f), t in alloc.items():
            totals[reg.index.get_loc(idx)] += t
        over = (totals > room * (1 + 1e-12)) & ~saturated
        if not over.any():
            break
        for pos in np.flatnonzero(over):
            idx, keep = reg.index[pos], room[pos] / totals[pos]
            sector = reg.at[idx, "ceads_sector"]
            for (j, f), t in list(alloc.items()):
                if j == idx:
                    residual[(sector, f)] += t * (1 - keep)
                    alloc[(j, f)] = t * keep
            saturated[pos] = True
    rows = []
    for _sector, fuel, _t, allowed in cells:
        for idx in reg.index[allowed]:
            t = alloc.get((idx, fuel), 0.0)
            if t > 0:
                rows.append((reg.at[idx, "uscc"], fuel, t, t / TCO2_PER_UNIT[fuel]))
    return rows


def _heat(reg: pd.DataFrame, fuel: pd.DataFrame) -> pd.DataFrame:
    """Heat exported by CHP / heat plants and bought by heat-using industries (GJ/yr)."""
    t = fuel.groupby("uscc")["tco2"].sum()
    exp = reg[reg["industry_code"].isin(["4412", "4430"])][["uscc", "industry_code"]].copy()
    share = exp["industry_code"].map({"4412": CHP_HEAT_SHARE, "4430": 1.0})
    exp["gj_exported"] = exp["uscc"].map(t).fillna(0.0) * share / 0.11
    users = reg["industry_code"].isin(HEAT_USERS)
    total = exp["gj_exported"].sum() * 0.95  # 5 % goes to non-reporting users and losses
    buy = reg.loc[users, ["uscc"]].copy()
    buy["gj_purchased"] = total * _share(reg, users, "kwh")[users]
    # no buyer above its industry's bound: the rest goes to non-reporting users
    cap = reg.loc[users, "industry_code"].map(lambda c: bound_of(c).heat_gj)
    buy["gj_purchased"] = np.minimum(buy["gj_purchased"], cap)
    out = exp[["uscc", "gj_exported"]].merge(buy, on="uscc", how="outer")
    return out.fillna(0.0)


def _products(
    reg: pd.DataFrame,
    fuel: pd.DataFrame,
    process: pd.DataFrame,
    crude_total: float,
    seed: int,
    col: int,
) -> pd.DataFrame:
    """Annual production, output value and value added per reporting enterprise and product."""
    r = rng(seed, "products")
    t = fuel.groupby("uscc")["tco2"].sum()
    proc = process.set_index(["uscc", "product_code"])["quantity"]
    rows = []
    for e in reg.itertuples(index=False):
        ind = INDUSTRY_BY_CODE[e.industry_code]
        if ind.product is None:
            continue
        tco2 = float(t.get(e.uscc, 0.0))
        items: list[tuple[str, float]] = []
        code = ind.code
        if code == "4411":
            items.append(("electricity", tco2 / POWER_TCO2_PER_MWH))
        elif code == "4412":
            items.append(("electricity", tco2 * (1 - CHP_HEAT_SHARE) / POWER_TCO2_PER_MWH))
            items.append(("heat", tco2 * CHP_HEAT_SHARE / 0.11))
        elif code == "4430":
            items.append(("heat", tco2 / 0.11))
        elif code in ("4415", "4416"):
            hours = 2200.0 if code == "4415" else 1150.0
            capacity_mw = (ind.counts[2] / ind.counts[col]) * r.uniform(40, 120)
            items.append(("electricity", capacity_mw * hours))
        elif code == "3011":
            clinker = float(proc.get((e.uscc, "clinker"), 0.0))
            items += [("clinker", clinker), ("cement", clinker / 0.75)]
        elif code == "3012":
            items.append(("lime", float(proc.get((e.uscc, "lime"), 0.0))))
        elif code == "3120":
            items.append(("crude_steel", float(proc.get((e.uscc, "crude_steel"), 0.0))))
        elif code in ("3110", "3130"):
            same = reg["industry_code"] == code
            share = e.weight / reg.loc[same, "weight"].sum()
            items.append((ind.product, 0.9 * crude_total * share))
        elif code == "3041":
            items.append(("flat_glass", tco2 / 0.6))
        elif code == "2621":
            items.append(("ammonia", tco2 / 2.0))
        elif code == "6450":
            items.append(("compute_service", e.kwh / 1000.0 * 0.7))  # IT MWh ≈ grid MWh / PUE
        else:
            out_value = e.kwh / 1000.0 * ind.out_per_mwh
            items.append((ind.product, out_value / ind.price))
        for product, qty in items:
            price = {"cement": 0.04, "heat": 0.006}.get(product, ind.price)
            ov = qty * price
            rows.append((e.uscc, product, qty, ov, ov * ind.va_ratio))
    return pd.DataFrame(
        rows,
        columns=["uscc", "product_code", "quantity", "output_value_10k_cny", "value_added_10k_cny"],
    )


# monthly profiles (Jan..Dec), before day-count weighting; normalised over a year
SEASON = {
    "power": (1.12, 0.92, 0.95, 0.88, 0.93, 1.0, 1.15, 1.18, 1.0, 0.92, 0.95, 1.08),
    "industry": (1.0, 0.78, 1.0, 1.03, 1.03, 1.02, 0.98, 0.97, 1.03, 1.0, 1.05, 1.06),
    "cement": (0.95, 0.7, 1.05, 1.1, 1.1, 0.95, 0.85, 0.85, 1.05, 1.12, 1.15, 1.1),
    "flat": (1.0,) * 12,
}


def season_of(industry_code: str) -> str:
    if industry_code.startswith("44"):
        return "power"
    if industry_code in ("3011", "3012"):
        return "cement"
    if industry_code[0] in "123":
        return "industry"
    return "flat"


def month_weights(year: int, profile: str) -> np.ndarray:
    """Share of the annual quantity in each month of ``year`` (12 values summing to 1)."""
    days = np.array([pd.Period(f"{year}-{m:02d}").days_in_month for m in range(1, 13)], float)
    w = days * np.array(SEASON[profile])
    return w / w.sum()
