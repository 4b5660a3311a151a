// The SQLite journal: one connection behind a mutex (the engine's writes are small and frequent; SQLite in
// WAL mode commits them far faster than the network moves files).

#include <chrono>
#include <mutex>
#include <vector>

#include "common/group_commit.h"
#include "migrate/journal.h"
#include "store/sqlite.h"

namespace lakeshift::migrate {
namespace {

using store::Database;
using store::Statement;

constexpr int kSchemaVersion = 2;  // 2: items.target_etag and the index by target path

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr const char* kItemColumns =
    "path, target_path, type, size, mtime, atime, expiry, metadata, state, md5, seen_run, copied_run, attempts, "
    "copies, error, target_etag";

JournalItem ItemFromRow(const Statement& s) {
  JournalItem item;
  item.path = s.Text(0);
  item.target_path = s.Text(1);
  item.target_etag = s.Text(15);
  item.type = s.Int(2) == 1 ? fs::FileType::kDirectory : fs::FileType::kFile;
  item.size = s.Int(3);
  item.modification_time_ms = s.Int(4);
  item.access_time_ms = s.Int(5);
  item.expiry_time_ms = s.Int(6);
  item.metadata = s.Text(7);
  item.state = static_cast<ItemState>(s.Int(8));
  item.content_md5 = s.Text(9);
  item.seen_run = s.Int(10);
  item.copied_run = s.Int(11);
  item.attempts = s.Int(12);
  item.copies = s.Int(13);
  item.error = s.Text(14);
  return item;
}

class SqliteJournal final : public Journal {
 public:
  explicit SqliteJournal(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  Status Init() {
    RETURN_IF_ERROR(db_->Exec(
        "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, mode TEXT NOT NULL,"
        "  started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL DEFAULT '',"
        "  summary TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE IF NOT EXISTS items (path TEXT PRIMARY KEY, target_path TEXT NOT NULL, type INTEGER NOT NULL,"
        "  size INTEGER NOT NULL, mtime INTEGER NOT NULL, atime INTEGER NOT NULL, expiry INTEGER NOT NULL,"
        "  metadata TEXT NOT NULL, state INTEGER NOT NULL, md5 TEXT NOT NULL, seen_run INTEGER NOT NULL,"
        "  copied_run INTEGER NOT NULL, attempts INTEGER NOT NULL, copies INTEGER NOT NULL, error TEXT NOT NULL,"
        "  target_etag TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS items_by_seen ON items (seen_run, path);"));
    ASSIGN_OR_RETURN(std::optional<std::string> version, GetValueLocked("schema_version"));
    if (!version) {
      RETURN_IF_ERROR(db_->Exec("CREATE INDEX IF NOT EXISTS items_by_target ON items (target_path);"));
      return SetValueLocked("schema_version", std::to_string(kSchemaVersion));
    }
    if (*version == "1") {  // a journal of the previous version: gains the target etags, empty until copied again
      RETURN_IF_ERROR(
          db_->Exec("ALTER TABLE items ADD COLUMN target_etag TEXT NOT NULL DEFAULT '';"
                    "CREATE INDEX IF NOT EXISTS items_by_target ON items (target_path);"));
      RETURN_IF_ERROR(SetValueLocked("schema_version", std::to_string(kSchemaVersion)));
      version = std::to_string(kSchemaVersion);
    }
    if (*version != std::to_string(kSchemaVersion)) {
      return Status(StatusCode::kInvalidArgument, "journal schema version " + *version + " is not " +
                                                      std::to_string(kSchemaVersion) +
                                                      "; use the lakeshift version that made it, or a new journal");
    }
    return Status::Ok();
  }

  Status Bind(std::string_view source, std::string_view target) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(std::optional<std::string> s, GetValueLocked("source"));
    ASSIGN_OR_RETURN(std::optional<std::string> t, GetValueLocked("target"));
    if (!s && !t) {
      RETURN_IF_ERROR(SetValueLocked("source", source));
      return SetValueLocked("target", target);
    }
    if (s.value_or("") != source || t.value_or("") != target) {
      return Status(StatusCode::kInvalidArgument, "this journal belongs to the migration from " + s.value_or("?") +
                                                      " to " + t.value_or("?") + ", not from " + std::string(source) +
                                                      " to " + std::string(target) +
                                                      "; pass the right --journal, or a new path for a new migration");
    }
    return Status::Ok();
  }

  Result<int64_t> BeginRun(std::string_view mode) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare("INSERT INTO runs (mode, started_ms) VALUES (?, ?)"));
    s->Bind(1, mode).Bind(2, NowMs());
    RETURN_IF_ERROR(s->Run());
    return db_->LastInsertRowId();
  }

  Status FinishRun(int64_t run, std::string_view outcome, std::string_view summary_json) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Statement * s,
                     db_->Prepare("UPDATE runs SET finished_ms = ?, outcome = ?, summary = ? WHERE id = ?"));
    s->Bind(1, NowMs()).Bind(2, outcome).Bind(3, summary_json).Bind(4, run);
    return s->Run();
  }

  Result<std::optional<RunRecord>> LastRun() override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare("SELECT id, mode, started_ms, finished_ms, outcome, summary FROM runs "
                                                 "ORDER BY id DESC LIMIT 1"));
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<RunRecord>();
    RunRecord r{s->Int(0), s->Text(1), s->Int(2), s->Int(3), s->Text(4), s->Text(5)};
    s->Reset();
    return std::optional<RunRecord>(std::move(r));
  }

  Result<std::optional<JournalItem>> Get(std::string_view path) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare(std::string("SELECT ") + kItemColumns + " FROM items WHERE path = ?"));
    s->Bind(1, path);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<JournalItem>();
    JournalItem item = ItemFromRow(*s);
    s->Reset();
    return std::optional<JournalItem>(std::move(item));
  }

  // Group commit (common/group_commit.h): concurrent Puts share one transaction. A Put returns only once its row
  // is committed, as before, but the many workers of a migration no longer pay a commit each.
  Status Put(const JournalItem& item) override { return puts_.Submit(item); }

  Result<std::vector<std::optional<KeptTimes>>> GetKeptTimes(const std::vector<TargetVersion>& files) override {
    constexpr size_t kBatch = 256;  // bound parameters per query (SQLite allows 999 by default)
    std::vector<std::optional<KeptTimes>> kept(files.size());
    std::unordered_map<std::string_view, size_t> index;  // target path -> position in `files`
    index.reserve(files.size());
    for (size_t i = 0; i < files.size(); ++i) index.emplace(files[i].target_path, i);
    std::lock_guard lock(mu_);
    for (size_t begin = 0; begin < files.size(); begin += kBatch) {
      size_t count = std::min(kBatch, files.size() - begin);
      // Only the columns needed, read without copies: a listing page asks for thousands of rows.
      std::string sql =
          "SELECT target_path, target_etag, mtime, atime FROM items WHERE state = ? AND target_path IN (?";
      for (size_t i = 1; i < count; ++i) sql += ",?";
      sql += ")";
      ASSIGN_OR_RETURN(Statement * s, db_->Prepare(sql));
      s->Bind(1, static_cast<int64_t>(ItemState::kDone));
      for (size_t i = 0; i < count; ++i) s->Bind(static_cast<int>(i + 2), files[begin + i].target_path);
      while (true) {
        ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        auto it = index.find(s->TextView(0));
        if (it == index.end()) continue;
        std::string_view etag = s->TextView(1);
        if (etag.empty() || etag != files[it->second].etag) continue;
        kept[it->second] = KeptTimes{s->Int(2), s->Int(3)};
      }
    }
    return kept;
  }

  Result<KeptUnder> GetKeptUnder(std::string_view dir, std::string_view after, size_t max_rows) override {
    std::string prefix(dir);
    if (prefix.empty() || prefix.back() != '/') prefix += '/';
    std::string low = prefix + std::string(after);
    std::string high = prefix;
    high.back() = '0';  // '/' + 1: the first string after every "dir/..."
    KeptUnder kept;
    kept.read_after = low;
    std::string last_read = low;  // everything up to here has been read
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare("SELECT target_path, state, target_etag, mtime, atime FROM items "
                                                 "WHERE target_path > ? AND target_path < ? ORDER BY target_path"));
    s->Bind(1, low);
    s->Bind(2, high);
    for (size_t rows = 0;; ++rows) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      if (rows == max_rows) {  // more rows than allowed: the caller looks past last_read some other way
        kept.read_through = std::move(last_read);
        break;
      }
      std::string_view path = s->TextView(0);
      last_read.assign(path);
      std::string_view etag = s->TextView(2);
      if (s->Int(1) != static_cast<int64_t>(ItemState::kDone) || etag.empty()) continue;
      kept.by_target_path.emplace(std::string(path), KeptVersion{std::string(etag), KeptTimes{s->Int(3), s->Int(4)}});
    }
    s->Reset();  // ends the read transaction even when the loop stopped early
    return kept;
  }

  Status Remove(std::string_view path) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare("DELETE FROM items WHERE path = ?"));
    s->Bind(1, path);
    return s->Run();
  }

  Status ForEachUnseen(int64_t run, const std::function<Status(const JournalItem&)>& visit) override {
    // In batches, so the visitor may change rows (and take the lock) between them.
    std::optional<std::string> before;
    while (true) {
      std::vector<JournalItem> batch;
      {
        std::lock_guard lock(mu_);
        std::string sql = std::string("SELECT ") + kItemColumns + " FROM items WHERE seen_run < ?" +
                          (before ? " AND path < ?" : "") + " ORDER BY path DESC LIMIT 1000";
        ASSIGN_OR_RETURN(Statement * s, db_->Prepare(sql));
        s->Bind(1, run);
        if (before) s->Bind(2, *before);
        while (true) {
          ASSIGN_OR_RETURN(bool row, s->Step());
          if (!row) break;
          batch.push_back(ItemFromRow(*s));
        }
      }
      if (batch.empty()) return Status::Ok();
      before = batch.back().path;
      for (const JournalItem& item : batch) RETURN_IF_ERROR(visit(item));
    }
  }

  Status ForEach(const std::function<Status(const JournalItem&)>& visit) override {
    std::optional<std::string> after;
    while (true) {
      std::vector<JournalItem> batch;
      {
        std::lock_guard lock(mu_);
        std::string sql = std::string("SELECT ") + kItemColumns + " FROM items" + (after ? " WHERE path > ?" : "") +
                          " ORDER BY path LIMIT 1000";
        ASSIGN_OR_RETURN(Statement * s, db_->Prepare(sql));
        if (after) s->Bind(1, *after);
        while (true) {
          ASSIGN_OR_RETURN(bool row, s->Step());
          if (!row) break;
          batch.push_back(ItemFromRow(*s));
        }
      }
      if (batch.empty()) return Status::Ok();
      after = batch.back().path;
      for (const JournalItem& item : batch) RETURN_IF_ERROR(visit(item));
    }
  }

  Status SetValue(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    return SetValueLocked(key, value);
  }

  Result<std::optional<std::string>> GetValue(std::string_view key) override {
    std::lock_guard lock(mu_);
    return GetValueLocked(key);
  }

 private:
  using PutBatch = std::vector<GroupCommit<JournalItem>::Entry*>;

  // One transaction for a batch of Puts; each gets its own statement's outcome, or the commit's failure.
  void WriteBatch(const PutBatch& batch) {
    std::lock_guard lock(mu_);
    Status begun = db_->Begin();
    if (!begun.ok()) {
      for (auto* put : batch) put->result = begun;
      return;
    }
    for (auto* put : batch) put->result = InsertLocked(*put->item);
    Status committed = db_->Commit();
    if (!committed.ok()) {
      db_->Rollback();
      for (auto* put : batch) put->result = committed;
    }
  }

  Status InsertLocked(const JournalItem& item) {
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare(std::string("INSERT OR REPLACE INTO items (") + kItemColumns +
                                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, item.path)
        .Bind(2, item.target_path)
        .Bind(3, int64_t{item.is_directory() ? 1 : 0})
        .Bind(4, item.size)
        .Bind(5, item.modification_time_ms)
        .Bind(6, item.access_time_ms)
        .Bind(7, item.expiry_time_ms)
        .Bind(8, item.metadata)
        .Bind(9, static_cast<int64_t>(item.state))
        .Bind(10, item.content_md5)
        .Bind(11, item.seen_run)
        .Bind(12, item.copied_run)
        .Bind(13, item.attempts)
        .Bind(14, item.copies)
        .Bind(15, item.error)
        .Bind(16, item.target_etag);
    return s->Run();
  }

  Status SetValueLocked(std::string_view key, std::string_view value) {
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)"));
    s->Bind(1, key).Bind(2, value);
    return s->Run();
  }

  Result<std::optional<std::string>> GetValueLocked(std::string_view key) {
    ASSIGN_OR_RETURN(Statement * s, db_->Prepare("SELECT value FROM settings WHERE key = ?"));
    s->Bind(1, key);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<std::string>();
    std::string value = s->Text(0);
    s->Reset();
    return std::optional<std::string>(std::move(value));
  }

  std::mutex mu_;  // the connection
  std::unique_ptr<Database> db_;
  GroupCommit<JournalItem> puts_{[this](const PutBatch& batch) { WriteBatch(batch); }};
};

}  // namespace

std::string_view ItemStateName(ItemState state) {
  switch (state) {
    case ItemState::kPending: return "pending";
    case ItemState::kCopying: return "copying";
    case ItemState::kDone: return "done";
    case ItemState::kFailed: return "failed";
    case ItemState::kSkipped: return "skipped";
  }
  return "unknown";
}

Result<std::unique_ptr<Journal>> OpenSqliteJournal(const std::string& file) {
  auto db = Database::Open(file, /*synchronous_full=*/false);
  if (!db.ok()) {
    return Status(db.status().code(), "cannot open the journal " + file + ": " + db.status().message());
  }
  auto journal = std::make_unique<SqliteJournal>(std::move(db).value());
  RETURN_IF_ERROR(journal->Init());
  return std::unique_ptr<Journal>(std::move(journal));
}

}  // namespace lakeshift::migrate
