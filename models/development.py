"""发展党员: people moving 入党申请人 → 入党积极分子 → 发展对象 → 预备党员 → 正式党员."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Tracked


class DevelopmentRecord(Tracked, Base):
    """One person's file in the development pipeline, with the date of every step."""

    __tablename__ = "development_record"

    township_id: Mapped[str] = mapped_column(ForeignKey("township.id"), index=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18))
    gender: Mapped[str] = mapped_column(String(8), info={"enum": "Gender"})
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(32), default="")
    stage: Mapped[str] = mapped_column(String(16), default="applicant", info={"enum": "DevelopmentStage"})
    applied_on: Mapped[date] = mapped_column(Date)  # 递交入党申请书
    talked_on: Mapped[date | None] = mapped_column(Date)  # 谈话 (within one month)
    activist_on: Mapped[date | None] = mapped_column(Date)  # 确定为入党积极分子
    last_review_on: Mapped[date | None] = mapped_column(Date)  # 积极分子半年考察
    candidate_on: Mapped[date | None] = mapped_column(Date)  # 确定为发展对象
    political_review_on: Mapped[date | None] = mapped_column(Date)  # 政治审查
    training_days: Mapped[int] = mapped_column(Integer, default=0)  # 发展对象短期集中培训
    training_hours: Mapped[int] = mapped_column(Integer, default=0)
    introducer1_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"))
    introducer2_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"))
    admitted_on: Mapped[date | None] = mapped_column(Date)  # 支部大会接收为预备党员 (= 入党日期)
    admission_meeting_id: Mapped[str | None] = mapped_column(ForeignKey("meeting.id"))
    approved_on: Mapped[date | None] = mapped_column(Date)  # 上级党委审批 (within 3 months of admission)
    publicity_from: Mapped[date | None] = mapped_column(Date)  # 发展对象公示 (at least 5 working days)
    publicity_to: Mapped[date | None] = mapped_column(Date)
    oath_on: Mapped[date | None] = mapped_column(Date)  # 入党宣誓
    probation_extended_months: Mapped[int] = mapped_column(Integer, default=0)
    # The 支部党员大会 that discussed the conversion (its date); the 转正日期 itself, from which party age
    # counts, is the day the probation ends (``services.development.conversion_due``).
    converted_on: Mapped[date | None] = mapped_column(Date)
    conversion_meeting_id: Mapped[str | None] = mapped_column(ForeignKey("meeting.id"))
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"), index=True)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
