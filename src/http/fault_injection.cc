#include "http/fault_injection.h"

#include <chrono>
#include <sstream>
#include <thread>

namespace lakeshift::http {
namespace {

Result<double> ParseFraction(std::string_view key, const std::string& value) {
  try {
    size_t used = 0;
    double v = std::stod(value, &used);
    if (used == value.size() && v >= 0 && v <= 1) return v;
  } catch (...) {
  }
  return InvalidArgument("fault spec: " + std::string(key) + "=" + value + " must be a fraction from 0 to 1");
}

Result<int64_t> ParseCount(std::string_view key, const std::string& value, int64_t max) {
  try {
    size_t used = 0;
    long long v = std::stoll(value, &used);
    if (used == value.size() && v >= 0 && v <= max) return static_cast<int64_t>(v);
  } catch (...) {
  }
  return InvalidArgument("fault spec: " + std::string(key) + "=" + value + " must be a whole number from 0 to " +
                         std::to_string(max));
}

}  // namespace

Result<FaultOptions> ParseFaultSpec(std::string_view spec) {
  FaultOptions o;
  std::string text(spec);
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument("fault spec: \"" + item +
                             "\" is not KEY=VALUE (keys: error, status, retry-after, drop, "
                             "latency, seed)");
    }
    std::string key = item.substr(0, eq);
    std::string value = item.substr(eq + 1);
    if (key == "error") {
      ASSIGN_OR_RETURN(o.error_fraction, ParseFraction(key, value));
    } else if (key == "drop") {
      ASSIGN_OR_RETURN(o.drop_fraction, ParseFraction(key, value));
    } else if (key == "status") {
      ASSIGN_OR_RETURN(int64_t status, ParseCount(key, value, 599));
      if (status != 500 && status != 503) return InvalidArgument("fault spec: status must be 500 or 503");
      o.error_status = static_cast<int>(status);
    } else if (key == "retry-after") {
      ASSIGN_OR_RETURN(int64_t seconds, ParseCount(key, value, 3600));
      o.retry_after_seconds = static_cast<int>(seconds);
    } else if (key == "latency") {
      ASSIGN_OR_RETURN(int64_t ms, ParseCount(key, value, 60000));
      o.latency_ms = static_cast<int>(ms);
    } else if (key == "seed") {
      ASSIGN_OR_RETURN(int64_t seed, ParseCount(key, value, INT64_MAX));
      o.seed = static_cast<uint64_t>(seed);
    } else {
      return InvalidArgument("fault spec: unknown key \"" + key +
                             "\" (keys: error, status, retry-after, drop, latency, seed)");
    }
  }
  if (o.error_fraction + o.drop_fraction > 1) {
    return InvalidArgument("fault spec: error + drop fractions add up to more than 1");
  }
  return o;
}

std::string FormatFaultSpec(const FaultOptions& o) {
  std::ostringstream out;
  out << "error=" << o.error_fraction << ",status=" << o.error_status << ",retry-after=" << o.retry_after_seconds
      << ",drop=" << o.drop_fraction << ",latency=" << o.latency_ms;
  return out.str();
}

FaultInjector::FaultInjector(FaultOptions options)
    : options_(options), random_(options.seed != 0 ? options.seed : std::random_device{}()) {}

FaultAction FaultInjector::Next() {
  if (options_.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.latency_ms));
  if (options_.error_fraction <= 0 && options_.drop_fraction <= 0) return FaultAction::kNone;
  double draw;
  {
    std::lock_guard lock(mu_);
    draw = std::uniform_real_distribution<double>(0, 1)(random_);
  }
  if (draw < options_.error_fraction) return FaultAction::kError;
  if (draw < options_.error_fraction + options_.drop_fraction) return FaultAction::kDrop;
  return FaultAction::kNone;
}

}  // namespace lakeshift::http
