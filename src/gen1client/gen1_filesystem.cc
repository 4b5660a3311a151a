#include "gen1client/gen1_filesystem.h"

#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/path.h"

namespace lakeshift::gen1client {
namespace {

constexpr size_t kAppendChunk = 4ULL << 20;  // the service's per-request body limit
constexpr int64_t kReadChunk = 4LL << 20;    // what the SDKs read per OPEN

int64_t JsonInt(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}
std::string JsonString(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

fs::FileInfo InfoFromStatus(std::string path, const nlohmann::json& s) {
  fs::FileInfo info;
  info.path = std::move(path);
  info.type = JsonString(s, "type") == "DIRECTORY" ? fs::FileType::kDirectory : fs::FileType::kFile;
  info.size = info.is_file() ? JsonInt(s, "length") : 0;
  info.owner = JsonString(s, "owner");
  info.group = JsonString(s, "group");
  info.mode = acl::ParseOctalMode(JsonString(s, "permission")).ValueOr(0);
  info.has_extended_acl = s.contains("aclBit") && s["aclBit"].is_boolean() && s["aclBit"].get<bool>();
  info.modification_time_ms = JsonInt(s, "modificationTime");
  info.access_time_ms = JsonInt(s, "accessTime");
  info.change_time_ms = info.modification_time_ms;
  info.expiry_time_ms = JsonInt(s, "msExpirationTime");
  // Gen1 has no etags: one is derived from what FileStatus shows, so content, permission, owner, ACL-bit and
  // expiry changes give a new one (changes of named ACL entries alone do not; see capabilities).
  info.etag = std::to_string(info.modification_time_ms) + "-" + std::to_string(info.size) + "-" +
              std::to_string(std::hash<std::string>{}(info.owner + "|" + info.group + "|" + std::to_string(info.mode) +
                                                      "|" + std::to_string(info.has_extended_acl) + "|" +
                                                      std::to_string(info.expiry_time_ms)) %
                             1000000007);
  return info;
}

Result<nlohmann::json> ParseJson(const http::ClientResponse& r, const char* what) {
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Internal(std::string(what) + ": the answer is not JSON");
  return doc;
}

// Reads [offset, end) in OPEN requests of kReadChunk bytes, lazily.
class OpenStream final : public fs::InputStream {
 public:
  OpenStream(std::shared_ptr<WebHdfsClient> client, std::string path, int64_t offset, int64_t end)
      : client_(std::move(client)), path_(std::move(path)), next_(offset), end_(end) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ == buffer_.size()) {
      if (next_ >= end_) return size_t{0};
      const int64_t want = std::min(kReadChunk, end_ - next_);
      WebHdfsCall call;
      call.op = "OPEN";
      call.path = path_;
      call.params = {{"read", "true"}, {"offset", std::to_string(next_)}, {"length", std::to_string(want)}};
      buffer_.clear();
      pos_ = 0;
      if (n >= static_cast<size_t>(want)) {
        // The answer fits the caller's buffer: straight into it, without staging it here (large copies are a
        // good part of a migration's CPU).
        size_t got = 0;
        ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call, [&](std::string_view chunk) -> Status {
          if (chunk.size() > n - got) return Internal("OPEN " + path_ + " returned more bytes than asked for");
          std::memcpy(buf + got, chunk.data(), chunk.size());
          got += chunk.size();
          return Status::Ok();
        }));
        if (got == 0) return Internal("OPEN " + path_ + " returned no bytes at offset " + std::to_string(next_));
        next_ += static_cast<int64_t>(got);
        return got;
      }
      buffer_.reserve(static_cast<size_t>(want));
      ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call, [this](std::string_view chunk) {
        buffer_.append(chunk);
        return Status::Ok();
      }));
      // The service may answer with fewer bytes than asked; the next read asks for the rest.
      if (buffer_.empty()) return Internal("OPEN " + path_ + " returned no bytes at offset " + std::to_string(next_));
      next_ += static_cast<int64_t>(buffer_.size());
    }
    size_t count = std::min(n, buffer_.size() - pos_);
    std::memcpy(buf, buffer_.data() + pos_, count);
    pos_ += count;
    return count;
  }

 private:
  std::shared_ptr<WebHdfsClient> client_;
  std::string path_;
  int64_t next_;
  int64_t end_;
  std::string buffer_;
  size_t pos_ = 0;
};

}  // namespace

// WebHDFS has no conditional requests: conditions are checked here just before the call (not atomic).
Status Gen1FileSystem::CheckConditions(const std::string& path, const fs::Conditions& c) {
  if (c.empty()) return Status::Ok();
  auto info = GetFileInfo(path);
  if (!info.ok() && info.status().code() != StatusCode::kNotFound) return info.status();
  bool exists = info.ok();
  if (c.if_match && (!exists || (*c.if_match != "*" && *c.if_match != info->etag))) {
    return PreconditionFailed("If-Match " + *c.if_match + " does not hold for " + path);
  }
  if (c.if_none_match && exists && (*c.if_none_match == "*" || *c.if_none_match == info->etag)) {
    return PreconditionFailed("If-None-Match " + *c.if_none_match + " does not hold for " + path);
  }
  if (exists && c.if_modified_since_ms && info->modification_time_ms <= *c.if_modified_since_ms) {
    return PreconditionFailed(path + " was not modified since the given time");
  }
  if (exists && c.if_unmodified_since_ms && info->modification_time_ms > *c.if_unmodified_since_ms) {
    return PreconditionFailed(path + " was modified since the given time");
  }
  return Status::Ok();
}

Gen1FileSystem::Gen1FileSystem(std::shared_ptr<WebHdfsClient> client) : client_(std::move(client)) {}

const fs::Capabilities& Gen1FileSystem::capabilities() const {
  static const fs::Capabilities caps = [] {
    fs::Capabilities c;
    c.acls = true;
    c.set_owner = true;
    c.set_times = true;
    c.expiry = true;
    c.properties = false;
    c.content_md5 = false;
    c.staged_appends = false;
    c.atomic_rename = true;
    c.recursive_listing = false;
    c.list_before = true;
    c.check_access = true;
    c.sequential_appends = true;
    return c;
  }();
  return caps;
}

Status Gen1FileSystem::Put(const std::string& op, const std::string& path, std::vector<encoding::QueryParam> params) {
  WebHdfsCall call;
  call.method = "PUT";
  call.op = op;
  call.path = path;
  call.params = std::move(params);
  return client_->Send(call).status();
}

Result<fs::FileInfo> Gen1FileSystem::GetFileInfo(std::string_view raw) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  WebHdfsCall call;
  call.op = "GETFILESTATUS";
  call.path = p;
  ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call));
  ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(r, "GETFILESTATUS"));
  if (!doc.contains("FileStatus")) return Internal("GETFILESTATUS " + p + ": no FileStatus in the answer");
  return InfoFromStatus(p, doc["FileStatus"]);
}

Result<fs::ListPage> Gen1FileSystem::List(std::string_view raw, const fs::ListOptions& options) {
  ASSIGN_OR_RETURN(std::string dir, path::Normalize(raw));
  if (options.recursive) return Unsupported("Gen1 lists one directory at a time; walk the tree instead");
  WebHdfsCall call;
  call.op = "LISTSTATUS";
  call.path = dir;
  call.params = {{"listSize", std::to_string(options.max_results > 0 ? options.max_results : 4000)}};
  if (!options.start_after.empty()) call.params.push_back({"listAfter", options.start_after});
  if (!options.end_before.empty()) call.params.push_back({"listBefore", options.end_before});
  ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call));
  ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(r, "LISTSTATUS"));
  if (!doc.contains("FileStatuses")) return Internal("LISTSTATUS " + dir + ": no FileStatuses in the answer");
  const auto& statuses = doc["FileStatuses"];
  fs::ListPage page;
  if (statuses.contains("FileStatus") && statuses["FileStatus"].is_array()) {
    for (const auto& s : statuses["FileStatus"]) {
      std::string suffix = JsonString(s, "pathSuffix");
      if (suffix.empty()) return NotADirectory(dir);  // the service lists a file as itself
      page.entries.push_back(InfoFromStatus(path::Join(dir, suffix), s));
    }
  }
  page.continuation = JsonString(statuses, "continuationToken");
  return page;
}

Result<fs::ReadHandle> Gen1FileSystem::OpenRead(std::string_view raw, const fs::ReadOptions& options) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  if (options.offset < 0) return InvalidArgument("read offset " + std::to_string(options.offset) + " is negative");
  fs::FileInfo info;
  if (options.known_size && options.conditions.empty()) {
    info = fs::KnownFile(p, *options.known_size);  // the caller listed it: no GETFILESTATUS
  } else {
    ASSIGN_OR_RETURN(info, GetFileInfo(p));
  }
  if (info.is_directory()) return IsADirectory(p);
  if (options.conditions.if_match && *options.conditions.if_match != "*" && *options.conditions.if_match != info.etag) {
    return PreconditionFailed(p + " changed since it was listed");
  }
  if (options.offset > info.size) {
    return Status(StatusCode::kOutOfRange, "read offset " + std::to_string(options.offset) + " is outside " + p);
  }
  int64_t end = options.length < 0 ? info.size : std::min(info.size, options.offset + options.length);
  fs::ReadHandle handle;
  handle.offset = options.offset;
  handle.length = end - options.offset;
  handle.stream = std::make_unique<OpenStream>(client_, p, options.offset, end);
  handle.info = std::move(info);
  return handle;
}

Result<fs::FileInfo> Gen1FileSystem::CreateFile(std::string_view raw, const fs::CreateOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  if (!o.properties.empty()) return Unsupported("Gen1 files have no user properties");
  if (auto existing = GetFileInfo(p); existing.ok()) {
    if (existing->is_directory()) return IsADirectory(p);
    if (!o.overwrite || o.conditions.if_none_match == "*") return AlreadyExists(p);
  }
  RETURN_IF_ERROR(CheckConditions(p, o.conditions));
  for (const std::string& ancestor : path::Ancestors(p)) {
    if (auto a = GetFileInfo(ancestor); a.ok() && a->is_file()) return NotADirectory(ancestor);
  }
  std::vector<encoding::QueryParam> params = {
      {"write", "true"}, {"overwrite", o.overwrite ? "true" : "false"}, {"syncFlag", "CLOSE"}};
  if (o.permission) params.push_back({"permission", acl::FormatOctalMode(*o.permission)});
  RETURN_IF_ERROR(Put("CREATE", p, std::move(params)));
  if (o.owner || o.group || o.acl) {
    fs::AccessControlChange change;
    change.owner = o.owner;
    change.group = o.group;
    if (o.acl) {
      change.acl_op = fs::AclOp::kSet;
      change.acl_entries = *o.acl;
    }
    RETURN_IF_ERROR(SetAccessControl(p, change).status());
  }
  if (o.expiry_time_ms) {
    RETURN_IF_ERROR(SetExpiry(p, {fs::ExpirySpec::Kind::kAbsolute, *o.expiry_time_ms}).status());
  }
  return GetFileInfo(p);
}

Result<fs::FileInfo> Gen1FileSystem::CreateDirectory(std::string_view raw, const fs::CreateOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  if (auto existing = GetFileInfo(p); existing.ok()) {
    if (existing->is_file()) return AlreadyExists(p);
    if (o.conditions.if_none_match) return AlreadyExists(p);
    return existing;
  }
  std::vector<encoding::QueryParam> params;
  if (o.permission) params.push_back({"permission", acl::FormatOctalMode(*o.permission)});
  RETURN_IF_ERROR(Put("MKDIRS", p, std::move(params)));
  if (o.owner || o.group || o.acl) {
    fs::AccessControlChange change;
    change.owner = o.owner;
    change.group = o.group;
    if (o.acl) {
      change.acl_op = fs::AclOp::kSet;
      change.acl_entries = *o.acl;
    }
    RETURN_IF_ERROR(SetAccessControl(p, change).status());
  }
  return GetFileInfo(p);
}

Result<int64_t> Gen1FileSystem::Append(std::string_view raw, int64_t offset, fs::InputStream& data,
                                       const fs::AppendOptions& options) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  // Every append is committed (syncFlag METADATA): without staging, data a caller appended is data others see.
  std::string chunk;
  int64_t position = offset;
  bool first = true;
  while (true) {
    chunk.resize(kAppendChunk);
    size_t filled = 0;
    while (filled < chunk.size()) {
      ASSIGN_OR_RETURN(size_t n, data.Read(chunk.data() + filled, chunk.size() - filled));
      if (n == 0) break;
      filled += n;
    }
    chunk.resize(filled);
    bool last = filled < kAppendChunk;
    if (filled == 0 && !first && !options.flush) break;
    WebHdfsCall call;
    call.method = "POST";
    call.path = p;
    auto body = http::StringBodySource::View(chunk);
    call.body = &body;
    if (options.at_end) {
      // APPEND without an offset lands at the end, as Gen1 CONCURRENTAPPEND-style writers expect.
      call.op = "APPEND";
      call.params = {{"append", "true"}, {"syncFlag", "METADATA"}};
    } else {
      call.op = "APPEND";
      call.params = {{"append", "true"}, {"offset", std::to_string(position)}, {"syncFlag", "METADATA"}};
    }
    RETURN_IF_ERROR(client_->Send(call).status());
    position += static_cast<int64_t>(filled);
    first = false;
    if (last) break;
  }
  if (options.at_end) {
    ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(p));
    return info.size;
  }
  return position;
}

Result<fs::FileInfo> Gen1FileSystem::Flush(std::string_view raw, int64_t position, const fs::FlushOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  RETURN_IF_ERROR(CheckConditions(p, o.conditions));
  // A zero-length append at the end commits what DATA appends wrote.
  WebHdfsCall call;
  call.method = "POST";
  call.op = "APPEND";
  call.path = p;
  call.params = {
      {"append", "true"}, {"offset", std::to_string(position)}, {"syncFlag", o.close ? "CLOSE" : "METADATA"}};
  auto empty = http::StringBodySource::View("");
  call.body = &empty;
  Status s = client_->Send(call).status();
  if (s.code() == StatusCode::kBadOffset) return Status(StatusCode::kInvalidFlushPosition, s.message());
  RETURN_IF_ERROR(s);
  return GetFileInfo(p);
}

Result<fs::FileInfo> Gen1FileSystem::PutFile(std::string_view path, fs::InputStream& data,
                                             const fs::PutOptions& options) {
  return fs::PutFileByRename(*this, path, data, options);
}

Status Gen1FileSystem::Rename(std::string_view raw_source, std::string_view raw_destination,
                              const fs::RenameOptions& o) {
  ASSIGN_OR_RETURN(std::string source, path::Normalize(raw_source));
  ASSIGN_OR_RETURN(std::string destination, path::Normalize(raw_destination));
  if (source == "/" || destination == "/") return Status(StatusCode::kInvalidRename, "the root cannot be renamed");
  RETURN_IF_ERROR(CheckConditions(source, o.source_conditions));
  RETURN_IF_ERROR(CheckConditions(destination, o.destination_conditions));
  if (path::IsAncestor(source, destination)) {
    return Status(StatusCode::kInvalidRename, "cannot move " + source + " into itself");
  }
  // RENAME onto an existing directory moves into it (HDFS); the interface renames to the exact name.
  auto target = GetFileInfo(destination);
  if (target.ok()) {
    ASSIGN_OR_RETURN(fs::FileInfo src, GetFileInfo(source));
    if (!o.overwrite) return AlreadyExists(destination);
    if (target->is_directory() || src.is_directory()) {
      return Conflict("cannot replace " + destination + " with " + source + ": only files replace files");
    }
  }
  std::vector<encoding::QueryParam> params = {{"destination", destination}};
  if (o.overwrite) params.push_back({"renameoptions", "OVERWRITE"});
  WebHdfsCall call;
  call.method = "PUT";
  call.op = "RENAME";
  call.path = source;
  call.params = std::move(params);
  ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call));
  ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(r, "RENAME"));
  if (doc.value("boolean", false)) return Status::Ok();
  // The service only says "false": find out why.
  RETURN_IF_ERROR(GetFileInfo(source).status());
  if (auto parent = GetFileInfo(path::Parent(destination)); !parent.ok()) return ParentNotFound(destination);
  return Conflict("RENAME " + source + " to " + destination + " was refused by the service");
}

Status Gen1FileSystem::Delete(std::string_view raw, const fs::DeleteOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  if (p == "/") return InvalidArgument("the root directory cannot be deleted");
  RETURN_IF_ERROR(CheckConditions(p, o.conditions));
  WebHdfsCall call;
  call.method = "DELETE";
  call.op = "DELETE";
  call.path = p;
  call.params = {{"recursive", o.recursive ? "true" : "false"}};
  auto r = client_->Send(call);
  if (!r.ok() && r.status().code() == StatusCode::kConflict) {
    return Status(StatusCode::kDirectoryNotEmpty, r.status().message());
  }
  RETURN_IF_ERROR(r.status());
  ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(*r, "DELETE"));
  if (!doc.value("boolean", false)) return PathNotFound(p);
  return Status::Ok();
}

Result<acl::AclState> Gen1FileSystem::GetAccessControl(std::string_view raw) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  WebHdfsCall call;
  call.op = "GETACLSTATUS";
  call.path = p;
  ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call));
  ASSIGN_OR_RETURN(nlohmann::json doc, ParseJson(r, "GETACLSTATUS"));
  if (!doc.contains("AclStatus")) return Internal("GETACLSTATUS " + p + ": no AclStatus in the answer");
  const auto& s = doc["AclStatus"];
  acl::AclState state;
  state.owner = JsonString(s, "owner");
  state.group = JsonString(s, "group");
  state.sticky = s.contains("stickyBit") && s["stickyBit"].is_boolean() && s["stickyBit"].get<bool>();
  std::string spec;
  if (s.contains("entries") && s["entries"].is_array()) {
    for (const auto& e : s["entries"]) {
      if (!e.is_string()) continue;
      if (!spec.empty()) spec += ",";
      spec += e.get<std::string>();
    }
  }
  ASSIGN_OR_RETURN(std::vector<acl::AclEntry> entries, acl::ParseAclSpec(spec));
  for (acl::AclEntry& e : entries) {
    (e.scope == acl::Scope::kDefault ? state.default_acl : state.access).push_back(std::move(e));
  }
  // WebHDFS lists only the extended entries (HDFS); the base ones come from the permission string.
  acl::Mode mode = acl::ParseOctalMode(JsonString(s, "permission")).ValueOr(0);
  auto has = [&](acl::EntryType type) {
    for (const acl::AclEntry& e : state.access) {
      if (e.type == type && !e.is_named()) return true;
    }
    return false;
  };
  if (!has(acl::EntryType::kUser) || !has(acl::EntryType::kOther)) {
    acl::AclState base = acl::AclState::FromMode(state.owner, state.group, mode);
    for (const acl::AclEntry& e : base.access) {
      if (!has(e.type)) state.access.push_back(e);
    }
  }
  return state;
}

Status Gen1FileSystem::CheckAccess(std::string_view raw, acl::Perm wanted) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  WebHdfsCall call;
  call.op = "CHECKACCESS";
  call.path = p;
  call.params = {{"fsaction", acl::FormatPerm(wanted)}};
  return client_->Send(call).status();
}

Result<fs::FileInfo> Gen1FileSystem::SetAccessControl(std::string_view raw, const fs::AccessControlChange& change) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  RETURN_IF_ERROR(CheckConditions(p, change.conditions));
  if (change.owner || change.group) {
    std::vector<encoding::QueryParam> params;
    if (change.owner) params.push_back({"owner", *change.owner});
    if (change.group) params.push_back({"group", *change.group});
    RETURN_IF_ERROR(Put("SETOWNER", p, std::move(params)));
  }
  if (change.acl_op) {
    std::string spec = acl::FormatAclSpec(change.acl_entries, *change.acl_op != fs::AclOp::kRemoveEntries);
    switch (*change.acl_op) {
      case fs::AclOp::kSet: RETURN_IF_ERROR(Put("SETACL", p, {{"aclspec", spec}})); break;
      case fs::AclOp::kReplace: {
        RETURN_IF_ERROR(Put("SETACL", p, {{"aclspec", spec}}));
        bool has_default = false;
        for (const acl::AclEntry& e : change.acl_entries) has_default |= e.scope == acl::Scope::kDefault;
        if (!has_default) RETURN_IF_ERROR(Put("REMOVEDEFAULTACL", p, {}));
        break;
      }
      case fs::AclOp::kModify: RETURN_IF_ERROR(Put("MODIFYACLENTRIES", p, {{"aclspec", spec}})); break;
      case fs::AclOp::kRemoveEntries: RETURN_IF_ERROR(Put("REMOVEACLENTRIES", p, {{"aclspec", spec}})); break;
      case fs::AclOp::kRemoveAll: RETURN_IF_ERROR(Put("REMOVEACL", p, {})); break;
      case fs::AclOp::kRemoveDefault: RETURN_IF_ERROR(Put("REMOVEDEFAULTACL", p, {})); break;
    }
  }
  if (change.mode) RETURN_IF_ERROR(Put("SETPERMISSION", p, {{"permission", acl::FormatOctalMode(*change.mode)}}));
  return GetFileInfo(p);
}

Result<fs::FileInfo> Gen1FileSystem::SetTimes(std::string_view raw, std::optional<int64_t> modification_time_ms,
                                              std::optional<int64_t> access_time_ms) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  RETURN_IF_ERROR(Put("SETTIMES", p,
                      {{"modificationtime", std::to_string(modification_time_ms.value_or(-1))},
                       {"accesstime", std::to_string(access_time_ms.value_or(-1))}}));
  return GetFileInfo(p);
}

Result<fs::FileInfo> Gen1FileSystem::SetExpiry(std::string_view raw, const fs::ExpirySpec& expiry) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  WebHdfsCall call;
  call.method = "PUT";
  call.op = "SETEXPIRY";
  call.path = p;
  call.extension = true;
  switch (expiry.kind) {
    case fs::ExpirySpec::Kind::kNever: call.params = {{"expiryOption", "NeverExpire"}}; break;
    case fs::ExpirySpec::Kind::kRelativeToNow:
      call.params = {{"expiryOption", "RelativeToNow"}, {"expireTime", std::to_string(expiry.ms)}};
      break;
    case fs::ExpirySpec::Kind::kRelativeToCreation:
      call.params = {{"expiryOption", "RelativeToCreationDate"}, {"expireTime", std::to_string(expiry.ms)}};
      break;
    case fs::ExpirySpec::Kind::kAbsolute:
      call.params = {{"expiryOption", "Absolute"}, {"expireTime", std::to_string(expiry.ms)}};
      break;
  }
  RETURN_IF_ERROR(client_->Send(call).status());
  auto info = GetFileInfo(p);
  if (!info.ok() && info.status().code() == StatusCode::kNotFound && expiry.kind == fs::ExpirySpec::Kind::kAbsolute) {
    fs::FileInfo expired;  // an expiry in the past removed the file at once
    expired.path = p;
    expired.expiry_time_ms = expiry.ms;
    return expired;
  }
  return info;
}

Result<fs::FileInfo> Gen1FileSystem::SetProperties(std::string_view, const fs::Properties&,
                                                   const std::optional<fs::ContentHeaders>&, const fs::Conditions&) {
  return Unsupported("Gen1 files have no user properties or content headers");
}

Result<fs::FileInfo> Gen1FileSystem::SetContentMd5(std::string_view, std::string_view, const fs::Conditions&) {
  return Unsupported("Gen1 keeps no whole-file MD5");
}

}  // namespace lakeshift::gen1client
