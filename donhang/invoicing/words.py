"""An amount of đồng in Vietnamese words, as invoices print it ("Số tiền viết bằng chữ").

Written from the rules (num2words' `vi` drops "không trăm" and is not invoice-grade):
- the number is read in groups of three digits with nghìn / triệu / tỷ (then nghìn tỷ, triệu tỷ);
- a group that is all zeros is skipped; a group after the first with no hundreds reads
  "không trăm" (1 000 050 → "một triệu không trăm năm mươi");
- zero tens before a unit read "linh" (105 → "một trăm linh năm");
- tens of 1 read "mười", tens of 2–9 "<n> mươi";
- a unit 1 after tens ≥ 2 reads "mốt" (21 → "hai mươi mốt"; 11 stays "mười một");
- a unit 5 after tens ≥ 1 reads "lăm" (15 → "mười lăm", 25 → "hai mươi lăm"; 105 stays "năm");
- the first letter is a capital and the text ends with "đồng". An adjustment that decreases an
  invoice carries its amount in words as the amount itself (the direction is on its lines and
  its title), as the providers write it.
"""

from __future__ import annotations

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
# Group names from the right: units, thousands, millions, billions, then thousands and millions
# of billions (enough for any amount an invoice can hold).
GROUPS = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"]


def _group_words(number: int, *, leading: bool) -> list[str]:
    """Words of a 0–999 group; `leading` is the leftmost group of the number."""
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or not leading:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def number_in_words(number: int) -> str:
    """0 → "không", 1 250 000 → "một triệu hai trăm năm mươi nghìn" (lower case, no unit)."""
    number = abs(int(number))
    if number == 0:
        return DIGITS[0]
    groups = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    if len(groups) > len(GROUPS):
        raise ValueError("amount too large to write in words")
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _group_words(group, leading=index == top)
        if GROUPS[index]:
            words.append(GROUPS[index])
    return " ".join(words)


def amount_in_words(amount: int) -> str:
    """1 250 000 → "Một triệu hai trăm năm mươi nghìn đồng" (−50 000 reads as 50 000)."""
    text = number_in_words(amount) + " đồng"
    return text[0].upper() + text[1:]
