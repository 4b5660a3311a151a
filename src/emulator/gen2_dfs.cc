#include "emulator/gen2_dfs.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/path.h"
#include "emulator/gen2_copy.h"
#include "emulator/gen2_lease_ops.h"
#include "encoding/base64.h"
#include "encoding/digest.h"
#include "encoding/time_format.h"
#include "gen2/wire.h"

namespace lakeshift::emulator {
namespace {

using gen2::Api;
using gen2::MakeError;

constexpr uint64_t kMaxAppendBytes = 4000ULL << 20;  // the service's per-append limit
constexpr int64_t kMaxDigestRange = 4LL << 20;       // x-ms-range-get-content-md5/-crc64

Status Send(const Gen2Request& r, http::ResponseWriter& out, int status, http::Headers extra = {},
            std::string_view body = "") {
  http::Headers h = CommonHeaders(r, Api::kDfs);
  for (const auto& [name, value] : extra) h.Set(name, value);
  return out.Send(status, std::move(h), body);
}

http::Headers EtagHeaders(const fs::FileInfo& info) {
  return {{"ETag", gen2::QuotedEtag(info.etag)},
          {"Last-Modified", encoding::FormatRfc1123(std::max(info.modification_time_ms, info.change_time_ms))}};
}

// Owner names for a new path: Shared Key callers create "$superuser" paths, OAuth callers their own.
Result<std::optional<acl::Mode>> ModeHeader(const Gen2Request& r, std::string_view name) {
  auto v = r.Header(name);
  if (!v) return std::optional<acl::Mode>();
  auto mode = acl::ParseMode(*v);
  if (!mode.ok()) return MakeError(400, "InvalidHeaderValue", std::string(name) + ": " + mode.status().message());
  return std::optional<acl::Mode>(*mode);
}

Result<std::optional<std::vector<acl::AclEntry>>> AclHeader(const Gen2Request& r, bool perms_required = true) {
  auto v = r.Header("x-ms-acl");
  if (!v) return std::optional<std::vector<acl::AclEntry>>();
  auto entries = acl::ParseAclSpec(*v, perms_required);
  if (!entries.ok()) return MakeError(400, "InvalidHeaderValue", "x-ms-acl: " + entries.status().message());
  return std::optional<std::vector<acl::AclEntry>>(std::move(*entries));
}

fs::ContentHeaders ContentHeadersFrom(const Gen2Request& r, const fs::ContentHeaders& base = {}) {
  fs::ContentHeaders h = base;
  if (auto v = r.Header("x-ms-content-type")) h.content_type = *v;
  if (auto v = r.Header("x-ms-content-encoding")) h.content_encoding = *v;
  if (auto v = r.Header("x-ms-content-language")) h.content_language = *v;
  if (auto v = r.Header("x-ms-content-disposition")) h.content_disposition = *v;
  if (auto v = r.Header("x-ms-cache-control")) h.cache_control = *v;
  return h;
}

bool HasContentHeaders(const Gen2Request& r) {
  for (const char* name : {"x-ms-content-type", "x-ms-content-encoding", "x-ms-content-language",
                           "x-ms-content-disposition", "x-ms-cache-control"}) {
    if (r.Header(name)) return true;
  }
  return false;
}

Result<std::optional<int64_t>> ExpiryAtCreate(const Gen2Request& r) {
  auto option = r.Header("x-ms-expiry-option");
  if (!option || *option == "NeverExpire") return std::optional<int64_t>();
  auto time = r.Header("x-ms-expiry-time");
  if (!time)
    return MakeError(400, "MissingRequiredHeader", "x-ms-expiry-option " + *option + " needs x-ms-expiry-time");
  int64_t now = encoding::NowEpochMillis();
  if (*option == "RelativeToNow") {
    try {
      return std::optional<int64_t>(now + std::stoll(*time));
    } catch (...) {
      return MakeError(400, "InvalidHeaderValue", "x-ms-expiry-time \"" + *time + "\" is not a number of ms");
    }
  }
  if (*option == "Absolute") {
    auto at = encoding::ParseRfc1123(*time);
    if (!at.ok()) return MakeError(400, "InvalidHeaderValue", "x-ms-expiry-time: " + at.status().message());
    return std::optional<int64_t>(*at);
  }
  return MakeError(400, "InvalidHeaderValue", "x-ms-expiry-option \"" + *option + "\" is not valid at create");
}

// Keeps the Blob API's block state in step with namespace changes made through DFS: staged blocks and
// committed block lists follow a rename and go with a delete. The namespace change has happened when this
// runs, so a failure here is only logged (stale committed lists are recognised and ignored anyway).
void UpdateBlockState(Gen2Account& account, const Gen2Request& r, const std::string& removed_or_moved,
                      const std::string* moved_to) {
  auto blocks = account.Blocks(r.filesystem);
  Status s = blocks.status();
  if (s.ok()) {
    s = moved_to ? (*blocks)->Move(removed_or_moved, *moved_to) : (*blocks)->Forget(removed_or_moved, true);
  }
  if (!s.ok()) LOG_WARNING("gen2 dfs: block state of " << removed_or_moved << " not updated: " << s);
}

// ---- filesystem and account level -------------------------------------------------------------

Status ListFilesystemsJson(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(int64_t max, QueryInt(r, "maxResults", 5000));
  ASSIGN_OR_RETURN(FilesystemPage page,
                   account.ListFilesystems(r.Query("prefix").value_or(""), r.Query("continuation").value_or(""),
                                           static_cast<int>(max)));
  nlohmann::json list = nlohmann::json::array();
  for (const FilesystemInfo& f : page.items) {
    list.push_back({{"etag", f.etag}, {"lastModified", encoding::FormatRfc1123(f.last_modified_ms)}, {"name", f.name}});
  }
  http::Headers h{{"Content-Type", "application/json; charset=utf-8"}};
  if (!page.next_marker.empty()) h.Set("x-ms-continuation", page.next_marker);
  return Send(r, out, 200, h, nlohmann::json{{"filesystems", list}}.dump());
}

Status FilesystemOp(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  RETURN_IF_ERROR(gen2::ValidateFilesystemName(r.filesystem));
  const std::string& m = r.method();
  if (m == "PUT") {
    fs::Properties props;
    if (auto v = r.Header("x-ms-properties")) {
      ASSIGN_OR_RETURN(props, gen2::ParseProperties(*v));
    }
    bool shared_key = r.caller.user == "$superuser";
    auto created =
        account.CreateFilesystem(r.filesystem, props, r.caller.user, shared_key ? "$superuser" : r.caller.user);
    if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists) {
      return MakeError(409, "FilesystemAlreadyExists", "filesystem " + r.filesystem + " already exists");
    }
    RETURN_IF_ERROR(created.status());
    return Send(r, out, 201,
                {{"ETag", gen2::QuotedEtag(created->etag)},
                 {"Last-Modified", encoding::FormatRfc1123(created->last_modified_ms)},
                 {"x-ms-namespace-enabled", "true"}});
  }
  auto missing = [&](const Status& s) {
    return s.code() == StatusCode::kNotFound ? MakeError(404, "FilesystemNotFound", "filesystem " + r.filesystem) : s;
  };
  if (m == "DELETE") {
    RETURN_IF_ERROR(CheckFilesystemWrite(r, account, Api::kDfs));
    Status s = account.DeleteFilesystem(r.filesystem);
    if (!s.ok()) return missing(s);
    return Send(r, out, 202);
  }
  if (m == "HEAD" || (m == "GET" && !r.HasQuery("recursive"))) {
    RETURN_IF_ERROR(CheckFilesystemRead(r, account, Api::kDfs));
    auto info = account.GetFilesystem(r.filesystem);
    if (!info.ok()) return missing(info.status());
    return Send(r, out, 200,
                {{"ETag", gen2::QuotedEtag(info->etag)},
                 {"Last-Modified", encoding::FormatRfc1123(info->last_modified_ms)},
                 {"x-ms-properties", gen2::FormatProperties(info->metadata)},
                 {"x-ms-namespace-enabled", "true"}});
  }
  if (m == "PATCH") {
    fs::Properties props;
    if (auto v = r.Header("x-ms-properties")) {
      ASSIGN_OR_RETURN(props, gen2::ParseProperties(*v));
    }
    RETURN_IF_ERROR(CheckFilesystemRead(r, account, Api::kDfs));  // a lease binds metadata only when named
    auto info = account.SetFilesystemMetadata(r.filesystem, props);
    if (!info.ok()) return missing(info.status());
    return Send(
        r, out, 200,
        {{"ETag", gen2::QuotedEtag(info->etag)}, {"Last-Modified", encoding::FormatRfc1123(info->last_modified_ms)}});
  }
  return MakeError(405, "UnsupportedHttpVerb", m + " is not supported on a filesystem");
}

Status ListPaths(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(auto store, FileSystemFor(r, account, Api::kDfs));
  if (!r.HasQuery("recursive")) {
    return MakeError(400, "MissingRequiredQueryParameter", "List Paths needs the recursive query parameter");
  }
  ASSIGN_OR_RETURN(bool recursive, QueryBool(r, "recursive", false));
  ASSIGN_OR_RETURN(int64_t max, QueryInt(r, "maxResults", 5000));
  if (max < 1) return MakeError(400, "OutOfRangeQueryParameterValue", "maxResults must be at least 1");
  std::string dir = "/";
  if (auto d = r.Query("directory"); d && !d->empty()) {
    ASSIGN_OR_RETURN(dir, path::Normalize("/" + *d));
  }
  fs::ListOptions options;
  options.recursive = recursive;
  options.max_results = static_cast<int>(std::min<int64_t>(max, 5000));
  if (auto token = r.Query("continuation"); token && !token->empty()) {
    auto decoded = encoding::Base64Decode(*token);
    if (!decoded.ok()) return MakeError(400, "InvalidQueryParameterValue", "continuation token is not valid");
    options.start_after = *decoded;
  }
  auto page = store->List(dir, options);
  if (!page.ok() && page.status().code() == StatusCode::kNotADirectory) {
    return MakeError(404, "PathNotFound", dir + " is not a directory");
  }
  RETURN_IF_ERROR(page.status());
  std::string body = "{\"paths\":[";
  for (size_t i = 0; i < page->entries.size(); ++i) {
    if (i) body += ',';
    body += gen2::ListPathsEntryJson(page->entries[i], page->entries[i].path.substr(1));
  }
  body += "]}";
  http::Headers h{{"Content-Type", "application/json; charset=utf-8"}};
  if (!page->continuation.empty()) h.Set("x-ms-continuation", encoding::Base64Encode(page->continuation));
  return Send(r, out, 200, h, body);
}

// ---- paths ------------------------------------------------------------------------------------

Status Rename(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  std::string source = *r.Header("x-ms-rename-source");
  source = source.substr(0, source.find('?'));  // a SAS may ride along
  auto decoded = encoding::PercentDecode(source);
  if (!decoded.ok() || decoded->empty() || decoded->front() != '/') {
    return MakeError(400, "InvalidSourceUri", "x-ms-rename-source \"" + source + "\" is not /<filesystem>/<path>");
  }
  std::vector<std::string_view> parts = path::Split(*decoded);
  // Path-style clients put the account first (/<account>/<filesystem>/<path>), unless a filesystem has the
  // account's name.
  if (parts.size() >= 3 && parts[0] == account.name() && !account.GetFilesystem(std::string(parts[0])).ok()) {
    parts.erase(parts.begin());
  }
  if (parts.size() < 2) return MakeError(400, "InvalidSourceUri", "x-ms-rename-source names no path");
  const std::string source_fs(parts[0]);
  std::string source_path;
  for (size_t i = 1; i < parts.size(); ++i) source_path += "/" + std::string(parts[i]);
  fs::RenameOptions options;
  options.overwrite = true;  // the destination is replaced unless a condition says otherwise
  ASSIGN_OR_RETURN(options.source_conditions, ParseConditions(r, "x-ms-source-"));
  ASSIGN_OR_RETURN(options.destination_conditions, ParseConditions(r));
  // A leased source moves only with its lease id; a leased destination is replaced only with its own.
  ASSIGN_OR_RETURN(std::string source_lease, RequestLeaseId(r, "x-ms-source-lease-id"));
  RETURN_IF_ERROR(account.leases().CheckWrite(source_fs, source_path, source_lease, LeaseTarget::kPath));
  if (store.GetFileInfo(r.path).ok()) RETURN_IF_ERROR(CheckPathWrite(r, account, Api::kDfs));
  Status s;
  if (source_fs == r.filesystem) {
    s = store.Rename(source_path, r.path, options);
  } else {
    auto from = account.Store(source_fs);
    if (!from.ok() && from.status().code() == StatusCode::kNotFound) {
      return MakeError(404, "SourcePathNotFound", "filesystem " + source_fs + " does not exist");
    }
    RETURN_IF_ERROR(from.status());
    s = MoveAcross(*(*from)->ForCaller(r.caller), source_path, store, r.path, r.caller);
  }
  if (!s.ok()) {
    switch (s.code()) {
      case StatusCode::kNotFound: return MakeError(404, "SourcePathNotFound", s.message());
      case StatusCode::kParentNotFound: return MakeError(404, "RenameDestinationParentPathNotFound", s.message());
      case StatusCode::kConflict: return MakeError(409, "InvalidSourceOrDestinationResourceType", s.message());
      case StatusCode::kAlreadyExists: return MakeError(409, "PathAlreadyExists", s.message());
      default: return s;
    }
  }
  RETURN_IF_ERROR(account.leases().Move(source_fs, source_path, r.filesystem, r.path));
  ASSIGN_OR_RETURN(fs::FileInfo info, store.GetFileInfo(r.path));
  auto from = path::Normalize(source_path);
  if (from.ok()) UpdateBlockState(account, r, *from, &info.path);
  http::Headers h = EtagHeaders(info);
  h.Set("Content-Length", "0");
  return Send(r, out, 201, h);
}

Status CreatePath(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  if (r.Header("x-ms-rename-source")) return Rename(r, account, store, out);
  auto resource = r.Query("resource");
  if (!resource || (*resource != "file" && *resource != "directory")) {
    return MakeError(400, "InvalidQueryParameterValue", "resource must be file or directory");
  }
  bool is_dir = *resource == "directory";
  fs::CreateOptions options;
  ASSIGN_OR_RETURN(options.conditions, ParseConditions(r));
  ASSIGN_OR_RETURN(options.permission, ModeHeader(r, "x-ms-permissions"));
  ASSIGN_OR_RETURN(options.umask, ModeHeader(r, "x-ms-umask"));
  ASSIGN_OR_RETURN(options.acl, AclHeader(r));
  if (auto v = r.Header("x-ms-owner")) options.owner = *v;
  if (auto v = r.Header("x-ms-group")) options.group = *v;
  if (auto v = r.Header("x-ms-properties")) {
    ASSIGN_OR_RETURN(options.properties, gen2::ParseProperties(*v));
  }
  if (!is_dir) {
    options.content = ContentHeadersFrom(r);
    ASSIGN_OR_RETURN(options.expiry_time_ms, ExpiryAtCreate(r));
  }
  ASSIGN_OR_RETURN(WriteLease lease, WriteLease::Parse(r));
  auto existing = store.GetFileInfo(r.path);
  if (existing.ok()) {
    RETURN_IF_ERROR(lease.Before(r, account));
  } else {
    RETURN_IF_ERROR(account.leases().Forget(r.filesystem, r.path, /*descendants=*/true));  // leases of a gone path
  }
  auto created = is_dir ? store.CreateDirectory(r.path, options) : store.CreateFile(r.path, options);
  if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists &&
      options.conditions.if_none_match == "*") {
    Status exists = MakeError(409, "PathAlreadyExists", created.status().message());
    if (!existing.ok() || !existing->is_directory()) return exists;
    SendError(r, out, Api::kDfs, exists, {.headers = {{"x-ms-existing-resource-type", "directory"}}});
    return Status::Ok();
  }
  RETURN_IF_ERROR(created.status());
  RETURN_IF_ERROR(lease.After(r, account));
  http::Headers h = EtagHeaders(*created);
  h.Set("Content-Length", "0");
  h.Set("x-ms-request-server-encrypted", "true");
  return Send(r, out, 201, h);
}

Status Append(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  if (!r.HasQuery("position")) return MakeError(400, "MissingRequiredQueryParameter", "append needs position");
  ASSIGN_OR_RETURN(int64_t position, QueryInt(r, "position", 0));
  ASSIGN_OR_RETURN(bool flush, QueryBool(r, "flush", false));
  ASSIGN_OR_RETURN(WriteLease lease, WriteLease::Parse(r));
  RETURN_IF_ERROR(lease.Before(r, account));
  r.http->SetBodyLimit(kMaxAppendBytes);
  // Content-MD5 (transactional): the service refuses the append when the body does not match it.
  Md5CheckingBody body(r.http->body(), r.Header("Content-MD5"), /*keep_digest=*/false);
  fs::AppendOptions options;
  options.flush = flush;
  auto end = store.Append(r.path, position, body, options);
  if (!end.ok() && end.status().code() == StatusCode::kBadOffset) {
    return MakeError(400, "InvalidFlushPosition", end.status().message());
  }
  RETURN_IF_ERROR(end.status());
  http::Headers h{{"x-ms-request-server-encrypted", "true"}, {"Content-Length", "0"}};
  if (flush) {
    ASSIGN_OR_RETURN(fs::FileInfo info, store.GetFileInfo(r.path));
    // The service keeps the Content-Type of an append that flushes as the file's content type.
    if (auto type = r.Header("Content-Type"); type && *type != info.content.content_type) {
      fs::ContentHeaders content = info.content;
      content.content_type = *type;
      ASSIGN_OR_RETURN(info, store.SetProperties(r.path, info.properties, content, {}));
    }
    for (const auto& [k, v] : EtagHeaders(info)) h.Set(k, v);
  }
  RETURN_IF_ERROR(lease.After(r, account));
  return Send(r, out, 202, h);
}

Status Flush(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  if (r.http->content_length.value_or(0) != 0 || r.http->chunked) {
    return MakeError(400, "ContentLengthMustBeZero", "a flush carries no body");
  }
  if (!r.HasQuery("position")) return MakeError(400, "MissingRequiredQueryParameter", "flush needs position");
  ASSIGN_OR_RETURN(int64_t position, QueryInt(r, "position", 0));
  fs::FlushOptions options;
  ASSIGN_OR_RETURN(options.retain_uncommitted, QueryBool(r, "retainUncommittedData", false));
  ASSIGN_OR_RETURN(options.close, QueryBool(r, "close", false));
  ASSIGN_OR_RETURN(options.conditions, ParseConditions(r));
  if (auto md5 = r.Header("x-ms-content-md5")) options.content_md5 = *md5;
  if (HasContentHeaders(r)) {
    ASSIGN_OR_RETURN(fs::FileInfo current, store.GetFileInfo(r.path));
    options.content = ContentHeadersFrom(r, current.content);
  }
  ASSIGN_OR_RETURN(WriteLease lease, WriteLease::Parse(r));
  RETURN_IF_ERROR(lease.Before(r, account));
  ASSIGN_OR_RETURN(fs::FileInfo info, store.Flush(r.path, position, options));
  RETURN_IF_ERROR(lease.After(r, account));
  http::Headers h = EtagHeaders(info);
  h.Set("Content-Length", "0");
  h.Set("x-ms-request-server-encrypted", "false");
  return Send(r, out, 200, h);
}

Status SetAccessControl(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  fs::AccessControlChange change;
  if (auto v = r.Header("x-ms-owner")) change.owner = *v;
  if (auto v = r.Header("x-ms-group")) change.group = *v;
  ASSIGN_OR_RETURN(change.mode, ModeHeader(r, "x-ms-permissions"));
  ASSIGN_OR_RETURN(auto entries, AclHeader(r));
  if (change.mode && entries) {
    return MakeError(400, "InvalidInput", "x-ms-permissions and x-ms-acl are mutually exclusive");
  }
  if (entries) {
    change.acl_op = fs::AclOp::kReplace;
    change.acl_entries = std::move(*entries);
  }
  ASSIGN_OR_RETURN(change.conditions, ParseConditions(r));
  RETURN_IF_ERROR(CheckPathWrite(r, account, Api::kDfs));
  ASSIGN_OR_RETURN(fs::FileInfo info, store.SetAccessControl(r.path, change));
  http::Headers h = EtagHeaders(info);
  h.Set("x-ms-namespace-enabled", "true");
  return Send(r, out, 200, h);
}

Status SetProperties(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  fs::Properties props;
  if (auto v = r.Header("x-ms-properties")) {
    ASSIGN_OR_RETURN(props, gen2::ParseProperties(*v));
  }
  ASSIGN_OR_RETURN(fs::Conditions conditions, ParseConditions(r));
  std::optional<fs::ContentHeaders> content;
  if (HasContentHeaders(r)) {
    ASSIGN_OR_RETURN(fs::FileInfo current, store.GetFileInfo(r.path));
    content = ContentHeadersFrom(r, current.content);
  }
  RETURN_IF_ERROR(CheckPathWrite(r, account, Api::kDfs));
  ASSIGN_OR_RETURN(fs::FileInfo info, store.SetProperties(r.path, props, content, conditions));
  return Send(r, out, 200, EtagHeaders(info));
}

// Applies an ACL change to a path and everything below it, maxRecords items per call, resumable with the
// continuation token (the recursive listing's cursor; the path itself is the first item of the first call).
Status SetAccessControlRecursive(Gen2Request& r, fs::FileSystem& store, http::ResponseWriter& out) {
  std::string mode = r.Query("mode").value_or("");
  fs::AclOp op;
  if (mode == "set") {
    op = fs::AclOp::kReplace;
  } else if (mode == "modify") {
    op = fs::AclOp::kModify;
  } else if (mode == "remove") {
    op = fs::AclOp::kRemoveEntries;
  } else {
    return MakeError(400, "InvalidQueryParameterValue", "mode must be set, modify or remove, not \"" + mode + "\"");
  }
  ASSIGN_OR_RETURN(auto entries, AclHeader(r, /*perms_required=*/op != fs::AclOp::kRemoveEntries));
  if (!entries) return MakeError(400, "MissingRequiredHeader", "setAccessControlRecursive needs x-ms-acl");
  ASSIGN_OR_RETURN(int64_t max_records, QueryInt(r, "maxRecords", 2000));
  if (max_records < 1) return MakeError(400, "OutOfRangeQueryParameterValue", "maxRecords must be at least 1");
  max_records = std::min<int64_t>(max_records, 2000);
  ASSIGN_OR_RETURN(bool force, QueryBool(r, "forceFlag", false));
  std::string cursor;
  bool first_call = true;
  if (auto token = r.Query("continuation"); token && !token->empty()) {
    auto decoded = encoding::Base64Decode(*token);
    if (!decoded.ok() || decoded->empty() || (*decoded)[0] != 'c') {
      return MakeError(400, "InvalidQueryParameterValue", "continuation token is not valid");
    }
    cursor = decoded->substr(1);
    first_call = false;
  }
  ASSIGN_OR_RETURN(fs::FileInfo top, store.GetFileInfo(r.path));
  std::vector<fs::FileInfo> batch;
  if (first_call) batch.push_back(top);
  std::string next;
  bool more = false;
  if (top.is_directory() && static_cast<int64_t>(batch.size()) < max_records) {
    fs::ListOptions options;
    options.recursive = true;
    options.start_after = cursor;
    options.max_results = static_cast<int>(max_records - static_cast<int64_t>(batch.size()));
    ASSIGN_OR_RETURN(fs::ListPage page, store.List(r.path, options));
    for (fs::FileInfo& e : page.entries) batch.push_back(std::move(e));
    next = page.continuation;
    more = !next.empty();
  } else if (top.is_directory() && first_call) {
    more = true;  // only the directory itself fit: the next call starts at its first child
  }
  int64_t dirs = 0;
  int64_t files = 0;
  int64_t failures = 0;
  nlohmann::json failed = nlohmann::json::array();
  bool stopped = false;
  for (const fs::FileInfo& item : batch) {
    fs::AccessControlChange change;
    change.acl_op = op;
    for (const acl::AclEntry& e : *entries) {
      if (item.is_file() && e.scope == acl::Scope::kDefault) continue;  // files have no default ACL
      change.acl_entries.push_back(e);
    }
    Status s = change.acl_entries.empty() ? Status::Ok() : store.SetAccessControl(item.path, change).status();
    if (s.ok()) {
      (item.is_directory() ? dirs : files)++;
      continue;
    }
    ++failures;
    failed.push_back({{"errorMessage", s.message()},
                      {"name", item.path.substr(1)},
                      {"type", item.is_directory() ? "DIRECTORY" : "FILE"}});
    if (!force) {
      stopped = true;
      break;
    }
  }
  nlohmann::json body = {{"directoriesSuccessful", dirs},
                         {"failedEntries", failed},
                         {"failureCount", failures},
                         {"filesSuccessful", files}};
  // As the service answers: no Content-Type (clients assume JSON), a line break after the object.
  http::Headers h{{"x-ms-namespace-enabled", "true"}};
  if (!stopped && more) h.Set("x-ms-continuation", encoding::Base64Encode("c" + next));
  return Send(r, out, 200, h, body.dump() + "\n");
}

Status UpdatePath(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  std::string action = r.Query("action").value_or("");
  if (action == "append") return Append(r, account, store, out);
  if (action == "flush") return Flush(r, account, store, out);
  if (action == "setAccessControl") return SetAccessControl(r, account, store, out);
  if (action == "setProperties") return SetProperties(r, account, store, out);
  if (action == "setAccessControlRecursive") return SetAccessControlRecursive(r, store, out);
  return MakeError(400, "InvalidQueryParameterValue", "unknown action \"" + action + "\"");
}

Status DeletePath(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  fs::DeleteOptions options;
  ASSIGN_OR_RETURN(options.recursive, QueryBool(r, "recursive", false));
  ASSIGN_OR_RETURN(options.conditions, ParseConditions(r));
  RETURN_IF_ERROR(store.GetFileInfo(r.path).status());  // a missing path is 404 before any lease question
  RETURN_IF_ERROR(CheckPathWrite(r, account, Api::kDfs));
  RETURN_IF_ERROR(store.Delete(r.path, options));
  if (auto removed = path::Normalize(r.path); removed.ok()) UpdateBlockState(account, r, *removed, nullptr);
  RETURN_IF_ERROR(account.leases().Forget(r.filesystem, r.path, /*descendants=*/true));
  return Send(r, out, 200, {{"Content-Length", "0"}, {"x-ms-delete-type-permanent", "true"}});
}

Status GetPathProperties(Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(fs::FileInfo info, store.GetFileInfo(r.path));
  ASSIGN_OR_RETURN(fs::Conditions conditions, ParseConditions(r));
  (void)conditions;
  RETURN_IF_ERROR(CheckPathRead(r, account, Api::kDfs));
  std::string action = r.Query("action").value_or("");
  if (action == "getAccessControl") {
    ASSIGN_OR_RETURN(acl::AclState state, store.GetAccessControl(r.path));
    http::Headers h = EtagHeaders(info);
    h.Set("x-ms-owner", state.owner);
    h.Set("x-ms-group", state.group);
    h.Set("x-ms-permissions", gen2::FormatPermissions(info));
    h.Set("x-ms-acl", state.ToSpec());
    return Send(r, out, 200, h);
  }
  http::Headers h = PathPropertyHeaders(info, PathLease(r, account));
  if (action == "getStatus") h.Remove("x-ms-properties");
  return SendHead(r, out, Api::kDfs, h, info.size);
}

}  // namespace

Result<std::shared_ptr<fs::FileSystem>> FileSystemFor(const Gen2Request& r, Gen2Account& account, Api api) {
  auto store = account.Store(r.filesystem);
  if (!store.ok()) {
    if (store.status().code() == StatusCode::kNotFound) {
      return api == Api::kDfs ? MakeError(404, "FilesystemNotFound", "filesystem " + r.filesystem)
                              : MakeError(404, "ContainerNotFound", "container " + r.filesystem);
    }
    return store.status();
  }
  return (*store)->ForCaller(r.caller);
}

http::Headers PathPropertyHeaders(const fs::FileInfo& info, const LeaseInfo& lease) {
  http::Headers h = EtagHeaders(info);
  h.Set("Content-Length", std::to_string(info.size));
  h.Set("Content-Type", info.content.content_type.empty() ? "application/octet-stream" : info.content.content_type);
  if (!info.content.content_encoding.empty()) h.Set("Content-Encoding", info.content.content_encoding);
  if (!info.content.content_language.empty()) h.Set("Content-Language", info.content.content_language);
  if (!info.content.content_disposition.empty()) h.Set("Content-Disposition", info.content.content_disposition);
  if (!info.content.cache_control.empty()) h.Set("Cache-Control", info.content.cache_control);
  if (!info.content_md5.empty()) h.Set("Content-MD5", info.content_md5);
  h.Set("Accept-Ranges", "bytes");
  h.Set("x-ms-resource-type", info.is_directory() ? "directory" : "file");
  h.Set("x-ms-creation-time", encoding::FormatRfc1123(info.creation_time_ms));
  if (info.expiry_time_ms) h.Set("x-ms-expiry-time", encoding::FormatRfc1123(info.expiry_time_ms));
  h.Set("x-ms-properties", gen2::FormatProperties(info.properties));
  for (const auto& [name, value] : info.properties) h.Set("x-ms-meta-" + name, value);
  if (info.is_directory()) h.Set("x-ms-meta-hdi_isfolder", "true");
  h.Set("x-ms-owner", info.owner);
  h.Set("x-ms-group", info.group);
  h.Set("x-ms-permissions", gen2::FormatPermissions(info));
  h.Set("x-ms-blob-type", "BlockBlob");
  AddLeaseHeaders(h, lease);
  h.Set("x-ms-server-encrypted", "true");
  h.Set("x-ms-access-tier", "Hot");
  h.Set("x-ms-access-tier-inferred", "true");
  return h;
}

Status SendFileContent(const Gen2Request& r, Gen2Account& account, fs::FileSystem& store, http::ResponseWriter& out,
                       Api api) {
  ASSIGN_OR_RETURN(std::optional<ByteRange> range, ParseRange(r));
  // A digest of the range instead of the stored whole-file MD5, for ranges up to 4 MiB.
  const bool range_md5 = r.Header("x-ms-range-get-content-md5") == "true";
  const bool range_crc64 = r.Header("x-ms-range-get-content-crc64") == "true";
  if (range_md5 && range_crc64) {
    return MakeError(400, "BothCrc64AndMd5RangeHeaderPresent", "ask for either the MD5 or the CRC-64 of a range");
  }
  fs::ReadOptions options;
  ASSIGN_OR_RETURN(options.conditions, ParseConditions(r));
  ASSIGN_OR_RETURN(fs::FileInfo info, store.GetFileInfo(r.path));
  RETURN_IF_ERROR(CheckPathRead(r, account, api));
  const LeaseInfo lease = PathLease(r, account);
  if (info.is_directory()) {
    http::Headers h = CommonHeaders(r, api);
    for (const auto& [k, v] : PathPropertyHeaders(info, lease)) h.Set(k, v);
    return out.Send(200, std::move(h), "");
  }
  if (range) {
    if (range->start >= info.size && !(info.size == 0 && range->start == 0)) {
      return MakeError(
          416, "InvalidRange",
          "range start " + std::to_string(range->start) + " is beyond the size " + std::to_string(info.size));
    }
    options.offset = range->start;
    options.length = range->end < 0 ? -1 : range->end - range->start + 1;
  }
  const int64_t range_length = options.length < 0 ? info.size - options.offset : options.length;
  if ((range_md5 || range_crc64) && (!range || range_length > kMaxDigestRange)) {
    return MakeError(400, "InvalidHeaderValue", "a range digest needs a range of at most 4 MiB");
  }
  ASSIGN_OR_RETURN(fs::ReadHandle handle, store.OpenRead(r.path, options));
  http::Headers h = CommonHeaders(r, api);
  for (const auto& [k, v] : PathPropertyHeaders(handle.info, lease)) h.Set(k, v);
  for (const char* name : {"x-ms-properties", "x-ms-access-tier", "x-ms-access-tier-inferred"}) h.Remove(name);
  int status = 200;
  if (range) {
    status = 206;
    h.Set("Content-Range", "bytes " + std::to_string(handle.offset) + "-" +
                               std::to_string(handle.offset + handle.length - (handle.length > 0 ? 1 : 0)) + "/" +
                               std::to_string(handle.info.size));
    if (!handle.info.content_md5.empty()) h.Set("x-ms-blob-content-md5", handle.info.content_md5);
    h.Remove("Content-MD5");
  }
  h.Remove("Content-Length");
  if (range_md5 || range_crc64) {
    std::string data;
    std::vector<char> chunk(64 * 1024);
    while (true) {
      ASSIGN_OR_RETURN(size_t n, handle.stream->Read(chunk.data(), chunk.size()));
      if (n == 0) break;
      data.append(chunk.data(), n);
    }
    if (range_md5) {
      ASSIGN_OR_RETURN(std::string md5, encoding::Md5(data));
      h.Set("Content-MD5", encoding::Base64Encode(md5));
    } else {
      h.Set("x-ms-content-crc64", encoding::Base64Encode(encoding::Crc64(data)));
    }
    return out.Send(status, std::move(h), data);
  }
  RETURN_IF_ERROR(out.Start(status, std::move(h), static_cast<uint64_t>(handle.length)));
  std::vector<char> buf(256 * 1024);
  while (true) {
    auto n = handle.stream->Read(buf.data(), buf.size());
    if (!n.ok() || *n == 0) break;  // after Start, errors can only end the connection
    if (!out.Write(std::string_view(buf.data(), *n)).ok()) break;
  }
  return out.Finish();
}

Status HandleDfs(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  const std::string& m = r.method();
  if (r.filesystem.empty()) {
    if (m == "GET" && r.Query("resource") == "account") return ListFilesystemsJson(r, account, out);
    return MakeError(400, "InvalidQueryParameterValue", "account-level DFS requests need resource=account");
  }
  if (!r.has_path) {
    if (m == "GET" && r.HasQuery("recursive")) return ListPaths(r, account, out);
    return FilesystemOp(r, account, out);
  }
  ASSIGN_OR_RETURN(auto store, FileSystemFor(r, account, Api::kDfs));
  if (m == "PUT") return CreatePath(r, account, *store, out);
  if (m == "PATCH") return UpdatePath(r, account, *store, out);
  if (m == "DELETE") return DeletePath(r, account, *store, out);
  if (m == "HEAD") return GetPathProperties(r, account, *store, out);
  if (m == "GET") return SendFileContent(r, account, *store, out, Api::kDfs);
  if (m == "POST" && r.Header("x-ms-lease-action")) return HandleLeaseRequest(r, account, Api::kDfs, out);
  return MakeError(405, "UnsupportedHttpVerb", m + " is not supported on a path");
}

}  // namespace lakeshift::emulator
