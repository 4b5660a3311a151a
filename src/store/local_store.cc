#include "store/local_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <unordered_map>

#include "common/log.h"
#include "common/path.h"
#include "store/content_files.h"
#include "store/node_table.h"
#include "store/sqlite.h"

namespace lakeshift::store {
namespace {

using acl::Caller;
using fs::FileInfo;

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

acl::PathState StateOf(const Resolved& r, size_t index) {
  return {r.PathAt(index), r.chain[index].acl, r.chain[index].is_dir};
}

std::vector<acl::PathState> AncestorStates(const Resolved& r, size_t count) {
  std::vector<acl::PathState> out;
  for (size_t i = 0; i < count; ++i) out.push_back(StateOf(r, i));
  return out;
}

Status CheckConditions(const fs::Conditions& c, const Node* node, const std::string& path) {
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

int64_t ContiguousEnd(int64_t committed, const std::vector<StagedRange>& ranges) {
  int64_t end = committed;
  for (const StagedRange& r : ranges) {
    if (r.start > end) break;
    end = std::max(end, r.end);
  }
  return end;
}

}  // namespace

struct LocalStore::Impl {
  LocalStoreOptions options;
  std::unique_ptr<Database> db;
  std::unique_ptr<NodeTable> nodes;
  std::unique_ptr<ContentFiles> content;
  std::mutex mu;  // guards db, nodes and last_etag_ticks
  PathLocks writers;
  int64_t last_etag_ticks = 0;

  const acl::AclPolicy& policy() const { return *options.policy; }

  int64_t Now() const {
    if (options.clock_ms) return options.clock_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // Azure-style etags ("0x8DB147E4B7DFE4B"): FILETIME ticks, strictly increasing.
  std::string NewEtag() {
    constexpr int64_t kEpochToFileTimeTicks = 116444736000000000LL;
    int64_t ticks =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count() /
            100 +
        kEpochToFileTimeTicks;
    last_etag_ticks = std::max(last_etag_ticks + 1, ticks);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%llX", static_cast<unsigned long long>(last_etag_ticks));
    return buf;
  }

  void Touch(Node& node, int64_t now, bool content_changed) {
    node.change_ms = now;
    if (content_changed) node.modification_ms = now;
    node.etag = NewEtag();
  }

  // Walks the path; stops at the first missing component or at a file that has components below it.
  Result<Resolved> Resolve(std::string_view raw_path, int64_t now) {
    Resolved r;
    ASSIGN_OR_RETURN(r.path, path::Normalize(raw_path));
    for (std::string_view part : path::Split(r.path)) r.parts.emplace_back(part);
    ASSIGN_OR_RETURN(std::optional<Node> root, nodes->FindById(kRootId));
    if (!root) return Internal("the store has no root directory; the metadata database is damaged");
    r.chain.push_back(std::move(*root));
    for (const std::string& part : r.parts) {
      if (!r.chain.back().is_dir) break;
      ASSIGN_OR_RETURN(std::optional<Node> child, nodes->FindChild(r.chain.back().id, part, now));
      if (!child) break;
      r.chain.push_back(std::move(*child));
    }
    return r;
  }

  // Execute on every directory above the deepest node found (or above the target when it exists).
  Status CheckTraverse(const Resolved& r, const Caller& caller) {
    if (caller.superuser) return Status::Ok();
    size_t ancestors = r.found() ? r.chain.size() - 1 : r.chain.size();
    for (size_t i = 0; i < ancestors; ++i) {
      if (!r.chain[i].is_dir) break;
      if (!acl::HasAccess(r.chain[i].acl, caller, acl::kExecute, policy())) {
        return PermissionDenied("traverse of " + r.PathAt(i) + " is denied to " + caller.user +
                                " (execute permission is needed on every parent directory)");
      }
    }
    return Status::Ok();
  }

  Status CheckOn(const Resolved& r, size_t index, const Caller& caller, acl::Perm wanted) {
    return acl::CheckPathAccess(AncestorStates(r, index), StateOf(r, index), caller, wanted, policy());
  }

  Result<Resolved> ResolveExisting(std::string_view raw_path, const Caller& caller, int64_t now) {
    ASSIGN_OR_RETURN(Resolved r, Resolve(raw_path, now));
    RETURN_IF_ERROR(CheckTraverse(r, caller));
    if (!r.found()) return PathNotFound(r.path);
    return r;
  }

  Status ProcessUnlinks() {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, nodes->PendingUnlinks());
    if (keys.empty()) return Status::Ok();
    for (const std::string& key : keys) RETURN_IF_ERROR(content->Unlink(key));
    Transaction tx(*db);
    RETURN_IF_ERROR(tx.Begin());
    for (const std::string& key : keys) RETURN_IF_ERROR(nodes->ClearUnlink(key));
    return tx.Commit();
  }

  // Starts a write transaction and drops expired items first, so they never block a new name.
  Status BeginWrite(Transaction& tx, int64_t now) {
    RETURN_IF_ERROR(tx.Begin());
    return nodes->PurgeExpired(now).status();
  }

  Status FinishWrite(Transaction& tx) {
    RETURN_IF_ERROR(tx.Commit());
    Status unlinked = ProcessUnlinks();
    if (!unlinked.ok()) LOG_WARNING("local store: content cleanup deferred: " << unlinked);
    return Status::Ok();
  }

  Status UpdateParentAfterChildChange(Node& parent, int64_t now) {
    Touch(parent, now, /*content_changed=*/true);
    return nodes->Update(parent);
  }

  Node NewNode(const Node& parent, const std::string& name, bool is_dir, const acl::NewChildRequest& request,
               int64_t now) {
    Node n;
    n.parent_id = parent.id;
    n.name = name;
    n.is_dir = is_dir;
    n.acl = acl::InheritForNewChild(parent.acl, request, policy());
    n.creation_ms = n.modification_ms = n.access_ms = n.change_ms = now;
    n.etag = NewEtag();
    if (!is_dir) n.data_key = ContentFiles::NewKey();
    return n;
  }

  // Creates the missing directories between r.chain.back() and the last component (exclusive when
  // `leave_last` is set), with the policy's implicit-parent rules. Appends them to r.chain.
  Status CreateMissingDirectories(Resolved& r, const Caller& caller, const fs::CreateOptions& options, bool leave_last,
                                  int64_t now) {
    size_t stop = leave_last ? r.parts.size() - 1 : r.parts.size();
    while (r.chain.size() - 1 < stop) {
      Node& parent = r.chain.back();
      acl::NewChildRequest request;
      request.is_directory = true;
      request.owner = caller.user;
      request.request_umask = options.umask;
      request.implicit_parent = true;
      Node dir = NewNode(parent, r.parts[r.chain.size() - 1], true, request, now);
      ASSIGN_OR_RETURN(dir.id, nodes->Insert(dir));
      RETURN_IF_ERROR(UpdateParentAfterChildChange(parent, now));
      r.chain.push_back(std::move(dir));
    }
    return Status::Ok();
  }

  // Applies create-time owner, group and ACL overrides with their permission rules.
  Status ApplyCreateOverrides(Node& n, const Caller& caller, const fs::CreateOptions& options, const std::string& p) {
    if (options.owner && *options.owner != n.acl.owner) {
      if (!caller.superuser)
        return PermissionDenied("only a superuser may create " + p + " owned by " + *options.owner);
      n.acl.owner = *options.owner;
    }
    if (options.group && *options.group != n.acl.group) {
      if (!caller.superuser && !caller.InGroup(*options.group)) {
        return PermissionDenied("cannot create " + p + " with group " + *options.group + ": " + caller.user +
                                " is not a member of it");
      }
      n.acl.group = *options.group;
    }
    if (options.acl) RETURN_IF_ERROR(acl::SetAcl(n.acl, *options.acl, n.is_dir).WithContext(p));
    n.properties = options.properties;
    n.content = options.content;
    if (options.expiry_time_ms) {
      if (n.is_dir) return InvalidArgument("expiry can only be set on files, not on directory " + p);
      n.expiry_ms = *options.expiry_time_ms;
    }
    return Status::Ok();
  }

  Result<FileInfo> Create(const Caller& caller, std::string_view raw_path, const fs::CreateOptions& options,
                          bool is_dir) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    Transaction tx(*db);
    RETURN_IF_ERROR(BeginWrite(tx, now));
    ASSIGN_OR_RETURN(Resolved r, Resolve(raw_path, now));
    RETURN_IF_ERROR(CheckTraverse(r, caller));
    if (r.parts.empty()) {
      if (!is_dir) return IsADirectory("/");
      RETURN_IF_ERROR(CheckConditions(options.conditions, &r.node(), r.path));
      return r.node().ToFileInfo("/");
    }
    if (r.found()) {
      Node& existing = r.node();
      RETURN_IF_ERROR(CheckConditions(options.conditions, &existing, r.path));
      if (is_dir) {
        if (!existing.is_dir) return AlreadyExists(r.path + " (a file exists there)");
        return existing.ToFileInfo(r.path);
      }
      if (existing.is_dir) return IsADirectory(r.path);
      if (!options.overwrite) return AlreadyExists(r.path);
      size_t parent_index = r.chain.size() - 2;
      RETURN_IF_ERROR(CheckOn(r, parent_index, caller, acl::kWrite | acl::kExecute));
      RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
      RETURN_IF_ERROR(nodes->DeleteSubtree(existing.id));
      r.chain.pop_back();
    } else {
      RETURN_IF_ERROR(CheckConditions(options.conditions, nullptr, r.path));
      if (!r.chain.back().is_dir) return NotADirectory(r.PathAt(r.chain.size() - 1));
      RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite | acl::kExecute));
      RETURN_IF_ERROR(CreateMissingDirectories(r, caller, options, /*leave_last=*/true, now));
    }
    Node& parent = r.chain.back();
    acl::NewChildRequest request;
    request.is_directory = is_dir;
    request.requested_mode = options.permission;
    request.request_umask = options.umask;
    request.owner = caller.user;
    Node n = NewNode(parent, r.parts.back(), is_dir, request, now);
    RETURN_IF_ERROR(ApplyCreateOverrides(n, caller, options, r.path));
    ASSIGN_OR_RETURN(n.id, nodes->Insert(n));
    RETURN_IF_ERROR(UpdateParentAfterChildChange(parent, now));
    RETURN_IF_ERROR(FinishWrite(tx));
    return n.ToFileInfo(r.path);
  }

  Result<FileInfo> GetFileInfo(const Caller& caller, std::string_view raw_path) {
    std::lock_guard<std::mutex> lock(mu);
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, Now()));
    return r.node().ToFileInfo(r.path);
  }

  Result<acl::AclState> GetAccessControl(const Caller& caller, std::string_view raw_path) {
    std::lock_guard<std::mutex> lock(mu);
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, Now()));
    return r.node().acl;
  }

  Status CheckListable(const Resolved& r, size_t index, const Caller& caller) {
    if (index == 0 && !policy().root_listing_requires_rx) return Status::Ok();
    return CheckOn(r, index, caller, acl::kRead | acl::kExecute);
  }

  Result<fs::ListPage> List(const Caller& caller, std::string_view raw_dir, const fs::ListOptions& options) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_dir, caller, now));
    if (!r.node().is_dir) return NotADirectory(r.path);
    RETURN_IF_ERROR(CheckListable(r, r.chain.size() - 1, caller));
    int max = options.max_results > 0 ? options.max_results : 5000;
    fs::ListPage page;
    if (!options.recursive) {
      ASSIGN_OR_RETURN(std::vector<Node> children,
                       nodes->ListChildren(r.node().id, options.start_after, options.end_before, max + 1, now));
      bool more = static_cast<int>(children.size()) > max;
      if (more) children.pop_back();
      for (const Node& c : children) page.entries.push_back(c.ToFileInfo(path::Join(r.path, c.name)));
      if (more) page.continuation = children.back().name;
      return page;
    }
    RETURN_IF_ERROR(ListRecursive(r, caller, options.start_after, max + 1, now, page.entries));
    if (static_cast<int>(page.entries.size()) > max) {
      page.entries.pop_back();
      page.continuation = page.entries.back().path.substr(r.path == "/" ? 1 : r.path.size() + 1);
    }
    return page;
  }

  // Pre-order listing of the subtree under r.node(), resuming after the relative path `start_after`.
  Status ListRecursive(const Resolved& r, const Caller& caller, const std::string& start_after, int limit, int64_t now,
                       std::vector<FileInfo>& out) {
    // Emits the children of `dir` after `after`, descending into directories.
    std::function<Status(const Node&, const std::string&, const std::string&)> emit =
        [&](const Node& dir, const std::string& dir_path, const std::string& after) -> Status {
      std::string cursor = after;
      while (static_cast<int>(out.size()) < limit) {
        int want = limit - static_cast<int>(out.size());
        ASSIGN_OR_RETURN(std::vector<Node> children, nodes->ListChildren(dir.id, cursor, "", want, now));
        if (children.empty()) return Status::Ok();
        for (const Node& c : children) {
          std::string child_path = path::Join(dir_path, c.name);
          out.push_back(c.ToFileInfo(child_path));
          if (static_cast<int>(out.size()) >= limit) return Status::Ok();
          if (c.is_dir) {
            if (!caller.superuser && !acl::HasAccess(c.acl, caller, acl::kRead | acl::kExecute, policy())) {
              return PermissionDenied("listing " + child_path + " is denied to " + caller.user +
                                      " (read and execute are needed)");
            }
            RETURN_IF_ERROR(emit(c, child_path, ""));
            if (static_cast<int>(out.size()) >= limit) return Status::Ok();
          }
        }
        cursor = children.back().name;
      }
      return Status::Ok();
    };
    if (start_after.empty()) return emit(r.node(), r.path, "");
    // Resume: the rest of the start node's subtree, then the later siblings of each ancestor up to the top.
    std::vector<std::string> parts;
    const std::string resume_path = "/" + start_after;  // Split returns views into it
    for (std::string_view p : path::Split(resume_path)) parts.emplace_back(p);
    std::vector<Node> chain{r.node()};
    std::vector<std::string> chain_paths{r.path};
    for (const std::string& part : parts) {
      ASSIGN_OR_RETURN(std::optional<Node> child, nodes->FindChild(chain.back().id, part, now));
      if (!child) break;
      chain_paths.push_back(path::Join(chain_paths.back(), part));
      chain.push_back(std::move(*child));
    }
    if (chain.size() == parts.size() + 1 && chain.back().is_dir) {
      RETURN_IF_ERROR(emit(chain.back(), chain_paths.back(), ""));
    }
    for (size_t level = std::min(chain.size(), parts.size()); level-- > 0;) {
      if (static_cast<int>(out.size()) >= limit) break;
      RETURN_IF_ERROR(emit(chain[level], chain_paths[level], parts[level]));
    }
    return Status::Ok();
  }

  Result<fs::ReadHandle> OpenRead(const Caller& caller, std::string_view raw_path, const fs::ReadOptions& options) {
    std::lock_guard<std::mutex> lock(mu);
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, Now()));
    const Node& n = r.node();
    if (n.is_dir) return IsADirectory(r.path);
    RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kRead));
    RETURN_IF_ERROR(CheckConditions(options.conditions, &n, r.path));
    if (options.offset < 0) return InvalidArgument("read offset " + std::to_string(options.offset) + " is negative");
    if (options.offset > n.size) {
      return Status(StatusCode::kOutOfRange, "read offset " + std::to_string(options.offset) +
                                                 " is beyond the end of " + r.path + " (" + std::to_string(n.size) +
                                                 " bytes)");
    }
    int64_t available = n.size - options.offset;
    int64_t length = options.length < 0 ? available : std::min(options.length, available);
    ASSIGN_OR_RETURN(UniqueFd fd, content->OpenForRead(n.data_key));
    if (!fd.valid() && length > 0) return IoError("content of " + r.path + " is missing from the data directory");
    fs::ReadHandle handle;
    handle.info = n.ToFileInfo(r.path);
    handle.offset = options.offset;
    handle.length = length;
    handle.stream = MakeFileRangeStream(std::move(fd), options.offset, length);
    return handle;
  }

  // Validates and commits [size, position) of a file; `node` is updated in place (caller writes it).
  Status CommitLength(Node& node, const std::string& p, int64_t position, bool retain, int64_t now) {
    if (position < node.size) {
      return Status(StatusCode::kInvalidFlushPosition, "flush position " + std::to_string(position) +
                                                           " is below the committed length " +
                                                           std::to_string(node.size) + " of " + p);
    }
    ASSIGN_OR_RETURN(std::vector<StagedRange> ranges, nodes->StagedRanges(node.data_key));
    int64_t end = ContiguousEnd(node.size, ranges);
    if (end < position) {
      return Status(StatusCode::kInvalidFlushPosition,
                    "flush position " + std::to_string(position) + " of " + p + " is beyond the appended data: bytes " +
                        std::to_string(end) + " to " + std::to_string(position) + " were never appended");
    }
    if (options.fsync && position > node.size) {
      ASSIGN_OR_RETURN(UniqueFd fd, content->OpenForWrite(node.data_key));
      RETURN_IF_ERROR(ContentFiles::Sync(fd.get()));
    }
    if (position != node.size) node.content_md5.clear();
    node.size = position;
    RETURN_IF_ERROR(nodes->TrimStaged(node.data_key, position, retain));
    Touch(node, now, /*content_changed=*/true);
    return Status::Ok();
  }

  Result<int64_t> Append(const Caller& caller, std::string_view raw_path, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& options) {
    if (offset < 0) return InvalidArgument("append offset " + std::to_string(offset) + " is negative");
    ASSIGN_OR_RETURN(std::string normalized, path::Normalize(raw_path));
    std::unique_ptr<PathLocks::Guard> writer;
    if (options.require_at_end) writer = writers.Acquire(normalized);
    int64_t node_id = 0;
    std::string data_key;
    UniqueFd fd;
    {
      std::lock_guard<std::mutex> lock(mu);
      ASSIGN_OR_RETURN(Resolved r, ResolveExisting(normalized, caller, Now()));
      const Node& n = r.node();
      if (n.is_dir) return IsADirectory(r.path);
      RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
      if (offset < n.size) {
        return Status(StatusCode::kBadOffset, "append offset " + std::to_string(offset) +
                                                  " is below the committed length " + std::to_string(n.size) + " of " +
                                                  r.path);
      }
      if (options.require_at_end) {
        ASSIGN_OR_RETURN(std::vector<StagedRange> ranges, nodes->StagedRanges(n.data_key));
        int64_t end = ContiguousEnd(n.size, ranges);
        if (offset != end) {
          return Status(StatusCode::kBadOffset, "append offset " + std::to_string(offset) +
                                                    " does not match the end of " + r.path + " at " +
                                                    std::to_string(end));
        }
      }
      node_id = n.id;
      data_key = n.data_key;
      ASSIGN_OR_RETURN(fd, content->OpenForWrite(data_key));
    }
    ASSIGN_OR_RETURN(int64_t written, ContentFiles::WriteStreamAt(fd.get(), offset, data));

    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    Transaction tx(*db);
    RETURN_IF_ERROR(tx.Begin());
    ASSIGN_OR_RETURN(std::optional<Node> current, nodes->FindById(node_id));
    if (!current || current->data_key != data_key) {
      return Conflict(normalized + " was replaced or deleted while data was being appended to it");
    }
    if (written > 0) RETURN_IF_ERROR(nodes->AddStagedRange(data_key, offset, offset + written));
    if (options.flush) {
      RETURN_IF_ERROR(CommitLength(*current, normalized, offset + written, /*retain=*/true, now));
      RETURN_IF_ERROR(nodes->Update(*current));
    }
    ASSIGN_OR_RETURN(std::vector<StagedRange> ranges, nodes->StagedRanges(data_key));
    int64_t end = ContiguousEnd(current->size, ranges);
    RETURN_IF_ERROR(FinishWrite(tx));
    return end;
  }

  Result<FileInfo> Flush(const Caller& caller, std::string_view raw_path, int64_t position,
                         const fs::FlushOptions& options) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    Transaction tx(*db);
    RETURN_IF_ERROR(BeginWrite(tx, now));
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, now));
    Node& n = r.node();
    if (n.is_dir) return IsADirectory(r.path);
    RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
    RETURN_IF_ERROR(CheckConditions(options.conditions, &n, r.path));
    int64_t old_size = n.size;
    RETURN_IF_ERROR(CommitLength(n, r.path, position, options.retain_uncommitted, now));
    if (options.content_md5) n.content_md5 = *options.content_md5;
    if (options.content) n.content = *options.content;
    RETURN_IF_ERROR(nodes->Update(n));
    RETURN_IF_ERROR(FinishWrite(tx));
    if (!options.retain_uncommitted && position >= old_size) {
      Status trimmed = content->Truncate(n.data_key, position);
      if (!trimmed.ok()) LOG_WARNING("local store: " << trimmed);
    }
    return n.ToFileInfo(r.path);
  }

  // Sticky-bit and -wx rules for removing `r.node()` from its parent.
  Status CheckRemovable(const Resolved& r, const Caller& caller) {
    size_t parent = r.chain.size() - 2;
    RETURN_IF_ERROR(CheckOn(r, parent, caller, 0));
    return acl::CheckRemoveChild(StateOf(r, parent), StateOf(r, r.chain.size() - 1), caller, policy());
  }

  Status Rename(const Caller& caller, std::string_view raw_source, std::string_view raw_destination,
                const fs::RenameOptions& options) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    Transaction tx(*db);
    RETURN_IF_ERROR(BeginWrite(tx, now));
    ASSIGN_OR_RETURN(Resolved src, ResolveExisting(raw_source, caller, now));
    ASSIGN_OR_RETURN(Resolved dst, Resolve(raw_destination, now));
    if (src.parts.empty()) return Status(StatusCode::kInvalidRename, "the root directory cannot be renamed");
    if (dst.parts.empty()) return Status(StatusCode::kInvalidRename, "cannot rename " + src.path + " onto the root");
    if (path::IsAncestor(src.path, dst.path)) {
      return Status(StatusCode::kInvalidRename, "cannot move " + src.path + " into itself (" + dst.path + ")");
    }
    RETURN_IF_ERROR(CheckConditions(options.source_conditions, &src.node(), src.path));
    RETURN_IF_ERROR(CheckRemovable(src, caller));
    if (src.path == dst.path) return FinishWrite(tx);
    RETURN_IF_ERROR(CheckTraverse(dst, caller));
    bool dst_exists = dst.found();
    RETURN_IF_ERROR(CheckConditions(options.destination_conditions, dst_exists ? &dst.node() : nullptr, dst.path));
    size_t parent_index = dst_exists ? dst.chain.size() - 2 : dst.chain.size() - 1;
    if (!dst_exists && dst.chain.size() != dst.parts.size()) return ParentNotFound(dst.path);
    if (!dst.chain[parent_index].is_dir) return NotADirectory(dst.PathAt(parent_index));
    RETURN_IF_ERROR(CheckOn(dst, parent_index, caller, acl::kWrite | acl::kExecute));
    if (dst_exists) {
      const Node& target = dst.node();
      if (!options.overwrite) return AlreadyExists(dst.path);
      if (target.is_dir != src.node().is_dir) {
        return Conflict("cannot replace " + std::string(target.is_dir ? "directory " : "file ") + dst.path +
                        " with a " + (src.node().is_dir ? "directory" : "file"));
      }
      if (target.is_dir) {
        ASSIGN_OR_RETURN(bool has_children, nodes->HasChildren(target.id, now));
        if (has_children) return DirectoryNotEmpty(dst.path);
      }
      RETURN_IF_ERROR(CheckRemovable(dst, caller));
      RETURN_IF_ERROR(nodes->DeleteSubtree(target.id));
      dst.chain.pop_back();
    }
    Node& moved = src.node();
    RETURN_IF_ERROR(nodes->Move(moved.id, dst.chain[parent_index].id, dst.parts.back()));
    moved.parent_id = dst.chain[parent_index].id;
    moved.name = dst.parts.back();
    Touch(moved, now, /*content_changed=*/false);
    RETURN_IF_ERROR(nodes->Update(moved));
    Node& src_parent = src.chain[src.chain.size() - 2];
    RETURN_IF_ERROR(UpdateParentAfterChildChange(src_parent, now));
    if (dst.chain[parent_index].id != src_parent.id) {
      RETURN_IF_ERROR(UpdateParentAfterChildChange(dst.chain[parent_index], now));
    }
    return FinishWrite(tx);
  }

  Status Delete(const Caller& caller, std::string_view raw_path, const fs::DeleteOptions& options) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    Transaction tx(*db);
    RETURN_IF_ERROR(BeginWrite(tx, now));
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, now));
    if (r.parts.empty()) return InvalidArgument("the root directory cannot be deleted");
    const Node& n = r.node();
    RETURN_IF_ERROR(CheckConditions(options.conditions, &n, r.path));
    RETURN_IF_ERROR(CheckRemovable(r, caller));
    if (n.is_dir) {
      ASSIGN_OR_RETURN(bool has_children, nodes->HasChildren(n.id, now));
      if (has_children && !options.recursive) return DirectoryNotEmpty(r.path);
      if (has_children && !caller.superuser) RETURN_IF_ERROR(CheckSubtreeDeletable(n, r.path, caller));
    }
    RETURN_IF_ERROR(nodes->DeleteSubtree(n.id));
    RETURN_IF_ERROR(UpdateParentAfterChildChange(r.chain[r.chain.size() - 2], now));
    return FinishWrite(tx);
  }

  // Recursive delete: every directory in the subtree needs rwx, and sticky directories protect
  // children the caller does not own.
  Status CheckSubtreeDeletable(const Node& top, const std::string& top_path, const Caller& caller) {
    ASSIGN_OR_RETURN(std::vector<Node> subtree, nodes->Subtree(top.id));
    std::unordered_map<int64_t, const Node*> by_id;
    for (const Node& n : subtree) by_id[n.id] = &n;
    auto path_of = [&](const Node& n) {
      std::string rel;
      for (const Node* cur = &n; cur->id != top.id; cur = by_id.at(cur->parent_id)) rel.insert(0, "/" + cur->name);
      return top_path + rel;
    };
    for (const Node& n : subtree) {
      if (n.is_dir && !acl::HasAccess(n.acl, caller, acl::kAll, policy())) {
        return PermissionDenied("recursive delete of " + top_path + " is denied to " + caller.user + ": " + path_of(n) +
                                " needs read, write and execute");
      }
      if (n.id != top.id) {
        const Node& parent = *by_id.at(n.parent_id);
        if (parent.acl.sticky && n.acl.owner != caller.user && parent.acl.owner != caller.user) {
          return PermissionDenied("recursive delete of " + top_path + " is denied to " + caller.user + ": " +
                                  path_of(n) + " is in a sticky directory and owned by " + n.acl.owner);
        }
      }
    }
    return Status::Ok();
  }

  Result<FileInfo> SetAccessControl(const Caller& caller, std::string_view raw_path,
                                    const fs::AccessControlChange& change) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    Transaction tx(*db);
    RETURN_IF_ERROR(BeginWrite(tx, now));
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, now));
    Node& n = r.node();
    acl::PathState state = StateOf(r, r.chain.size() - 1);
    RETURN_IF_ERROR(CheckConditions(change.conditions, &n, r.path));
    if (change.owner || change.group) {
      RETURN_IF_ERROR(acl::CheckChangeOwner(state, caller, change.owner, change.group));
    }
    if (change.mode) RETURN_IF_ERROR(acl::CheckOwnerOrSuperuser(state, caller, "set the permission of"));
    if (change.acl_op) RETURN_IF_ERROR(acl::CheckOwnerOrSuperuser(state, caller, "change the ACL of"));
    if (change.owner) n.acl.owner = *change.owner;
    if (change.group) n.acl.group = *change.group;
    if (change.mode) acl::SetMode(n.acl, *change.mode);
    if (change.acl_op) {
      switch (*change.acl_op) {
        case fs::AclOp::kSet:
          RETURN_IF_ERROR(acl::SetAcl(n.acl, change.acl_entries, n.is_dir).WithContext(r.path));
          break;
        case fs::AclOp::kModify:
          RETURN_IF_ERROR(acl::ModifyAclEntries(n.acl, change.acl_entries, n.is_dir).WithContext(r.path));
          break;
        case fs::AclOp::kRemoveEntries:
          RETURN_IF_ERROR(acl::RemoveAclEntries(n.acl, change.acl_entries, n.is_dir).WithContext(r.path));
          break;
        case fs::AclOp::kRemoveAll: acl::RemoveAcl(n.acl); break;
        case fs::AclOp::kRemoveDefault: acl::RemoveDefaultAcl(n.acl); break;
      }
    }
    Touch(n, now, /*content_changed=*/false);
    RETURN_IF_ERROR(nodes->Update(n));
    RETURN_IF_ERROR(FinishWrite(tx));
    return n.ToFileInfo(r.path);
  }

  // Shared shape of the small metadata updates that need write permission on the item.
  Result<FileInfo> UpdateWithWriteAccess(const Caller& caller, std::string_view raw_path,
                                         const fs::Conditions& conditions,
                                         const std::function<Status(Node&, const std::string&, int64_t)>& apply) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    Transaction tx(*db);
    RETURN_IF_ERROR(BeginWrite(tx, now));
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, now));
    Node& n = r.node();
    RETURN_IF_ERROR(CheckConditions(conditions, &n, r.path));
    RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
    RETURN_IF_ERROR(apply(n, r.path, now));
    Touch(n, now, /*content_changed=*/false);
    RETURN_IF_ERROR(nodes->Update(n));
    RETURN_IF_ERROR(FinishWrite(tx));
    return n.ToFileInfo(r.path);
  }

  Status CheckConsistency() {
    std::lock_guard<std::mutex> lock(mu);
    ASSIGN_OR_RETURN(Statement * check, db->Prepare("PRAGMA integrity_check"));
    ASSIGN_OR_RETURN(bool row, check->Step());
    if (!row || check->Text(0) != "ok") return Internal("SQLite integrity check failed: " + check->Text(0));
    check->Reset();
    ASSIGN_OR_RETURN(Statement * orphans,
                     db->Prepare("SELECT count(*) FROM nodes n WHERE n.id != 1 AND NOT EXISTS "
                                 "(SELECT 1 FROM nodes p WHERE p.id = n.parent_id AND p.is_dir = 1)"));
    ASSIGN_OR_RETURN(row, orphans->Step());
    if (orphans->Int(0) != 0) return Internal(std::to_string(orphans->Int(0)) + " items have no parent directory");
    orphans->Reset();
    ASSIGN_OR_RETURN(Statement * staged, db->Prepare("SELECT count(*) FROM staged s WHERE NOT EXISTS "
                                                     "(SELECT 1 FROM nodes n WHERE n.data_key = s.data_key)"));
    ASSIGN_OR_RETURN(row, staged->Step());
    if (staged->Int(0) != 0) return Internal(std::to_string(staged->Int(0)) + " staged ranges belong to no file");
    staged->Reset();
    ASSIGN_OR_RETURN(Statement * files,
                     db->Prepare("SELECT id, data_key, size FROM nodes WHERE is_dir = 0 AND size > 0"));
    while (true) {
      ASSIGN_OR_RETURN(row, files->Step());
      if (!row) break;
      struct stat st {};
      std::string file = content->PathFor(files->Text(1));
      if (::stat(file.c_str(), &st) != 0 || st.st_size < files->Int(2)) {
        files->Reset();
        return Internal("content file " + file + " is missing or shorter than the committed length");
      }
    }
    files->Reset();
    return Status::Ok();
  }
};

namespace {

// A FileSystem view bound to one caller.
class CallerView final : public fs::FileSystem {
 public:
  CallerView(std::shared_ptr<LocalStore::Impl> impl, Caller caller)
      : impl_(std::move(impl)), caller_(std::move(caller)) {}

  const fs::Capabilities& capabilities() const override {
    static const fs::Capabilities kCaps{true, true, true, true, true, true, true, true, true, true};
    return kCaps;
  }
  Result<FileInfo> GetFileInfo(std::string_view p) override { return impl_->GetFileInfo(caller_, p); }
  Result<fs::ListPage> List(std::string_view dir, const fs::ListOptions& o) override {
    return impl_->List(caller_, dir, o);
  }
  Result<fs::ReadHandle> OpenRead(std::string_view p, const fs::ReadOptions& o) override {
    return impl_->OpenRead(caller_, p, o);
  }
  Result<FileInfo> CreateFile(std::string_view p, const fs::CreateOptions& o) override {
    return impl_->Create(caller_, p, o, false);
  }
  Result<FileInfo> CreateDirectory(std::string_view p, const fs::CreateOptions& o) override {
    return impl_->Create(caller_, p, o, true);
  }
  Result<int64_t> Append(std::string_view p, int64_t offset, fs::InputStream& data,
                         const fs::AppendOptions& o) override {
    return impl_->Append(caller_, p, offset, data, o);
  }
  Result<FileInfo> Flush(std::string_view p, int64_t position, const fs::FlushOptions& o) override {
    return impl_->Flush(caller_, p, position, o);
  }
  Status Rename(std::string_view s, std::string_view d, const fs::RenameOptions& o) override {
    return impl_->Rename(caller_, s, d, o);
  }
  Status Delete(std::string_view p, const fs::DeleteOptions& o) override { return impl_->Delete(caller_, p, o); }
  Result<acl::AclState> GetAccessControl(std::string_view p) override { return impl_->GetAccessControl(caller_, p); }
  Result<FileInfo> SetAccessControl(std::string_view p, const fs::AccessControlChange& c) override {
    return impl_->SetAccessControl(caller_, p, c);
  }
  Result<FileInfo> SetTimes(std::string_view p, std::optional<int64_t> mtime, std::optional<int64_t> atime) override {
    return impl_->UpdateWithWriteAccess(caller_, p, {}, [&](Node& n, const std::string&, int64_t) {
      if (mtime) n.modification_ms = *mtime;
      if (atime) n.access_ms = *atime;
      return Status::Ok();
    });
  }
  Result<FileInfo> SetExpiry(std::string_view p, const fs::ExpirySpec& e) override {
    return impl_->UpdateWithWriteAccess(caller_, p, {}, [&](Node& n, const std::string& path, int64_t now) {
      if (n.is_dir) return InvalidArgument("expiry can only be set on files, not on directory " + path);
      if (e.ms < 0) return InvalidArgument("expiry time " + std::to_string(e.ms) + " for " + path + " is negative");
      switch (e.kind) {
        case fs::ExpirySpec::Kind::kNever: n.expiry_ms = 0; break;
        case fs::ExpirySpec::Kind::kRelativeToNow: n.expiry_ms = now + e.ms; break;
        case fs::ExpirySpec::Kind::kRelativeToCreation: n.expiry_ms = n.creation_ms + e.ms; break;
        case fs::ExpirySpec::Kind::kAbsolute: n.expiry_ms = e.ms; break;
      }
      return Status::Ok();
    });
  }
  Result<FileInfo> SetProperties(std::string_view p, const fs::Properties& props,
                                 const std::optional<fs::ContentHeaders>& content,
                                 const fs::Conditions& conditions) override {
    return impl_->UpdateWithWriteAccess(caller_, p, conditions, [&](Node& n, const std::string&, int64_t) {
      n.properties = props;
      if (content) n.content = *content;
      return Status::Ok();
    });
  }

 private:
  std::shared_ptr<LocalStore::Impl> impl_;
  Caller caller_;
};

}  // namespace

LocalStore::LocalStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalStore::~LocalStore() = default;

Result<std::shared_ptr<LocalStore>> LocalStore::Open(LocalStoreOptions options) {
  if (options.directory.empty()) return InvalidArgument("the local store needs a directory (--data DIR)");
  if (::mkdir(options.directory.c_str(), 0750) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create store directory " + options.directory, errno);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->content = std::make_unique<ContentFiles>(options.directory + "/data");
  RETURN_IF_ERROR(impl->content->Init());
  ASSIGN_OR_RETURN(impl->db, Database::Open(options.directory + "/metadata.db", options.fsync));
  impl->nodes = std::make_unique<NodeTable>(*impl->db);
  Node root;
  root.id = kRootId;
  root.is_dir = true;
  root.acl = acl::AclState::FromMode(options.root_owner, options.root_group, options.root_mode);
  root.creation_ms = root.modification_ms = root.access_ms = root.change_ms = impl->Now();
  root.etag = impl->NewEtag();
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    Transaction tx(*impl->db);
    RETURN_IF_ERROR(tx.Begin());
    RETURN_IF_ERROR(impl->nodes->CreateSchema(root));
    ASSIGN_OR_RETURN(std::string policy_name, impl->nodes->GetMeta("acl_policy"));
    if (impl->options.policy == nullptr) {  // adopt the store's own rules (Gen2 for a new store)
      impl->options.policy = &acl::AclPolicy::Gen2();
      for (const acl::AclPolicy* known : {&acl::AclPolicy::Gen1(), &acl::AclPolicy::Gen2(), &acl::AclPolicy::Posix()}) {
        if (known->name == policy_name) impl->options.policy = known;
      }
      options.policy = impl->options.policy;
    }
    if (policy_name.empty()) {
      RETURN_IF_ERROR(impl->nodes->SetMeta("acl_policy", options.policy->name));
    } else if (policy_name != options.policy->name) {
      return InvalidArgument("store " + options.directory + " was created with the " + policy_name +
                             " ACL rules; it cannot be opened with the " + options.policy->name + " rules");
    }
    RETURN_IF_ERROR(tx.Commit());
    // Content removals that a crash interrupted.
    RETURN_IF_ERROR(impl->ProcessUnlinks());
  }
  return std::shared_ptr<LocalStore>(new LocalStore(std::move(impl)));
}

std::shared_ptr<fs::FileSystem> LocalStore::ForCaller(acl::Caller caller) {
  return std::make_shared<CallerView>(impl_, std::move(caller));
}

std::shared_ptr<fs::FileSystem> LocalStore::AsSuperuser() {
  return ForCaller(Caller::Superuser());
}

Status LocalStore::CheckConsistency() {
  return impl_->CheckConsistency();
}

const LocalStoreOptions& LocalStore::options() const {
  return impl_->options;
}

}  // namespace lakeshift::store
