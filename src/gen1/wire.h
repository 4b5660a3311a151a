#pragma once
// Gen1 JSON response shapes (gen1-api.md section 2.3), in the service's field order: FileStatus,
// FileStatuses (LISTSTATUS pages), AclStatus, ContentSummary and the boolean result.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acl/acl.h"
#include "fs/filesystem.h"

namespace lakeshift::gen1 {

inline constexpr int64_t kFileBlockSize = 268435456;  // what the service reports for files (256 MiB)
inline constexpr int kDefaultListSize = 4000;         // LISTSTATUS page size the SDKs use

// Octal owner/(mask or group)/other, with a leading 1 for the sticky bit: "770", "1777".
std::string FormatPermission(acl::Mode mode);

// One FileStatus object (without the {"FileStatus": ...} wrapper), as a JSON text.
std::string FileStatusObject(const fs::FileInfo& info, std::string_view path_suffix);
// {"FileStatus":{...}} for GETFILESTATUS.
std::string FileStatusJson(const fs::FileInfo& info);
// {"FileStatuses":{"continuationToken":"...","FileStatus":[...]}} for LISTSTATUS. `names` are the entries'
// pathSuffix values (the child names; "" when a file was listed). Without a token (api-version before
// 2018-09-01) the field is left out.
std::string FileStatusesJson(const std::vector<fs::FileInfo>& entries, const std::vector<std::string>& names,
                             const std::optional<std::string>& continuation_token);
// {"AclStatus":{"entries":[...],"owner":...,"group":...,"permission":...,"stickyBit":...}}
std::string AclStatusJson(const acl::AclState& state);

struct ContentSummary {
  int64_t directory_count = 0;
  int64_t file_count = 0;
  int64_t length = 0;
};
std::string ContentSummaryJson(const ContentSummary& summary);
// {"boolean":true}
std::string BooleanJson(bool value);

}  // namespace lakeshift::gen1
