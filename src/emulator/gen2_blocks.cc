#include "emulator/gen2_blocks.h"

#include <map>

#include "common/path.h"
#include "emulator/gen2_blob.h"
#include "encoding/base64.h"
#include "encoding/time_format.h"
#include "gen2/blob_xml.h"
#include "gen2/wire.h"

namespace lakeshift::emulator {
namespace {

using gen2::MakeError;

constexpr uint64_t kMaxBlockBytes = 4000ULL << 20;    // per block, since x-ms-version 2019-12-12
constexpr uint64_t kMaxBlockListBytes = 16ULL << 20;  // 50,000 ids of 64 bytes, as XML, fit easily
constexpr size_t kMaxBlocksInList = 50000;

Result<std::string> BlobPath(const Gen2Request& r) {
  auto normalized = path::Normalize(r.path);
  if (!normalized.ok()) return MakeError(400, "InvalidUri", "blob name: " + normalized.status().message());
  return *normalized;
}

// The decoded length of a block id: 1 to 64 bytes of valid base64, else `code`.
Result<size_t> BlockIdLength(const std::string& id, std::string_view code) {
  auto decoded = encoding::Base64Decode(id);
  if (!decoded.ok()) return MakeError(400, code, "block id \"" + id + "\" is not base64");
  if (decoded->empty() || decoded->size() > 64) {
    return MakeError(400, code, "block id \"" + id + "\" must decode to 1 to 64 bytes");
  }
  return decoded->size();
}

// Where one block of a commit comes from: an uncommitted block's file, or a range of the current blob.
struct CommitPart {
  const StagedBlock* staged = nullptr;
  int64_t offset = 0;  // committed block: its offset in the current blob
  int64_t size = 0;
};

// The bytes of a commit, block after block, opened one at a time. Committed blocks are read from the
// current blob under If-Match on its etag, so a concurrent change of the blob fails the commit.
class CommitStream final : public fs::InputStream {
 public:
  CommitStream(std::vector<CommitPart> parts, BlockStaging& blocks, fs::FileSystem& store, std::string path,
               std::string etag)
      : parts_(std::move(parts)), blocks_(blocks), store_(store), path_(std::move(path)), etag_(std::move(etag)) {}

  Result<size_t> Read(char* buf, size_t n) override {
    while (next_ < parts_.size() || current_) {
      if (!current_) {
        const CommitPart& part = parts_[next_++];
        if (part.size == 0) continue;
        remaining_ = part.size;
        if (part.staged) {
          ASSIGN_OR_RETURN(current_, blocks_.OpenBlock(*part.staged));
        } else {
          fs::ReadOptions options;
          options.offset = part.offset;
          options.length = part.size;
          options.conditions.if_match = etag_;
          ASSIGN_OR_RETURN(fs::ReadHandle handle, store_.OpenRead(path_, options));
          current_ = std::move(handle.stream);
        }
      }
      size_t want = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(n)));
      ASSIGN_OR_RETURN(size_t got, current_->Read(buf, want));
      if (got == 0) return IoError("a block of " + path_ + " ended " + std::to_string(remaining_) + " bytes early");
      remaining_ -= static_cast<int64_t>(got);
      if (remaining_ == 0) current_.reset();
      return got;
    }
    return size_t{0};
  }

 private:
  std::vector<CommitPart> parts_;
  BlockStaging& blocks_;
  fs::FileSystem& store_;
  std::string path_;
  std::string etag_;
  size_t next_ = 0;
  std::unique_ptr<fs::InputStream> current_;
  int64_t remaining_ = 0;
};

http::Headers VersionHeaders(const fs::FileInfo& info) {
  return {{"ETag", gen2::QuotedEtag(info.etag)},
          {"Last-Modified", encoding::FormatRfc1123(std::max(info.modification_time_ms, info.change_time_ms))}};
}

// The blob at `path` if it exists; a missing blob (or a parent that is a file) is nullopt.
Result<std::optional<fs::FileInfo>> CurrentBlob(fs::FileSystem& store, const std::string& path) {
  auto info = store.GetFileInfo(path);
  if (info.ok()) return std::optional<fs::FileInfo>(std::move(*info));
  StatusCode code = info.status().code();
  if (code == StatusCode::kNotFound || code == StatusCode::kNotADirectory) return std::optional<fs::FileInfo>();
  return info.status();
}

// The committed block list of the blob's current version, if Put Block List made it.
Result<std::optional<CommittedBlocks>> CurrentCommitted(BlockStaging& blocks, const std::string& path,
                                                        const std::optional<fs::FileInfo>& current) {
  if (!current) return std::optional<CommittedBlocks>();
  ASSIGN_OR_RETURN(std::optional<CommittedBlocks> committed, blocks.Committed(path));
  if (committed && !committed->Describes(*current)) committed.reset();  // changed since, e.g. through DFS
  return committed;
}

}  // namespace

Status PutBlock(Gen2Request& r, BlockStaging& blocks, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(std::string path, BlobPath(r));
  auto id = r.Query("blockid");
  if (!id) return MakeError(400, "MissingRequiredQueryParameter", "Put Block needs the blockid query parameter");
  ASSIGN_OR_RETURN(size_t id_length, BlockIdLength(*id, "InvalidBlockId"));
  if (r.Header("x-ms-lease-id")) {
    return MakeError(412, "LeaseNotPresentWithBlockOperation", "there is no lease on " + path);
  }
  if (!r.http->content_length && !r.http->chunked) {
    return MakeError(411, "MissingContentLengthHeader", "Put Block needs Content-Length");
  }
  if (r.http->content_length.value_or(0) > kMaxBlockBytes) {
    return MakeError(413, "RequestBodyTooLarge", "a block may hold at most 4000 MiB");
  }
  r.http->SetBodyLimit(kMaxBlockBytes);
  Md5CheckingBody body(r.http->body(), r.Header("Content-MD5"));
  auto staged = blocks.Stage(path, *id, id_length, body);
  if (!staged.ok()) return BodyLimitError(staged.status());
  http::Headers h{{"Content-MD5", body.md5()}, {"x-ms-request-server-encrypted", "true"}, {"Content-Length", "0"}};
  // CRC64 is not verified (an MD5 is); the client's value is acknowledged as the service would.
  if (auto crc = r.Header("x-ms-content-crc64")) h.Set("x-ms-content-crc64", *crc);
  return SendBlob(r, out, 201, h);
}

Status PutBlockList(Gen2Request& r, fs::FileSystem& store, BlockStaging& blocks, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(std::string path, BlobPath(r));
  if (r.Header("x-ms-lease-id"))
    return MakeError(412, "LeaseNotPresentWithBlobOperation", "there is no lease on " + path);
  auto xml = r.http->ReadBodyToString(kMaxBlockListBytes);
  if (!xml.ok()) return BodyLimitError(xml.status());
  if (auto sent = r.Header("Content-MD5")) {
    ASSIGN_OR_RETURN(std::string digest, encoding::Md5(*xml));
    if (encoding::Base64Encode(digest) != *sent) {
      return MakeError(400, "Md5Mismatch", "Content-MD5 " + *sent + " does not match the block list body");
    }
  }
  ASSIGN_OR_RETURN(std::vector<gen2::BlockRef> refs, gen2::ParseBlockList(*xml));
  if (refs.size() > kMaxBlocksInList) {
    return MakeError(400, "BlockListTooLong", "the list names " + std::to_string(refs.size()) + " blocks");
  }
  ASSIGN_OR_RETURN(fs::Conditions conditions, ParseConditions(r));

  auto guard = blocks.LockForCommit(path);
  ASSIGN_OR_RETURN(std::vector<StagedBlock> staged, blocks.Uncommitted(path));
  ASSIGN_OR_RETURN(std::optional<fs::FileInfo> current, CurrentBlob(store, path));
  ASSIGN_OR_RETURN(std::optional<CommittedBlocks> committed, CurrentCommitted(blocks, path, current));
  std::map<std::string, const StagedBlock*> staged_by_id;
  for (const StagedBlock& b : staged) staged_by_id[b.block.id] = &b;
  std::map<std::string, CommitPart> committed_by_id;  // the first occurrence of each id
  if (committed) {
    int64_t offset = 0;
    for (const gen2::BlobBlock& b : committed->blocks) {
      committed_by_id.emplace(b.id, CommitPart{nullptr, offset, b.size});
      offset += b.size;
    }
  }

  std::vector<CommitPart> parts;
  std::vector<gen2::BlobBlock> new_list;
  bool uses_committed = false;
  size_t id_length = 0;
  for (const gen2::BlockRef& ref : refs) {
    ASSIGN_OR_RETURN(size_t length, BlockIdLength(ref.id, "InvalidBlockList"));
    if (id_length != 0 && length != id_length) {
      return MakeError(400, "InvalidBlockList", "the block ids of one blob must all have the same length");
    }
    id_length = length;
    std::optional<CommitPart> part;
    if (ref.kind != gen2::BlockListKind::kCommitted) {
      if (auto it = staged_by_id.find(ref.id); it != staged_by_id.end()) {
        part = CommitPart{it->second, 0, it->second->block.size};
      }
    }
    if (!part && ref.kind != gen2::BlockListKind::kUncommitted) {
      if (current && !committed) {
        return MakeError(409, "BlobOperationNotSupported",
                         path + " was not written with Put Block List, so it has no committed blocks to reuse (block " +
                             ref.id + ")");
      }
      if (auto it = committed_by_id.find(ref.id); it != committed_by_id.end()) {
        part = it->second;
        uses_committed = true;
      }
    }
    if (!part) return MakeError(400, "InvalidBlockList", "block " + ref.id + " is not a block of " + path);
    new_list.push_back({ref.id, part->size});
    parts.push_back(*part);
  }

  fs::PutOptions put;
  put.create.overwrite = true;
  put.create.properties = BlobMetadataFrom(r);
  put.create.content = BlobContentHeadersFrom(r, /*content_type_fallback=*/false);
  put.create.conditions = conditions;
  if (uses_committed && (!conditions.if_match || *conditions.if_match == "*")) {
    put.create.conditions.if_match = current->etag;  // the reused bytes must still be there at commit
  }
  if (auto md5 = r.Header("x-ms-blob-content-md5")) put.content_md5 = *md5;
  CommitStream data(std::move(parts), blocks, store, path, current ? current->etag : "");
  ASSIGN_OR_RETURN(fs::FileInfo info, store.PutFile(path, data, put));
  CommittedBlocks list{std::move(new_list), info.creation_time_ms, info.modification_time_ms, info.size};
  RETURN_IF_ERROR(blocks.SetCommitted(path, list));
  http::Headers h = VersionHeaders(info);
  h.Set("x-ms-request-server-encrypted", "true");
  h.Set("Content-Length", "0");
  return SendBlob(r, out, 201, h);
}

Status GetBlockList(Gen2Request& r, fs::FileSystem& store, BlockStaging& blocks, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(std::string path, BlobPath(r));
  std::string type = r.Query("blocklisttype").value_or("committed");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type != "committed" && type != "uncommitted" && type != "all") {
    return MakeError(400, "InvalidQueryParameterValue",
                     "blocklisttype must be committed, uncommitted or all, not \"" + type + "\"");
  }
  bool want_committed = type != "uncommitted";
  bool want_uncommitted = type != "committed";
  ASSIGN_OR_RETURN(std::optional<fs::FileInfo> current, CurrentBlob(store, path));
  std::vector<gen2::BlobBlock> uncommitted;
  if (want_uncommitted) {
    ASSIGN_OR_RETURN(std::vector<StagedBlock> staged, blocks.Uncommitted(path));
    for (StagedBlock& b : staged) uncommitted.push_back(std::move(b.block));
  }
  if (!current && uncommitted.empty()) return MakeError(404, "BlobNotFound", path + " has no blocks");
  // A file written through DFS (or by Put Blob) has no block list: its committed list is empty.
  std::vector<gen2::BlobBlock> committed;
  if (want_committed) {
    ASSIGN_OR_RETURN(std::optional<CommittedBlocks> list, CurrentCommitted(blocks, path, current));
    if (list) committed = std::move(list->blocks);
  }
  http::Headers h{{"Content-Type", "application/xml"}};
  if (current) {
    for (const auto& [k, v] : VersionHeaders(*current)) h.Set(k, v);
    h.Set("x-ms-blob-content-length", std::to_string(current->size));
  }
  return SendBlob(
      r, out, 200, h,
      gen2::RenderBlockList(want_committed ? &committed : nullptr, want_uncommitted ? &uncommitted : nullptr));
}

}  // namespace lakeshift::emulator
