#include "gen2client/gen2_filesystem.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "common/path.h"
#include "encoding/time_format.h"
#include "gen2/list_paths_json.h"
#include "gen2/wire.h"

namespace lakeshift::gen2client {
namespace {

constexpr size_t kAppendChunk = 16ULL << 20;  // bytes per append request (bounded memory, Content-Length)
// Files up to this size are written with one Put Blob (the service takes up to 5000 MiB in one).
constexpr uint64_t kPutBlobLimit = 256ULL << 20;
constexpr int64_t kReadChunk = 8LL << 20;  // bytes per ranged GET of a read stream
constexpr size_t kMaxRememberedTokens = 4096;

void SetConditions(http::Headers& h, const fs::Conditions& c, std::string_view prefix = "") {
  std::string p(prefix);
  auto etag = [](const std::string& v) { return v == "*" ? v : gen2::QuotedEtag(v); };
  if (c.if_match) h.Set(p + "If-Match", etag(*c.if_match));
  if (c.if_none_match) h.Set(p + "If-None-Match", etag(*c.if_none_match));
  if (c.if_modified_since_ms) h.Set(p + "If-Modified-Since", encoding::FormatRfc1123(*c.if_modified_since_ms));
  if (c.if_unmodified_since_ms) h.Set(p + "If-Unmodified-Since", encoding::FormatRfc1123(*c.if_unmodified_since_ms));
}

// The content headers as DFS names them ("x-ms-content-type", ...), or the Blob endpoint with prefix "x-ms-blob-".
void SetContentHeaders(http::Headers& h, const fs::ContentHeaders& c, std::string_view prefix = "x-ms-") {
  const std::string p(prefix);
  if (!c.content_type.empty()) h.Set(p + "content-type", c.content_type);
  if (!c.content_encoding.empty()) h.Set(p + "content-encoding", c.content_encoding);
  if (!c.content_language.empty()) h.Set(p + "content-language", c.content_language);
  if (!c.content_disposition.empty()) h.Set(p + "content-disposition", c.content_disposition);
  if (!c.cache_control.empty()) h.Set(p + "cache-control", c.cache_control);
}

// "rwxr-x---+" -> mode bits, sticky bit and the extended-ACL marker.
void ApplyPermissions(fs::FileInfo& info, std::string_view permissions) {
  info.has_extended_acl = !permissions.empty() && permissions.back() == '+';
  if (auto mode = acl::ParseSymbolicMode(permissions); mode.ok()) info.mode = *mode;
}

int64_t TimeHeader(const http::Headers& h, std::string_view name) {
  auto v = h.Get(name);
  if (!v) return 0;
  return encoding::ParseRfc1123(*v).ValueOr(0);
}

fs::FileInfo InfoFromHeaders(std::string path, const http::Headers& h) {
  fs::FileInfo info;
  info.path = std::move(path);
  info.type =
      h.Get("x-ms-resource-type").value_or("file") == "directory" ? fs::FileType::kDirectory : fs::FileType::kFile;
  if (info.is_file()) info.size = std::stoll(h.Get("Content-Length").value_or("0"));
  info.owner = h.Get("x-ms-owner").value_or("");
  info.group = h.Get("x-ms-group").value_or("");
  ApplyPermissions(info, h.Get("x-ms-permissions").value_or(""));
  info.modification_time_ms = TimeHeader(h, "Last-Modified");
  info.change_time_ms = info.modification_time_ms;
  info.access_time_ms = info.modification_time_ms;
  info.creation_time_ms = TimeHeader(h, "x-ms-creation-time");
  info.expiry_time_ms = TimeHeader(h, "x-ms-expiry-time");
  info.etag = gen2::UnquoteEtag(h.Get("ETag").value_or(""));
  info.content_md5 = h.Get("Content-MD5").value_or("");
  info.content.content_type = h.Get("Content-Type").value_or("");
  if (info.content.content_type == "application/octet-stream") info.content.content_type.clear();
  info.content.content_encoding = h.Get("Content-Encoding").value_or("");
  info.content.content_language = h.Get("Content-Language").value_or("");
  info.content.content_disposition = h.Get("Content-Disposition").value_or("");
  info.content.cache_control = h.Get("Cache-Control").value_or("");
  if (auto props = h.Get("x-ms-properties"); props && !props->empty()) {
    info.properties = gen2::ParseProperties(*props).ValueOr({});
  } else {
    // The Blob form of the same properties (a HEAD the Blob endpoint answered).
    for (const auto& [name, value] : h) {
      if (name.size() > 9 && http::EqualsIgnoreCase(name.substr(0, 9), "x-ms-meta") && name[9] == '-') {
        std::string key = name.substr(10);
        if (key != "hdi_isfolder") info.properties[key] = value;
      }
    }
  }
  return info;
}

// An InputStream of known length as an upload body, read as curl sends it. It cannot start over once read.
class StreamBodySource final : public http::BodySource {
 public:
  StreamBodySource(fs::InputStream& in, uint64_t size) : in_(in), size_(size) {}
  std::optional<uint64_t> size() const override { return size_; }
  Result<size_t> Read(char* buf, size_t n) override {
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, size_ - read_));
    if (want == 0) return size_t{0};
    ASSIGN_OR_RETURN(size_t got, in_.Read(buf, want));
    if (got == 0)
      return Internal("the append body ended after " + std::to_string(read_) + " of " + std::to_string(size_) +
                      " bytes");
    read_ += got;
    return got;
  }
  bool Rewind() override { return read_ == 0; }

 private:
  fs::InputStream& in_;
  uint64_t size_;
  uint64_t read_ = 0;
};

// What a create or flush answer tells about the file it wrote (ETag and Last-Modified), without a HEAD.
fs::FileInfo WrittenInfo(std::string path, int64_t size, const http::Headers& h) {
  fs::FileInfo info = fs::KnownFile(std::move(path), size);
  info.modification_time_ms = TimeHeader(h, "Last-Modified");
  info.etag = gen2::UnquoteEtag(h.Get("ETag").value_or(""));
  return info;
}

int64_t TextInt(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  return end != nullptr && *end == '\0' ? v : 0;
}

// Fills a default-constructed FileInfo (built in place in the page's vector: pages hold thousands).
void InfoFromListEntry(gen2::ListPathsEntry& e, fs::FileInfo& info) {
  info.path.reserve(e.name.size() + 1);
  info.path = "/";
  info.path += e.name;
  bool dir = e.is_directory == "true";
  info.type = dir ? fs::FileType::kDirectory : fs::FileType::kFile;
  info.size = dir ? 0 : TextInt(e.content_length);
  info.owner = std::move(e.owner);
  info.group = std::move(e.group);
  ApplyPermissions(info, e.permissions);
  info.modification_time_ms = encoding::ParseRfc1123(e.last_modified).ValueOr(0);
  info.change_time_ms = info.modification_time_ms;
  info.access_time_ms = info.modification_time_ms;
  if (int64_t ticks = TextInt(e.creation_time)) info.creation_time_ms = encoding::FiletimeToEpochMillis(ticks);
  if (int64_t ticks = TextInt(e.expiry_time)) info.expiry_time_ms = encoding::FiletimeToEpochMillis(ticks);
  info.etag = gen2::UnquoteEtag(e.etag);
}

// "dir/sub" relative to the listed directory, the form continuations take.
std::string RelativeTo(const std::string& dir, const std::string& path) {
  if (dir == "/") return path.substr(1);
  return path.size() > dir.size() ? path.substr(dir.size() + 1) : std::string();
}

// Reads [offset, end) of one version of a file in ranged GETs of kReadChunk bytes, lazily.
class RangedStream final : public fs::InputStream {
 public:
  RangedStream(std::shared_ptr<DfsClient> client, DfsCall call, std::string etag, int64_t offset, int64_t end)
      : client_(std::move(client)), call_(std::move(call)), etag_(std::move(etag)), next_(offset), end_(end) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ == buffer_.size()) {
      if (next_ >= end_) return size_t{0};
      int64_t last = std::min(end_, next_ + kReadChunk) - 1;
      DfsCall call = call_;
      call.headers.Set("x-ms-range", "bytes=" + std::to_string(next_) + "-" + std::to_string(last));
      if (!etag_.empty()) call.headers.Set("If-Match", gen2::QuotedEtag(etag_));
      buffer_.clear();
      pos_ = 0;
      const auto want = static_cast<size_t>(last + 1 - next_);
      if (n >= want) {
        // The range fits the caller's buffer: straight into it, without staging it here.
        size_t got = 0;
        ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call, [&](std::string_view chunk) -> Status {
          if (chunk.size() > n - got) return Internal("a range answer for " + call.path + " is longer than asked");
          std::memcpy(buf + got, chunk.data(), chunk.size());
          got += chunk.size();
          return Status::Ok();
        }));
        if (got == 0) return Internal("empty range answer for " + call.path);
        next_ += static_cast<int64_t>(got);
        return got;
      }
      buffer_.reserve(want);
      ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call, [this](std::string_view chunk) {
        buffer_.append(chunk);
        return Status::Ok();
      }));
      if (buffer_.empty()) return Internal("empty range answer for " + call.path);
      next_ += static_cast<int64_t>(buffer_.size());
    }
    size_t count = std::min(n, buffer_.size() - pos_);
    std::memcpy(buf, buffer_.data() + pos_, count);
    pos_ += count;
    return count;
  }

 private:
  std::shared_ptr<DfsClient> client_;
  DfsCall call_;
  std::string etag_;
  int64_t next_;
  int64_t end_;
  std::string buffer_;
  size_t pos_ = 0;
};

}  // namespace

Gen2FileSystem::Gen2FileSystem(std::shared_ptr<DfsClient> client, std::string filesystem,
                               std::shared_ptr<AppendTracker> appends)
    : client_(std::move(client)),
      filesystem_(std::move(filesystem)),
      appends_(appends ? std::move(appends) : std::make_shared<AppendTracker>()) {}

const fs::Capabilities& Gen2FileSystem::capabilities() const {
  static const fs::Capabilities caps = [] {
    fs::Capabilities c;
    c.acls = true;
    c.set_owner = true;
    c.set_times = false;  // Last-Modified is the service's; preserved times go to properties
    c.expiry = true;
    c.properties = true;
    c.content_md5 = true;
    c.append_md5 = true;
    c.cheap_put = true;
    c.staged_appends = true;
    c.atomic_rename = true;
    c.recursive_listing = true;
    c.list_before = false;
    return c;
  }();
  return caps;
}

DfsCall Gen2FileSystem::CallFor(std::string method, std::string_view path) const {
  DfsCall call;
  call.method = std::move(method);
  call.filesystem = filesystem_;
  call.path = std::string(path);
  return call;
}

Status Gen2FileSystem::CreateFilesystem() {
  DfsCall call = CallFor("PUT", "");
  call.query = {{"resource", "filesystem"}};
  return client_->Send(call).status();
}

Result<fs::FileInfo> Gen2FileSystem::GetFileInfo(std::string_view raw) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  DfsCall call = CallFor("HEAD", p);
  if (p == "/") call.query = {{"action", "getAccessControl"}, {"upn", "false"}};
  ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call));
  fs::FileInfo info = InfoFromHeaders(p, r.headers);
  if (p == "/") info.type = fs::FileType::kDirectory;
  return info;
}

Result<fs::ListPage> Gen2FileSystem::List(std::string_view raw, const fs::ListOptions& options) {
  ASSIGN_OR_RETURN(std::string dir, path::Normalize(raw));
  if (!options.end_before.empty()) return Unsupported("Gen2 listing cannot stop before a name (listBefore)");
  std::string token;
  if (!options.start_after.empty()) {
    std::lock_guard lock(tokens_mu_);
    auto it = tokens_.find(dir + "\n" + (options.recursive ? "1" : "0") + "\n" + options.start_after);
    if (it != tokens_.end()) token = it->second;
  }
  return ListFrom(dir, options, std::move(token));
}

Result<fs::ListPage> Gen2FileSystem::ListFrom(const std::string& dir, const fs::ListOptions& options,
                                              std::string token) {
  // Without a remembered token, a start_after name is honoured by skipping from the first page.
  bool skipping = token.empty() && !options.start_after.empty();
  int max = options.max_results > 0 ? options.max_results : 5000;
  fs::ListPage page;
  std::string service_token = std::move(token);
  while (true) {
    DfsCall call = CallFor("GET", "");
    call.query = {{"resource", "filesystem"}, {"recursive", options.recursive ? "true" : "false"}};
    if (dir != "/") call.query.push_back({"directory", dir.substr(1)});
    call.query.push_back({"maxResults", std::to_string(max - static_cast<int>(page.entries.size()))});
    if (!service_token.empty()) call.query.push_back({"continuation", service_token});
    auto r = client_->Send(call);
    if (!r.ok() && r.status().code() == StatusCode::kNotFound && dir != "/") {
      // The service answers 404 for a missing directory; a file is not a directory.
      ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(dir));
      if (info.is_file()) return NotADirectory(dir);
      return r.status();
    }
    RETURN_IF_ERROR(r.status());
    const size_t before = page.entries.size();
    page.entries.reserve(before + std::min<size_t>(static_cast<size_t>(max) - before, 5000));
    Status parsed = gen2::ParseListPaths(
        r->body, [&](gen2::ListPathsEntry& e) { InfoFromListEntry(e, page.entries.emplace_back()); });
    if (!parsed.ok()) return Internal("List Paths of " + dir + ": " + parsed.message());
    if (skipping) {
      auto skipped =
          std::remove_if(page.entries.begin() + static_cast<std::ptrdiff_t>(before), page.entries.end(),
                         [&](const fs::FileInfo& info) { return RelativeTo(dir, info.path) <= options.start_after; });
      page.entries.erase(skipped, page.entries.end());
    }
    service_token = r->headers.Get("x-ms-continuation").value_or("");
    if (service_token.empty() || static_cast<int>(page.entries.size()) >= max) break;
  }
  if (!service_token.empty() && !page.entries.empty()) {
    page.continuation = RelativeTo(dir, page.entries.back().path);
    std::lock_guard lock(tokens_mu_);
    if (tokens_.size() >= kMaxRememberedTokens) tokens_.clear();
    tokens_[dir + "\n" + (options.recursive ? "1" : "0") + "\n" + page.continuation] = service_token;
  }
  return page;
}

Result<fs::ReadHandle> Gen2FileSystem::OpenRead(std::string_view raw, const fs::ReadOptions& options) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  fs::FileInfo info;
  if (options.known_size && options.conditions.empty()) {
    info = fs::KnownFile(p, *options.known_size);  // the caller listed it: no HEAD
  } else {
    ASSIGN_OR_RETURN(info, GetFileInfo(p));
  }
  if (info.is_directory()) return IsADirectory(p);
  if (!options.conditions.empty()) {
    if (options.conditions.if_match && *options.conditions.if_match != "*" &&
        *options.conditions.if_match != info.etag) {
      return PreconditionFailed("the etag of " + p + " is no longer " + *options.conditions.if_match);
    }
  }
  if (options.offset < 0) return InvalidArgument("read offset " + std::to_string(options.offset) + " is negative");
  if (options.offset > info.size) {
    return Status(StatusCode::kOutOfRange, "read offset " + std::to_string(options.offset) + " is outside " + p);
  }
  int64_t end = options.length < 0 ? info.size : std::min(info.size, options.offset + options.length);
  fs::ReadHandle handle;
  handle.offset = options.offset;
  handle.length = end - options.offset;
  handle.stream = std::make_unique<RangedStream>(client_, CallFor("GET", p), info.etag, options.offset, end);
  handle.info = std::move(info);
  return handle;
}

Result<fs::FileInfo> Gen2FileSystem::CreateFile(std::string_view raw, const fs::CreateOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  DfsCall call = CallFor("PUT", p);
  call.query = {{"resource", "file"}};
  if (o.permission) call.headers.Set("x-ms-permissions", acl::FormatOctalMode(*o.permission));
  if (o.umask) call.headers.Set("x-ms-umask", acl::FormatOctalMode(*o.umask));
  if (o.owner) call.headers.Set("x-ms-owner", *o.owner);
  if (o.group) call.headers.Set("x-ms-group", *o.group);
  if (o.acl) call.headers.Set("x-ms-acl", acl::FormatAclSpec(*o.acl));
  if (!o.properties.empty()) call.headers.Set("x-ms-properties", gen2::FormatProperties(o.properties));
  SetContentHeaders(call.headers, o.content);
  if (o.expiry_time_ms) {
    call.headers.Set("x-ms-expiry-option", "Absolute");
    call.headers.Set("x-ms-expiry-time", encoding::FormatRfc1123(*o.expiry_time_ms));
  }
  fs::Conditions conditions = o.conditions;
  if (!o.overwrite) conditions.if_none_match = "*";
  SetConditions(call.headers, conditions);
  auto created = client_->Send(call);
  if (!created.ok() && created.status().code() == StatusCode::kConflict)
    return ExplainFileConflict(p, created.status());
  RETURN_IF_ERROR(created.status());
  appends_->Committed(p, 0, created->headers.Get("ETag").value_or(""));
  if (!o.return_info) return WrittenInfo(p, 0, created->headers);
  return GetFileInfo(p);
}

Status Gen2FileSystem::ExplainFileConflict(const std::string& p, Status conflict) {
  // A directory at the path, or a file where a parent directory should be.
  if (auto existing = GetFileInfo(p); existing.ok() && existing->is_directory()) return IsADirectory(p);
  for (const std::string& ancestor : path::Ancestors(p)) {
    if (auto a = GetFileInfo(ancestor); a.ok() && a->is_file()) return NotADirectory(ancestor);
  }
  return conflict;
}

Result<fs::FileInfo> Gen2FileSystem::CreateDirectory(std::string_view raw, const fs::CreateOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  if (p == "/") return GetFileInfo(p);
  if (auto existing = GetFileInfo(p); existing.ok()) {
    if (existing->is_file()) return AlreadyExists(p);
    if (!o.conditions.if_none_match) return existing;  // an existing directory is not an error
  }
  DfsCall call = CallFor("PUT", p);
  call.query = {{"resource", "directory"}};
  if (o.permission) call.headers.Set("x-ms-permissions", acl::FormatOctalMode(*o.permission));
  if (o.umask) call.headers.Set("x-ms-umask", acl::FormatOctalMode(*o.umask));
  if (o.owner) call.headers.Set("x-ms-owner", *o.owner);
  if (o.group) call.headers.Set("x-ms-group", *o.group);
  if (o.acl) call.headers.Set("x-ms-acl", acl::FormatAclSpec(*o.acl));
  if (!o.properties.empty()) call.headers.Set("x-ms-properties", gen2::FormatProperties(o.properties));
  SetConditions(call.headers, o.conditions);
  RETURN_IF_ERROR(client_->Send(call).status());
  return GetFileInfo(p);
}

Result<int64_t> Gen2FileSystem::Append(std::string_view raw, int64_t offset, fs::InputStream& data,
                                       const fs::AppendOptions& options) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  // Appends at the end through this process go one at a time per file (Gen1 serializes them; across processes
  // they can still race: docs/known-issues.md).
  std::unique_lock<std::mutex> at_end_lock;
  if (options.at_end) at_end_lock = std::unique_lock(appends_->EndLock(p));
  if (options.at_end || options.require_at_end) {
    // Gen1 semantics, from what this process knows (the AppendTracker): not atomic across processes.
    const bool known = appends_->Knows(p);
    // Appending at the end: the end others (another gateway, a Gen2 application) committed meanwhile counts.
    ASSIGN_OR_RETURN(int64_t end, ContiguousEnd(p, /*ask=*/options.at_end));
    if (options.at_end) offset = end;
    if (known && offset < end) {
      // Before refusing: what is remembered may be out of date (another process flushed or re-created the file,
      // which drops staged bytes; a file that is gone is then not found, as Gen1 says).
      ASSIGN_OR_RETURN(end, ContiguousEnd(p, /*ask=*/true));
    }
    // The file may hold appends not yet flushed that this process did not make (another gateway process behind
    // the same address, a restarted one), which the service does not report: an offset past the known end is
    // taken as the caller's, and the flush checks that nothing is missing before it. An offset before the end
    // is refused, as Gen1 does (the SDKs' check that a retried append already landed).
    if (offset > end) {
      LOG_DEBUG("gen2 client: append to " << p << " at " << offset << ", past the end " << end << " known here"
                                          << (known ? "" : " (a file this process has not seen)")
                                          << ", taken on trust");
      appends_->Staged(p, end, offset);  // assumed staged; the flush finds out if it is not
      end = offset;
    }
    if (offset != end) {
      return Status(StatusCode::kBadOffset, "append offset " + std::to_string(offset) + " does not match the end of " +
                                                p + " at " + std::to_string(end));
    }
  }
  // One request; what it did is noted in the tracker. A failed request leaves the file's state unknown here.
  auto send = [&](DfsCall& call, int64_t begin, int64_t end, bool flush) -> Status {
    auto sent = client_->Send(call);
    if (!sent.ok()) {
      appends_->Forget(p);
      if (sent.status().code() == StatusCode::kInvalidFlushPosition) {
        return Status(StatusCode::kBadOffset, sent.status().message());  // below the committed length, or a gap
      }
      return sent.status();
    }
    if (flush) {
      appends_->Committed(p, end, sent->headers.Get("ETag").value_or(""));
    } else {
      appends_->Staged(p, begin, end);
    }
    return Status::Ok();
  };
  // Bytes held in memory go out as they are; a stream is read in pieces that grow up to one request's worth,
  // so a small append costs no more memory than its size.
  std::optional<std::string_view> whole = data.TakeAll();
  if (options.content_md5 && !(whole && whole->size() <= kAppendChunk)) {
    return InvalidArgument("an append to " + p + " with a Content-MD5 must be held in memory and at most " +
                           std::to_string(kAppendChunk) + " bytes (one request)");
  }
  // A stream whose length is known and fits one request goes out as it arrives (the gateway passing a Gen1
  // APPEND on): no copy, no buffer.
  if (std::optional<uint64_t> size = data.RemainingSize(); !whole && size && *size > 0 && *size <= kAppendChunk) {
    StreamBodySource body(data, *size);
    DfsCall call = CallFor("PATCH", p);
    call.query = {{"action", "append"}, {"position", std::to_string(offset)}};
    if (options.flush) call.query.push_back({"flush", "true"});
    call.body = &body;
    RETURN_IF_ERROR(send(call, offset, offset + static_cast<int64_t>(*size), options.flush));
    return EndAfter(p, offset + static_cast<int64_t>(*size));
  }
  std::string chunk;
  int64_t position = offset;
  bool sent_any = false;
  while (true) {
    std::string_view piece;
    if (whole) {
      piece = whole->substr(0, kAppendChunk);
      whole->remove_prefix(piece.size());
    } else {
      chunk.clear();
      size_t step = size_t{64} * 1024;
      while (chunk.size() < kAppendChunk) {
        size_t want = std::min(kAppendChunk - chunk.size(), std::max(step, chunk.size()));
        size_t old = chunk.size();
        chunk.resize(old + want);
        ASSIGN_OR_RETURN(size_t n, data.Read(chunk.data() + old, want));
        chunk.resize(old + n);
        if (n == 0) break;
      }
      piece = chunk;
    }
    size_t filled = piece.size();
    bool last = filled < kAppendChunk || (whole && whole->empty());
    if (filled == 0 && sent_any) break;
    DfsCall call = CallFor("PATCH", p);
    call.query = {{"action", "append"}, {"position", std::to_string(position)}};
    const bool flush = last && options.flush;
    if (flush) call.query.push_back({"flush", "true"});
    if (options.content_md5) call.headers.Set("Content-MD5", *options.content_md5);  // the service checks it
    auto body = http::StringBodySource::View(piece);
    call.body = &body;
    if (filled > 0 || options.flush) {
      RETURN_IF_ERROR(send(call, position, position + static_cast<int64_t>(filled), flush));
    }
    position += static_cast<int64_t>(filled);
    sent_any = true;
    if (last) break;
  }
  return EndAfter(p, position);
}

// The end of the data after an append that ended at `appended`: its own end, or further when bytes staged beyond
// it are known here. Never a request: what the tracker forgot meanwhile (evicted, a concurrent rename) must not
// turn a landed append into a shorter end (CONCAT flushes at it).
int64_t Gen2FileSystem::EndAfter(const std::string& p, int64_t appended) const {
  return std::max(appended, appends_->KnownEnd(p).value_or(appended));
}

Result<int64_t> Gen2FileSystem::ContiguousEnd(const std::string& path, bool ask) {
  if (!ask) {
    if (std::optional<int64_t> end = appends_->KnownEnd(path)) return *end;
  }
  ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(path));
  appends_->Learn(path, info.size, info.etag);
  return appends_->KnownEnd(path).value_or(info.size);
}

Result<fs::FileInfo> Gen2FileSystem::Flush(std::string_view raw, int64_t position, const fs::FlushOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  DfsCall call = CallFor("PATCH", p);
  call.query = {{"action", "flush"}, {"position", std::to_string(position)}};
  if (o.retain_uncommitted) call.query.push_back({"retainUncommittedData", "true"});
  if (o.close) call.query.push_back({"close", "true"});
  if (o.content_md5) call.headers.Set("x-ms-content-md5", *o.content_md5);
  if (o.content) SetContentHeaders(call.headers, *o.content);
  SetConditions(call.headers, o.conditions);
  auto sent = client_->Send(call);
  if (!sent.ok() || o.retain_uncommitted) {
    appends_->Forget(p);  // failed, or staged bytes beyond `position` kept: ask the service next time
  } else {
    appends_->Committed(p, position, sent->headers.Get("ETag").value_or(""));
  }
  ASSIGN_OR_RETURN(http::ClientResponse flushed, std::move(sent));
  if (!o.return_info) return WrittenInfo(p, position, flushed.headers);
  return GetFileInfo(p);
}

Result<fs::FileInfo> Gen2FileSystem::PutFile(std::string_view raw, fs::InputStream& data,
                                             const fs::PutOptions& options) {
  const fs::CreateOptions& o = options.create;
  std::optional<std::string_view> whole = data.TakeAll();
  std::optional<uint64_t> size = whole ? std::optional<uint64_t>(whole->size()) : data.RemainingSize();
  // Put Blob takes no umask; a mode relative to one, or a body too large or of unknown size, goes the long way.
  bool umask_only = o.umask && !o.permission && !o.acl;
  if (!whole && (!size || *size > kPutBlobLimit || umask_only)) return fs::PutFileByRename(*this, raw, data, options);
  if (whole && (whole->size() > kPutBlobLimit || umask_only)) {
    fs::StringInputStream rest(*whole);
    return fs::PutFileByRename(*this, raw, rest, options);
  }
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  if (p == "/") return IsADirectory(p);
  // Put Blob: the bytes, their MD5 (checked by the service, then stored) and the properties in one request,
  // committed at once. An HNS account applies it to the file like a DFS create, append and flush.
  DfsCall call = CallFor("PUT", p);
  call.blob = true;
  call.headers.Set("x-ms-blob-type", "BlockBlob");
  for (const auto& [name, value] : o.properties) call.headers.Set("x-ms-meta-" + name, value);
  SetContentHeaders(call.headers, o.content, "x-ms-blob-");
  if (options.content_md5) {
    call.headers.Set("Content-MD5", *options.content_md5);
    call.headers.Set("x-ms-blob-content-md5", *options.content_md5);
  }
  fs::Conditions conditions = o.conditions;
  if (!o.overwrite) conditions.if_none_match = "*";
  SetConditions(call.headers, conditions);
  http::StringBodySource in_memory = http::StringBodySource::View(whole.value_or(std::string_view()));
  StreamBodySource streamed(data, size.value_or(0));
  call.body = whole ? static_cast<http::BodySource*>(&in_memory) : &streamed;
  auto put = client_->Send(call);
  if (!put.ok() && put.status().code() == StatusCode::kConflict) return ExplainFileConflict(p, put.status());
  if (!put.ok() && put.status().code() == StatusCode::kPreconditionFailed && !o.overwrite && o.conditions.empty()) {
    return AlreadyExists(p);
  }
  RETURN_IF_ERROR(put.status());
  http::Headers last = std::move(put->headers);
  // Owner, group and ACL (Put Blob cannot carry them): the file holds what it inherited until this call.
  if (o.owner || o.group || o.acl || o.permission) {
    DfsCall access = CallFor("PATCH", p);
    access.query = {{"action", "setAccessControl"}};
    if (o.owner) access.headers.Set("x-ms-owner", *o.owner);
    if (o.group) access.headers.Set("x-ms-group", *o.group);
    if (o.acl) {
      access.headers.Set("x-ms-acl", acl::FormatAclSpec(*o.acl));
    } else if (o.permission) {
      access.headers.Set("x-ms-permissions", acl::FormatOctalMode(*o.permission));
    }
    ASSIGN_OR_RETURN(http::ClientResponse set, client_->Send(access));
    last = std::move(set.headers);
  }
  if (o.expiry_time_ms) {
    DfsCall expiry = CallFor("PUT", p);
    expiry.blob = true;
    expiry.query = {{"comp", "expiry"}};
    expiry.headers.Set("x-ms-expiry-option", "Absolute");
    expiry.headers.Set("x-ms-expiry-time", encoding::FormatRfc1123(*o.expiry_time_ms));
    ASSIGN_OR_RETURN(http::ClientResponse set, client_->Send(expiry));
    last = std::move(set.headers);
  }
  appends_->Committed(p, static_cast<int64_t>(size.value_or(0)), last.Get("ETag").value_or(""));
  if (o.return_info) return GetFileInfo(p);
  fs::FileInfo info = WrittenInfo(p, static_cast<int64_t>(size.value_or(0)), last);
  info.content_md5 = options.content_md5.value_or("");
  return info;
}

Status Gen2FileSystem::Rename(std::string_view raw_source, std::string_view raw_destination,
                              const fs::RenameOptions& o) {
  ASSIGN_OR_RETURN(std::string source, path::Normalize(raw_source));
  ASSIGN_OR_RETURN(std::string destination, path::Normalize(raw_destination));
  if (source == "/" || destination == "/") return Status(StatusCode::kInvalidRename, "the root cannot be renamed");
  DfsCall call = CallFor("PUT", destination);
  call.query = {{"mode", "legacy"}};
  call.headers.Set("x-ms-rename-source",
                   "/" + encoding::PercentEncodeComponent(filesystem_) + encoding::PercentEncodePath(source));
  fs::Conditions destination_conditions = o.destination_conditions;
  if (!o.overwrite) destination_conditions.if_none_match = "*";
  SetConditions(call.headers, destination_conditions);
  SetConditions(call.headers, o.source_conditions, "x-ms-source-");
  auto r = client_->Send(call);
  if (r.ok()) {
    appends_->Forget(source);
    appends_->Forget(destination);
  }
  if (!r.ok() && r.status().code() == StatusCode::kPreconditionFailed && !o.overwrite &&
      o.destination_conditions.empty()) {
    return AlreadyExists(destination);
  }
  return r.status();
}

Status Gen2FileSystem::Delete(std::string_view raw, const fs::DeleteOptions& o) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  // The service would empty the whole filesystem; no FileSystem caller means that.
  if (p == "/") return InvalidArgument("the root directory cannot be deleted");
  std::string continuation;
  do {
    DfsCall call = CallFor("DELETE", p);
    call.query = {{"recursive", o.recursive ? "true" : "false"}};
    if (!continuation.empty()) call.query.push_back({"continuation", continuation});
    SetConditions(call.headers, o.conditions);
    ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call));
    continuation = r.headers.Get("x-ms-continuation").value_or("");
  } while (!continuation.empty());
  appends_->Forget(p);
  return Status::Ok();
}

Result<acl::AclState> Gen2FileSystem::GetAccessControl(std::string_view raw) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  DfsCall call = CallFor("HEAD", p);
  call.query = {{"action", "getAccessControl"}, {"upn", "false"}};
  ASSIGN_OR_RETURN(http::ClientResponse r, client_->Send(call));
  acl::AclState state;
  state.owner = r.headers.Get("x-ms-owner").value_or("");
  state.group = r.headers.Get("x-ms-group").value_or("");
  std::string permissions = r.headers.Get("x-ms-permissions").value_or("");
  state.sticky = permissions.size() >= 9 && (permissions[8] == 't' || permissions[8] == 'T');
  ASSIGN_OR_RETURN(std::vector<acl::AclEntry> entries, acl::ParseAclSpec(r.headers.Get("x-ms-acl").value_or("")));
  for (acl::AclEntry& e : entries) {
    (e.scope == acl::Scope::kDefault ? state.default_acl : state.access).push_back(std::move(e));
  }
  return state;
}

Status Gen2FileSystem::CheckAccess(std::string_view, acl::Perm) {
  return Unsupported("Gen2 has no access check call; read the ACL with GetAccessControl");
}

Result<fs::FileInfo> Gen2FileSystem::SetAccessControl(std::string_view raw, const fs::AccessControlChange& change) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  auto send = [&](http::Headers headers) -> Status {
    DfsCall call = CallFor("PATCH", p);
    call.query = {{"action", "setAccessControl"}};
    call.headers = std::move(headers);
    SetConditions(call.headers, change.conditions);
    return client_->Send(call).status();
  };
  http::Headers owner;
  if (change.owner) owner.Set("x-ms-owner", *change.owner);
  if (change.group) owner.Set("x-ms-group", *change.group);
  if (change.acl_op) {
    // The service sets whole ACLs; the HDFS-style edits are applied here to the current ACL.
    ASSIGN_OR_RETURN(acl::AclState state, GetAccessControl(p));
    ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(p));
    bool is_dir = info.is_directory();
    switch (*change.acl_op) {
      case fs::AclOp::kSet: RETURN_IF_ERROR(acl::SetAcl(state, change.acl_entries, is_dir)); break;
      case fs::AclOp::kReplace: RETURN_IF_ERROR(acl::ReplaceAcl(state, change.acl_entries, is_dir)); break;
      case fs::AclOp::kModify: RETURN_IF_ERROR(acl::ModifyAclEntries(state, change.acl_entries, is_dir)); break;
      case fs::AclOp::kRemoveEntries: RETURN_IF_ERROR(acl::RemoveAclEntries(state, change.acl_entries, is_dir)); break;
      case fs::AclOp::kRemoveAll: acl::RemoveAcl(state); break;
      case fs::AclOp::kRemoveDefault: acl::RemoveDefaultAcl(state); break;
    }
    http::Headers h = owner;
    h.Set("x-ms-acl", state.ToSpec());
    RETURN_IF_ERROR(send(std::move(h)));
    owner = {};
  }
  if (change.mode) {
    fs::FileInfo bits;
    bits.mode = *change.mode;
    http::Headers h = owner;
    h.Set("x-ms-permissions", gen2::FormatPermissions(bits));
    RETURN_IF_ERROR(send(std::move(h)));
    owner = {};
  }
  if (change.owner || change.group) {
    if (owner.Get("x-ms-owner") || owner.Get("x-ms-group")) RETURN_IF_ERROR(send(std::move(owner)));
  }
  return InfoAfterMetadataChange(p);
}

Result<fs::FileInfo> Gen2FileSystem::InfoAfterMetadataChange(const std::string& p) {
  ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(p));
  appends_->Touched(p, info.etag);  // staged appends survive a metadata change; the etag they count under does not
  return info;
}

Result<fs::FileInfo> Gen2FileSystem::SetTimes(std::string_view, std::optional<int64_t>, std::optional<int64_t>) {
  return Unsupported("Gen2 cannot set modification or access times; keep them in properties");
}

Result<fs::FileInfo> Gen2FileSystem::SetExpiry(std::string_view raw, const fs::ExpirySpec& expiry) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  DfsCall call = CallFor("PUT", p);
  call.blob = true;
  call.query = {{"comp", "expiry"}};
  switch (expiry.kind) {
    case fs::ExpirySpec::Kind::kNever: call.headers.Set("x-ms-expiry-option", "NeverExpire"); break;
    case fs::ExpirySpec::Kind::kRelativeToNow:
      call.headers.Set("x-ms-expiry-option", "RelativeToNow");
      call.headers.Set("x-ms-expiry-time", std::to_string(expiry.ms));
      break;
    case fs::ExpirySpec::Kind::kRelativeToCreation:
      call.headers.Set("x-ms-expiry-option", "RelativeToCreation");
      call.headers.Set("x-ms-expiry-time", std::to_string(expiry.ms));
      break;
    case fs::ExpirySpec::Kind::kAbsolute:
      call.headers.Set("x-ms-expiry-option", "Absolute");
      call.headers.Set("x-ms-expiry-time", encoding::FormatRfc1123(expiry.ms));
      break;
  }
  RETURN_IF_ERROR(client_->Send(call).status());
  auto info = InfoAfterMetadataChange(p);
  if (!info.ok() && info.status().code() == StatusCode::kNotFound && expiry.kind == fs::ExpirySpec::Kind::kAbsolute) {
    fs::FileInfo expired;  // an expiry in the past removed the file at once
    expired.path = p;
    expired.expiry_time_ms = expiry.ms;
    return expired;
  }
  return info;
}

Result<fs::FileInfo> Gen2FileSystem::SetProperties(std::string_view raw, const fs::Properties& properties,
                                                   const std::optional<fs::ContentHeaders>& content,
                                                   const fs::Conditions& conditions) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  DfsCall call = CallFor("PATCH", p);
  call.query = {{"action", "setProperties"}};
  call.headers.Set("x-ms-properties", gen2::FormatProperties(properties));
  if (content) SetContentHeaders(call.headers, *content);
  SetConditions(call.headers, conditions);
  RETURN_IF_ERROR(client_->Send(call).status());
  return InfoAfterMetadataChange(p);
}

Result<fs::FileInfo> Gen2FileSystem::SetContentMd5(std::string_view raw, std::string_view content_md5,
                                                   const fs::Conditions& conditions) {
  ASSIGN_OR_RETURN(std::string p, path::Normalize(raw));
  // Set Blob Properties replaces every content header: the current ones go along with the new MD5.
  ASSIGN_OR_RETURN(fs::FileInfo info, GetFileInfo(p));
  if (info.is_directory()) return IsADirectory(p);
  DfsCall call = CallFor("PUT", p);
  call.blob = true;
  call.query = {{"comp", "properties"}};
  SetContentHeaders(call.headers, info.content, "x-ms-blob-");
  if (!content_md5.empty()) call.headers.Set("x-ms-blob-content-md5", std::string(content_md5));
  SetConditions(call.headers, conditions);
  RETURN_IF_ERROR(client_->Send(call).status());
  return InfoAfterMetadataChange(p);
}

}  // namespace lakeshift::gen2client
