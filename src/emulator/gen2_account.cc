#include "emulator/gen2_account.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "encoding/time_format.h"
#include "store/sqlite.h"

namespace lakeshift::emulator {
namespace {

std::string NewEtag() {
  static std::mutex mu;
  static int64_t last = 0;
  std::lock_guard<std::mutex> lock(mu);
  last = std::max(last + 1, encoding::EpochNanosToFiletime(encoding::NowEpochNanos()));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llX", static_cast<unsigned long long>(last));
  return buf;
}

std::string MetadataJson(const fs::Properties& metadata) {
  return nlohmann::json(metadata).dump();
}

fs::Properties MetadataFromJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() ? j.get<fs::Properties>() : fs::Properties{};
}

}  // namespace

Gen2Account::Gen2Account(std::string directory, std::string name)
    : directory_(std::move(directory)), name_(std::move(name)) {}
Gen2Account::~Gen2Account() = default;

Result<std::unique_ptr<Gen2Account>> Gen2Account::Open(const std::string& directory, std::string account_name) {
  std::error_code ec;
  std::filesystem::create_directories(directory + "/filesystems", ec);
  if (ec) return IoError("cannot create emulator data directory " + directory + ": " + ec.message());
  std::unique_ptr<Gen2Account> account(new Gen2Account(directory, std::move(account_name)));
  ASSIGN_OR_RETURN(account->db_, store::Database::Open(directory + "/account.db", false));
  RETURN_IF_ERROR(account->db_->Exec(
      "CREATE TABLE IF NOT EXISTS filesystems (name TEXT PRIMARY KEY, etag TEXT NOT NULL, last_modified_ms "
      "INTEGER NOT NULL, created_ms INTEGER NOT NULL, metadata TEXT NOT NULL) WITHOUT ROWID"));
  RETURN_IF_ERROR(account->db_->Exec(
      "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"));
  // Its own file: two connections to account.db would trip over each other's read snapshots.
  ASSIGN_OR_RETURN(account->leases_, LeaseRegistry::Open(directory + "/leases.db"));
  return account;
}

Result<FilesystemInfo> Gen2Account::CreateFilesystem(const std::string& name, const fs::Properties& metadata,
                                                     const std::string& root_owner, const std::string& root_group) {
  std::lock_guard<std::mutex> lock(mu_);
  FilesystemInfo info{name, NewEtag(), encoding::NowEpochMillis(), encoding::NowEpochMillis(), metadata};
  store::Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(store::Statement * exists, db_->Prepare("SELECT 1 FROM filesystems WHERE name = ?"));
  exists->Bind(1, name);
  ASSIGN_OR_RETURN(bool found, exists->Step());
  if (found) return AlreadyExists("filesystem " + name);
  // A leftover directory (a crash during delete) is cleared before reuse.
  std::string dir = directory_ + "/filesystems/" + name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  store::LocalStoreOptions options;
  options.directory = dir;
  options.policy = &acl::AclPolicy::Gen2();
  options.root_owner = root_owner;
  options.root_group = root_group;
  options.root_mode = 0750;
  ASSIGN_OR_RETURN(auto opened, store::LocalStore::Open(options));
  ASSIGN_OR_RETURN(store::Statement * insert,
                   db_->Prepare("INSERT INTO filesystems (name, etag, last_modified_ms, created_ms, metadata) VALUES "
                                "(?, ?, ?, ?, ?)"));
  insert->Bind(1, name)
      .Bind(2, info.etag)
      .Bind(3, info.last_modified_ms)
      .Bind(4, info.created_ms)
      .Bind(5, MetadataJson(metadata));
  RETURN_IF_ERROR(insert->Run());
  RETURN_IF_ERROR(tx.Commit());
  open_stores_[name] = opened;
  open_blocks_.erase(name);
  RETURN_IF_ERROR(leases_->ForgetFilesystem(name));  // left by a delete that crashed half-way
  return info;
}

Status Gen2Account::DeleteFilesystem(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(store::Statement * del, db_->Prepare("DELETE FROM filesystems WHERE name = ?"));
  del->Bind(1, name);
  RETURN_IF_ERROR(del->Run());
  if (db_->Changes() == 0) return NotFound("filesystem " + name);
  open_stores_.erase(name);
  open_blocks_.erase(name);
  RETURN_IF_ERROR(leases_->ForgetFilesystem(name));
  std::error_code ec;
  std::filesystem::remove_all(directory_ + "/filesystems/" + name, ec);
  return Status::Ok();
}

Result<FilesystemInfo> Gen2Account::GetFilesystem(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(
      store::Statement * s,
      db_->Prepare("SELECT name, etag, last_modified_ms, created_ms, metadata FROM filesystems WHERE name = ?"));
  s->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("filesystem " + name);
  return FilesystemInfo{s->Text(0), s->Text(1), s->Int(2), s->Int(3), MetadataFromJson(s->Text(4))};
}

Result<FilesystemInfo> Gen2Account::SetFilesystemMetadata(const std::string& name, const fs::Properties& metadata) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(
        store::Statement * s,
        db_->Prepare("UPDATE filesystems SET metadata = ?, etag = ?, last_modified_ms = ? WHERE name = ?"));
    s->Bind(1, MetadataJson(metadata)).Bind(2, NewEtag()).Bind(3, encoding::NowEpochMillis()).Bind(4, name);
    RETURN_IF_ERROR(s->Run());
    if (db_->Changes() == 0) return NotFound("filesystem " + name);
  }
  return GetFilesystem(name);
}

Result<FilesystemPage> Gen2Account::ListFilesystems(const std::string& prefix, const std::string& marker,
                                                    int max_results) {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_results <= 0 || max_results > 5000) max_results = 5000;
  ASSIGN_OR_RETURN(store::Statement * s,
                   db_->Prepare("SELECT name, etag, last_modified_ms, created_ms, metadata FROM filesystems WHERE "
                                "name >= ? AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?"));
  s->Bind(1, marker).Bind(2, prefix).Bind(3, prefix).Bind(4, int64_t{max_results} + 1);
  FilesystemPage page;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    page.items.push_back({s->Text(0), s->Text(1), s->Int(2), s->Int(3), MetadataFromJson(s->Text(4))});
  }
  if (static_cast<int>(page.items.size()) > max_results) {
    page.next_marker = page.items.back().name;  // the marker names the first item of the next page
    page.items.pop_back();
  }
  return page;
}

Result<std::shared_ptr<store::LocalStore>> Gen2Account::Store(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = open_stores_.find(name);
    if (it != open_stores_.end()) return it->second;
  }
  RETURN_IF_ERROR(GetFilesystem(name).status());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_stores_.find(name);
  if (it != open_stores_.end()) return it->second;
  store::LocalStoreOptions options;
  options.directory = directory_ + "/filesystems/" + name;
  options.policy = &acl::AclPolicy::Gen2();
  ASSIGN_OR_RETURN(auto opened, store::LocalStore::Open(options));
  open_stores_[name] = opened;
  return opened;
}

Result<std::shared_ptr<BlockStaging>> Gen2Account::Blocks(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = open_blocks_.find(name);
    if (it != open_blocks_.end()) return it->second;
  }
  RETURN_IF_ERROR(Store(name).status());  // exists, and its directory is there
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_blocks_.find(name);
  if (it != open_blocks_.end()) return it->second;
  ASSIGN_OR_RETURN(std::unique_ptr<BlockStaging> opened,
                   BlockStaging::Open(directory_ + "/filesystems/" + name + "/blocks"));
  std::shared_ptr<BlockStaging> shared = std::move(opened);
  open_blocks_[name] = shared;
  return shared;
}

Result<std::string> Gen2Account::ServiceProperties() {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(store::Statement * s, db_->Prepare("SELECT value FROM settings WHERE name = 'service_properties'"));
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::string value = row ? s->Text(0) : "";
  s->Reset();
  return value;
}

Status Gen2Account::SetServiceProperties(const std::string& xml) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(store::Statement * s,
                   db_->Prepare("INSERT OR REPLACE INTO settings (name, value) VALUES ('service_properties', ?)"));
  s->Bind(1, xml);
  return s->Run();
}

}  // namespace lakeshift::emulator
