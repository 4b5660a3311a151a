#pragma once
// Blob API XML bodies that carry block lists and blob listings: the Put Block List request, the Get Block
// List answer and the List Blobs entries, as an HNS account writes them (x-ms-version 2020-10-02 and later,
// with ResourceType). Shared by the emulator and (later) the Gen2 client.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fs/filesystem.h"

namespace lakeshift::gen2 {

// One block of a block blob: its id (base64, as the client sent it) and size.
struct BlobBlock {
  std::string id;
  int64_t size = 0;
  bool operator==(const BlobBlock&) const = default;
};

// Which list a Put Block List entry names: <Latest> (uncommitted, else committed), <Committed>, <Uncommitted>.
enum class BlockListKind : uint8_t { kLatest, kCommitted, kUncommitted };

struct BlockRef {
  BlockListKind kind = BlockListKind::kLatest;
  std::string id;
  bool operator==(const BlockRef&) const = default;
};

// Parses <BlockList><Latest>id</Latest>...</BlockList> (an XML declaration, a BOM, comments and whitespace
// are allowed). Errors are 400 InvalidXmlDocument.
Result<std::vector<BlockRef>> ParseBlockList(std::string_view xml);

// The Get Block List body; a list that is null is left out (blocklisttype=committed or uncommitted).
std::string RenderBlockList(const std::vector<BlobBlock>* committed, const std::vector<BlobBlock>* uncommitted);

// What List Blobs adds to each entry (its include= values).
struct ListBlobsInclude {
  bool metadata = false;
  bool permissions = false;  // owner, group, permissions and ACL (HNS accounts)
};

// One <Blob> of a List Blobs answer: a file, or a directory as the zero-length blob with metadata
// hdi_isfolder=true. `name` is the blob name (path without the leading '/'); `acl` is the ACL spec
// (used with include=permissions).
std::string ListBlobsBlobXml(const fs::FileInfo& info, std::string_view name, const ListBlobsInclude& include,
                             std::string_view acl);
// One <BlobPrefix> of a delimited List Blobs answer.
std::string ListBlobsPrefixXml(std::string_view name);

}  // namespace lakeshift::gen2
