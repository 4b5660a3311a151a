#pragma once
// Minimal leveled logging to stderr (or a test sink). Thread-safe; one line per call.
// Never pass secrets (keys, tokens, SAS signatures) to the logger.

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace lakeshift::log {

enum class Level : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

void SetLevel(Level level);
Level GetLevel();
// Replaces the output (default: stderr). Pass nullptr to restore stderr.
void SetSink(std::function<void(Level, std::string_view)> sink);
void Write(Level level, std::string_view message);
bool Enabled(Level level);

}  // namespace lakeshift::log

// expr is a stream chain (a << b << c), so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define LAKESHIFT_LOG(level, expr)                        \
  do {                                                    \
    if (::lakeshift::log::Enabled(level)) {               \
      std::ostringstream _log_stream_;                    \
      _log_stream_ << expr;                               \
      ::lakeshift::log::Write(level, _log_stream_.str()); \
    }                                                     \
  } while (false)
// NOLINTEND(bugprone-macro-parentheses)
#define LOG_DEBUG(expr) LAKESHIFT_LOG(::lakeshift::log::Level::kDebug, expr)
#define LOG_INFO(expr) LAKESHIFT_LOG(::lakeshift::log::Level::kInfo, expr)
#define LOG_WARNING(expr) LAKESHIFT_LOG(::lakeshift::log::Level::kWarning, expr)
#define LOG_ERROR(expr) LAKESHIFT_LOG(::lakeshift::log::Level::kError, expr)
