#include "cli/output.h"

#include <ctime>
#include <iomanip>
#include <sstream>

namespace lakeshift::cli {

std::string FormatUtcMillis(int64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatLongListing(const fs::FileInfo& info) {
  std::ostringstream out;
  out << (info.is_directory() ? 'd' : '-') << acl::FormatSymbolicMode(info.mode, info.has_extended_acl) << ' '
      << std::left << std::setw(12) << info.owner << ' ' << std::setw(12) << info.group << ' ' << std::right
      << std::setw(10) << info.size << ' ' << FormatUtcMillis(info.modification_time_ms) << ' ' << info.path;
  return out.str();
}

}  // namespace lakeshift::cli
