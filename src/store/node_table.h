#pragma once
// The metadata schema of the local store and the SQL that reads and writes it. One row per file or
// directory, keyed by (parent_id, name), so a rename of a whole tree is one UPDATE. No permission logic here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acl/acl.h"
#include "common/result.h"
#include "fs/filesystem.h"
#include "store/sqlite.h"

namespace lakeshift::store {

inline constexpr int64_t kRootId = 1;

struct Node {
  int64_t id = 0;
  int64_t parent_id = 0;
  std::string name;
  bool is_dir = false;
  int64_t size = 0;
  std::string data_key;  // files only
  acl::AclState acl;
  int64_t creation_ms = 0;
  int64_t modification_ms = 0;
  int64_t access_ms = 0;
  int64_t change_ms = 0;
  int64_t expiry_ms = 0;
  std::string etag;
  std::string content_md5;
  fs::ContentHeaders content;
  fs::Properties properties;

  fs::FileInfo ToFileInfo(std::string path) const;
};

struct StagedRange {
  int64_t start = 0;
  int64_t end = 0;
};

class NodeTable {
 public:
  explicit NodeTable(Database& db) : db_(db) {}

  // Creates the schema and the root row when missing.
  Status CreateSchema(const Node& root);

  // Looks up a live (not expired at now_ms) child by name.
  Result<std::optional<Node>> FindChild(int64_t parent_id, const std::string& name, int64_t now_ms);
  Result<std::optional<Node>> FindById(int64_t id);
  // Children in name order, after `after` (exclusive) and before `before` (exclusive, when non-empty).
  Result<std::vector<Node>> ListChildren(int64_t parent_id, const std::string& after, const std::string& before,
                                         int limit, int64_t now_ms);
  Result<bool> HasChildren(int64_t parent_id, int64_t now_ms);
  // Every node of the subtree rooted at id (itself included).
  Result<std::vector<Node>> Subtree(int64_t id);

  Result<int64_t> Insert(const Node& node);  // returns the new id
  Status Update(const Node& node);           // every column but id
  Status Move(int64_t id, int64_t new_parent_id, const std::string& new_name);
  // Deletes the subtree rooted at id; queues the content keys of its files for unlinking.
  Status DeleteSubtree(int64_t id);
  // Deletes expired nodes (and their subtrees); returns how many roots expired.
  Result<int> PurgeExpired(int64_t now_ms);

  Result<std::vector<StagedRange>> StagedRanges(const std::string& data_key);
  // Adds [start, end) and merges it with overlapping or adjacent ranges.
  Status AddStagedRange(const std::string& data_key, int64_t start, int64_t end);
  // Drops staged bytes below `position`; with keep_beyond=false drops everything.
  Status TrimStaged(const std::string& data_key, int64_t position, bool keep_beyond);
  // Small contents live in the metadata database instead of a data file (see LocalStore::Impl::kInlineLimit):
  // a version's bytes are either in its inline row or in its data file, never split between them.
  Result<std::optional<std::string>> InlineContent(const std::string& data_key);
  Result<std::optional<int64_t>> InlineSize(const std::string& data_key);
  Status PutInline(const std::string& data_key, std::string_view bytes);
  Status TruncateInline(const std::string& data_key, int64_t size);
  Status DeleteInline(const std::string& data_key);

  Status QueueUnlink(const std::string& data_key);
  Result<std::vector<std::string>> PendingUnlinks();
  Status ClearUnlink(const std::string& data_key);

  Result<std::string> GetMeta(const std::string& key);
  Status SetMeta(const std::string& key, const std::string& value);

 private:
  Result<Node> ReadRow(Statement& stmt);
  Database& db_;
};

}  // namespace lakeshift::store
