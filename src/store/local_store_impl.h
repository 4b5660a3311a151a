#pragma once
// Private to the local store: the implementation object shared by LocalStore and its caller-bound
// views, and the small types its operations share. Its methods are split by concern:
//   local_store.cc        opening, path resolution, etags, content cleanup, consistency check, the views
//   local_store_read.cc   status, listing, reads
//   local_store_write.cc  create, append, flush, rename, delete, access control and other updates

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/group_commit.h"
#include "store/content_files.h"
#include "store/local_store.h"
#include "store/node_table.h"
#include "store/sqlite.h"

namespace lakeshift::store {

// Serialises writers of one path (Gen1 sequential appends) without holding the store lock during I/O.
class PathLocks {
 public:
  class Guard {
   public:
    Guard(PathLocks& owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    ~Guard() { owner_.Release(key_); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    PathLocks& owner_;
    std::string key_;
  };

  std::unique_ptr<Guard> Acquire(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return held_.count(key) == 0; });
    held_.insert(key);
    return std::make_unique<Guard>(*this, key);
  }

 private:
  void Release(const std::string& key) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_.erase(key);
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> held_;
};

// The result of walking a path from the root: every node found, root first.
struct Resolved {
  std::string path;
  std::vector<std::string> parts;
  std::vector<Node> chain;

  bool found() const { return chain.size() == parts.size() + 1; }
  const Node& node() const { return chain.back(); }
  Node& node() { return chain.back(); }
  // The path of chain[index].
  std::string PathAt(size_t index) const {
    std::string out;
    for (size_t i = 0; i < index; ++i) out += "/" + parts[i];
    return out.empty() ? "/" : out;
  }
};

inline acl::PathState StateOf(const Resolved& r, size_t index) {
  return {r.PathAt(index), r.chain[index].acl, r.chain[index].is_dir};
}

inline std::vector<acl::PathState> AncestorStates(const Resolved& r, size_t count) {
  std::vector<acl::PathState> out;
  for (size_t i = 0; i < count; ++i) out.push_back(StateOf(r, i));
  return out;
}

inline Status CheckConditions(const fs::Conditions& c, const Node* node, const std::string& path) {
  if (c.if_match) {
    if (!node) return PreconditionFailed("If-Match condition failed: " + path + " does not exist");
    if (*c.if_match != "*" && *c.if_match != node->etag) {
      return PreconditionFailed("If-Match condition failed for " + path + ": etag is " + node->etag);
    }
  }
  if (c.if_none_match && node) {
    if (*c.if_none_match == "*") return AlreadyExists(path);
    if (*c.if_none_match == node->etag) {
      return PreconditionFailed("If-None-Match condition failed for " + path + ": etag matches");
    }
  }
  if (node && c.if_modified_since_ms && node->change_ms / 1000 <= *c.if_modified_since_ms / 1000) {
    return PreconditionFailed("If-Modified-Since condition failed for " + path);
  }
  if (node && c.if_unmodified_since_ms && node->change_ms / 1000 > *c.if_unmodified_since_ms / 1000) {
    return PreconditionFailed("If-Unmodified-Since condition failed for " + path);
  }
  return Status::Ok();
}

inline int64_t ContiguousEnd(int64_t committed, const std::vector<StagedRange>& ranges) {
  int64_t end = committed;
  for (const StagedRange& r : ranges) {
    if (r.start > end) break;
    end = std::max(end, r.end);
  }
  return end;
}

struct LocalStore::Impl {
  // Contents up to this size live in the metadata database (NodeTable::InlineContent) until a write they cannot
  // take: most files of a lake are small, and a data file per file costs a create, an inode and an unlink.
  static constexpr int64_t kInlineLimit = int64_t{64} * 1024;

  LocalStoreOptions options;
  std::unique_ptr<Database> db;
  std::unique_ptr<NodeTable> nodes;
  std::unique_ptr<ContentFiles> content;
  std::mutex mu;  // guards db, nodes and last_etag_ticks
  PathLocks writers;
  int64_t last_etag_ticks = 0;
  // Content keys of versions PutFile is still writing: queued in pending_unlink (so a crash removes them
  // at the next open) but not to be unlinked while the write is in flight. Guarded by mu.
  std::set<std::string> writing_keys;

  const acl::AclPolicy& policy() const { return *options.policy; }

  int64_t Now() const;

  // Azure-style etags ("0x8DB147E4B7DFE4B"): FILETIME ticks, strictly increasing.
  std::string NewEtag();

  void Touch(Node& node, int64_t now, bool content_changed);

  // Walks the path; stops at the first missing component or at a file that has components below it.
  Result<Resolved> Resolve(std::string_view raw_path, int64_t now);

  // Execute on every directory above the deepest node found (or above the target when it exists).
  Status CheckTraverse(const Resolved& r, const acl::Caller& caller);

  Status CheckOn(const Resolved& r, size_t index, const acl::Caller& caller, acl::Perm wanted) {
    return acl::CheckPathAccess(AncestorStates(r, index), StateOf(r, index), caller, wanted, policy());
  }

  Result<Resolved> ResolveExisting(std::string_view raw_path, const acl::Caller& caller, int64_t now);

  Status ProcessUnlinks();

  // Group commit (common/group_commit.h). A write hands its change to RunWrite; the leading writer applies every
  // change queued so far under the store lock in one transaction, each inside its own savepoint (a failing change
  // rolls back alone), then commits once. Concurrent writers thus share the commit and the pages they touch (a
  // directory's row, index leaves). `change` runs on the leader's thread with mu held; it must not take mu itself.
  using WriteChange = std::function<Status(int64_t now)>;
  Status RunWrite(const WriteChange& change) { return writes.Submit(change); }
  void ApplyBatch(const std::vector<GroupCommit<WriteChange>::Entry*>& batch);
  // RunWrite for a change that yields a value.
  template <typename T, typename F>
  Result<T> RunWriteFor(F&& change) {
    std::optional<T> out;
    RETURN_IF_ERROR(RunWrite([&](int64_t now) -> Status {
      Result<T> r = change(now);
      if (!r.ok()) return r.status();
      out.emplace(std::move(r).value());
      return Status::Ok();
    }));
    return std::move(*out);
  }
  GroupCommit<WriteChange> writes{[this](const std::vector<GroupCommit<WriteChange>::Entry*>& batch) {
    std::lock_guard<std::mutex> lock(mu);
    ApplyBatch(batch);
  }};

  // Starts a write transaction and drops expired items first, so they never block a new name.
  Status BeginWrite(Transaction& tx, int64_t now) {
    RETURN_IF_ERROR(tx.Begin());
    return nodes->PurgeExpired(now).status();
  }

  Status UpdateParentAfterChildChange(Node& parent, int64_t now) {
    Touch(parent, now, /*content_changed=*/true);
    return nodes->Update(parent);
  }

  Node NewNode(const Node& parent, const std::string& name, bool is_dir, const acl::NewChildRequest& request,
               int64_t now);

  // Creates the missing directories between r.chain.back() and the last component (exclusive when
  // `leave_last` is set), with the policy's implicit-parent rules. Appends them to r.chain.
  Status CreateMissingDirectories(Resolved& r, const acl::Caller& caller, const fs::CreateOptions& options,
                                  bool leave_last, int64_t now);

  // For a new file or directory at r.path that is not an existing directory (inside a write transaction):
  // checks the conditions and rights, removes the file it replaces (overwrite) and creates the missing
  // parents, leaving the new item's parent at r.chain.back().
  Status PrepareNewItem(Resolved& r, const acl::Caller& caller, const fs::CreateOptions& options, int64_t now);

  // Applies create-time owner, group and ACL overrides with their permission rules.
  Status ApplyCreateOverrides(Node& n, const acl::Caller& caller, const fs::CreateOptions& options,
                              const std::string& p);

  Result<fs::FileInfo> Create(const acl::Caller& caller, std::string_view raw_path, const fs::CreateOptions& options,
                              bool is_dir);

  // PutFile: writes the stream to a new content version, then commits it as the file in one transaction.
  Result<fs::FileInfo> Put(const acl::Caller& caller, std::string_view raw_path, fs::InputStream& data,
                           const fs::PutOptions& put);
  // The commit step of Put: a new node over the content version `key` of `size` bytes.
  // `inline_bytes`: the content itself, kept in the database (no data file was written).
  Result<fs::FileInfo> CommitPut(const acl::Caller& caller, const std::string& path, const fs::PutOptions& put,
                                 const std::string& key, int64_t size, const std::optional<std::string>& md5,
                                 const std::string* inline_bytes = nullptr);

  Result<fs::FileInfo> GetFileInfo(const acl::Caller& caller, std::string_view raw_path);

  Result<acl::AclState> GetAccessControl(const acl::Caller& caller, std::string_view raw_path);
  Status CheckAccess(const acl::Caller& caller, std::string_view raw_path, acl::Perm wanted);

  Status CheckListable(const Resolved& r, size_t index, const acl::Caller& caller) {
    if (index == 0 && !policy().root_listing_requires_rx) return Status::Ok();
    return CheckOn(r, index, caller, acl::kRead | acl::kExecute);
  }

  Result<fs::ListPage> List(const acl::Caller& caller, std::string_view raw_dir, const fs::ListOptions& options);

  // Pre-order listing of the subtree under r.node(), resuming after the relative path `start_after`.
  Status ListRecursive(const Resolved& r, const acl::Caller& caller, const std::string& start_after, int limit,
                       int64_t now, std::vector<fs::FileInfo>& out);

  Result<fs::ReadHandle> OpenRead(const acl::Caller& caller, std::string_view raw_path, const fs::ReadOptions& options);

  // Validates and commits [size, position) of a file; `node` is updated in place (caller writes it).
  // `content_inline`: the bytes are in the database (nothing to sync).
  Status CommitLength(Node& node, const std::string& p, int64_t position, bool retain, bool content_inline,
                      int64_t now);

  // Whether `incoming` bytes appended at `offset` can join the inline content `inlined` (none yet: only as
  // the first bytes of an empty file).
  Result<bool> FitsInline(const Node& node, int64_t offset, std::optional<uint64_t> incoming,
                          const std::optional<std::string>& inlined);
  // Moves inline content to the data file, before a write the inline form cannot take (inside a write
  // transaction, under mu).
  Status SpillInline(const std::string& data_key, const std::string& bytes);

  Result<int64_t> Append(const acl::Caller& caller, std::string_view raw_path, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& options);

  Result<fs::FileInfo> Flush(const acl::Caller& caller, std::string_view raw_path, int64_t position,
                             const fs::FlushOptions& options);

  // Sticky-bit and -wx rules for removing `r.node()` from its parent.
  Status CheckRemovable(const Resolved& r, const acl::Caller& caller);

  Status Rename(const acl::Caller& caller, std::string_view raw_source, std::string_view raw_destination,
                const fs::RenameOptions& options);

  Status Delete(const acl::Caller& caller, std::string_view raw_path, const fs::DeleteOptions& options);

  // Recursive delete: every directory in the subtree needs rwx, and sticky directories protect
  // children the caller does not own.
  Status CheckSubtreeDeletable(const Node& top, const std::string& top_path, const acl::Caller& caller);

  Result<fs::FileInfo> SetAccessControl(const acl::Caller& caller, std::string_view raw_path,
                                        const fs::AccessControlChange& change);

  // Shared shape of the small metadata updates that need write permission on the item.
  // Resolves an existing item in a write transaction under the store lock, runs `change`, then commits
  // (an error from `change` rolls everything back).
  Status WriteExisting(const acl::Caller& caller, std::string_view raw_path,
                       const std::function<Status(Resolved&, int64_t now)>& change);
  Result<fs::FileInfo> UpdateWithWriteAccess(const acl::Caller& caller, std::string_view raw_path,
                                             const fs::Conditions& conditions,
                                             const std::function<Status(Node&, const std::string&, int64_t)>& apply);

  Status CheckConsistency();
};

}  // namespace lakeshift::store
