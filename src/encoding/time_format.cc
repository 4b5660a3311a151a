#include "encoding/time_format.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <limits>

namespace lakeshift::encoding {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kSecondsPerDay = 86400;
constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (q * b > a) ? q - 1 : q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
  unsigned weekday;  // 0 = Sunday
};

Civil CivilFromSeconds(int64_t epoch_s) {
  const int64_t days = FloorDiv(epoch_s, kSecondsPerDay);
  const int64_t secs = epoch_s - days * kSecondsPerDay;
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  Civil c{};
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<int64_t>(yoe) + era * 400 + (c.month <= 2);
  c.hour = static_cast<unsigned>(secs / 3600);
  c.minute = static_cast<unsigned>(secs / 60 % 60);
  c.second = static_cast<unsigned>(secs % 60);
  c.weekday = static_cast<unsigned>((days + 4) - FloorDiv(days + 4, 7) * 7);  // 1970-01-01 was a Thursday
  return c;
}

bool IsLeap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// A small cursor over the text being parsed; every failure names the text and the offending piece.
class Scanner {
 public:
  Scanner(std::string_view text, const char* format) : text_(text), format_(format) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  size_t pos() const { return pos_; }

  Status Fail(std::string_view what) const {
    return InvalidArgument("bad " + std::string(format_) + " time \"" + std::string(text_) + "\": " +
                           std::string(what) + " at offset " + std::to_string(pos_) + " (expected " + Expected() + ")");
  }
  Status FailRange(std::string_view what) const {
    return InvalidArgument("bad " + std::string(format_) + " time \"" + std::string(text_) +
                           "\": " + std::string(what));
  }

  Status Digits(size_t count, const char* field, unsigned& out) {
    out = 0;
    const size_t start = pos_;
    for (size_t k = 0; k < count; ++k) {
      const char c = Peek();
      if (c < '0' || c > '9') {
        pos_ = start;  // report where the field begins
        return Fail(std::string(field) + " needs " + std::to_string(count) + " digits");
      }
      out = out * 10 + static_cast<unsigned>(c - '0');
      ++pos_;
    }
    return Status::Ok();
  }
  Status Literal(char want, const char* context) {
    if (Peek() != want) return Fail(std::string("missing '") + want + "' " + context);
    ++pos_;
    return Status::Ok();
  }
  std::string_view Take(size_t n) {
    const std::string_view piece = text_.substr(pos_, n);
    pos_ += piece.size();
    return piece;
  }

 private:
  std::string Expected() const {
    const std::string_view f = format_;
    if (f == "RFC 1123") return "like \"Wed, 22 Feb 2023 02:41:26 GMT\"";
    return "like \"2023-02-22T02:41:26.804Z\"";
  }

  std::string_view text_;
  const char* format_;
  size_t pos_ = 0;
};

Status CheckClock(Scanner& s, unsigned month, unsigned day, int64_t year, unsigned hour, unsigned minute,
                  unsigned second) {
  if (month < 1 || month > 12) return s.FailRange("month " + std::to_string(month) + " is not 1..12");
  if (day < 1 || day > DaysInMonth(year, month)) {
    return s.FailRange("day " + std::to_string(day) + " does not exist in " + std::to_string(year) + "-" +
                       std::to_string(month));
  }
  if (hour > 23) return s.FailRange("hour " + std::to_string(hour) + " is not 0..23");
  if (minute > 59) return s.FailRange("minute " + std::to_string(minute) + " is not 0..59");
  if (second > 59) return s.FailRange("second " + std::to_string(second) + " is not 0..59");
  return Status::Ok();
}

std::string TwoDigits(unsigned v) {
  char buf[3] = {static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10), '\0'};
  return buf;
}

std::string FormatYear(int64_t year) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(year));
  return buf;
}

}  // namespace

int64_t NowEpochMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowEpochNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc1123(int64_t epoch_ms) {
  const Civil c = CivilFromSeconds(FloorDiv(epoch_ms, 1000));
  std::string out;
  out.reserve(29);
  out += kWeekdays[c.weekday];
  out += ", " + TwoDigits(c.day) + " " + std::string(kMonths[c.month - 1]) + " " + FormatYear(c.year) + " ";
  out += TwoDigits(c.hour) + ":" + TwoDigits(c.minute) + ":" + TwoDigits(c.second) + " GMT";
  return out;
}

Result<int64_t> ParseRfc1123(std::string_view text) {
  Scanner s(text, "RFC 1123");
  const std::string_view weekday = s.Take(3);
  size_t weekday_index = kWeekdays.size();
  for (size_t k = 0; k < kWeekdays.size(); ++k) {
    if (kWeekdays[k] == weekday) weekday_index = k;
  }
  if (weekday_index == kWeekdays.size()) {
    return InvalidArgument("bad RFC 1123 time \"" + std::string(text) + "\": unknown weekday \"" +
                           std::string(weekday) + "\" (expected Mon..Sun, like \"Wed, 22 Feb 2023 02:41:26 GMT\")");
  }
  RETURN_IF_ERROR(s.Literal(',', "after the weekday"));
  RETURN_IF_ERROR(s.Literal(' ', "after the weekday"));
  unsigned day = 0, year = 0, hour = 0, minute = 0, second = 0;
  // A 1-digit day is allowed (RFC 1123 / RFC 822), a 2-digit day is what HTTP dates use.
  const bool two_digit_day = text.size() > s.pos() + 1 && text[s.pos() + 1] >= '0' && text[s.pos() + 1] <= '9';
  RETURN_IF_ERROR(s.Digits(two_digit_day ? 2 : 1, "the day", day));
  RETURN_IF_ERROR(s.Literal(' ', "after the day"));
  const std::string_view month_name = s.Take(3);
  unsigned month = 0;
  for (size_t k = 0; k < kMonths.size(); ++k) {
    if (kMonths[k] == month_name) month = static_cast<unsigned>(k + 1);
  }
  if (month == 0) {
    return InvalidArgument("bad RFC 1123 time \"" + std::string(text) + "\": unknown month \"" +
                           std::string(month_name) + "\" (expected Jan..Dec)");
  }
  RETURN_IF_ERROR(s.Literal(' ', "after the month"));
  RETURN_IF_ERROR(s.Digits(4, "the year", year));
  RETURN_IF_ERROR(s.Literal(' ', "after the year"));
  RETURN_IF_ERROR(s.Digits(2, "the hour", hour));
  RETURN_IF_ERROR(s.Literal(':', "after the hour"));
  RETURN_IF_ERROR(s.Digits(2, "the minute", minute));
  RETURN_IF_ERROR(s.Literal(':', "after the minute"));
  RETURN_IF_ERROR(s.Digits(2, "the second", second));
  RETURN_IF_ERROR(s.Literal(' ', "before the zone"));
  if (s.Take(4) != "GMT" || !s.AtEnd()) {
    return InvalidArgument("bad RFC 1123 time \"" + std::string(text) +
                           "\": the zone must be exactly \"GMT\" at the end");
  }
  RETURN_IF_ERROR(CheckClock(s, month, day, year, hour, minute, second));
  const int64_t days = DaysFromCivil(year, month, day);
  const unsigned actual_weekday = CivilFromSeconds(days * kSecondsPerDay).weekday;
  if (actual_weekday != weekday_index) {
    return InvalidArgument("bad RFC 1123 time \"" + std::string(text) + "\": weekday \"" + std::string(weekday) +
                           "\" does not match the date (it was a " + std::string(kWeekdays[actual_weekday]) + ")");
  }
  return ((days * kSecondsPerDay) + hour * 3600 + minute * 60 + second) * 1000;
}

int64_t FiletimeToEpochNanos(int64_t ticks) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (ticks < kMin + kFiletimeUnixEpochTicks) return kMin;
  const int64_t t = ticks - kFiletimeUnixEpochTicks;
  if (t > kMax / 100) return kMax;
  if (t < kMin / 100) return kMin;
  return t * 100;
}

Result<int64_t> ParseFiletimeTicks(std::string_view text) {
  if (text.empty())
    return InvalidArgument("bad FILETIME tick count \"\": empty (expected decimal 100 ns ticks since 1601)");
  if (text.size() > 19) {
    return InvalidArgument("bad FILETIME tick count \"" + std::string(text) + "\": more than 19 digits");
  }
  int64_t value = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return InvalidArgument("bad FILETIME tick count \"" + std::string(text) + "\": '" + std::string(1, c) +
                             "' at offset " + std::to_string(i) + " is not a decimal digit");
    }
    const int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
      return InvalidArgument("bad FILETIME tick count \"" + std::string(text) + "\": too large for 64 bits");
    }
    value = value * 10 + digit;
  }
  return value;
}

std::string FormatIso8601(int64_t epoch_ns) {
  return FormatRfc3339(epoch_ns, 7, 0);
}

std::string FormatRfc3339(int64_t epoch_ns, int fraction_digits, int utc_offset_minutes) {
  const int64_t local_ns = epoch_ns + static_cast<int64_t>(utc_offset_minutes) * 60 * kNanosPerSecond;
  const int64_t secs = FloorDiv(local_ns, kNanosPerSecond);
  const int64_t nanos = local_ns - secs * kNanosPerSecond;
  const Civil c = CivilFromSeconds(secs);
  std::string out = FormatYear(c.year) + "-" + TwoDigits(c.month) + "-" + TwoDigits(c.day) + "T" + TwoDigits(c.hour) +
                    ":" + TwoDigits(c.minute) + ":" + TwoDigits(c.second);
  if (fraction_digits > 9) fraction_digits = 9;
  if (fraction_digits > 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, "%09lld", static_cast<long long>(nanos));
    out += ".";
    out.append(frac, static_cast<size_t>(fraction_digits));
  }
  if (utc_offset_minutes == 0) {
    out += "Z";
  } else {
    const int abs_minutes = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    out += utc_offset_minutes < 0 ? "-" : "+";
    out +=
        TwoDigits(static_cast<unsigned>(abs_minutes / 60)) + ":" + TwoDigits(static_cast<unsigned>(abs_minutes % 60));
  }
  return out;
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  Scanner s(text, "RFC 3339");
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  RETURN_IF_ERROR(s.Digits(4, "the year", year));
  RETURN_IF_ERROR(s.Literal('-', "after the year"));
  RETURN_IF_ERROR(s.Digits(2, "the month", month));
  RETURN_IF_ERROR(s.Literal('-', "after the month"));
  RETURN_IF_ERROR(s.Digits(2, "the day", day));
  if (s.Peek() != 'T' && s.Peek() != 't' && s.Peek() != ' ') return s.Fail("missing 'T' between date and time");
  s.Take(1);
  RETURN_IF_ERROR(s.Digits(2, "the hour", hour));
  RETURN_IF_ERROR(s.Literal(':', "after the hour"));
  RETURN_IF_ERROR(s.Digits(2, "the minute", minute));
  RETURN_IF_ERROR(s.Literal(':', "after the minute"));
  RETURN_IF_ERROR(s.Digits(2, "the second", second));
  int64_t nanos = 0;
  if (s.Peek() == '.') {
    s.Take(1);
    int digits = 0;
    while (s.Peek() >= '0' && s.Peek() <= '9') {
      if (digits == 9) return s.Fail("more than 9 fractional digits");
      nanos = nanos * 10 + (s.Peek() - '0');
      ++digits;
      s.Take(1);
    }
    if (digits == 0) return s.Fail("no digits after '.'");
    for (int k = digits; k < 9; ++k) nanos *= 10;
  }
  int offset_minutes = 0;
  const char zone = s.Peek();
  if (zone == 'Z' || zone == 'z') {
    s.Take(1);
  } else if (zone == '+' || zone == '-') {
    s.Take(1);
    unsigned oh = 0, om = 0;
    RETURN_IF_ERROR(s.Digits(2, "the offset hours", oh));
    RETURN_IF_ERROR(s.Literal(':', "in the offset"));
    RETURN_IF_ERROR(s.Digits(2, "the offset minutes", om));
    if (oh > 23 || om > 59) return s.FailRange("UTC offset out of range");
    offset_minutes = static_cast<int>(oh * 60 + om) * (zone == '-' ? -1 : 1);
  } else {
    return s.Fail("missing zone ('Z' or +hh:mm)");
  }
  if (!s.AtEnd()) return s.Fail("unexpected trailing text");
  RETURN_IF_ERROR(CheckClock(s, month, day, year, hour, minute, second));
  // int64 ns covers 1677-09-21 .. 2262-04-11.
  const int64_t secs = DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second -
                       static_cast<int64_t>(offset_minutes) * 60;
  constexpr int64_t kMaxSecs = std::numeric_limits<int64_t>::max() / kNanosPerSecond - 1;
  if (secs > kMaxSecs || secs < -kMaxSecs) {
    return s.FailRange("outside the representable range 1677..2262");
  }
  return secs * kNanosPerSecond + nanos;
}

}  // namespace lakeshift::encoding
