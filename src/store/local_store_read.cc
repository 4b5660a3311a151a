// LocalStore::Impl: status, listing and reads.
#include "common/path.h"
#include "store/local_store_impl.h"

namespace lakeshift::store {

Result<fs::FileInfo> LocalStore::Impl::GetFileInfo(const acl::Caller& caller, std::string_view raw_path) {
  std::lock_guard<std::mutex> lock(mu);
  ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, Now()));
  return r.node().ToFileInfo(r.path);
}

Result<acl::AclState> LocalStore::Impl::GetAccessControl(const acl::Caller& caller, std::string_view raw_path) {
  std::lock_guard<std::mutex> lock(mu);
  ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, Now()));
  return r.node().acl;
}

Status LocalStore::Impl::CheckAccess(const acl::Caller& caller, std::string_view raw_path, acl::Perm wanted) {
  std::lock_guard<std::mutex> lock(mu);
  ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, Now()));
  return CheckOn(r, r.chain.size() - 1, caller, wanted);
}

Result<fs::ListPage> LocalStore::Impl::List(const acl::Caller& caller, std::string_view raw_dir,
                                            const fs::ListOptions& options) {
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

Status LocalStore::Impl::ListRecursive(const Resolved& r, const acl::Caller& caller, const std::string& start_after,
                                       int limit, int64_t now, std::vector<fs::FileInfo>& out) {
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

Result<fs::ReadHandle> LocalStore::Impl::OpenRead(const acl::Caller& caller, std::string_view raw_path,
                                                  const fs::ReadOptions& options) {
  std::lock_guard<std::mutex> lock(mu);
  ASSIGN_OR_RETURN(Resolved r, ResolveExisting(raw_path, caller, Now()));
  const Node& n = r.node();
  if (n.is_dir) return IsADirectory(r.path);
  RETURN_IF_ERROR(CheckOn(r, r.chain.size() - 1, caller, acl::kRead));
  RETURN_IF_ERROR(CheckConditions(options.conditions, &n, r.path));
  if (options.offset < 0) return InvalidArgument("read offset " + std::to_string(options.offset) + " is negative");
  if (options.offset > n.size) {
    return Status(StatusCode::kOutOfRange, "read offset " + std::to_string(options.offset) + " is beyond the end of " +
                                               r.path + " (" + std::to_string(n.size) + " bytes)");
  }
  int64_t available = n.size - options.offset;
  int64_t length = options.length < 0 ? available : std::min(options.length, available);
  fs::ReadHandle handle;
  handle.info = n.ToFileInfo(r.path);
  handle.offset = options.offset;
  handle.length = length;
  ASSIGN_OR_RETURN(std::optional<std::string> inlined, nodes->InlineContent(n.data_key));
  if (inlined) {
    if (static_cast<int64_t>(inlined->size()) < options.offset + length) {
      return IoError("inline content of " + r.path + " is shorter than its committed length");
    }
    handle.stream = MakeBytesStream(inlined->substr(static_cast<size_t>(options.offset), static_cast<size_t>(length)));
    return handle;
  }
  ASSIGN_OR_RETURN(UniqueFd fd, content->OpenForRead(n.data_key));
  if (!fd.valid() && length > 0) return IoError("content of " + r.path + " is missing from the data directory");
  handle.stream = MakeFileRangeStream(std::move(fd), options.offset, length);
  return handle;
}

}  // namespace lakeshift::store
