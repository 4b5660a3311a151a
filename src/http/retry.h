#pragma once
// Retry policy of the HTTP client: which failures to retry, how long to wait between attempts.

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string_view>

#include "http/headers.h"

namespace lakeshift::http {

struct RetryPolicy {
  int max_retries = 4;  // attempts = 1 + max_retries
  std::chrono::milliseconds base_delay{800};
  std::chrono::milliseconds max_delay{60000};
  double jitter = 0.25;  // delay = min(max, base * 2^(attempt-1)) * (1 ± jitter)
  std::set<int> retry_statuses{408, 429, 500, 502, 503, 504};
  bool retry_connection_errors = true;  // refused, reset, DNS failures, ...
  bool retry_timeouts = true;           // a request that timed out is tried again
  // Injectable for tests; null => std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;

  static RetryPolicy None();

  // Delay before retry `attempt` (1-based). When the failed response's headers carry retry-after-ms,
  // x-ms-retry-after-ms or Retry-After (seconds or HTTP date), that wins, capped by max_delay.
  std::chrono::milliseconds DelayFor(int attempt, const Headers* response_headers) const;
  void Sleep(std::chrono::milliseconds delay) const;
};

// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") to seconds since the epoch.
std::optional<int64_t> ParseHttpDate(std::string_view text);
// Formats seconds since the epoch as an IMF-fixdate.
std::string FormatHttpDate(int64_t epoch_seconds);

}  // namespace lakeshift::http
