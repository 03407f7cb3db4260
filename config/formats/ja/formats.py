"""Japanese formats: one date format everywhere (yyyy/mm/dd), numbers 2,861."""

DATE_FORMAT = "Y/m/d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y/m/d H:i"
YEAR_MONTH_FORMAT = "Y/m"
MONTH_DAY_FORMAT = "m/d"
SHORT_DATE_FORMAT = "Y/m/d"
SHORT_DATETIME_FORMAT = "Y/m/d H:i"
FIRST_DAY_OF_WEEK = 0
# ISO first: <input type="date"> shows and sends only that; the local way is accepted too.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
