#include "emulator/gen2_copy.h"

#include "common/path.h"

namespace lakeshift::emulator {
namespace {

// Makes `target` in `to` a copy of `item` (a file's bytes included).
Status CopyItem(fs::FileSystem& from, const fs::FileInfo& item, fs::FileSystem& to, const std::string& target,
                const acl::Caller& caller) {
  ASSIGN_OR_RETURN(acl::AclState state, from.GetAccessControl(item.path));
  fs::CreateOptions options;
  options.overwrite = false;
  options.permission = item.mode;
  options.umask = 0;
  std::vector<acl::AclEntry> entries = state.access;
  entries.insert(entries.end(), state.default_acl.begin(), state.default_acl.end());
  options.acl = std::move(entries);  // replaces whatever the destination parent would pass on
  if (caller.superuser) {
    options.owner = item.owner;
    options.group = item.group;
  }
  options.properties = item.properties;
  options.content = item.content;
  if (item.expiry_time_ms) options.expiry_time_ms = item.expiry_time_ms;
  if (item.is_directory()) return to.CreateDirectory(target, options).status();
  RETURN_IF_ERROR(to.CreateFile(target, options).status());
  fs::FlushOptions flush;
  if (!item.content_md5.empty()) flush.content_md5 = item.content_md5;
  if (item.size > 0) {
    ASSIGN_OR_RETURN(fs::ReadHandle handle, from.OpenRead(item.path, {}));
    RETURN_IF_ERROR(to.Append(target, 0, *handle.stream, {}).status());
  }
  return to.Flush(target, item.size, flush).status();
}

}  // namespace

Status MoveAcross(fs::FileSystem& from, std::string_view source, fs::FileSystem& to, std::string_view destination,
                  const acl::Caller& caller) {
  ASSIGN_OR_RETURN(fs::FileInfo top, from.GetFileInfo(source));
  std::string parent = path::Parent(destination);
  auto parent_info = to.GetFileInfo(parent);
  if (!parent_info.ok() && parent_info.status().code() == StatusCode::kNotFound) return ParentNotFound(destination);
  RETURN_IF_ERROR(parent_info.status());
  if (!parent_info->is_directory()) return NotADirectory(parent);
  auto existing = to.GetFileInfo(destination);
  if (existing.ok()) {
    // The destination is replaced, as by a rename within a filesystem.
    if (existing->is_directory() != top.is_directory()) {
      return Conflict("cannot replace " + std::string(destination) + " with a " +
                      (top.is_directory() ? "directory" : "file"));
    }
    RETURN_IF_ERROR(to.Delete(destination, {}));
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  std::vector<fs::FileInfo> items{top};
  if (top.is_directory()) {
    ASSIGN_OR_RETURN(std::vector<fs::FileInfo> below, fs::ListAll(from, source, /*recursive=*/true));
    items.insert(items.end(), below.begin(), below.end());  // pre-order: parents before children
  }
  for (const fs::FileInfo& item : items) {
    std::string target = std::string(destination) + item.path.substr(top.path.size());
    RETURN_IF_ERROR(CopyItem(from, item, to, target, caller).WithContext("copy to " + target));
  }
  fs::DeleteOptions remove;
  remove.recursive = true;
  return from.Delete(source, remove);
}

}  // namespace lakeshift::emulator
