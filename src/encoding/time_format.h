#pragma once
// Timestamp formats of the two services. Times are int64 counts since the Unix epoch (UTC); the unit is in the
// name (epoch_ms, epoch_ns). Windows FILETIME ticks are 100 ns intervals since 1601-01-01 UTC.
//   RFC 1123:        "Wed, 22 Feb 2023 02:41:26 GMT"   (Last-Modified, Date, If-Modified-Since)
//   FILETIME ticks:  "133215072868040267"              (Gen2 List Paths creationTime / expiryTime)
//   ISO 8601, 7 fractional digits: "2023-08-09T02:32:19.4463042Z" (Gen1 and Gen2 error messages)
//   RFC 3339:        "2023-02-22T02:41:26.804Z", "2017-05-26T16:00:40.5724231-07:00"

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::encoding {

int64_t NowEpochMillis();
int64_t NowEpochNanos();

// Seconds precision: milliseconds are truncated (toward the past).
std::string FormatRfc1123(int64_t epoch_ms);
// Strict "Www, DD Mon YYYY HH:MM:SS GMT" (a 1-digit day is accepted); the weekday must match the date.
Result<int64_t> ParseRfc1123(std::string_view text);  // epoch ms

// 1601-01-01 -> 1970-01-01 in ticks.
inline constexpr int64_t kFiletimeUnixEpochTicks = 116444736000000000;
inline constexpr int64_t EpochMillisToFiletime(int64_t epoch_ms) {
  return epoch_ms * 10000 + kFiletimeUnixEpochTicks;
}
inline constexpr int64_t EpochNanosToFiletime(int64_t epoch_ns) {  // floor to whole ticks
  const int64_t q = epoch_ns / 100;
  return (q * 100 > epoch_ns ? q - 1 : q) + kFiletimeUnixEpochTicks;
}
// Floor division, so a tick count in the middle of a millisecond maps to the millisecond it falls in.
inline constexpr int64_t FiletimeToEpochMillis(int64_t ticks) {
  const int64_t t = ticks - kFiletimeUnixEpochTicks;
  const int64_t q = t / 10000;
  return q * 10000 > t ? q - 1 : q;
}
// Epoch ns only spans 1677..2262: ticks outside that range saturate to INT64_MIN / INT64_MAX.
int64_t FiletimeToEpochNanos(int64_t ticks);
// A decimal tick string as Gen2 sends it; "0" (unset) is valid and returns 0.
Result<int64_t> ParseFiletimeTicks(std::string_view text);

// "2023-08-09T02:32:19.4463042Z": UTC with exactly 7 fractional digits (100 ns, truncated).
std::string FormatIso8601(int64_t epoch_ns);
// RFC 3339 with 0..9 fractional digits (truncated) and a "Z" or "+hh:mm" / "-hh:mm" suffix for the offset.
std::string FormatRfc3339(int64_t epoch_ns, int fraction_digits = 0, int utc_offset_minutes = 0);
// Accepts "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+hh:mm|-hh:mm)" ('t', 'z' and a space for 'T' accepted; leap second 60
// is rejected). Returns epoch ns.
Result<int64_t> ParseRfc3339(std::string_view text);

}  // namespace lakeshift::encoding
