#include "store/sqlite.h"

#include <sqlite3.h>

namespace lakeshift::store {
namespace {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  StatusCode code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? StatusCode::kUnavailable : StatusCode::kIoError;
  return Status(code, "metadata database " + message);
}

}  // namespace

struct Database::CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  std::unique_ptr<Statement> wrapper;
  ~CachedStatement() { sqlite3_finalize(stmt); }
};

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view bytes) {
  if (bytes.empty()) {
    sqlite3_bind_zeroblob(stmt_, index, 0);  // a null pointer would bind NULL
  } else {
    sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  }
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::BindOptional(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, std::string("step \"") + sqlite3_sql(stmt_) + "\"");
}

Status Statement::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size)) : std::string();
}
std::string_view Statement::TextView(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return text ? std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(size)) : std::string_view();
}
std::string Statement::Blob(int column) const {
  const void* bytes = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return bytes ? std::string(static_cast<const char*>(bytes), static_cast<size_t>(size)) : std::string();
}
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& file, bool synchronous_full) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, rc, "open " + file);
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<Database> out(new Database(db));
  sqlite3_busy_timeout(db, 10000);
  RETURN_IF_ERROR(out->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(out->Exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  RETURN_IF_ERROR(out->Exec("PRAGMA foreign_keys=OFF"));
  return out;
}

Database::Database(sqlite3* db) : db_(db) {}

Database::~Database() {
  cache_.clear();
  sqlite3_close(db_);
}

Status Database::Exec(std::string_view sql) {
  char* error = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    return Status(StatusCode::kIoError, "metadata database: \"" + text.substr(0, 60) + "\": " + message);
  }
  return Status::Ok();
}

Result<Statement*> Database::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto cached = std::make_unique<CachedStatement>();
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &cached->stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare \"" + sql + "\"");
    cached->wrapper = std::make_unique<Statement>(db_, cached->stmt);
    it = cache_.emplace(sql, std::move(cached)).first;
  }
  it->second->wrapper->Reset();
  return it->second->wrapper.get();
}

int64_t Database::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}
int Database::Changes() const {
  return sqlite3_changes(db_);
}

Status Database::Run(const std::string& sql) {
  ASSIGN_OR_RETURN(Statement * s, Prepare(sql));
  return s->Run();
}

Status Database::Begin() {
  return Run("BEGIN IMMEDIATE");
}
Status Database::Commit() {
  return Run("COMMIT");
}
void Database::Rollback() {
  Run("ROLLBACK").IgnoreError();
}

}  // namespace lakeshift::store
