#pragma once
// A thin RAII wrapper over the SQLite C API: a connection, prepared statements and transactions,
// with errors as Status. Not thread-safe by itself; callers serialise access to a connection.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace lakeshift::store {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds by 1-based index. Text is copied by SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  Statement& BindOptional(int index, const std::optional<std::string>& value);  // NULL when empty

  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements without rows).
  Status Run();
  void Reset();  // clears bindings too

  int64_t Int(int column) const;
  std::string Text(int column) const;
  // The text without a copy: valid until the next Step or Reset of this statement.
  std::string_view TextView(int column) const;
  std::string Blob(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating if needed) with WAL journaling. `synchronous_full` makes commits survive power loss;
  // NORMAL (the default) survives process crashes, which is what kill -9 tests.
  static Result<std::unique_ptr<Database>> Open(const std::string& file, bool synchronous_full);
  ~Database();

  Status Exec(std::string_view sql);
  // One statement through the statement cache: no parsing after the first time (transaction control, savepoints).
  Status Run(const std::string& sql);
  // A cached prepared statement, reset and ready for binding. Valid until the next Prepare of the same SQL.
  Result<Statement*> Prepare(const std::string& sql);
  int64_t LastInsertRowId() const;
  int Changes() const;

  Status Begin();  // BEGIN IMMEDIATE
  Status Commit();
  void Rollback();

 private:
  explicit Database(sqlite3* db);
  sqlite3* db_;
  struct CachedStatement;
  std::unordered_map<std::string, std::unique_ptr<CachedStatement>> cache_;
};

// Rolls back unless Commit() was called; keeps early returns safe.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction() {
    if (active_) db_.Rollback();
  }
  Status Begin() {
    RETURN_IF_ERROR(db_.Begin());
    active_ = true;
    return Status::Ok();
  }
  Status Commit() {
    Status s = db_.Commit();
    if (s.ok()) active_ = false;
    return s;
  }

 private:
  Database& db_;
  bool active_ = false;
};

}  // namespace lakeshift::store
