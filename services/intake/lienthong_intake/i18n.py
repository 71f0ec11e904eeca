"""Page texts in Vietnamese (default) and English; `?lang=en` or the `lang` cookie choose."""

from __future__ import annotations

from lienthong.http.languages import LANG_COOKIE, LANGUAGES, Texts, Translate, language_of
from lienthong.http.languages import translator as texts_in

__all__ = ["LANGUAGES", "LANG_COOKIE", "Translate", "language_of", "translator"]

TEXTS: Texts = {
    "site": ("Dịch vụ công một cửa liên thông", "One-stop public services"),
    "choose": ("Chọn thủ tục hành chính", "Choose a procedure"),
    "apply": ("Nộp hồ sơ trực tuyến", "Submit online"),
    "register": ("Tiếp nhận hồ sơ trực tiếp", "Register a dossier at the counter"),
    "track": ("Tra cứu hồ sơ", "Track a dossier"),
    "counter": ("Quầy một cửa", "One-stop counter"),
    "applicant": ("Người nộp hồ sơ", "Applicant"),
    "full_name": ("Họ và tên", "Full name"),
    "id_number": ("Số định danh cá nhân", "Personal ID number"),
    "phone": ("Số điện thoại", "Phone"),
    "email": ("Email", "Email"),
    "ward_code": ("Phường/xã thường trú", "Ward or commune"),
    "contact_channel": ("Nhận thông báo qua", "Notify me by"),
    "sms": ("Tin nhắn SMS", "SMS"),
    "documents": ("Thành phần hồ sơ", "Documents"),
    "if_applies": ("nếu thuộc trường hợp", "if it applies"),
    "form": ("Thông tin tờ khai", "Application details"),
    "sub_procedures": ("Thủ tục đăng ký kèm", "Procedures to include"),
    "submit": ("Nộp hồ sơ", "Submit"),
    "code": ("Mã hồ sơ", "Dossier code"),
    "secret": ("Mã tra cứu", "Tracking secret"),
    "search": ("Tra cứu", "Look up"),
    "status": ("Trạng thái", "Status"),
    "unit": ("Đơn vị đang xử lý", "Current unit"),
    "appointment": ("Hẹn trả kết quả", "Result due"),
    "overdue": ("Quá hạn", "Overdue"),
    "timeline": ("Quá trình giải quyết", "Progress"),
    "receipt": ("Giấy tiếp nhận", "Receipt"),
    "login": ("Đăng nhập cán bộ", "Staff sign-in"),
    "token": ("Mã đăng nhập (token)", "Access token"),
    "logout": ("Đăng xuất", "Sign out"),
    "bad_token": ("Mã đăng nhập không hợp lệ hoặc đã hết hạn.", "Invalid or expired token."),
    "not_found": (
        "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này.",
        "No dossier with this code and secret.",
    ),
    "too_many": ("Quá nhiều lần tra cứu sai, vui lòng thử lại sau.", "Too many failed look-ups."),
    "invalid": ("Vui lòng kiểm tra lại các thông tin sau:", "Please check the following:"),
    "unavailable": (
        "Hệ thống đang tạm gián đoạn nên hồ sơ chưa được nộp. Vui lòng gửi lại sau ít phút: "
        "hồ sơ sẽ không bị nộp hai lần.",
        "The service is briefly unavailable, so the dossier was not filed yet. Please send it "
        "again in a few minutes: it will not be filed twice.",
    ),
    "file_kept": (
        "đã nhận tệp; chỉ chọn lại nếu muốn thay",
        "received; choose again only to replace it",
    ),
    "reattach": (
        "Vui lòng đính kèm lại các tệp (trình duyệt không giữ tệp đã chọn).",
        "Please attach the files again (the browser does not keep chosen files).",
    ),
    "early": ("sớm hạn", "early"),
    "on_time": ("đúng hạn", "on time"),
    "late": ("trễ hạn", "late"),
    "parents_married": ("Cha mẹ đã đăng ký kết hôn", "Parents are married"),
    "joins_existing_household": ("Nhập vào hộ đã có", "Joins an existing household"),
    "submitted_by_proxy": ("Nộp thay (có ủy quyền)", "Submitted by a proxy"),
    "household_members_register": ("Đăng ký thành viên hộ", "Registers household members"),
    "has_basement": ("Công trình có tầng hầm", "The building has a basement"),
}

STATUS: Texts = {
    "newly_registered": ("Mới đăng ký", "Newly registered"),
    "received": ("Đã tiếp nhận", "Received"),
    "not_received": ("Không tiếp nhận", "Not received"),
    "processing": ("Đang giải quyết", "Processing"),
    "supplement_requested": ("Yêu cầu bổ sung", "Supplement requested"),
    "financial_obligation_requested": ("Chờ thực hiện nghĩa vụ tài chính", "Fees due"),
    "withdrawn": ("Đã rút hồ sơ", "Withdrawn"),
    "processing_stopped": ("Dừng xử lý", "Processing stopped"),
    "processing_done": ("Đã giải quyết xong", "Done"),
    "result_returned": ("Đã trả kết quả", "Result returned"),
}

EVENTS: Texts = {
    "dossier.submitted": ("Nộp hồ sơ", "Submitted"),
    "dossier.received": ("Tiếp nhận hồ sơ", "Received"),
    "dossier.rejected": ("Từ chối tiếp nhận", "Refused"),
    "dossier.supplement-requested": ("Yêu cầu bổ sung hồ sơ", "Supplement requested"),
    "dossier.supplement-provided": ("Bổ sung hồ sơ", "Supplement provided"),
    "dossier.withdrawn": ("Rút hồ sơ", "Withdrawn"),
    "dossier.step-opened": ("Chuyển xử lý", "Handed over"),
    "dossier.step-completed": ("Hoàn thành bước xử lý", "Step completed"),
    "dossier.result-ready": ("Có kết quả, chờ trả", "Result ready"),
    "dossier.completed": ("Trả kết quả", "Result returned"),
}


def translator(lang: str) -> Translate:
    return texts_in(lang, TEXTS, STATUS, EVENTS)
