#pragma once
// Small secret files in the identity data directory (signing key, admin secret): created once with mode 0600
// and never replaced, so tokens and credentials stay valid across restarts, even when two processes start
// on the same directory at once.

#include <optional>
#include <string>

#include "common/result.h"

namespace lakeshift::identity {

// The content of a secret file, or nullopt when it does not exist. Warns when group or others may read it.
Result<std::optional<std::string>> ReadSecretFile(const std::string& path);

// Creates `path` with `content` (mode 0600, written to a temporary file, fsynced, then linked into place).
// When the file already exists, it is kept and its content is returned instead: the first writer wins.
Result<std::string> CreateSecretFileOnce(const std::string& path, const std::string& content);

}  // namespace lakeshift::identity
