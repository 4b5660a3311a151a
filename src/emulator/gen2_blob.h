#pragma once
// The Blob API calls that the official SDKs and AzCopy make on an HNS account (gen2-api.md section 4.2),
// served from the same store as the DFS API. Errors are rendered as Blob XML by the dispatcher.

#include "emulator/gen2_account.h"
#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

Status HandleBlob(Gen2Request& request, Gen2Account& account, http::ResponseWriter& out);

// Shared by the Blob handlers.
// Answers with the Blob API's common headers plus `extra`.
Status SendBlob(const Gen2Request& request, http::ResponseWriter& out, int status, const http::Headers& extra = {},
                std::string_view body = "");
// x-ms-meta-<name> request headers as properties (names keep their case as sent).
fs::Properties BlobMetadataFrom(const Gen2Request& request);
// x-ms-blob-content-* and x-ms-blob-cache-control; Content-Type stands in for x-ms-blob-content-type when
// the body is the blob itself (Put Blob), not when it is a block list.
fs::ContentHeaders BlobContentHeadersFrom(const Gen2Request& request, bool content_type_fallback);

}  // namespace lakeshift::emulator
