#include "webhdfs/webhdfs_frontend.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/path.h"
#include "encoding/time_format.h"
#include "gen1/errors.h"
#include "gen1/wire.h"
#include "webhdfs/webhdfs_request.h"

namespace lakeshift::webhdfs {
namespace {

using gen1::MakeError;

constexpr std::string_view kNotFoundHex = "0x8309000A";  // the service's internal code for a missing path

// Request body of APPEND/CREATE as the store's stream type.
class BodyStream final : public fs::InputStream {
 public:
  explicit BodyStream(http::Request& request) : body_(request.body()) {}
  Result<size_t> Read(char* buf, size_t n) override { return body_.Read(buf, n); }
  std::optional<uint64_t> RemainingSize() const override { return body_.Remaining(); }

 private:
  http::BodyReader& body_;
};

enum class SyncFlag : uint8_t { kData, kMetadata, kClose };

// One request in flight: what the handlers read and write.
struct Call {
  http::Request& http;
  http::ResponseWriter& out;
  const WebHdfsRequest& r;
  fs::FileSystem& fs;
  const FrontEndOptions& options;
  std::string request_id;

  http::Headers Headers() const {
    http::Headers h{{"x-ms-request-id", request_id},
                    {"x-ms-webhdfs-version", options.webhdfs_version},
                    {"Status", "0x0"},
                    {"Cache-Control", "no-cache, no-cache, no-store, max-age=0"},
                    {"Expires", "-1"},
                    {"Pragma", "no-cache"},
                    {"X-Content-Type-Options", "nosniff"}};
    if (r.extension) h.Remove("x-ms-webhdfs-version");  // not on /WebHdfsExt answers (recordings of SETEXPIRY)
    return h;
  }
  // `status_hex`: the service's internal code, e.g. "0x8309000A" with a {"boolean":false} for a missing path.
  Status Json(int status, std::string_view body, std::string_view status_hex = "0x0") const {
    http::Headers h = Headers();
    h.Set("Content-Type", "application/json; charset=utf-8");
    if (h.Get("Status")) h.Set("Status", status_hex);
    return out.Send(status, std::move(h), body);
  }
  Status Empty(int status, const http::Headers& extra = {}) const {
    http::Headers h = Headers();
    for (const auto& [name, value] : extra) h.Set(name, value);
    return out.Send(status, std::move(h), "");
  }
  // scheme://host/path of this request, without the query.
  std::string PathUrl() const {
    std::string host = http.headers.Get("Host").value_or("localhost");
    return (http.tls ? "https://" : "http://") + host + http.path;
  }
  // The URL of this request, query included (CREATE's Location).
  std::string Url() const { return PathUrl() + (http.query.empty() ? "" : "?" + http.query); }
  // The URL of this request with one more parameter: where a 307 sends clients that did not ask to skip
  // the redirect.
  std::string UrlWith(std::string_view extra_param) const {
    std::string url = PathUrl();
    url += "?" + http.query + (http.query.empty() ? "" : "&") + std::string(extra_param);
    return url;
  }
};

Result<SyncFlag> ParseSyncFlag(const WebHdfsRequest& r, SyncFlag fallback) {
  auto v = r.Param("syncFlag");
  if (!v || v->empty()) return fallback;
  if (*v == "DATA") return SyncFlag::kData;
  if (*v == "METADATA") return SyncFlag::kMetadata;
  if (*v == "CLOSE") return SyncFlag::kClose;
  return MakeError(400, "IllegalArgumentException", "Invalid syncFlag \"" + *v + "\" (DATA, METADATA or CLOSE)");
}

Result<std::optional<acl::Mode>> PermissionParam(const WebHdfsRequest& r) {
  auto v = r.Param("permission");
  if (!v || v->empty()) return std::optional<acl::Mode>();
  auto mode = acl::ParseOctalMode(*v);
  if (!mode.ok()) {
    return MakeError(400, "IllegalArgumentException", "Invalid permission \"" + *v + "\": " + mode.status().message());
  }
  return std::optional<acl::Mode>(*mode);
}

Result<std::vector<acl::AclEntry>> AclSpecParam(const WebHdfsRequest& r, bool perms_required) {
  auto v = r.Param("aclspec");
  if (!v || v->empty()) return MakeError(400, "IllegalArgumentException", "aclSpec is required for " + r.op);
  auto entries = acl::ParseAclSpec(*v, perms_required);
  if (!entries.ok()) {
    return MakeError(400, "IllegalArgumentException", "Invalid aclSpec: " + entries.status().message());
  }
  return std::move(*entries);
}

Status RequireMethod(const Call& c, std::string_view method) {
  if (c.http.method == method) return Status::Ok();
  return MakeError(400, "IllegalArgumentException",
                   "Invalid HTTP method " + c.http.method + " for op " + c.r.op + " (use " + std::string(method) + ")");
}

// ---- reads --------------------------------------------------------------------------------------------

Status Open(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "GET"));
  ASSIGN_OR_RETURN(bool read, c.r.BoolParam("read", false));
  if (!read) return c.Empty(307, {{"Location", c.UrlWith("read=true")}});
  ASSIGN_OR_RETURN(int64_t offset, c.r.IntParam("offset", 0));
  ASSIGN_OR_RETURN(int64_t length, c.r.IntParam("length", -1));
  if (offset < 0) return MakeError(400, "IllegalArgumentException", "offset must not be negative");
  // The store looks the file up once, as it opens it: a directory or an offset past the end come back as errors.
  fs::ReadOptions ro;
  ro.offset = offset;
  ro.length = length < 0 ? -1 : length;
  auto opened = c.fs.OpenRead(c.r.path, ro);
  if (!opened.ok() && opened.status().code() == StatusCode::kIsADirectory) {
    return MakeError(400, "IllegalArgumentException", "OPEN failed: " + c.r.path + " is a directory");
  }
  if (!opened.ok() && opened.status().code() == StatusCode::kOutOfRange) {
    auto info = c.fs.GetFileInfo(c.r.path);
    return MakeError(400, "BadOffsetException",
                     "OPEN failed with error 0x83090015 (Bad request. Invalid offset: " + std::to_string(offset) +
                         " is beyond the end of the file" +
                         (info.ok() ? " at " + std::to_string(info->size) : std::string()) + ").");
  }
  RETURN_IF_ERROR(opened.status());
  fs::ReadHandle handle = std::move(opened).value();
  // The first bytes before the status line: a store that refuses the read only now (a remote one, whose read is
  // its first request) still gets its error answered, not a 200 cut short.
  // One buffer for the whole answer up to 8 MiB (uninitialised: only what is read is touched), so a remote
  // store can read its range straight into it.
  const size_t size = static_cast<size_t>(std::clamp<int64_t>(handle.length, int64_t{64} * 1024, int64_t{8} << 20));
  std::unique_ptr<char[]> buf(new char[size]);
  ASSIGN_OR_RETURN(size_t n, handle.stream->Read(buf.get(), size));
  http::Headers h = c.Headers();
  if (handle.length > 0) h.Set("Content-Type", "application/octet-stream");  // none on empty reads (recordings)
  RETURN_IF_ERROR(c.out.Start(200, std::move(h), static_cast<uint64_t>(handle.length)));
  while (n > 0) {
    RETURN_IF_ERROR(c.out.Write(std::string_view(buf.get(), n)));
    ASSIGN_OR_RETURN(n, handle.stream->Read(buf.get(), size));
  }
  return c.out.Finish();
}

Status GetFileStatus(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "GET"));
  ASSIGN_OR_RETURN(fs::FileInfo info, c.fs.GetFileInfo(c.r.path));
  return c.Json(200, gen1::FileStatusJson(info));
}

Status ListStatus(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "GET"));
  ASSIGN_OR_RETURN(int64_t size, c.r.IntParam("listSize", gen1::kDefaultListSize));
  if (size <= 0) return MakeError(400, "IllegalArgumentException", "listSize must be positive");
  std::optional<std::string> token;  // none before api-version 2018-09-01
  if (HasContinuationTokens(c.r)) token = "";
  fs::ListOptions lo;
  lo.start_after = c.r.Param("listAfter").value_or("");
  lo.end_before = c.r.Param("listBefore").value_or("");
  lo.max_results = static_cast<int>(std::min<int64_t>(size, 1 << 20));
  // Listed first, the status read only for a file: over Gen2 that is one round trip per page, not two.
  Result<fs::ListPage> listed = c.fs.List(c.r.path, lo);
  if (!listed.ok() && listed.status().code() == StatusCode::kNotADirectory) {
    ASSIGN_OR_RETURN(fs::FileInfo info, c.fs.GetFileInfo(c.r.path));
    if (info.is_file()) {  // listing a file gives the file itself, with an empty pathSuffix
      return c.Json(200, gen1::FileStatusesJson({info}, {""}, token));
    }
  }
  ASSIGN_OR_RETURN(fs::ListPage page, std::move(listed));
  std::vector<std::string> names;
  names.reserve(page.entries.size());
  for (const fs::FileInfo& e : page.entries) names.push_back(std::string(path::BaseName(e.path)));
  // The service hands out a token whenever a page is full, without looking ahead: a directory of exactly
  // listSize children takes a second, empty page (recordings, test_ls_batched).
  if (token && static_cast<int64_t>(names.size()) == size) token = names.back();
  return c.Json(200, gen1::FileStatusesJson(page.entries, names, token));
}

Status GetContentSummary(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "GET"));
  ASSIGN_OR_RETURN(fs::FileInfo info, c.fs.GetFileInfo(c.r.path));
  gen1::ContentSummary s;
  if (info.is_file()) {
    s.file_count = 1;
    s.length = info.size;
    return c.Json(200, gen1::ContentSummaryJson(s));
  }
  s.directory_count = 1;  // HDFS counts the directory itself
  fs::ListOptions lo;
  lo.recursive = true;
  while (true) {
    ASSIGN_OR_RETURN(fs::ListPage page, c.fs.List(c.r.path, lo));
    for (const fs::FileInfo& e : page.entries) {
      if (e.is_directory()) {
        ++s.directory_count;
      } else {
        ++s.file_count;
        s.length += e.size;
      }
    }
    if (page.continuation.empty()) break;
    lo.start_after = page.continuation;
  }
  return c.Json(200, gen1::ContentSummaryJson(s));
}

Status GetAclStatus(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "GET"));
  ASSIGN_OR_RETURN(acl::AclState state, c.fs.GetAccessControl(c.r.path));
  return c.Json(200, gen1::AclStatusJson(state));
}

Status CheckAccess(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "GET"));
  auto action = c.r.Param("fsaction");
  if (!action) return MakeError(400, "IllegalArgumentException", "fsaction is required for CHECKACCESS");
  auto perm = acl::ParsePerm(*action);
  if (!perm.ok()) {
    return MakeError(400, "IllegalArgumentException", "Invalid fsaction \"" + *action + "\" (use [r-][w-][x-])");
  }
  RETURN_IF_ERROR(c.fs.CheckAccess(c.r.path, *perm));
  return c.Empty(200);
}

// ---- writes -------------------------------------------------------------------------------------------

// A body over the 4 MB limit (the server's 413) becomes the service's answer.
Status BodyLimitError(Call& c, const Status& status) {
  if (status.detail() != nullptr && status.detail()->http_status == 413) {
    return MakeError(400, "IllegalArgumentException",
                     c.r.op + " failed: the request body is larger than the 4 MB limit; append in 4 MB chunks");
  }
  return status;
}

// Appends the request body at `offset` (or at the end) and commits unless the flag is DATA.
Status AppendBody(Call& c, std::optional<int64_t> offset, SyncFlag flag, bool require_at_end) {
  c.http.SetBodyLimit(c.options.max_body_bytes);
  BodyStream body(c.http);
  fs::AppendOptions ao;
  ao.require_at_end = require_at_end;
  ao.at_end = !offset.has_value();
  ao.flush = flag != SyncFlag::kData;
  auto appended = c.fs.Append(c.r.path, offset.value_or(0), body, ao);
  return BodyLimitError(c, appended.status());
}

Status Create(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "PUT"));
  ASSIGN_OR_RETURN(bool write, c.r.BoolParam("write", false));
  if (!write) return c.Empty(307, {{"Location", c.UrlWith("write=true")}});
  ASSIGN_OR_RETURN(bool overwrite, c.r.BoolParam("overwrite", false));
  RETURN_IF_ERROR(ParseSyncFlag(c.r, SyncFlag::kClose).status());  // validated; any flag commits what CREATE carries
  fs::CreateOptions co;
  co.overwrite = overwrite;
  ASSIGN_OR_RETURN(co.permission, PermissionParam(c.r));
  const bool has_body = c.http.chunked || c.http.content_length.value_or(0) > 0;
  auto already_exists = [&](const Status& s) { return s.code() == StatusCode::kAlreadyExists; };
  auto exists_error = [&] {
    return MakeError(403, "FileAlreadyExistsException",
                     "CREATE failed with error 0x83090a1b (Forbidden. File already exists: " + c.r.path + ").");
  };
  if (has_body && c.fs.capabilities().atomic_put) {
    // One step: the file appears with its data, or not at all.
    c.http.SetBodyLimit(c.options.max_body_bytes);
    BodyStream body(c.http);
    fs::PutOptions put;
    put.create = co;
    auto written = c.fs.PutFile(c.r.path, body, put);
    if (!written.ok() && already_exists(written.status())) return exists_error();
    RETURN_IF_ERROR(BodyLimitError(c, written.status()));
    return c.Empty(201, {{"Location", c.Url()}});
  }
  auto created = c.fs.CreateFile(c.r.path, co);
  if (!created.ok() && already_exists(created.status())) return exists_error();
  RETURN_IF_ERROR(created.status());
  // The data a CREATE carries is visible at once whatever its syncFlag (recordings of the pre-0.0.45 SDK:
  // CREATE with 5 bytes and syncFlag=DATA, then GETFILESTATUS says 5); only later DATA appends wait.
  // Without a body there is nothing to append: the new file is already committed at length 0, whatever the flag.
  if (has_body) RETURN_IF_ERROR(AppendBody(c, int64_t{0}, SyncFlag::kMetadata, true));
  return c.Empty(201, {{"Location", c.Url()}});
}

Status Append(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "POST"));
  ASSIGN_OR_RETURN(bool append, c.r.BoolParam("append", false));
  if (!append) return c.Empty(307, {{"Location", c.UrlWith("append=true")}});
  ASSIGN_OR_RETURN(SyncFlag flag, ParseSyncFlag(c.r, SyncFlag::kClose));
  std::optional<int64_t> offset;
  if (c.r.HasParam("offset")) {
    ASSIGN_OR_RETURN(int64_t o, c.r.IntParam("offset", 0));
    offset = o;
  }
  Status s = AppendBody(c, offset, flag, true);
  if (s.code() == StatusCode::kBadOffset) {
    return MakeError(400, "BadOffsetException", "APPEND failed with error 0x83090015 (Bad request. Invalid offset.).");
  }
  RETURN_IF_ERROR(s);
  return c.Empty(200);
}

Status ConcurrentAppend(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "POST"));
  std::string mode = c.r.Param("appendMode").value_or("");
  if (!mode.empty() && mode != "autocreate") {
    return MakeError(400, "IllegalArgumentException", "Invalid appendMode \"" + mode + "\" (autocreate)");
  }
  if (mode == "autocreate") {
    fs::CreateOptions co;
    co.overwrite = false;
    auto created = c.fs.CreateFile(c.r.path, co);
    if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) return created.status();
  }
  // Each concurrent append lands whole and is committed at once: there is no single writer to close.
  RETURN_IF_ERROR(AppendBody(c, std::nullopt, SyncFlag::kMetadata, false));
  return c.Empty(200);
}

Status Mkdirs(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "PUT"));
  fs::CreateOptions co;
  ASSIGN_OR_RETURN(co.permission, PermissionParam(c.r));
  RETURN_IF_ERROR(c.fs.CreateDirectory(c.r.path, co).status());
  return c.Json(200, gen1::BooleanJson(true));
}

Status Rename(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "PUT"));
  auto destination = c.r.Param("destination");
  if (!destination || destination->empty()) {
    return MakeError(400, "IllegalArgumentException", "destination is required for RENAME");
  }
  ASSIGN_OR_RETURN(std::string target, ResolvePath(*destination));
  std::string options = c.r.Param("renameoptions").value_or("");
  ASSIGN_OR_RETURN(bool overwrite_flag, c.r.BoolParam("overwrite", false));
  fs::RenameOptions ro;
  ro.overwrite = overwrite_flag || options == "OVERWRITE" || options == "overwrite";
  // HDFS semantics: renaming onto an existing directory moves the source into it.
  if (auto existing = c.fs.GetFileInfo(target); existing.ok() && existing->is_directory() && target != c.r.path) {
    target = path::Join(target, path::BaseName(c.r.path));
  }
  Status s = c.fs.Rename(c.r.path, target, ro);
  if (s.code() == StatusCode::kNotFound || s.code() == StatusCode::kParentNotFound ||
      s.code() == StatusCode::kAlreadyExists || s.code() == StatusCode::kInvalidRename) {
    LOG_DEBUG("RENAME " << c.r.path << " -> " << target << ": " << s);
    // The service answers false, not an error; a missing source still shows in the internal code.
    bool missing = s.code() == StatusCode::kNotFound || s.code() == StatusCode::kParentNotFound;
    return c.Json(200, gen1::BooleanJson(false), missing ? kNotFoundHex : "0x0");
  }
  RETURN_IF_ERROR(s);
  return c.Json(200, gen1::BooleanJson(true));
}

Status Delete(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "DELETE"));
  ASSIGN_OR_RETURN(bool recursive, c.r.BoolParam("recursive", false));
  if (c.r.path == "/") return c.Json(200, gen1::BooleanJson(false));  // the root can never be deleted
  fs::DeleteOptions d;
  d.recursive = recursive;
  Status s = c.fs.Delete(c.r.path, d);
  if (s.code() == StatusCode::kNotFound) return c.Json(200, gen1::BooleanJson(false), kNotFoundHex);
  if (s.code() == StatusCode::kDirectoryNotEmpty) {
    return MakeError(
        403, "IOException",
        "DELETE failed with error 0x83090a16 (" + c.r.path + " is a non-empty directory; use recursive=true).");
  }
  RETURN_IF_ERROR(s);
  return c.Json(200, gen1::BooleanJson(true));
}

Status ChangeAccess(Call& c, const fs::AccessControlChange& change) {
  RETURN_IF_ERROR(RequireMethod(c, "PUT"));
  RETURN_IF_ERROR(c.fs.SetAccessControl(c.r.path, change).status());
  return c.Empty(200);
}

Status SetOwner(Call& c) {
  fs::AccessControlChange change;
  if (auto v = c.r.Param("owner"); v && !v->empty()) change.owner = *v;
  if (auto v = c.r.Param("group"); v && !v->empty()) change.group = *v;
  if (!change.owner && !change.group) {
    return MakeError(400, "IllegalArgumentException", "SETOWNER needs owner or group");
  }
  return ChangeAccess(c, change);
}

Status SetPermission(Call& c) {
  fs::AccessControlChange change;
  ASSIGN_OR_RETURN(std::optional<acl::Mode> mode, PermissionParam(c.r));
  change.mode = mode.value_or(0770);  // Gen1 sets 770 when the permission is missing or empty
  return ChangeAccess(c, change);
}

Status AclChange(Call& c, fs::AclOp op) {
  fs::AccessControlChange change;
  change.acl_op = op;
  if (op == fs::AclOp::kSet || op == fs::AclOp::kModify || op == fs::AclOp::kRemoveEntries) {
    ASSIGN_OR_RETURN(change.acl_entries, AclSpecParam(c.r, op != fs::AclOp::kRemoveEntries));
  }
  return ChangeAccess(c, change);
}

Status SetTimes(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "PUT"));
  ASSIGN_OR_RETURN(int64_t mtime, c.r.IntParam("modificationtime", -1));
  ASSIGN_OR_RETURN(int64_t atime, c.r.IntParam("accesstime", -1));
  std::optional<int64_t> m = mtime >= 0 ? std::optional<int64_t>(mtime) : std::nullopt;
  std::optional<int64_t> a = atime >= 0 ? std::optional<int64_t>(atime) : std::nullopt;
  RETURN_IF_ERROR(c.fs.SetTimes(c.r.path, m, a).status());
  return c.Empty(200);
}

Status SetExpiry(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "PUT"));
  auto option = c.r.Param("expiryOption");
  if (!option) return MakeError(400, "IllegalArgumentException", "expiryOption is required for SETEXPIRY");
  fs::ExpirySpec spec;
  if (*option == "NeverExpire") {
    spec.kind = fs::ExpirySpec::Kind::kNever;
  } else if (*option == "RelativeToNow") {
    spec.kind = fs::ExpirySpec::Kind::kRelativeToNow;
  } else if (*option == "RelativeToCreationDate") {
    spec.kind = fs::ExpirySpec::Kind::kRelativeToCreation;
  } else if (*option == "Absolute") {
    spec.kind = fs::ExpirySpec::Kind::kAbsolute;
  } else {
    return MakeError(
        400, "IllegalArgumentException",
        "Invalid expiryOption \"" + *option + "\" (NeverExpire, RelativeToNow, RelativeToCreationDate or Absolute)");
  }
  if (spec.kind != fs::ExpirySpec::Kind::kNever) {
    if (!c.r.HasParam("expireTime")) {
      return MakeError(400, "IllegalArgumentException", "expireTime is required with expiryOption " + *option);
    }
    ASSIGN_OR_RETURN(spec.ms, c.r.IntParam("expireTime", 0));
  }
  ASSIGN_OR_RETURN(fs::FileInfo info, c.fs.GetFileInfo(c.r.path));
  if (info.is_directory()) {
    return MakeError(400, "IllegalArgumentException", "SETEXPIRY is supported for files only, not folders");
  }
  RETURN_IF_ERROR(c.fs.SetExpiry(c.r.path, spec).status());
  return c.Empty(200);
}

// CONCAT / MSCONCAT: the sources' bytes appended to the target in order, then the sources removed. Not atomic
// (neither is the service's, which is why the SDKs never retry it).
Status ConcatSources(Call& c, const std::vector<std::string>& sources, bool create_target) {
  if (sources.empty()) return MakeError(400, "IllegalArgumentException", c.r.op + " needs at least one source");
  std::vector<std::string> normalized;
  for (const std::string& s : sources) {
    ASSIGN_OR_RETURN(std::string p, ResolvePath(s));
    if (p == c.r.path) return MakeError(400, "IllegalArgumentException", "a source is the target: " + p);
    for (const std::string& seen : normalized) {
      if (seen == p) return MakeError(400, "IllegalArgumentException", "duplicate source: " + p);
    }
    ASSIGN_OR_RETURN(fs::FileInfo info, c.fs.GetFileInfo(p));
    if (info.is_directory()) return MakeError(400, "IllegalArgumentException", "source is a directory: " + p);
    normalized.push_back(std::move(p));
  }
  if (create_target) {
    fs::CreateOptions co;
    co.overwrite = false;
    auto created = c.fs.CreateFile(c.r.path, co);
    if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) return created.status();
  }
  ASSIGN_OR_RETURN(fs::FileInfo target, c.fs.GetFileInfo(c.r.path));
  int64_t end = target.size;
  for (const std::string& source : normalized) {
    ASSIGN_OR_RETURN(fs::ReadHandle handle, c.fs.OpenRead(source, {}));
    fs::AppendOptions ao;
    ao.require_at_end = true;
    ASSIGN_OR_RETURN(end, c.fs.Append(c.r.path, end, *handle.stream, ao));
  }
  RETURN_IF_ERROR(c.fs.Flush(c.r.path, end, {}).status());
  for (const std::string& source : normalized) RETURN_IF_ERROR(c.fs.Delete(source, {}));
  return Status::Ok();
}

Status Concat(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "POST"));
  auto sources = c.r.Param("sources");
  if (!sources) return MakeError(400, "IllegalArgumentException", "sources is required for CONCAT");
  std::vector<std::string> list;
  size_t start = 0;
  while (start <= sources->size()) {
    size_t comma = sources->find(',', start);
    std::string item = sources->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) list.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  RETURN_IF_ERROR(ConcatSources(c, list, false));
  return c.Empty(200);
}

Status MsConcat(Call& c) {
  RETURN_IF_ERROR(RequireMethod(c, "POST"));
  ASSIGN_OR_RETURN(bool delete_dir, c.r.BoolParam("deleteSourceDirectory", false));
  ASSIGN_OR_RETURN(std::string body, c.http.ReadBodyToString(c.options.max_body_bytes));
  std::vector<std::string> sources;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("sources") && doc["sources"].is_array()) {
    for (const auto& s : doc["sources"]) {
      if (!s.is_string()) return MakeError(400, "IllegalArgumentException", "MSCONCAT sources must be strings");
      sources.push_back(s.get<std::string>());
    }
  } else if (body.rfind("sources=", 0) == 0) {  // the old text form: sources=/a,/b
    std::string rest = body.substr(8);
    size_t start = 0;
    while (start < rest.size()) {
      size_t comma = rest.find(',', start);
      sources.push_back(rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    return MakeError(400, "IllegalArgumentException",
                     "MSCONCAT body must be {\"sources\":[...]} (application/json) or sources=/a,/b");
  }
  std::string source_dir = sources.empty() ? "" : path::Parent(ResolvePath(sources.front()).ValueOr("/"));
  RETURN_IF_ERROR(ConcatSources(c, sources, true));
  if (delete_dir && !source_dir.empty() && source_dir != "/" && source_dir != path::Parent(c.r.path)) {
    fs::DeleteOptions d;
    d.recursive = true;  // the whole source folder goes, non-source files included (as the service warns)
    Status s = c.fs.Delete(source_dir, d);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  return c.Empty(200);
}

Status Dispatch(Call& c) {
  const std::string& op = c.r.op;
  if (op == "OPEN") return Open(c);
  if (op == "GETFILESTATUS" || op == "MSGETFILESTATUS") return GetFileStatus(c);
  if (op == "LISTSTATUS" || op == "MSLISTSTATUS") return ListStatus(c);
  if (op == "GETCONTENTSUMMARY") return GetContentSummary(c);
  if (op == "GETACLSTATUS" || op == "MSGETACLSTATUS") return GetAclStatus(c);
  if (op == "CHECKACCESS") return CheckAccess(c);
  if (op == "CREATE") return Create(c);
  if (op == "APPEND") return Append(c);
  if (op == "CONCURRENTAPPEND") return ConcurrentAppend(c);
  if (op == "MKDIRS") return Mkdirs(c);
  if (op == "RENAME") return Rename(c);
  if (op == "DELETE") return Delete(c);
  if (op == "SETOWNER") return SetOwner(c);
  if (op == "SETPERMISSION") return SetPermission(c);
  if (op == "SETTIMES") return SetTimes(c);
  if (op == "SETEXPIRY") return SetExpiry(c);
  if (op == "MODIFYACLENTRIES") return AclChange(c, fs::AclOp::kModify);
  if (op == "REMOVEACLENTRIES") return AclChange(c, fs::AclOp::kRemoveEntries);
  if (op == "REMOVEACL") return AclChange(c, fs::AclOp::kRemoveAll);
  if (op == "REMOVEDEFAULTACL") return AclChange(c, fs::AclOp::kRemoveDefault);
  if (op == "SETACL") return AclChange(c, fs::AclOp::kSet);
  if (op == "CONCAT") return Concat(c);
  if (op == "MSCONCAT") return MsConcat(c);
  return MakeError(400, "IllegalArgumentException",
                   "Invalid value for webhdfs parameter \"op\": No enum constant " + op);
}

}  // namespace

WebHdfsFrontEnd::WebHdfsFrontEnd(FrontEndOptions options) : options_(std::move(options)) {}

void WebHdfsFrontEnd::SendError(http::Request& request, http::ResponseWriter& out, std::string_view op,
                                std::string_view path, const Status& status, const http::Headers& extra) const {
  gen1::RemoteException error = gen1::ToRemoteException(status, op, path);
  std::string request_id = http::NewRequestId();
  http::Headers h{{"x-ms-request-id", request_id},
                  {"x-ms-webhdfs-version", options_.webhdfs_version},
                  {"Status", error.status_hex},
                  {"Cache-Control", "no-cache, no-cache, no-store, max-age=0"},
                  {"Expires", "-1"},
                  {"Pragma", "no-cache"},
                  {"Content-Type", "application/json; charset=utf-8"}};
  if (error.http_status == 401 && !options_.www_authenticate.empty()) {
    h.Set("WWW-Authenticate", options_.www_authenticate);
  }
  for (const auto& [name, value] : extra) h.Set(name, value);
  // Our own explanation for people reading responses with curl; SDKs ignore it.
  if (!status.message().empty()) {
    std::string detail = status.message().substr(0, 2000);
    for (char& ch : detail) {
      if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
    }
    h.Set("x-lakeshift-detail", detail);
  }
  std::string body = gen1::RenderRemoteException(error, request_id, gen1::ErrorTimestamp(encoding::NowEpochNanos()));
  if (request.method == "HEAD") body.clear();
  out.Send(error.http_status, std::move(h), body).IgnoreError();
}

void WebHdfsFrontEnd::Handle(http::Request& request, http::ResponseWriter& out) const {
  auto parsed = ParseWebHdfsRequest(request.path, request.query);
  if (!parsed.ok()) {
    Status s = parsed.status().code() == StatusCode::kNotFound
                   ? MakeError(404, "FileNotFoundException", parsed.status().message())
                   : MakeError(400, "IllegalArgumentException", parsed.status().message());
    SendError(request, out, "", request.path, s);
    return;
  }
  const WebHdfsRequest& r = *parsed;
  bool extension_op = r.op == "SETEXPIRY" || r.op == "CONCURRENTAPPEND";
  if (extension_op != r.extension) {
    SendError(request, out, r.op, r.path,
              MakeError(400, "IllegalArgumentException",
                        r.op + (extension_op ? " is served under /WebHdfsExt/" : " is served under /webhdfs/v1/")));
    return;
  }
  auto fs = options_.bind(request);
  if (!fs.ok()) {
    SendError(request, out, r.op, r.path, fs.status());
    return;
  }
  Call call{request, out, r, **fs, options_, http::NewRequestId()};
  Status status = Dispatch(call);
  if (!status.ok()) {
    if (out.started()) return;  // mid-body failure: the server closes the connection
    LOG_DEBUG("webhdfs " << request.method << " " << request.target << ": " << status);
    SendError(request, out, r.op, r.path, status);
  }
}

}  // namespace lakeshift::webhdfs
