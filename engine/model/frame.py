"""The texts around a signed document (Nghị định 30/2020/NĐ-CP): who issues it, where, who signs, who receives it.

Reports are issued by three kinds of issuer: each unit (its own scoring sheet and corrective plan),
the Home Affairs office that collects the results (the summary and the province view), and the
government above the units (the common corrective plan). Every text has a default, so a report
is complete without any setting; a frame file (`--frame`, docs/reports.md) replaces any of them,
for all units or for one unit by its id.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from engine.core.base import Frozen
from engine.core.vnformat import FormatError, parse_date


class Signer(Frozen):
    """The signature block: the title lines (TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH) and the name."""

    lines: list[str] = Field(min_length=1, max_length=4)
    name: str | None = Field(None, description="Left blank for the signer to write by hand when not given")


class IssuerSettings(Frozen):
    """One issuer; a field left out keeps its default."""

    parent: str | None = Field(None, description="Cơ quan chủ quản (dòng trên tên cơ quan ban hành)")
    body: str | None = Field(None, description="Tên cơ quan ban hành")
    short_name: str | None = Field(None, description="Tên dùng trong câu, ví dụ 'UBND thành phố Vũng Tàu'")
    symbol: str | None = Field(None, description="Phần sau loại văn bản trong ký hiệu, ví dụ UBND, PNV")
    place: str | None = Field(None, description="Địa danh ở dòng ngày tháng")
    signer: Signer | None = None
    recipients: list[str] | None = Field(None, description="Nơi nhận, mỗi dòng một nơi")


class FrameSettings(Frozen):
    """A frame file: the date, the office, the government above the units, and the units (all or by id)."""

    date: str | None = Field(None, description="Ngày ký dd/mm/yyyy; bỏ trống để ghi tay")
    year: int | None = Field(None, ge=1900, le=2100, description="Năm ký khi chưa có ngày; mặc định năm của số liệu")
    office: IssuerSettings = Field(default_factory=IssuerSettings)
    government: IssuerSettings = Field(default_factory=IssuerSettings)
    units: IssuerSettings = Field(default_factory=IssuerSettings)
    unit: dict[str, IssuerSettings] = Field(default_factory=dict, description="Theo mã đơn vị: thay cho từng đơn vị")

    @field_validator("date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parse_date(value)
        except FormatError as exc:
            raise ValueError(str(exc)) from None
        return value
