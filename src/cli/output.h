#pragma once
// Human-readable rendering of store items for the CLI.

#include <string>

#include "fs/filesystem.h"

namespace lakeshift::cli {

// "drwxr-x---+ owner group size 2026-11-26T12:00:00Z /path", like `ls -l`.
std::string FormatLongListing(const fs::FileInfo& info);
std::string FormatUtcMillis(int64_t epoch_ms);

}  // namespace lakeshift::cli
