#pragma once
// Gen1 behaviour over a Gen2 FileSystem, for the gateway after the switch. The WebHDFS front-end speaks the
// protocol; this adapter supplies the Gen1 rules that Gen2 answers differently (docs/known-issues.md lists the
// ones it does not reproduce):
//   - creates: Gen1 has no umask parameter. A create without a permission gets 770 (777 less the fixed umask
//     007); an explicit permission is kept exactly; under a parent with a default ACL the default ACL applies
//     with the fixed umask and the requested permission is ignored;
//   - listing "/" needs r-x on it (Gen2 lets anyone list the root);
//   - CHECKACCESS, which Gen2 lacks: answered from the ACLs of the item and its ancestors with Gen2's rules,
//     for the caller named by its token (its object id and groups).
// Every other call goes to Gen2 unchanged, as the caller, so Gen2's ACLs decide.

#include <memory>

#include "acl/access.h"
#include "fs/filesystem.h"

namespace lakeshift::gateway {

std::unique_ptr<fs::FileSystem> Gen1OnGen2(std::shared_ptr<fs::FileSystem> gen2, acl::Caller caller);

}  // namespace lakeshift::gateway
