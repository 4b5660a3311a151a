#pragma once
// A FileSystem over a local POSIX directory: the store path "/a/b" is <root>/a/b. The migration engine reads
// `file:///data/lake` through it (with POSIX permissions, owners and times) and may write to it.
//
// What it does and does not do (see capabilities()):
// - Regular files and directories only. Symbolic links are never followed, anywhere in a path: List skips them,
//   and GetFileInfo (or any operation) on a link, a FIFO, a socket or a device gives kUnsupported naming the path,
//   so the migration engine can report them. ".." is rejected by path normalisation, so no path escapes the root.
// - FileInfo comes from statx: mode = st_mode & 01777 (setuid/setgid dropped), owner/group = user and group names
//   (the numeric id when the host has no name for it), times in ms, creation time from btime (mtime where the
//   filesystem has none). The etag hashes (device, inode, size, mtime, ctime); every change made through this
//   FileSystem moves the ctime forward (waiting for the next clock tick if needed), so its etag always changes.
//   Changes by other programs within one kernel clock tick that keep the size can keep the etag.
// - Writes never show a partial file under its final name. CreateFile and PutFile write a hidden temporary file
//   (".lakeshift-put-<random>", fsynced) and rename it over the target. Appends go to a hidden
//   ".<name>.lakeshift-partial" next to the file (which starts as a copy of the committed bytes); Flush(position)
//   truncates it to position, fsyncs it and renames it over the file. Which byte ranges are staged is kept in
//   memory by this FileSystem object, so staged appends and their flush must go through the same object (one
//   writer per file); a partial file left by a crash is ignored and replaced by the next append, and List never
//   shows these internal names. A flush with retain_uncommitted, or the first append after a flush, copies the
//   committed bytes (copy_file_range, a reflink where the filesystem can).
// - Permissions: a requested mode is applied exactly (chmod after create, no umask except CreateOptions::umask);
//   without one the process umask applies. Owners and groups are host accounts (names or numeric ids); changing
//   the owner needs root (capabilities().set_owner is true only for root), otherwise kPermissionDenied. POSIX ACLs,
//   properties, expiry and Content-MD5 are not kept (kUnsupported; an MD5 given with PutFile or Flush is ignored).
//   GetAccessControl gives the ACL equivalent of the mode. CheckAccess answers with faccessat for this process.
// - Recursive listing is not offered (walk the directories); Delete(recursive) walks the tree iteratively.

#include <memory>
#include <string>

#include "common/result.h"
#include "fs/filesystem.h"

namespace lakeshift::localfs {

// A FileSystem whose store path "/a/b" is <root>/a/b. root must be an existing directory.
Result<std::unique_ptr<fs::FileSystem>> OpenLocalDirectory(const std::string& root);

// True for the hidden names this FileSystem uses for writes in progress (".lakeshift-put-*" temporary files,
// ".<name>.lakeshift-partial" staged appends); List leaves them out.
bool IsInternalName(std::string_view name);

}  // namespace lakeshift::localfs
