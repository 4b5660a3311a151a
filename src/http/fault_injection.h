#pragma once
// Fault injection for the emulators, so that other components' retry and resume paths are exercised against
// real servers: a fraction of requests fails with a retryable status (with Retry-After), a fraction loses its
// connection without an answer, and every request may be delayed. Each front-end renders the error in its own
// protocol; this module only decides.

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::http {

struct FaultOptions {
  double error_fraction = 0;    // of requests answered with error_status
  int error_status = 503;       // 500 or 503
  int retry_after_seconds = 1;  // Retry-After of those answers; 0 sends none
  double drop_fraction = 0;     // of requests whose connection is closed without an answer
  int latency_ms = 0;           // added before every request is handled
  uint64_t seed = 0;            // 0: a random seed

  bool enabled() const { return error_fraction > 0 || drop_fraction > 0 || latency_ms > 0; }
};

// Parses "error=0.1,status=503,retry-after=1,drop=0.02,latency=5,seed=7" (any subset, any order; empty = none).
// Errors name the bad item and say what is allowed.
Result<FaultOptions> ParseFaultSpec(std::string_view spec);
// The spec text of options, for logs.
std::string FormatFaultSpec(const FaultOptions& options);

enum class FaultAction : uint8_t { kNone, kError, kDrop };

// Thread-safe; one per server.
class FaultInjector {
 public:
  explicit FaultInjector(FaultOptions options);
  const FaultOptions& options() const { return options_; }
  // Sleeps for the configured latency, then says what to do with this request.
  FaultAction Next();

 private:
  FaultOptions options_;
  std::mutex mu_;
  std::mt19937_64 random_;
};

}  // namespace lakeshift::http
