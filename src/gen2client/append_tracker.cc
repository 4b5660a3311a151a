#include "gen2client/append_tracker.h"

#include <algorithm>
#include <functional>

#include "gen2/wire.h"

namespace lakeshift::gen2client {

std::optional<int64_t> AppendTracker::KnownEnd(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end() || !it->second.committed) return std::nullopt;
  int64_t end = *it->second.committed;
  for (const auto& [begin, stop] : it->second.staged) {
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
  // Etags compare without quotes and weak prefix: HEAD answers are parsed, other answers' headers are not.
  std::string plain = gen2::UnquoteEtag(etag);
  std::lock_guard lock(mu_);
  File& file = Entry(path);
  if (!file.etag.empty() && file.etag != plain) file.staged.clear();
  std::erase_if(file.staged, [&](const auto& range) { return range.second <= committed; });
  file.committed = committed;
  file.etag = std::move(plain);
}

void AppendTracker::Touched(const std::string& path, const std::string& etag) {
  std::lock_guard lock(mu_);
  if (auto it = files_.find(path); it != files_.end()) it->second.etag = gen2::UnquoteEtag(etag);
}

void AppendTracker::Staged(const std::string& path, int64_t begin, int64_t end) {
  if (end <= begin) return;
  std::lock_guard lock(mu_);
  // Kept merged: a 100 GB upload in 4 MB appends is one range, not 25,000 to sort on every append.
  auto& ranges = Entry(path).staged;
  auto it = std::lower_bound(ranges.begin(), ranges.end(), std::make_pair(begin, begin));
  if (it != ranges.begin() && std::prev(it)->second >= begin) --it;
  auto last = it;
  while (last != ranges.end() && last->first <= end) {
    begin = std::min(begin, last->first);
    end = std::max(end, last->second);
    ++last;
  }
  it = ranges.erase(it, last);
  ranges.insert(it, {begin, end});
}

void AppendTracker::Committed(const std::string& path, int64_t length, const std::string& etag) {
  std::lock_guard lock(mu_);
  File& file = Entry(path);
  file.staged.clear();
  file.committed = length;
  file.etag = gen2::UnquoteEtag(etag);
}

void AppendTracker::Forget(const std::string& path) {
  std::lock_guard lock(mu_);
  files_.erase(path);
  const std::string prefix = path == "/" ? path : path + "/";
  std::erase_if(files_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
}

std::mutex& AppendTracker::EndLock(const std::string& path) {
  return end_locks_[std::hash<std::string>{}(path) % end_locks_.size()];
}

}  // namespace lakeshift::gen2client
