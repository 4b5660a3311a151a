#include "emulator/block_staging.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>

#include "common/log.h"
#include "gen2/errors.h"
#include "store/content_files.h"
#include "store/sqlite.h"

namespace lakeshift::emulator {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS uncommitted (
  path TEXT NOT NULL,
  id TEXT NOT NULL,
  id_length INTEGER NOT NULL,
  size INTEGER NOT NULL,
  data_key TEXT NOT NULL,
  staged_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (path, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uncommitted_by_seq ON uncommitted(path, seq);
CREATE TABLE IF NOT EXISTS committed (
  path TEXT PRIMARY KEY,
  creation_ms INTEGER NOT NULL,
  modification_ms INTEGER NOT NULL,
  size INTEGER NOT NULL,
  blocks TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS writing (data_key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unlink (data_key TEXT PRIMARY KEY) WITHOUT ROWID;
)sql";

// Rows of `path`, or of `path` and everything below it: bind ?1 = path, ?2 = subtree (0/1).
constexpr const char* kPathMatch = "(path = ?1 OR (?2 AND substr(path, 1, length(?1) + 1) = ?1 || '/'))";

// Committed lists are stored as "id size" lines (base64 ids hold no spaces or line breaks).
std::string FormatBlocks(const std::vector<gen2::BlobBlock>& blocks) {
  std::string out;
  for (const gen2::BlobBlock& b : blocks) out += b.id + " " + std::to_string(b.size) + "\n";
  return out;
}

std::vector<gen2::BlobBlock> ParseBlocks(std::string_view text) {
  std::vector<gen2::BlobBlock> out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    out.push_back({std::string(line.substr(0, space)), std::stoll(std::string(line.substr(space + 1)))});
  }
  return out;
}

}  // namespace

BlockStaging::BlockStaging(std::unique_ptr<store::Database> db, std::unique_ptr<store::ContentFiles> files,
                           std::function<int64_t()> clock_ms)
    : db_(std::move(db)), files_(std::move(files)), clock_ms_(std::move(clock_ms)) {}

BlockStaging::~BlockStaging() = default;

Result<std::unique_ptr<BlockStaging>> BlockStaging::Open(const std::string& directory,
                                                         std::function<int64_t()> clock_ms) {
  if (::mkdir(directory.c_str(), 0750) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create block directory " + directory, errno);
  }
  auto files = std::make_unique<store::ContentFiles>(directory + "/data");
  RETURN_IF_ERROR(files->Init());
  ASSIGN_OR_RETURN(auto db, store::Database::Open(directory + "/blocks.db", false));
  RETURN_IF_ERROR(db->Exec(kSchema));
  std::unique_ptr<BlockStaging> staging(new BlockStaging(std::move(db), std::move(files), std::move(clock_ms)));
  std::lock_guard<std::mutex> lock(staging->mu_);
  // Blocks whose upload a crash interrupted are removed with the ones already queued.
  RETURN_IF_ERROR(staging->db_->Exec("INSERT OR IGNORE INTO unlink SELECT data_key FROM writing; DELETE FROM writing"));
  RETURN_IF_ERROR(staging->ProcessUnlinks());
  ASSIGN_OR_RETURN(store::Statement * max_seq, staging->db_->Prepare("SELECT coalesce(max(seq), 0) FROM uncommitted"));
  ASSIGN_OR_RETURN(bool row, max_seq->Step());
  staging->sequence_ = row ? max_seq->Int(0) : 0;
  max_seq->Reset();
  RETURN_IF_ERROR(staging->ExpireIfDue());
  return staging;
}

int64_t BlockStaging::Now() const {
  if (clock_ms_) return clock_ms_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status BlockStaging::ProcessUnlinks() {
  ASSIGN_OR_RETURN(store::Statement * s, db_->Prepare("SELECT data_key FROM unlink"));
  std::vector<std::string> keys;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    keys.push_back(s->Text(0));
  }
  for (const std::string& key : keys) {
    RETURN_IF_ERROR(files_->Unlink(key));
    ASSIGN_OR_RETURN(store::Statement * done, db_->Prepare("DELETE FROM unlink WHERE data_key = ?"));
    done->Bind(1, key);
    RETURN_IF_ERROR(done->Run());
  }
  return Status::Ok();
}

Status BlockStaging::ExpireIfDue() {
  int64_t now = Now();
  if (now < next_expiry_check_ms_) return Status::Ok();
  next_expiry_check_ms_ = now + int64_t{3600} * 1000;
  const std::string stale = "path IN (SELECT path FROM uncommitted GROUP BY path HAVING max(staged_ms) < " +
                            std::to_string(now - kUncommittedLifetimeMs) + ")";
  store::Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(db_->Exec("INSERT OR IGNORE INTO unlink SELECT data_key FROM uncommitted WHERE " + stale));
  RETURN_IF_ERROR(db_->Exec("DELETE FROM uncommitted WHERE " + stale));
  RETURN_IF_ERROR(tx.Commit());
  return ProcessUnlinks();
}

Result<int64_t> BlockStaging::Stage(const std::string& path, const std::string& id, size_t id_length,
                                    fs::InputStream& data) {
  // Checks that cannot change while the body streams in are made first, and again at the end.
  auto check = [&]() -> Status {
    ASSIGN_OR_RETURN(store::Statement * s,
                     db_->Prepare("SELECT id_length, count(*), sum(id = ?2) FROM uncommitted WHERE path = ?1"));
    s->Bind(1, path).Bind(2, id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    int64_t length = row ? s->Int(0) : 0;
    int64_t count = row ? s->Int(1) : 0;
    bool known = row && s->Int(2) > 0;
    s->Reset();
    if (count > 0 && length != static_cast<int64_t>(id_length)) {
      return gen2::MakeError(400, "InvalidBlobOrBlock",
                             "block id " + id + " is " + std::to_string(id_length) +
                                 " bytes long, but the uncommitted blocks of " + path + " have ids of " +
                                 std::to_string(length) + " bytes");
    }
    if (!known && count >= kMaxUncommittedBlocks) {
      return gen2::MakeError(409, "BlockCountExceedsLimit",
                             path + " already has " + std::to_string(count) + " uncommitted blocks");
    }
    return Status::Ok();
  };
  std::string key = store::ContentFiles::NewKey();
  {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(ExpireIfDue());
    RETURN_IF_ERROR(check());
    ASSIGN_OR_RETURN(store::Statement * s, db_->Prepare("INSERT INTO writing (data_key) VALUES (?)"));
    s->Bind(1, key);
    RETURN_IF_ERROR(s->Run());
  }
  // A failed or abandoned upload leaves no block behind.
  struct Cleanup {
    BlockStaging& self;
    const std::string& key;
    bool kept = false;
    ~Cleanup() {
      if (kept) return;
      std::lock_guard<std::mutex> lock(self.mu_);
      Status s = self.Discard(key);
      if (!s.ok()) LOG_WARNING("block staging: cleanup deferred: " << s);
    }
  } cleanup{*this, key};
  ASSIGN_OR_RETURN(store::UniqueFd fd, files_->OpenForWrite(key));
  ASSIGN_OR_RETURN(int64_t size, store::ContentFiles::WriteStreamAt(fd.get(), 0, data));

  std::lock_guard<std::mutex> lock(mu_);
  store::Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(check());
  ASSIGN_OR_RETURN(
      store::Statement * old,
      db_->Prepare("INSERT OR IGNORE INTO unlink SELECT data_key FROM uncommitted WHERE path = ? AND id = ?"));
  old->Bind(1, path).Bind(2, id);
  RETURN_IF_ERROR(old->Run());
  ASSIGN_OR_RETURN(
      store::Statement * put,
      db_->Prepare("INSERT OR REPLACE INTO uncommitted (path, id, id_length, size, data_key, staged_ms, seq) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  put->Bind(1, path)
      .Bind(2, id)
      .Bind(3, static_cast<int64_t>(id_length))
      .Bind(4, size)
      .Bind(5, key)
      .Bind(6, Now())
      .Bind(7, ++sequence_);
  RETURN_IF_ERROR(put->Run());
  ASSIGN_OR_RETURN(store::Statement * written, db_->Prepare("DELETE FROM writing WHERE data_key = ?"));
  written->Bind(1, key);
  RETURN_IF_ERROR(written->Run());
  RETURN_IF_ERROR(tx.Commit());
  cleanup.kept = true;
  Status unlinked = ProcessUnlinks();
  if (!unlinked.ok()) LOG_WARNING("block staging: cleanup deferred: " << unlinked);
  return size;
}

Status BlockStaging::Discard(const std::string& key) {
  for (const char* sql :
       {"INSERT OR IGNORE INTO unlink (data_key) VALUES (?)", "DELETE FROM writing WHERE data_key = ?"}) {
    ASSIGN_OR_RETURN(store::Statement * s, db_->Prepare(sql));
    s->Bind(1, key);
    RETURN_IF_ERROR(s->Run());
  }
  return ProcessUnlinks();
}

Result<std::vector<StagedBlock>> BlockStaging::Uncommitted(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(store::Statement * s,
                   db_->Prepare("SELECT id, size, data_key FROM uncommitted WHERE path = ? ORDER BY seq"));
  s->Bind(1, path);
  std::vector<StagedBlock> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({{s->Text(0), s->Int(1)}, s->Text(2)});
  }
  return out;
}

Result<std::optional<CommittedBlocks>> BlockStaging::Committed(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(store::Statement * s,
                   db_->Prepare("SELECT creation_ms, modification_ms, size, blocks FROM committed WHERE path = ?"));
  s->Bind(1, path);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<CommittedBlocks>();
  CommittedBlocks c;
  c.creation_ms = s->Int(0);
  c.modification_ms = s->Int(1);
  c.size = s->Int(2);
  c.blocks = ParseBlocks(s->Text(3));
  s->Reset();
  return std::optional<CommittedBlocks>(std::move(c));
}

Result<std::unique_ptr<fs::InputStream>> BlockStaging::OpenBlock(const StagedBlock& block) {
  ASSIGN_OR_RETURN(store::UniqueFd fd, files_->OpenForRead(block.data_key));
  if (!fd.valid() && block.block.size > 0) {
    return IoError("the bytes of block " + block.block.id + " are missing from the block directory");
  }
  return store::MakeFileRangeStream(std::move(fd), 0, block.block.size);
}

Status BlockStaging::SetCommitted(const std::string& path, const CommittedBlocks& blocks) {
  std::lock_guard<std::mutex> lock(mu_);
  store::Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(store::Statement * drop,
                   db_->Prepare("INSERT OR IGNORE INTO unlink SELECT data_key FROM uncommitted WHERE path = ?"));
  drop->Bind(1, path);
  RETURN_IF_ERROR(drop->Run());
  ASSIGN_OR_RETURN(store::Statement * del, db_->Prepare("DELETE FROM uncommitted WHERE path = ?"));
  del->Bind(1, path);
  RETURN_IF_ERROR(del->Run());
  ASSIGN_OR_RETURN(store::Statement * put,
                   db_->Prepare("INSERT OR REPLACE INTO committed (path, creation_ms, modification_ms, size, blocks) "
                                "VALUES (?, ?, ?, ?, ?)"));
  put->Bind(1, path)
      .Bind(2, blocks.creation_ms)
      .Bind(3, blocks.modification_ms)
      .Bind(4, blocks.size)
      .Bind(5, FormatBlocks(blocks.blocks));
  RETURN_IF_ERROR(put->Run());
  RETURN_IF_ERROR(tx.Commit());
  return ProcessUnlinks();
}

Status BlockStaging::Forget(const std::string& path, bool subtree) {
  // The path itself, or also everything below it (paths from "<path>/" up to, not including, "<path>0": '0'
  // follows '/'); both forms can use the tables' path indexes.
  const std::string match =
      subtree ? "(path = ?1 OR (path > ?1 || '/' AND path < ?1 || '0'))" : std::string("path = ?1");
  std::lock_guard<std::mutex> lock(mu_);
  // Most writes (every Put Blob, every DFS create) find nothing to forget: they then take no write transaction.
  ASSIGN_OR_RETURN(store::Statement * probe, db_->Prepare("SELECT EXISTS(SELECT 1 FROM uncommitted WHERE " + match +
                                                          ") OR EXISTS(SELECT 1 FROM committed WHERE " + match + ")"));
  probe->Bind(1, path);
  ASSIGN_OR_RETURN(bool row, probe->Step());
  bool any = row && probe->Int(0) != 0;
  probe->Reset();
  if (!any) return Status::Ok();
  store::Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  for (const char* sql : {"INSERT OR IGNORE INTO unlink SELECT data_key FROM uncommitted WHERE ",
                          "DELETE FROM uncommitted WHERE ", "DELETE FROM committed WHERE "}) {
    ASSIGN_OR_RETURN(store::Statement * s, db_->Prepare(sql + match));
    s->Bind(1, path);
    RETURN_IF_ERROR(s->Run());
  }
  RETURN_IF_ERROR(tx.Commit());
  return ProcessUnlinks();
}

Status BlockStaging::Move(const std::string& from, const std::string& to) {
  if (from == to) return Status::Ok();
  RETURN_IF_ERROR(Forget(to, /*subtree=*/true));
  std::lock_guard<std::mutex> lock(mu_);
  store::Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  for (const char* table : {"uncommitted", "committed"}) {
    ASSIGN_OR_RETURN(store::Statement * s,
                     db_->Prepare(std::string("UPDATE ") + table +
                                  " SET path = ?3 || substr(path, length(?1) + 1) WHERE " + kPathMatch));
    s->Bind(1, from).Bind(2, int64_t{1}).Bind(3, to);
    RETURN_IF_ERROR(s->Run());
  }
  return tx.Commit();
}

std::unique_ptr<BlockStaging::CommitGuard> BlockStaging::LockForCommit(const std::string& path) {
  std::unique_lock<std::mutex> lock(commit_mu_);
  commit_cv_.wait(lock, [&] { return committing_.count(path) == 0; });
  committing_.insert(path);
  return std::make_unique<CommitGuard>(*this, path);
}

BlockStaging::CommitGuard::~CommitGuard() {
  {
    std::lock_guard<std::mutex> lock(owner_.commit_mu_);
    owner_.committing_.erase(path_);
  }
  owner_.commit_cv_.notify_all();
}

}  // namespace lakeshift::emulator
