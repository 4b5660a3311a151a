#pragma once
// What one process knows of the files it appends to on Gen2, for Gen1's sequential-append answers.
//
// Gen1 answers BadOffset when an APPEND's offset is not the end of the data, bytes appended and not yet flushed
// included. Gen2 reports only the committed length, so this remembers, per path, the committed length and etag
// last seen and the ranges appended since. It is a cache, never the truth: other processes (gateways behind one
// address, Gen2 applications) append and flush too. So a caller asks the service again before refusing an offset,
// takes an offset past the known end on trust (the final flush checks for gaps), and forgets a file whenever a
// request to it fails. Whoever flushes without retainUncommittedData, or re-creates the file, drops every staged
// byte; both change the etag, so staged ranges recorded under another etag are dropped when the service is asked.
//
// Clients that write for different callers (the gateway's) share one tracker. Thread-safe.

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lakeshift::gen2client {

class AppendTracker {
 public:
  explicit AppendTracker(size_t max_files = 4096) : max_files_(max_files) {}

  // The committed length plus the staged bytes contiguous with it; nullopt when the committed length is not known
  // (ask the service, then Learn).
  std::optional<int64_t> KnownEnd(const std::string& path) const;
  bool Knows(const std::string& path) const;

  // What the service says the file is now. Staged ranges recorded under another etag are dropped (ranges whose
  // etag was never known are this process's own appends and stay), and so are ranges the committed length covers.
  void Learn(const std::string& path, int64_t committed, const std::string& etag);
  // This process changed the file's metadata (ACL, properties, expiry): a new etag, the staged bytes untouched.
  void Touched(const std::string& path, const std::string& etag);
  // Held across asking for the end and appending there (CONCURRENTAPPEND), so that appends at the end through
  // one process do not land on one another. Striped: unrelated paths may share a lock.
  std::mutex& EndLock(const std::string& path);
  // Bytes [begin, end) were appended (and not flushed), or are taken to have been by another process.
  void Staged(const std::string& path, int64_t begin, int64_t end);
  // This process committed `length` bytes (flush or create without retaining staged data); `etag` is the one the
  // service answered with, or empty when it did not say.
  void Committed(const std::string& path, int64_t length, const std::string& etag);
  // Nothing is known of `path` or anything under it any more (a rename, a delete, a failed request).
  void Forget(const std::string& path);

 private:
  struct File {
    std::optional<int64_t> committed;
    std::string etag;  // of the committed version the staged ranges were appended to, unquoted; empty: unknown
    std::vector<std::pair<int64_t, int64_t>> staged;  // sorted, disjoint and not adjacent
  };
  File& Entry(const std::string& path);  // mu_ held

  const size_t max_files_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, File> files_;
  std::array<std::mutex, 64> end_locks_;
};

}  // namespace lakeshift::gen2client
