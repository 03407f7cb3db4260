"""The bot's sentences. The bot speaks Vietnamese to customers whatever the staff's language;
numbers are filled in from tools only (see donhang.chatbot.engine.tools)."""

from __future__ import annotations

GREETING_AGAIN = "Dạ em đây ạ. Anh/chị cần em hỗ trợ gì ạ?"
DISCLOSURE = "Em là trợ lý tự động của shop."
ASK_PRODUCT = "Dạ anh/chị đang hỏi sản phẩm nào ạ? Anh/chị cho em xin tên sản phẩm giúp em nhé."
NOT_FOUND_PRODUCT = (
    "Dạ em chưa tìm thấy sản phẩm anh/chị cần ạ. Anh/chị cho em xin tên sản phẩm cụ thể hơn "
    "(ví dụ: áo thun, giày sneaker, kem chống nắng) được không ạ?"
)
PRODUCT_LINE = "{name}: {price}{stock}"
PRODUCT_INTRO = "Dạ shop có {name}, giá {price}."
IN_STOCK_TOTAL = " Hiện còn {units} sản phẩm ạ."
OUT_OF_STOCK = " Hiện mẫu này đang hết hàng ạ."
OPTIONS = " {attribute}: {values}."
ALSO = " Ngoài ra shop còn {names}."
CHOOSE_FROM = "Dạ shop có các mẫu sau ạ:\n{lines}\nAnh/chị quan tâm mẫu nào ạ?"
VARIANT_STOCK = "Dạ {item} còn {units} sản phẩm, giá {price} ạ."
VARIANT_OUT = "Dạ {item} hiện đã hết hàng ạ."
OTHERS_AVAILABLE = " Các lựa chọn còn hàng: {options}."
PARTIAL_STOCK = "Dạ {name} {filter} còn: {options} ạ."
NO_SUCH_OPTION = "Dạ {name} không có {wanted} ạ. {attribute} có: {values}."
PRICE_ONE = "Dạ {item} giá {price}{stock} ạ."
PRICE_RANGE = "Dạ {name} giá từ {low} đến {high} tùy lựa chọn ạ: {options}."
PRICE_TOTAL = " {quantity} sản phẩm là {total} ạ."
STOCK_NOTE = ", còn {units} sản phẩm"
ASK_ADDRESS_FOR_QUOTE = (
    "Dạ anh/chị cho em xin địa chỉ nhận hàng (phường/xã và tỉnh/thành phố) để em báo phí ship "
    "chính xác ạ."
)
ASK_ADDRESS_AFTER_POLICY = (
    "{policy} Anh/chị cho em xin địa chỉ nhận hàng (phường/xã và tỉnh/thành phố) để em báo phí "
    "ship chính xác ạ."
)
SHIPPING_FEE = "Dạ phí ship về {ward}, {province} là {fee}{carrier}{days} ạ."
SHIPPING_FEE_ESTIMATE = (
    "Dạ phí ship về {province} khoảng {fee}{carrier}{days} ạ. Anh/chị cho em xin phường/xã để "
    "em báo chính xác hơn nhé."
)
SHIPPING_DAYS = ", dự kiến {days} ngày nhận hàng"
SHIPPING_FAILED = (
    "Dạ hiện em chưa tính được phí ship tự động, nhân viên sẽ báo phí ship cho anh/chị ngay ạ."
)
COD_YES = "Dạ shop có nhận COD ạ: anh/chị nhận hàng, kiểm tra rồi thanh toán cho shipper."
COD_NO = "Dạ hiện shop chưa nhận thanh toán khi nhận hàng (COD) ạ."
COD_OVER_LIMIT = "Dạ đơn trên {limit} shop chỉ nhận chuyển khoản trước ạ."
PAYMENT_OPTIONS = "Dạ shop nhận {methods} ạ."
PAYMENT_COD = "thanh toán khi nhận hàng (COD)"
PAYMENT_BANK = "chuyển khoản ngân hàng (em gửi mã VietQR có sẵn số tiền khi lên đơn)"
PAYMENT_QR = (
    "Dạ anh/chị chuyển khoản {amount} tới {bank}, số tài khoản {account}, chủ tài khoản "
    "{holder}, nội dung: {note}. Em gửi kèm mã QR để anh/chị quét ạ: {url}"
)
STATUS_ONE = "Dạ đơn {code} {words}{tracking} ạ."
STATUS_TRACKING = ", mã vận đơn {code}: {words}"
STATUS_NEED_PHONE = "Dạ anh/chị cho em xin số điện thoại đã đặt đơn này để em kiểm tra giúp ạ."
STATUS_NEED_CODE = (
    "Dạ anh/chị cho em xin mã đơn hàng (dạng DH000123) và số điện thoại đặt hàng để em kiểm tra ạ."
)
STATUS_NOT_FOUND = (
    "Dạ em không tìm thấy đơn nào khớp mã đơn và số điện thoại này ạ. Anh/chị kiểm tra lại "
    "giúp em nhé."
)
RETURN_HANDOFF = "Em đã chuyển nhân viên hỗ trợ đổi trả cho anh/chị ạ."
HANDOFF = "Dạ em đã báo nhân viên ạ."
STAFF_SOON = "Nhân viên sẽ trả lời anh/chị trong ít phút ạ."
STAFF_LATER = (
    "Hiện ngoài giờ làm việc ({hours}), nhân viên sẽ trả lời anh/chị sớm nhất khi shop mở cửa ạ."
)
UNSURE_ASK = (
    "Dạ em chưa hiểu rõ ý anh/chị lắm. Anh/chị nói rõ hơn giúp em được không ạ? (ví dụ: tên "
    "sản phẩm, màu, size, hoặc địa chỉ để em tính phí ship)"
)
UNSURE_HANDOFF = "Dạ em xin lỗi, em chưa trả lời được câu này, em chuyển nhân viên hỗ trợ ạ."
THANKS = "Dạ không có gì ạ. Anh/chị cần gì cứ nhắn em nhé!"
BYE = "Dạ em cảm ơn anh/chị, chúc anh/chị một ngày vui vẻ ạ!"
ASK_VARIANT = "Dạ anh/chị chọn {choices} giúp em ạ."
CHOOSE_VARIANT = " Anh/chị chọn {choices} giúp em ạ."
ASK_VARIANT_FOR = "Dạ {name}: anh/chị chọn {choices} giúp em ạ."
LINE_FACTS = "- {item}: {price}, còn {units} sản phẩm"
EACH_LINE = "Dạ em báo từng sản phẩm ạ:\n{lines}"
ASK_DETAILS = "Dạ để lên đơn, anh/chị cho em xin {fields} ạ."
FIELD_NAME = "tên người nhận"
FIELD_PHONE = "số điện thoại"
FIELD_ADDRESS = "địa chỉ nhận hàng (số nhà, tên đường, phường/xã, tỉnh/thành phố)"
FIELD_LINE = "số nhà, tên đường"
FIELD_WARD = "phường/xã"
FIELD_QUANTITY = "số lượng"
NOT_ENOUGH = "Dạ {item} hiện chỉ còn {units} sản phẩm ạ. Anh/chị lấy {units} sản phẩm được không ạ?"
ONLY_LEFT = "Anh/chị lấy {units} sản phẩm được không ạ?"
SOLD_OUT = "Dạ {item} vừa hết hàng ạ.{others}"
ASK_CONFIRM = "Dạ em xác nhận đơn hàng:\n{summary}\nAnh/chị xác nhận chốt đơn giúp em ạ."
ORDER_CREATED = (
    "Dạ em đã lên đơn {code} ạ:\n{summary}\nShop sẽ xác nhận và giao hàng sớm cho anh/chị ạ."
)
ORDER_SUMMARY_LINE = "- {quantity} x {name}{label}: {amount}"
ORDER_SUMMARY_FEE = "- Phí ship: {fee}"
ORDER_SUMMARY_FEE_LATER = "- Phí ship: nhân viên sẽ báo sau"
ORDER_SUMMARY_TOTAL = "- Tổng cộng: {total} ({method})"
ORDER_SUMMARY_TO = "- Giao tới: {name}, {phone}, {address}"
ORDER_HANDED_TO_STAFF = (
    "Dạ em đã ghi nhận thông tin đặt hàng:\n{summary}\nNhân viên sẽ liên hệ xác nhận đơn cho "
    "anh/chị ngay ạ."
)
ALREADY_ORDERED = "Dạ đơn {code} của anh/chị đã được lên rồi ạ, shop sẽ xác nhận và giao sớm ạ."
ORDER_CANCELLED_DRAFT = "Dạ vâng ạ, em chưa lên đơn. Anh/chị cần đổi gì cứ nhắn em nhé."
ORDER_FAILED = "Dạ em chưa lên được đơn ({reason}). Em chuyển nhân viên hỗ trợ anh/chị ngay ạ."
PHONE_INVALID = "Dạ số điện thoại {phone} chưa đúng ạ, anh/chị kiểm tra lại giúp em nhé."
