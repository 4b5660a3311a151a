#pragma once
// The Blob API calls that the official SDKs and AzCopy make on an HNS account (gen2-api.md section 4.2),
// served from the same store as the DFS API. Errors are rendered as Blob XML by the dispatcher.

#include "emulator/gen2_account.h"
#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

Status HandleBlob(Gen2Request& request, Gen2Account& account, http::ResponseWriter& out);

}  // namespace lakeshift::emulator
