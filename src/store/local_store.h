#pragma once
// The local namespace store: the hierarchical store that both emulators serve. Metadata in SQLite (WAL)
// at <dir>/metadata.db, file content in <dir>/data/. Permission checks follow the configured AclPolicy
// (Gen1 or Gen2 rules) for the caller a view is bound to.
//
// Durability: every acknowledged operation survives a crash of the process (kill -9). With
// `fsync = true` content is fdatasync'ed before a flush commits and SQLite runs synchronous=FULL, so
// committed data also survives power loss.

#include <functional>
#include <memory>
#include <string>

#include "acl/access.h"
#include "fs/filesystem.h"

namespace lakeshift::store {

struct LocalStoreOptions {
  std::string directory;  // created if missing
  // ACL rules; nullptr adopts the rules the store was created with (Gen2 for a new store).
  const acl::AclPolicy* policy = &acl::AclPolicy::Gen2();
  // The root directory's permission state when the store is first created.
  std::string root_owner = "$superuser";
  std::string root_group = "$superuser";
  acl::Mode root_mode = 0750;
  bool fsync = false;
  std::function<int64_t()> clock_ms;  // epoch milliseconds; defaults to the system clock (tests inject one)
};

class LocalStore {
 public:
  static Result<std::shared_ptr<LocalStore>> Open(LocalStoreOptions options);
  ~LocalStore();

  // A FileSystem view acting as `caller`; every operation is checked against the ACLs.
  std::shared_ptr<fs::FileSystem> ForCaller(acl::Caller caller);
  // A view acting as a superuser (tools, seeding, tests).
  std::shared_ptr<fs::FileSystem> AsSuperuser();

  // Checks the metadata database and the links between rows (for tests and `lakeshift store check`).
  Status CheckConsistency();

  const LocalStoreOptions& options() const;

  struct Impl;

 private:
  explicit LocalStore(std::unique_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace lakeshift::store
