#pragma once
// The migration engine: walks the source tree (walker), decides per item from the journal what is new,
// changed or unchanged (checker), copies content and metadata on a pool of workers (transfer), then applies
// the deletions the walk found. Every decision and result goes to the journal, so a killed run resumes
// where it stopped and a re-run copies only what changed.

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "fs/filesystem.h"
#include "migrate/journal.h"
#include "migrate/metadata.h"

namespace lakeshift::migrate {

// One side of a migration: a store and the directory in it that is migrated.
struct Endpoint {
  fs::FileSystem* fs = nullptr;
  std::string root = "/";
  std::string url;  // for messages and reports, without secrets
};

enum class NamePolicy : uint8_t { kStop, kSkip, kRename };

// Live counters, readable from another thread while the run goes on.
struct Progress {
  std::atomic<int64_t> files_found{0}, dirs_found{0}, bytes_found{0};
  std::atomic<int64_t> files_done{0}, dirs_done{0}, bytes_done{0};  // copied, updated or unchanged
  std::atomic<int64_t> files_copied{0}, bytes_copied{0}, dirs_created{0}, metadata_updated{0}, unchanged{0};
  std::atomic<int64_t> deleted{0}, failed{0}, skipped{0}, retries{0};
  std::atomic<bool> walk_finished{false};
};

struct MigrateOptions {
  std::string mode = "test";
  int parallel_files = 16;
  int parallel_blocks = 16;            // range reads/appends of large files in flight, over all files
  int64_t block_size = 8 << 20;        // files up to this size go in one request
  int64_t memory_limit = 128LL << 20;  // block buffers, in bytes (more is slower here: fresh pages cost)
  NamePolicy names = NamePolicy::kStop;
  bool check_gen2_names = true;  // off when the target is not Gen2 (a local directory)
  IdentityMap identities;
  UnmappedPolicy unmapped = UnmappedPolicy::kKeep;
  bool keep_deleted = false;
  bool verify_md5 = true;
  int64_t max_rate = 0;                       // bytes/s read from the source; 0 = unlimited
  int max_attempts = 3;                       // per file and run, for errors that may pass
  bool dry_run = false;                       // walk and count only
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by Ctrl-C) to stop after the files in flight
  Progress* progress = nullptr;
  // Called for each failure as it happens (path, reason).
  std::function<void(const std::string&, const std::string&)> on_failure;
};

struct ItemProblem {
  std::string path;
  std::string reason;
};

struct MigrationReport {
  int64_t run_id = 0;
  std::string mode;
  std::string source;
  std::string target;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int64_t files_found = 0, dirs_found = 0, bytes_found = 0;
  int64_t files_copied = 0, bytes_copied = 0, dirs_created = 0, metadata_updated = 0, unchanged = 0;
  int64_t deleted = 0, failed = 0, skipped = 0, retries = 0;
  bool walk_complete = false;  // every directory was listed (deletions are applied only then)
  bool interrupted = false;
  bool dry_run = false;
  std::vector<ItemProblem> failures;            // the first 10,000; `failed` is the count
  std::vector<ItemProblem> incompatible_names;  // names Gen2 cannot hold, with the policy's outcome
  std::set<std::string> unmapped_identities;

  bool ok() const { return failed == 0 && !interrupted && walk_complete; }
  std::string ToJson() const;
  std::string Summary() const;  // one screen for people
};

// Runs one migration pass. Errors of single items are in the report; the Status is an error only when the
// run could not start or go on (the endpoints or the journal failed).
Result<MigrationReport> Migrate(const Endpoint& source, const Endpoint& target, Journal& journal,
                                const MigrateOptions& options);

// Joins a root and a relative path ("/" + "/a" = "/a", "/x" + "/" = "/x").
std::string JoinPath(const std::string& root, const std::string& relative);

}  // namespace lakeshift::migrate
