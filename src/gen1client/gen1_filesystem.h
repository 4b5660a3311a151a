#pragma once
// A FileSystem over a Gen1 account (or any WebHDFS service) through its REST API: the migration's source.
// Gen1 appends are sequential (APPEND at the end, committed by syncFlag); it has no user properties and no
// out-of-order staging. Capabilities say so.

#include <memory>
#include <string>

#include "fs/filesystem.h"
#include "gen1client/webhdfs_client.h"

namespace lakeshift::gen1client {

class Gen1FileSystem final : public fs::FileSystem {
 public:
  explicit Gen1FileSystem(std::shared_ptr<WebHdfsClient> client);

  const fs::Capabilities& capabilities() const override;
  Result<fs::FileInfo> GetFileInfo(std::string_view path) override;
  Result<fs::ListPage> List(std::string_view dir, const fs::ListOptions& options) override;
  Result<fs::ReadHandle> OpenRead(std::string_view path, const fs::ReadOptions& options) override;
  Result<fs::FileInfo> CreateFile(std::string_view path, const fs::CreateOptions& options) override;
  Result<fs::FileInfo> CreateDirectory(std::string_view path, const fs::CreateOptions& options) override;
  Result<int64_t> Append(std::string_view path, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& options) override;
  Result<fs::FileInfo> Flush(std::string_view path, int64_t position, const fs::FlushOptions& options) override;
  // A temporary file renamed over the target (fs::PutFileByRename).
  Result<fs::FileInfo> PutFile(std::string_view path, fs::InputStream& data, const fs::PutOptions& options) override;
  Status Rename(std::string_view source, std::string_view destination, const fs::RenameOptions& options) override;
  Status Delete(std::string_view path, const fs::DeleteOptions& options) override;
  Result<acl::AclState> GetAccessControl(std::string_view path) override;
  Status CheckAccess(std::string_view path, acl::Perm wanted) override;
  Result<fs::FileInfo> SetAccessControl(std::string_view path, const fs::AccessControlChange& change) override;
  Result<fs::FileInfo> SetTimes(std::string_view path, std::optional<int64_t> modification_time_ms,
                                std::optional<int64_t> access_time_ms) override;
  Result<fs::FileInfo> SetExpiry(std::string_view path, const fs::ExpirySpec& expiry) override;
  Result<fs::FileInfo> SetProperties(std::string_view path, const fs::Properties& properties,
                                     const std::optional<fs::ContentHeaders>& content,
                                     const fs::Conditions& conditions) override;
  Result<fs::FileInfo> SetContentMd5(std::string_view path, std::string_view content_md5,
                                     const fs::Conditions& conditions) override;

 private:
  Status CheckConditions(const std::string& path, const fs::Conditions& conditions);
  Status Put(const std::string& op, const std::string& path, std::vector<encoding::QueryParam> params);

  std::shared_ptr<WebHdfsClient> client_;
};

}  // namespace lakeshift::gen1client
