#pragma once
// List Blobs (GET /<container>?restype=container&comp=list) on an HNS account, served from the store's
// paged listing so memory stays bounded however large the container is.
//
// Order and shape follow the HNS service: entries come in namespace pre-order (a directory, then its
// subtree; siblings in name order), which differs from the flat lexicographic order of accounts without a
// hierarchical namespace; directories are listed as zero-length blobs with metadata hdi_isfolder=true and
// ResourceType directory; with delimiter "/" a directory gives both its blob and its BlobPrefix "<name>/".

#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

Status ListBlobs(Gen2Request& request, fs::FileSystem& store, http::ResponseWriter& out);

}  // namespace lakeshift::emulator
