#pragma once
// The block blob calls of the Blob API: Put Block, Put Block List and Get Block List, over the
// filesystem's store (the committed file) and its BlockStaging (uncommitted blocks, committed lists).

#include "emulator/block_staging.h"
#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

// PUT ?comp=block&blockid=<base64>: stages one block; the blob appears only at Put Block List.
Status PutBlock(Gen2Request& request, BlockStaging& blocks, http::ResponseWriter& out);

// PUT ?comp=blocklist: commits the listed blocks as the blob's new content, atomically (PutFile), with the
// content headers, metadata and conditions of the request; missing parent directories appear with it.
Status PutBlockList(Gen2Request& request, fs::FileSystem& store, BlockStaging& blocks, http::ResponseWriter& out);

// GET ?comp=blocklist&blocklisttype=committed|uncommitted|all.
Status GetBlockList(Gen2Request& request, fs::FileSystem& store, BlockStaging& blocks, http::ResponseWriter& out);

}  // namespace lakeshift::emulator
