#include "fs/filesystem.h"

namespace lakeshift::fs {

Result<size_t> StringInputStream::Read(char* buf, size_t n) {
  size_t count = std::min(n, data_.size() - pos_);
  data_.copy(buf, count, pos_);
  pos_ += count;
  return count;
}

Result<std::string> ReadAll(InputStream& in, size_t max_bytes) {
  std::string out;
  char buf[64 * 1024];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, in.Read(buf, sizeof(buf)));
    if (n == 0) break;
    if (out.size() + n > max_bytes) {
      return InvalidArgument("stream is longer than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, n);
  }
  return out;
}

Result<FileInfo> WriteFile(FileSystem& fs, std::string_view path, std::string_view data, const CreateOptions& options) {
  RETURN_IF_ERROR(fs.CreateFile(path, options).status());
  if (!data.empty()) {
    StringInputStream in(data);
    RETURN_IF_ERROR(fs.Append(path, 0, in, {}).status());
  }
  return fs.Flush(path, static_cast<int64_t>(data.size()), {});
}

Result<std::string> ReadFile(FileSystem& fs, std::string_view path, int64_t offset, int64_t length) {
  ReadOptions options;
  options.offset = offset;
  options.length = length;
  ASSIGN_OR_RETURN(ReadHandle handle, fs.OpenRead(path, options));
  return ReadAll(*handle.stream, static_cast<size_t>(handle.length) + 1);
}

Result<std::vector<FileInfo>> ListAll(FileSystem& fs, std::string_view dir, bool recursive) {
  std::vector<FileInfo> all;
  ListOptions options;
  options.recursive = recursive;
  while (true) {
    ASSIGN_OR_RETURN(ListPage page, fs.List(dir, options));
    for (FileInfo& info : page.entries) all.push_back(std::move(info));
    if (page.continuation.empty()) break;
    options.start_after = page.continuation;
  }
  return all;
}

std::string_view FileTypeName(FileType type) {
  return type == FileType::kDirectory ? "DIRECTORY" : "FILE";
}

}  // namespace lakeshift::fs
