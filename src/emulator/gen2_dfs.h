#pragma once
// DFS (Data Lake Storage Gen2 REST) operations of the Gen2 emulator. Each handler either writes a
// success response or returns the error for the dispatcher to render in the DFS form.

#include "emulator/gen2_account.h"
#include "emulator/gen2_lease.h"
#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

// Dispatches a request already classified as DFS (gen2-api.md section 4.4).
Status HandleDfs(Gen2Request& request, Gen2Account& account, http::ResponseWriter& out);

// Shared with the Blob front-end: the path's store view for the request's caller, or 404
// FilesystemNotFound / ContainerNotFound.
Result<std::shared_ptr<fs::FileSystem>> FileSystemFor(const Gen2Request& request, Gen2Account& account, gen2::Api api);

// Streams [start, end] of a file as a 200/206 response with the blob/DFS read headers.
Status SendFileContent(const Gen2Request& request, Gen2Account& account, fs::FileSystem& store,
                       http::ResponseWriter& out, gen2::Api api);

// The properties headers of HEAD on a path (Get Blob Properties / Path Get Properties).
http::Headers PathPropertyHeaders(const fs::FileInfo& info, const LeaseInfo& lease);

}  // namespace lakeshift::emulator
