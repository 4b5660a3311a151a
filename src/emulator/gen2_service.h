#pragma once
// Blob service properties of the account (`GET`/`PUT /?restype=service&comp=properties`): logging,
// hour and minute metrics, CORS rules, delete retention, static website and the default service version.
// The emulator keeps and returns them (it does not act on them), in the form the service answers with:
// sections in a fixed order, fields in a fixed order, defaults filled in, sections a PUT leaves out kept.

#include "emulator/gen2_account.h"
#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

Status HandleServiceProperties(Gen2Request& request, Gen2Account& account, http::ResponseWriter& out);

}  // namespace lakeshift::emulator
