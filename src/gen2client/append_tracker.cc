#include "gen2client/append_tracker.h"

#include <algorithm>

namespace lakeshift::gen2client {

std::optional<int64_t> AppendTracker::KnownEnd(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end() || !it->second.committed) return std::nullopt;
  std::vector<std::pair<int64_t, int64_t>> ranges = it->second.staged;
  std::sort(ranges.begin(), ranges.end());
  int64_t end = *it->second.committed;
  for (const auto& [begin, stop] : ranges) {
    if (begin > end) break;
    end = std::max(end, stop);
  }
  return end;
}

bool AppendTracker::Knows(const std::string& path) const {
  std::lock_guard lock(mu_);
  return files_.count(path) > 0;
}

AppendTracker::File& AppendTracker::Entry(const std::string& path) {
  if (files_.size() >= max_files_ && files_.count(path) == 0) {
    // A cache: files with nothing staged are cheapest to ask about again; if every file has staged bytes, losing
    // them only turns a later early BadOffset into a check at the final flush.
    std::erase_if(files_, [](const auto& entry) { return entry.second.staged.empty(); });
    if (files_.size() >= max_files_) files_.clear();
  }
  return files_[path];
}

void AppendTracker::Learn(const std::string& path, int64_t committed, const std::string& etag) {
  std::lock_guard lock(mu_);
  File& file = Entry(path);
  if (file.etag.empty() || file.etag != etag) file.staged.clear();
  std::erase_if(file.staged, [&](const auto& range) { return range.second <= committed; });
  file.committed = committed;
  file.etag = etag;
}

void AppendTracker::Staged(const std::string& path, int64_t begin, int64_t end) {
  if (end <= begin) return;
  std::lock_guard lock(mu_);
  Entry(path).staged.emplace_back(begin, end);
}

void AppendTracker::Committed(const std::string& path, int64_t length, const std::string& etag) {
  std::lock_guard lock(mu_);
  File& file = Entry(path);
  file.staged.clear();
  file.committed = length;
  file.etag = etag;
}

void AppendTracker::Forget(const std::string& path) {
  std::lock_guard lock(mu_);
  files_.erase(path);
  const std::string prefix = path == "/" ? path : path + "/";
  std::erase_if(files_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
}

}  // namespace lakeshift::gen2client
