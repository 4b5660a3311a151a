#include "fs/filesystem.h"

#include <random>

#include "common/path.h"
#include "encoding/base64.h"
#include "encoding/digest.h"

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

namespace {

// Passes bytes through while hashing them.
class Md5Stream final : public InputStream {
 public:
  explicit Md5Stream(InputStream& in) : in_(in), hasher_(encoding::HashAlgorithm::kMd5) {}
  Result<size_t> Read(char* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, in_.Read(buf, n));
    hasher_.Update(std::string_view(buf, got));
    return got;
  }
  Result<std::string> Base64Digest() {
    ASSIGN_OR_RETURN(std::string digest, hasher_.Finish());
    return encoding::Base64Encode(digest);
  }

 private:
  InputStream& in_;
  encoding::Hasher hasher_;
};

std::string TemporaryName() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof(buf), ".lakeshift-put-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

Result<FileInfo> PutFileByRename(FileSystem& fs, std::string_view raw, InputStream& data, const PutOptions& options) {
  ASSIGN_OR_RETURN(std::string target, path::Normalize(raw));
  const CreateOptions& create = options.create;
  bool exclusive = !create.overwrite || create.conditions.if_none_match == "*";
  auto existing = fs.GetFileInfo(target);
  if (existing.ok()) {
    if (existing->is_directory()) return IsADirectory(target);
    if (exclusive) return AlreadyExists(target);
    if (create.conditions.if_match && *create.conditions.if_match != "*" &&
        *create.conditions.if_match != existing->etag) {
      return PreconditionFailed("the etag of " + target + " is no longer " + *create.conditions.if_match);
    }
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  } else if (create.conditions.if_match) {
    return PreconditionFailed(target + " does not exist (If-Match)");
  }
  std::string temporary = path::Join(path::Parent(target), TemporaryName());
  CreateOptions temp_options = create;
  temp_options.overwrite = true;
  temp_options.conditions = {};
  auto upload = [&]() -> Result<FileInfo> {
    RETURN_IF_ERROR(fs.CreateFile(temporary, temp_options).status());
    Md5Stream hashed(data);
    ASSIGN_OR_RETURN(int64_t end, fs.Append(temporary, 0, hashed, {}));
    FlushOptions flush;
    flush.close = true;
    if (options.content_md5) {
      flush.content_md5 = options.content_md5;
    } else if (options.compute_md5) {
      ASSIGN_OR_RETURN(flush.content_md5, hashed.Base64Digest());
    }
    RETURN_IF_ERROR(fs.Flush(temporary, end, flush).status());
    RenameOptions rename;
    rename.overwrite = !exclusive;
    RETURN_IF_ERROR(fs.Rename(temporary, target, rename));
    return fs.GetFileInfo(target);
  };
  auto result = upload();
  if (!result.ok()) fs.Delete(temporary, {}).IgnoreError();
  return result;
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

FileInfo KnownFile(std::string path, int64_t size) {
  FileInfo info;
  info.path = std::move(path);
  info.type = FileType::kFile;
  info.size = size;
  return info;
}

}  // namespace lakeshift::fs
