#pragma once
// The Gen2 emulator's storage account: a registry of filesystems (containers) in <dir>/account.db, one
// local namespace store per filesystem in <dir>/filesystems/<name>/, opened on first use, and the leases
// on filesystems and paths (in <dir>/leases.db).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "emulator/block_staging.h"
#include "emulator/gen2_lease.h"
#include "fs/filesystem.h"
#include "store/local_store.h"

namespace lakeshift::store {
class Database;
}

namespace lakeshift::emulator {

struct FilesystemInfo {
  std::string name;
  std::string etag;
  int64_t last_modified_ms = 0;
  int64_t created_ms = 0;
  fs::Properties metadata;
};

struct FilesystemPage {
  std::vector<FilesystemInfo> items;
  std::string next_marker;  // empty on the last page
};

class Gen2Account {
 public:
  static Result<std::unique_ptr<Gen2Account>> Open(const std::string& directory, std::string account_name);
  ~Gen2Account();

  const std::string& name() const { return name_; }

  // Errors carry the service codes: 409 FilesystemAlreadyExists / ContainerAlreadyExists is the
  // caller's choice of API, so these return kAlreadyExists / kNotFound and the front-end names them.
  Result<FilesystemInfo> CreateFilesystem(const std::string& name, const fs::Properties& metadata,
                                          const std::string& root_owner, const std::string& root_group);
  Status DeleteFilesystem(const std::string& name);
  Result<FilesystemInfo> GetFilesystem(const std::string& name);
  Result<FilesystemInfo> SetFilesystemMetadata(const std::string& name, const fs::Properties& metadata);
  Result<FilesystemPage> ListFilesystems(const std::string& prefix, const std::string& marker, int max_results);

  // The store of an existing filesystem (kNotFound otherwise).
  Result<std::shared_ptr<store::LocalStore>> Store(const std::string& name);
  // The block state (staged blocks, committed block lists) of an existing filesystem, kept in
  // <dir>/filesystems/<name>/blocks/ beside its store.
  Result<std::shared_ptr<BlockStaging>> Blocks(const std::string& name);

  // The Blob service properties document (gen2_service.h); empty until first set.
  Result<std::string> ServiceProperties();
  Status SetServiceProperties(const std::string& xml);

  // Leases on this account's filesystems and paths (persisted in <dir>/leases.db).
  LeaseRegistry& leases() { return *leases_; }

 private:
  Gen2Account(std::string directory, std::string name);
  std::string directory_;
  std::string name_;
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<LeaseRegistry> leases_;
  std::map<std::string, std::shared_ptr<store::LocalStore>> open_stores_;
  std::map<std::string, std::shared_ptr<BlockStaging>> open_blocks_;
};

}  // namespace lakeshift::emulator
