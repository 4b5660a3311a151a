#pragma once
// A FileSystem over one Gen2 filesystem (container) through the DFS REST API: the migration's target and the
// compatibility gateway's backend. Bound to one credential (one caller). Gen2 cannot set modification or
// access times and has no CHECKACCESS; Capabilities say so.
//
// Listing continuations are child names (or relative paths), as the interface promises; the service's
// opaque tokens are remembered per name so that paging stays one request per page.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fs/filesystem.h"
#include "gen2client/append_tracker.h"
#include "gen2client/dfs_client.h"

namespace lakeshift::gen2client {

class Gen2FileSystem final : public fs::FileSystem {
 public:
  Gen2FileSystem(std::shared_ptr<DfsClient> client, std::string filesystem,
                 std::shared_ptr<AppendTracker> appends = nullptr);

  const fs::Capabilities& capabilities() const override;
  Result<fs::FileInfo> GetFileInfo(std::string_view path) override;
  Result<fs::ListPage> List(std::string_view dir, const fs::ListOptions& options) override;
  Result<fs::ReadHandle> OpenRead(std::string_view path, const fs::ReadOptions& options) override;
  Result<fs::FileInfo> CreateFile(std::string_view path, const fs::CreateOptions& options) override;
  Result<fs::FileInfo> CreateDirectory(std::string_view path, const fs::CreateOptions& options) override;
  Result<int64_t> Append(std::string_view path, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& options) override;
  Result<fs::FileInfo> Flush(std::string_view path, int64_t position, const fs::FlushOptions& options) override;
  // Up to 256 MiB of known size: one Put Blob (bytes, MD5, properties), then setAccessControl when owner, group,
  // ACL or permission are given, and Set Blob Expiry for an expiry. Otherwise a temporary file renamed over the
  // target (fs::PutFileByRename).
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

  // Creates the filesystem itself (PUT ?restype=container); kAlreadyExists when it exists.
  Status CreateFilesystem();

 private:
  DfsCall CallFor(std::string method, std::string_view path) const;
  Result<fs::ListPage> ListFrom(const std::string& dir, const fs::ListOptions& options, std::string token);
  // The clearer error behind a 409 to a file write: a directory at `p`, or a file in place of a parent.
  Status ExplainFileConflict(const std::string& p, Status conflict);
  // The end of the data appended to `path` (committed plus contiguous staged bytes), from the AppendTracker, or
  // from the service when the tracker does not know it or `ask` is set.
  Result<int64_t> ContiguousEnd(const std::string& path, bool ask);
  int64_t EndAfter(const std::string& p, int64_t appended) const;
  // GetFileInfo after this client changed the metadata, telling the AppendTracker the new etag.
  Result<fs::FileInfo> InfoAfterMetadataChange(const std::string& p);

  std::shared_ptr<DfsClient> client_;
  std::string filesystem_;
  std::mutex tokens_mu_;
  std::unordered_map<std::string, std::string> tokens_;  // "<dir>\n<recursive>\n<name>" -> service token
  std::shared_ptr<AppendTracker> appends_;
};

}  // namespace lakeshift::gen2client
