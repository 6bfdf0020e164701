"""12345 citizen hotline (12345政务服务便民热线): work orders exported as Excel or CSV.

Input format
------------
An ``.xlsx`` workbook (first sheet with a header; title lines above the header are fine) or a ``.csv`` in
UTF-8, UTF-8 with BOM or GBK, one work order (工单) per row, Chinese headers:

===========  ====================================  =========================================================
column       also accepted as                      content
===========  ====================================  =========================================================
工单编号 *   工单号, 工单编码, 编号                  the hotline's id, e.g. ``12345-20261103-000123``
来电时间 *   受理时间, 登记时间, 创建时间            when the citizen called (naive = Beijing time)
诉求类型 *   问题分类, 事项分类, 诉求分类            the hotline's classification, a word or a path
                                                   (``城市管理-市容环境-占道经营``), mapped to an item
事发地址 *   事发地点, 问题地址, 地址                the address as the caller said it (geocoded later)
诉求内容     问题描述, 工单内容, 内容                the complaint
来电人       联系人, 来电人姓名, 诉求人              personal data; 匿名 / 未留名 mean none
来电号码     联系电话, 联系方式, 电话                personal data
紧急程度     缓急程度, 紧急度                        特急 → 1, 紧急 → 2, 一般 → 3 (or 1–3)
事发时间     发生时间                               when it happened, if the caller said
承办单位     办理单位, 承办部门                      kept in the raw payload
===========  ====================================  =========================================================

(* required.) The hotline gives no coordinates: the report carries the address only, for the geocoder.
"""

from __future__ import annotations

from ingest.channels.base import Channel


class Hotline12345(Channel):
    name = "hotline_12345"
    title = "12345热线"
    formats = "Excel (.xlsx) or CSV (UTF-8, UTF-8 with BOM, GBK)"
    fields = {
        "external_id": ("工单编号", "工单号", "工单编码", "编号"),
        "received_at": ("来电时间", "受理时间", "登记时间", "创建时间"),
        "occurred_at": ("事发时间", "发生时间"),
        "category": ("诉求类型", "问题分类", "事项分类", "诉求分类"),
        "description": ("诉求内容", "问题描述", "工单内容", "内容"),
        "address": ("事发地址", "事发地点", "问题地址", "地址"),
        "reporter_name": ("来电人", "联系人", "来电人姓名", "诉求人"),
        "reporter_phone": ("来电号码", "联系电话", "联系方式", "电话"),
        "priority": ("紧急程度", "缓急程度", "紧急度"),
        "handling_unit": ("承办单位", "办理单位", "承办部门"),
    }
    required = ("external_id", "received_at", "category", "address")


CHANNEL = Hotline12345()
