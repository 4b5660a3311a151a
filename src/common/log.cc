#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace lakeshift::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mutex;
std::function<void(Level, std::string_view)>& SinkSlot() {
  static std::function<void(Level, std::string_view)> sink;
  return sink;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARN";
    case Level::kError: return "ERROR";
    case Level::kOff: return "OFF";
  }
  return "?";
}

}  // namespace

void SetLevel(Level level) {
  g_level.store(static_cast<int>(level));
}
Level GetLevel() {
  return static_cast<Level>(g_level.load());
}
bool Enabled(Level level) {
  return static_cast<int>(level) >= g_level.load() && level != Level::kOff;
}

void SetSink(std::function<void(Level, std::string_view)> sink) {
  std::lock_guard<std::mutex> lock(g_mutex);
  SinkSlot() = std::move(sink);
}

void Write(Level level, std::string_view message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (SinkSlot()) {
    SinkSlot()(level, message);
    return;
  }
  std::timespec ts{};
  std::timespec_get(&ts, TIME_UTC);
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::fprintf(stderr, "%s.%03ldZ %-5s %.*s\n", stamp, ts.tv_nsec / 1000000, LevelName(level),
               static_cast<int>(message.size()), message.data());
}

}  // namespace lakeshift::log
