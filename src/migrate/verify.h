#pragma once
// `lakeshift verify`: walks the source and the target side by side and reports every difference in
// presence, type, size, content, owner, group, permission bits, ACL, preserved times and expiry.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "migrate/journal.h"
#include "migrate/metadata.h"
#include "migrate/migrator.h"

namespace lakeshift::migrate {

enum class ContentCheck : uint8_t {
  kSize,  // sizes only
  kMd5,   // the source's bytes hashed and compared with the target's stored Content-MD5 (read when it has none)
  kFull,  // both sides read and hashed
};

struct VerifyOptions {
  ContentCheck content = ContentCheck::kMd5;
  IdentityMap identities;
  UnmappedPolicy unmapped = UnmappedPolicy::kKeep;
  Journal* journal = nullptr;  // for names the migration rewrote and items it skipped on purpose
  int parallel = 16;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(int64_t compared)> on_progress;
};

struct Difference {
  std::string path;  // source-relative ("/a/b"), or target-relative for items only on the target
  std::string what;  // "missing on target", "size", "content", "owner", "acl", "mtime property", ...
  std::string source;
  std::string target;
};

struct VerifyReport {
  int64_t files = 0;
  int64_t directories = 0;
  int64_t bytes_hashed = 0;
  int64_t difference_count = 0;
  std::vector<Difference> differences;  // the first 10,000
  std::string ToJson() const;
  std::string Summary() const;
};

Result<VerifyReport> Verify(const Endpoint& source, const Endpoint& target, const VerifyOptions& options);

}  // namespace lakeshift::migrate
