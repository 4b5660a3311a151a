#include "http/retry.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <random>
#include <string>
#include <thread>

namespace lakeshift::http {
namespace {

std::optional<int64_t> ParseNonNegative(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

double UniformMinusOneToOne() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
}

}  // namespace

RetryPolicy RetryPolicy::None() {
  RetryPolicy policy;
  policy.max_retries = 0;
  policy.retry_statuses.clear();
  policy.retry_connection_errors = false;
  policy.retry_timeouts = false;
  return policy;
}

std::chrono::milliseconds RetryPolicy::DelayFor(int attempt, const Headers* response_headers) const {
  using std::chrono::milliseconds;
  if (response_headers != nullptr) {
    for (std::string_view name : {"retry-after-ms", "x-ms-retry-after-ms"}) {
      if (auto value = response_headers->Get(name)) {
        if (auto ms = ParseNonNegative(*value)) return std::min(milliseconds(*ms), max_delay);
      }
    }
    if (auto value = response_headers->Get("Retry-After")) {
      if (auto seconds = ParseNonNegative(*value)) {
        return std::min(milliseconds(*seconds * 1000), max_delay);
      }
      if (auto when = ParseHttpDate(*value)) {
        int64_t delta = *when - static_cast<int64_t>(std::time(nullptr));
        return std::min(milliseconds(std::max<int64_t>(delta, 0) * 1000), max_delay);
      }
    }
  }
  double delay = static_cast<double>(base_delay.count()) * std::ldexp(1.0, std::clamp(attempt - 1, 0, 62));
  delay = std::min(delay, static_cast<double>(max_delay.count()));
  if (jitter > 0) delay *= 1.0 + jitter * UniformMinusOneToOne();
  return milliseconds(static_cast<int64_t>(std::llround(std::max(delay, 0.0))));
}

void RetryPolicy::Sleep(std::chrono::milliseconds delay) const {
  if (sleep) {
    sleep(delay);
  } else if (delay.count() > 0) {
    std::this_thread::sleep_for(delay);
  }
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  std::string copy(text);
  std::tm tm{};
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatHttpDate(int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace lakeshift::http
