"""The console's texts in Vietnamese (default) and English; `?lang=en` or the `lang`
cookie choose."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Request

LANGUAGES = ("vi", "en")
LANG_COOKIE = "lang"

TEXTS: Mapping[str, tuple[str, str]] = {
    "console": ("Bảng điều hành LiênThông", "LiênThông operations console"),
    "home": ("Luồng sự kiện", "Live stream"),
    "lag": ("Độ trễ xử lý", "Consumer lag"),
    "sla": ("Hạn xử lý", "SLA board"),
    "dead_letters": ("Thư lỗi", "Dead letters"),
    "health": ("Tình trạng kết nối", "Adapters and providers"),
    "charts": ("Biểu đồ", "Charts"),
    "audit": ("Nhật ký thao tác", "Audit log"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "token": ("Mã đăng nhập (token)", "Access token"),
    "bad_token": ("Mã đăng nhập không hợp lệ hoặc đã hết hạn.", "Invalid or expired token."),
    "forbidden": ("Bạn không có quyền xem trang này.", "You may not see this page."),
    "signed_in_as": ("Đăng nhập với vai trò", "Signed in as"),
    "theme": ("Giao diện sáng/tối", "Light/dark theme"),
    "filter": ("Lọc", "Filter"),
    "dossier": ("Hồ sơ", "Dossier"),
    "dossier_code": ("Mã hồ sơ", "Dossier code"),
    "event_type": ("Loại sự kiện", "Event type"),
    "unit": ("Đơn vị", "Unit"),
    "procedure": ("Thủ tục", "Procedure"),
    "time": ("Thời điểm", "Time"),
    "detail": ("Chi tiết", "Detail"),
    "source": ("Nguồn", "Source"),
    "waiting_events": ("Đang chờ sự kiện mới…", "Waiting for new events…"),
    "connected": ("Đã kết nối", "Connected"),
    "disconnected": ("Mất kết nối, đang kết nối lại…", "Disconnected, reconnecting…"),
    "dropped": ("sự kiện bị bỏ qua do hiển thị chậm", "events dropped (slow display)"),
    "group": ("Nhóm tiêu thụ", "Consumer group"),
    "topic": ("Chủ đề", "Topic"),
    "partition": ("Phân vùng", "Partition"),
    "committed": ("Đã xác nhận", "Committed"),
    "end": ("Cuối log", "Log end"),
    "total_lag": ("Tổng độ trễ", "Total lag"),
    "lag_chart": ("Độ trễ theo nhóm (sự kiện)", "Lag per group (events)"),
    "rate_chart": ("Sự kiện mỗi giây theo chủ đề", "Events per second per topic"),
    "no_samples": ("Chưa có mẫu đo.", "No samples yet."),
    "near_due": ("Sắp đến hạn", "Near due"),
    "overdue": ("Quá hạn", "Overdue"),
    "step": ("Bước", "Step"),
    "due_at": ("Hạn", "Due"),
    "escalated_to": ("Báo cáo lên", "Escalated to"),
    "apologies": ("Phiếu xin lỗi", "Apologies"),
    "by_unit": ("Theo đơn vị", "By unit"),
    "by_procedure": ("Theo thủ tục", "By procedure"),
    "nothing": ("Không có.", "None."),
    "error": ("Lỗi", "Error"),
    "origin": ("Nguồn gốc", "Origin"),
    "failed_at": ("Thời điểm lỗi", "Failed at"),
    "payload": ("Nội dung (đã che dữ liệu cá nhân)", "Payload (personal data masked)"),
    "state": ("Trạng thái", "State"),
    "replay": ("Phát lại", "Replay"),
    "replay_selected": ("Phát lại các mục đã chọn", "Replay selected"),
    "replay_all": ("Phát lại tất cả của nhóm", "Replay the whole group"),
    "dry_run": ("Xem trước (chưa phát lại)", "Dry run (replay nothing)"),
    "would_replay": ("Sẽ phát lại", "Would replay"),
    "replayed": ("Đã phát lại", "Replayed"),
    "discard": ("Loại bỏ", "Discard"),
    "discarded": ("Đã loại bỏ", "Discarded"),
    "reason": ("Lý do", "Reason"),
    "reason_required": ("Cần nhập lý do.", "A reason is required."),
    "confirm": ("Xác nhận", "Confirm"),
    "pending": ("Chờ xử lý", "Pending"),
    "all_groups": ("Tất cả các nhóm", "All groups"),
    "show_settled": ("Hiện cả mục đã xử lý", "Show settled ones too"),
    "agency": ("Cơ quan", "Agency"),
    "circuit": ("Mạch bảo vệ", "Circuit"),
    "error_rate": ("Tỷ lệ lỗi", "Error rate"),
    "waiting": ("Đang chờ gửi", "Waiting"),
    "oldest_waiting": ("Chờ lâu nhất từ", "Oldest waiting since"),
    "channel": ("Kênh", "Channel"),
    "provider": ("Nhà cung cấp", "Provider"),
    "sent": ("Đã gửi", "Sent"),
    "failed": ("Thất bại", "Failed"),
    "failovers": ("Chuyển dự phòng", "Failovers"),
    "replicas": ("Bản chạy", "Replicas"),
    "stale": ("cũ", "stale"),
    "throughput": (
        "Hồ sơ tiếp nhận và hoàn thành mỗi giờ",
        "Dossiers received and completed per hour",
    ),
    "received": ("Tiếp nhận", "Received"),
    "completed": ("Hoàn thành", "Completed"),
    "on_time_by_unit": ("Tỷ lệ đúng hạn theo đơn vị (7 ngày)", "On-time rate per unit (7 days)"),
    "satisfaction": ("Tỷ lệ hài lòng theo ngày", "Satisfied answers per day"),
    "who": ("Người thực hiện", "Who"),
    "what": ("Thao tác", "What"),
    "why": ("Lý do", "Why"),
    "timeline": ("Phiếu kiểm soát quá trình", "Process control sheet"),
    "status": ("Trạng thái", "Status"),
    "appointment": ("Hẹn trả", "Appointment"),
    "not_found": ("Không tìm thấy hồ sơ.", "No such dossier."),
    "skip": ("Bỏ qua đến nội dung", "Skip to content"),
    "keys": (
        "Phím tắt: g s luồng, g l độ trễ, g h hạn, g d thư lỗi, g a tình trạng, g c biểu đồ, "
        "g n nhật ký, / lọc, j k chọn dòng",
        "Keys: g s stream, g l lag, g h SLA, g d dead letters, g a health, g c charts, "
        "g n audit, / filter, j k rows",
    ),
}

Translate = Callable[[str], str]


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "vi"
    return asked if asked in LANGUAGES else "vi"


def translator(lang: str) -> Translate:
    index = LANGUAGES.index(lang)

    def translate(key: str) -> str:
        entry = TEXTS.get(key)
        return entry[index] if entry else key

    return translate
