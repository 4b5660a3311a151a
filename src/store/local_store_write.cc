// LocalStore::Impl: operations that change the store.
#include <unordered_map>

#include "common/log.h"
#include "common/path.h"
#include "encoding/base64.h"
#include "encoding/digest.h"
#include "store/local_store_impl.h"

namespace lakeshift::store {

Status LocalStore::Impl::WriteExisting(const acl::Caller& caller, std::string_view raw_path,
                                       const std::function<Status(Resolved&, int64_t)>& change) {
  return RunWrite([&](int64_t now) -> Status {
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, now));
    return change(r, now);
  });
}

Status LocalStore::Impl::CreateMissingDirectories(Resolved& r, const acl::Caller& caller,
                                                  const fs::CreateOptions& options, bool leave_last, int64_t now) {
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

Status LocalStore::Impl::ApplyCreateOverrides(Node& n, const acl::Caller& caller, const fs::CreateOptions& options,
                                              const std::string& p) {
  if (options.owner && *options.owner != n.acl.owner) {
    if (!caller.superuser) return PermissionDenied("only a superuser may create " + p + " owned by " + *options.owner);
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

Status LocalStore::Impl::PrepareNewItem(Resolved& r, const acl::Caller& caller, const fs::CreateOptions& options,
                                        int64_t now) {
  if (r.found()) {
    Node& existing = r.node();
    RETURN_IF_ERROR(CheckConditions(options.conditions, &existing, r.path));
    if (existing.is_dir) return IsADirectory(r.path);
    if (!options.overwrite) return AlreadyExists(r.path);
    size_t parent_index = r.chain.size() - 2;
    RETURN_IF_ERROR(CheckOn(r, parent_index, caller, acl::kWrite | acl::kExecute));
    RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
    RETURN_IF_ERROR(nodes->DeleteSubtree(existing.id));
    r.chain.pop_back();
    return Status::Ok();
  }
  RETURN_IF_ERROR(CheckConditions(options.conditions, nullptr, r.path));
  if (!r.chain.back().is_dir) return NotADirectory(r.PathAt(r.chain.size() - 1));
  RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite | acl::kExecute));
  return CreateMissingDirectories(r, caller, options, /*leave_last=*/true, now);
}

Result<fs::FileInfo> LocalStore::Impl::Create(const acl::Caller& caller, std::string_view raw_path,
                                              const fs::CreateOptions& options, bool is_dir) {
  return RunWriteFor<fs::FileInfo>([&](int64_t now) -> Result<fs::FileInfo> {
    ASSIGN_OR_RETURN(Resolved r, Resolve(raw_path, now));
    RETURN_IF_ERROR(CheckTraverse(r, caller));
    if (r.parts.empty()) {
      if (!is_dir) return IsADirectory("/");
      RETURN_IF_ERROR(CheckConditions(options.conditions, &r.node(), r.path));
      return r.node().ToFileInfo("/");
    }
    if (is_dir && r.found()) {
      Node& existing = r.node();
      RETURN_IF_ERROR(CheckConditions(options.conditions, &existing, r.path));
      if (!existing.is_dir) return AlreadyExists(r.path + " (a file exists there)");
      return existing.ToFileInfo(r.path);
    }
    RETURN_IF_ERROR(PrepareNewItem(r, caller, options, now));
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
    return n.ToFileInfo(r.path);
  });
}

namespace {

// Passes a stream through while computing its MD5.
class Md5Stream final : public fs::InputStream {
 public:
  explicit Md5Stream(fs::InputStream& in) : in_(in), md5_(encoding::HashAlgorithm::kMd5) {}
  Result<size_t> Read(char* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, in_.Read(buf, n));
    md5_.Update(std::string_view(buf, got));
    return got;
  }
  Result<std::string> Finish() {
    ASSIGN_OR_RETURN(std::string digest, md5_.Finish());
    return encoding::Base64Encode(digest);
  }

 private:
  fs::InputStream& in_;
  encoding::Hasher md5_;
};

}  // namespace

Result<fs::FileInfo> LocalStore::Impl::Put(const acl::Caller& caller, std::string_view raw_path, fs::InputStream& data,
                                           const fs::PutOptions& put) {
  ASSIGN_OR_RETURN(std::string path, path::Normalize(raw_path));
  std::string key = ContentFiles::NewKey();
  if (std::optional<uint64_t> size = data.RemainingSize(); size && *size <= static_cast<uint64_t>(kInlineLimit)) {
    // Small: read it, then one transaction commits the file with its bytes.
    ASSIGN_OR_RETURN(std::string bytes, fs::ReadAll(data, static_cast<size_t>(kInlineLimit)));
    std::optional<std::string> md5 = put.content_md5;
    if (!md5 && put.compute_md5) {
      ASSIGN_OR_RETURN(std::string digest, encoding::Md5(bytes));
      md5 = encoding::Base64Encode(digest);
    }
    return CommitPut(caller, path, put, key, static_cast<int64_t>(bytes.size()), md5, &bytes);
  }
  {
    // Fail before any byte is written when the create could not succeed now: the same checks as the
    // commit, in a transaction that is rolled back. Then queue the new version for removal, so that a
    // crash while writing leaves nothing behind; the commit takes it off the queue.
    std::lock_guard<std::mutex> lock(mu);
    int64_t now = Now();
    {
      Transaction probe(*db);
      RETURN_IF_ERROR(BeginWrite(probe, now));
      ASSIGN_OR_RETURN(Resolved r, Resolve(path, now));
      RETURN_IF_ERROR(CheckTraverse(r, caller));
      if (r.parts.empty()) return IsADirectory("/");
      RETURN_IF_ERROR(PrepareNewItem(r, caller, put.create, now));
    }
    Transaction tx(*db);
    RETURN_IF_ERROR(tx.Begin());
    RETURN_IF_ERROR(nodes->QueueUnlink(key));
    RETURN_IF_ERROR(tx.Commit());
    writing_keys.insert(key);
  }
  // Whatever happens below, the key leaves the in-flight set; an uncommitted version is then unlinked.
  struct Release {
    Impl& impl;
    const std::string& key;
    ~Release() {
      std::lock_guard<std::mutex> lock(impl.mu);
      impl.writing_keys.erase(key);
      Status s = impl.ProcessUnlinks();
      if (!s.ok()) LOG_WARNING("local store: content cleanup deferred: " << s);
    }
  } release{*this, key};
  ASSIGN_OR_RETURN(UniqueFd fd, content->OpenForWrite(key));
  std::optional<std::string> md5 = put.content_md5;
  int64_t written = 0;
  if (!md5 && put.compute_md5) {
    Md5Stream hashed(data);
    ASSIGN_OR_RETURN(written, ContentFiles::WriteStreamAt(fd.get(), 0, hashed));
    ASSIGN_OR_RETURN(md5, hashed.Finish());
  } else {
    ASSIGN_OR_RETURN(written, ContentFiles::WriteStreamAt(fd.get(), 0, data));
  }
  if (options.fsync) RETURN_IF_ERROR(ContentFiles::Sync(fd.get()));
  return CommitPut(caller, path, put, key, written, md5);
}

Result<fs::FileInfo> LocalStore::Impl::CommitPut(const acl::Caller& caller, const std::string& path,
                                                 const fs::PutOptions& put, const std::string& key, int64_t size,
                                                 const std::optional<std::string>& md5,
                                                 const std::string* inline_bytes) {
  return RunWriteFor<fs::FileInfo>([&](int64_t now) -> Result<fs::FileInfo> {
    ASSIGN_OR_RETURN(Resolved r, Resolve(path, now));
    RETURN_IF_ERROR(CheckTraverse(r, caller));
    if (r.parts.empty()) return IsADirectory("/");
    RETURN_IF_ERROR(PrepareNewItem(r, caller, put.create, now));
    Node& parent = r.chain.back();
    acl::NewChildRequest request;
    request.requested_mode = put.create.permission;
    request.request_umask = put.create.umask;
    request.owner = caller.user;
    Node n = NewNode(parent, r.parts.back(), /*is_dir=*/false, request, now);
    RETURN_IF_ERROR(ApplyCreateOverrides(n, caller, put.create, r.path));
    n.data_key = key;
    n.size = size;
    n.content_md5 = md5.value_or("");
    ASSIGN_OR_RETURN(n.id, nodes->Insert(n));
    if (inline_bytes) {
      RETURN_IF_ERROR(nodes->PutInline(key, *inline_bytes));
    } else {
      RETURN_IF_ERROR(nodes->ClearUnlink(key));
    }
    RETURN_IF_ERROR(UpdateParentAfterChildChange(parent, now));
    return n.ToFileInfo(r.path);
  });
}

Status LocalStore::Impl::CommitLength(Node& node, const std::string& p, int64_t position, bool retain,
                                      bool content_inline, int64_t now) {
  if (position < node.size) {
    return Status(StatusCode::kInvalidFlushPosition, "flush position " + std::to_string(position) +
                                                         " is below the committed length " + std::to_string(node.size) +
                                                         " of " + p);
  }
  ASSIGN_OR_RETURN(std::vector<StagedRange> ranges, nodes->StagedRanges(node.data_key));
  int64_t end = ContiguousEnd(node.size, ranges);
  if (end < position) {
    return Status(StatusCode::kInvalidFlushPosition, "flush position " + std::to_string(position) + " of " + p +
                                                         " is beyond the appended data: bytes " + std::to_string(end) +
                                                         " to " + std::to_string(position) + " were never appended");
  }
  if (options.fsync && position > node.size && !content_inline) {
    ASSIGN_OR_RETURN(UniqueFd fd, content->OpenForWrite(node.data_key));
    RETURN_IF_ERROR(ContentFiles::Sync(fd.get()));
  }
  if (position != node.size) node.content_md5.clear();
  node.size = position;
  RETURN_IF_ERROR(nodes->TrimStaged(node.data_key, position, retain));
  Touch(node, now, /*content_changed=*/true);
  return Status::Ok();
}

Result<bool> LocalStore::Impl::FitsInline(const Node& node, int64_t offset, std::optional<uint64_t> incoming,
                                          const std::optional<std::string>& inlined) {
  if (!incoming || *incoming == 0 || offset + static_cast<int64_t>(*incoming) > kInlineLimit) return false;
  if (inlined) return static_cast<int64_t>(inlined->size()) == offset;
  if (node.size != 0 || offset != 0) return false;
  ASSIGN_OR_RETURN(std::vector<StagedRange> ranges, nodes->StagedRanges(node.data_key));
  return ranges.empty();
}

Status LocalStore::Impl::SpillInline(const std::string& data_key, const std::string& bytes) {
  ASSIGN_OR_RETURN(UniqueFd fd, content->OpenForWrite(data_key));
  RETURN_IF_ERROR(ContentFiles::WriteAt(fd.get(), 0, bytes));
  if (options.fsync) RETURN_IF_ERROR(ContentFiles::Sync(fd.get()));
  return nodes->DeleteInline(data_key);
}

Result<int64_t> LocalStore::Impl::Append(const acl::Caller& caller, std::string_view raw_path, int64_t offset,
                                         fs::InputStream& data, const fs::AppendOptions& options) {
  if (offset < 0 && !options.at_end) {
    return InvalidArgument("append offset " + std::to_string(offset) + " is negative");
  }
  ASSIGN_OR_RETURN(std::string normalized, path::Normalize(raw_path));
  std::unique_ptr<PathLocks::Guard> writer;
  if (options.require_at_end || options.at_end) writer = writers.Acquire(normalized);
  const std::optional<uint64_t> incoming = data.RemainingSize();
  int64_t node_id = 0;
  std::string data_key;
  UniqueFd fd;
  bool to_inline = false;  // the bytes join the inline content instead of the data file
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSIGN_OR_RETURN(Resolved r, ResolveExisting(normalized, caller, Now()));
    const Node& n = r.node();
    if (n.is_dir) return IsADirectory(r.path);
    RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
    if (options.at_end) {
      ASSIGN_OR_RETURN(std::vector<StagedRange> ranges, nodes->StagedRanges(n.data_key));
      offset = ContiguousEnd(n.size, ranges);
    }
    if (offset < n.size) {
      return Status(StatusCode::kBadOffset, "append offset " + std::to_string(offset) +
                                                " is below the committed length " + std::to_string(n.size) + " of " +
                                                r.path);
    }
    if (options.require_at_end && !options.at_end) {
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
    ASSIGN_OR_RETURN(std::optional<std::string> inlined, nodes->InlineContent(data_key));
    ASSIGN_OR_RETURN(to_inline, FitsInline(n, offset, incoming, inlined));
    if (!to_inline) {
      if (inlined) {
        Transaction tx(*db);
        RETURN_IF_ERROR(tx.Begin());
        RETURN_IF_ERROR(SpillInline(data_key, *inlined));
        RETURN_IF_ERROR(tx.Commit());
      }
      ASSIGN_OR_RETURN(fd, content->OpenForWrite(data_key));
    }
  }
  int64_t written = 0;
  std::string bytes;
  if (to_inline) {
    ASSIGN_OR_RETURN(bytes, fs::ReadAll(data, static_cast<size_t>(kInlineLimit)));
    written = static_cast<int64_t>(bytes.size());
  } else {
    ASSIGN_OR_RETURN(written, ContentFiles::WriteStreamAt(fd.get(), offset, data));
  }

  return RunWriteFor<int64_t>([&](int64_t now) -> Result<int64_t> {
    ASSIGN_OR_RETURN(std::optional<Node> current, nodes->FindById(node_id));
    if (!current || current->data_key != data_key) {
      return Conflict(normalized + " was replaced or deleted while data was being appended to it");
    }
    // Another writer of the same file may have changed the content's form meanwhile (parallel appends).
    ASSIGN_OR_RETURN(std::optional<std::string> inlined, nodes->InlineContent(data_key));
    if (to_inline) {
      ASSIGN_OR_RETURN(to_inline, FitsInline(*current, offset, bytes.size(), inlined));
      if (to_inline) {
        std::string merged = inlined ? std::move(*inlined) : std::string();
        merged += bytes;
        RETURN_IF_ERROR(nodes->PutInline(data_key, merged));
      } else {
        if (inlined) RETURN_IF_ERROR(SpillInline(data_key, *inlined));
        ASSIGN_OR_RETURN(UniqueFd late, content->OpenForWrite(data_key));
        RETURN_IF_ERROR(ContentFiles::WriteAt(late.get(), offset, bytes));
      }
    } else if (inlined) {
      RETURN_IF_ERROR(SpillInline(data_key, *inlined));
    }
    if (written > 0) RETURN_IF_ERROR(nodes->AddStagedRange(data_key, offset, offset + written));
    if (options.flush) {
      RETURN_IF_ERROR(CommitLength(*current, normalized, offset + written, /*retain=*/true, to_inline, now));
      RETURN_IF_ERROR(nodes->Update(*current));
    }
    ASSIGN_OR_RETURN(std::vector<StagedRange> ranges, nodes->StagedRanges(data_key));
    int64_t end = ContiguousEnd(current->size, ranges);
    return end;
  });
}

Result<fs::FileInfo> LocalStore::Impl::Flush(const acl::Caller& caller, std::string_view raw_path, int64_t position,
                                             const fs::FlushOptions& options) {
  std::string truncate_key;  // the data file to cut at `position` once the flush is committed
  ASSIGN_OR_RETURN(
      fs::FileInfo info, RunWriteFor<fs::FileInfo>([&](int64_t now) -> Result<fs::FileInfo> {
        ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, now));
        Node& n = r.node();
        if (n.is_dir) return IsADirectory(r.path);
        RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
        RETURN_IF_ERROR(CheckConditions(options.conditions, &n, r.path));
        int64_t old_size = n.size;
        ASSIGN_OR_RETURN(std::optional<int64_t> inline_size, nodes->InlineSize(n.data_key));
        RETURN_IF_ERROR(CommitLength(n, r.path, position, options.retain_uncommitted, inline_size.has_value(), now));
        if (options.content_md5) n.content_md5 = *options.content_md5;
        if (options.content) n.content = *options.content;
        RETURN_IF_ERROR(nodes->Update(n));
        if (inline_size && !options.retain_uncommitted && *inline_size > position) {
          RETURN_IF_ERROR(nodes->TruncateInline(n.data_key, position));
        }
        if (!inline_size && !options.retain_uncommitted && position >= old_size) truncate_key = n.data_key;
        return n.ToFileInfo(r.path);
      }));
  if (!truncate_key.empty()) {
    Status trimmed = content->Truncate(truncate_key, position);
    if (!trimmed.ok()) LOG_WARNING("local store: " << trimmed);
  }
  return info;
}

Status LocalStore::Impl::CheckRemovable(const Resolved& r, const acl::Caller& caller) {
  size_t parent = r.chain.size() - 2;
  RETURN_IF_ERROR(CheckOn(r, parent, caller, 0));
  return acl::CheckRemoveChild(StateOf(r, parent), StateOf(r, r.chain.size() - 1), caller, policy());
}

Status LocalStore::Impl::Rename(const acl::Caller& caller, std::string_view raw_source,
                                std::string_view raw_destination, const fs::RenameOptions& options) {
  return RunWrite([&](int64_t now) -> Status {
    ASSIGN_OR_RETURN(Resolved src, ResolveExisting(raw_source, caller, now));
    ASSIGN_OR_RETURN(Resolved dst, Resolve(raw_destination, now));
    if (src.parts.empty()) return Status(StatusCode::kInvalidRename, "the root directory cannot be renamed");
    if (dst.parts.empty()) return Status(StatusCode::kInvalidRename, "cannot rename " + src.path + " onto the root");
    if (path::IsAncestor(src.path, dst.path)) {
      return Status(StatusCode::kInvalidRename, "cannot move " + src.path + " into itself (" + dst.path + ")");
    }
    RETURN_IF_ERROR(CheckConditions(options.source_conditions, &src.node(), src.path));
    RETURN_IF_ERROR(CheckRemovable(src, caller));
    if (src.path == dst.path) return Status::Ok();
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
    return Status::Ok();
  });
}

Status LocalStore::Impl::Delete(const acl::Caller& caller, std::string_view raw_path,
                                const fs::DeleteOptions& options) {
  return WriteExisting(caller, raw_path, [&](Resolved& r, int64_t now) -> Status {
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
    return Status::Ok();
  });
}

Status LocalStore::Impl::CheckSubtreeDeletable(const Node& top, const std::string& top_path,
                                               const acl::Caller& caller) {
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
        return PermissionDenied("recursive delete of " + top_path + " is denied to " + caller.user + ": " + path_of(n) +
                                " is in a sticky directory and owned by " + n.acl.owner);
      }
    }
  }
  return Status::Ok();
}

Result<fs::FileInfo> LocalStore::Impl::SetAccessControl(const acl::Caller& caller, std::string_view raw_path,
                                                        const fs::AccessControlChange& change) {
  fs::FileInfo info;
  RETURN_IF_ERROR(WriteExisting(caller, raw_path, [&](Resolved& r, int64_t now) -> Status {
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
        case fs::AclOp::kReplace:
          RETURN_IF_ERROR(acl::ReplaceAcl(n.acl, change.acl_entries, n.is_dir).WithContext(r.path));
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
    info = n.ToFileInfo(r.path);
    return Status::Ok();
  }));
  return info;
}

Result<fs::FileInfo> LocalStore::Impl::UpdateWithWriteAccess(
    const acl::Caller& caller, std::string_view raw_path, const fs::Conditions& conditions,
    const std::function<Status(Node&, const std::string&, int64_t)>& apply) {
  fs::FileInfo info;
  RETURN_IF_ERROR(WriteExisting(caller, raw_path, [&](Resolved& r, int64_t now) -> Status {
    Node& n = r.node();
    RETURN_IF_ERROR(CheckConditions(conditions, &n, r.path));
    RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kWrite));
    RETURN_IF_ERROR(apply(n, r.path, now));
    Touch(n, now, /*content_changed=*/false);
    RETURN_IF_ERROR(nodes->Update(n));
    info = n.ToFileInfo(r.path);
    return Status::Ok();
  }));
  return info;
}

}  // namespace lakeshift::store
