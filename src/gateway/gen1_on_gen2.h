#pragma once
// Gen1 behaviour over a Gen2 FileSystem, for the gateway after the switch. The WebHDFS front-end speaks the
// protocol; this adapter supplies the Gen1 rules that Gen2 answers differently (docs/known-issues.md lists the
// ones it does not reproduce):
//   - creates: Gen1 has no umask parameter. A create without a permission gets 770 (777 less the fixed umask
//     007); an explicit permission is kept exactly; under a parent with a default ACL the default ACL applies
//     with the fixed umask and the requested permission is ignored;
//   - listing "/" needs r-x on it (Gen2 lets anyone list the root);
//   - CHECKACCESS, which Gen2 lacks: answered from the ACLs of the item and its ancestors with Gen2's rules,
//     for the caller named by its token (its object id and groups);
//   - FileStatus times: the Gen1 times the migration kept, for files unchanged since (Gen2 cannot set them);
//     SETTIMES keeps the times it is given in the same path properties as the migration, and records them.
// Every other call goes to Gen2 unchanged, as the caller, so Gen2's ACLs decide.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "acl/access.h"
#include "fs/filesystem.h"

namespace lakeshift::gateway {

// Puts back, in place, the Gen1 modification and access times the migration kept for Gen2 files, for those of
// `files` whose Gen2 version is still the one the migration copied (one call per listing page). FileStatus then
// shows them, as Gen1 did.
using PreservedTimes = std::function<void(std::vector<fs::FileInfo>& files)>;

// The same for one page of a one-level listing of `dir` (names after `after`, at most `max`), in two steps: it is
// called before Gen2 is asked for the page, so that reading what the migration kept can overlap that call, and
// the PreservedTimes it returns is then called with the page.
using PagePreservedTimes = std::function<PreservedTimes(const std::string& dir, const std::string& after, int max)>;

// Records times that SETTIMES gave a file (Gen2 keeps them in its properties): from then on PreservedTimes
// answers them for that version of the file (`etag`).
using RecordTimes =
    std::function<void(const std::string& path, const std::string& etag, int64_t mtime_ms, int64_t atime_ms)>;

std::unique_ptr<fs::FileSystem> Gen1OnGen2(std::shared_ptr<fs::FileSystem> gen2, acl::Caller caller,
                                           PreservedTimes times = nullptr, RecordTimes record = nullptr,
                                           PagePreservedTimes page_times = nullptr);

}  // namespace lakeshift::gateway
