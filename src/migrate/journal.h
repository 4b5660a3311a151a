#pragma once
// The migration journal: one row per source item with what was copied and in what state, plus one row per
// run. It is what makes a migration resumable (a finished item is never copied again unless the source
// changed) and incremental (a re-run compares the source with the journal, not with the target). SQLite is
// the default; the interface is what a PostgreSQL journal shared by several machines implements.
//
// Paths are relative to the migrated roots ("/a/b"; "/" is the root itself). Secrets never go in here.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "fs/filesystem.h"

namespace lakeshift::migrate {

enum class ItemState : uint8_t {
  kPending = 0,  // seen, not yet copied (or changed since)
  kCopying = 1,  // a copy started; a crash here means it is copied again
  kDone = 2,     // content and metadata are on the target as recorded
  kFailed = 3,   // gave up after retries; `error` says why
  kSkipped = 4,  // left out on purpose (incompatible name with --names skip, unsupported type)
};
std::string_view ItemStateName(ItemState state);

struct JournalItem {
  std::string path;         // source path relative to the source root
  std::string target_path;  // target path relative to the target root (differs when a name was rewritten)
  fs::FileType type = fs::FileType::kFile;
  int64_t size = 0;
  int64_t modification_time_ms = 0;  // the source's, kept because Gen2 cannot set Last-Modified
  int64_t access_time_ms = 0;
  int64_t expiry_time_ms = 0;
  std::string metadata;  // owner, group, mode, ACL and expiry as copied (see MetadataSignature)
  ItemState state = ItemState::kPending;
  std::string content_md5;  // base64 MD5 of the source bytes as copied
  int64_t seen_run = 0;     // last run whose walk saw the item on the source
  int64_t copied_run = 0;   // run that last finished copying its content
  int64_t attempts = 0;     // content copies started, over all runs
  int64_t copies = 0;       // content copies finished, over all runs
  std::string error;
  // The target file's etag when the copy (and its metadata) was finished: while the target still has it, the item
  // is unchanged since the migration, and the gateway shows the source times kept above.
  std::string target_etag;

  bool is_directory() const { return type == fs::FileType::kDirectory; }
};

// A file as a listing of the target shows it: its path relative to the target root, and its etag.
struct TargetVersion {
  std::string_view target_path;
  std::string_view etag;
};

// The source's times, kept for a file the migration copied (Gen2 cannot set Last-Modified).
struct KeptTimes {
  int64_t modification_time_ms = 0;
  int64_t access_time_ms = 0;
};

// What a finished copy left at a target path: the etag the file had then, and the source's times.
struct KeptVersion {
  std::string target_etag;
  KeptTimes times;
};

// The kept versions of the items under a target directory, read in path order from a starting point.
struct KeptUnder {
  std::unordered_map<std::string, KeptVersion> by_target_path;
  // The read started after this path ("dir/after"): paths up to it were not read.
  std::string read_after;
  // The last target path read when the row limit stopped the read: paths after it were not read. Empty when
  // every item from the starting point to the end of the directory was read.
  std::string read_through;
};

struct RunRecord {
  int64_t id = 0;
  std::string mode;  // "test", "complete"
  int64_t started_ms = 0;
  int64_t finished_ms = 0;  // 0 while running (or when the run was killed)
  std::string outcome;      // "", "ok", "failed", "interrupted"
  std::string summary_json;
};

class Journal {
 public:
  virtual ~Journal() = default;

  // Ties the journal to one source and target (URLs without secrets). A journal made for another pair is
  // refused, so a typo cannot mix two migrations.
  virtual Status Bind(std::string_view source, std::string_view target) = 0;
  virtual Result<int64_t> BeginRun(std::string_view mode) = 0;
  virtual Status FinishRun(int64_t run, std::string_view outcome, std::string_view summary_json) = 0;
  virtual Result<std::optional<RunRecord>> LastRun() = 0;

  virtual Result<std::optional<JournalItem>> Get(std::string_view path) = 0;
  virtual Status Put(const JournalItem& item) = 0;  // insert or replace
  // The source times kept for each of `files` that is still the very version a finished copy wrote (its etag is
  // the recorded one): entry i answers files[i], nullopt for the others. A few queries per listing page.
  virtual Result<std::vector<std::optional<KeptTimes>>> GetKeptTimes(const std::vector<TargetVersion>& files) = 0;
  // The kept versions of finished copies under the target directory `dir` whose paths sort after
  // dir/`after` (all of them when `after` is empty), reading at most `max_rows` rows: items deeper down are read
  // (and counted) too. One range read of the index, which a listing can start before it has the names.
  virtual Result<KeptUnder> GetKeptUnder(std::string_view dir, std::string_view after, size_t max_rows) = 0;
  virtual Status Remove(std::string_view path) = 0;
  // Items whose last sighting is before `run`: gone from the source since. Deepest paths first, so a
  // directory comes after its contents.
  virtual Status ForEachUnseen(int64_t run, const std::function<Status(const JournalItem&)>& visit) = 0;
  // Every item in path order.
  virtual Status ForEach(const std::function<Status(const JournalItem&)>& visit) = 0;
  // Free-form settings of the migration (name mappings, cutover state, ...).
  virtual Status SetValue(std::string_view key, std::string_view value) = 0;
  virtual Result<std::optional<std::string>> GetValue(std::string_view key) = 0;
};

// Opens or creates a SQLite journal file (WAL; commits survive a killed process).
Result<std::unique_ptr<Journal>> OpenSqliteJournal(const std::string& file);

}  // namespace lakeshift::migrate
