#include "store/content_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "testing/random_bytes.h"
#include "testing/status_macros.h"
#include "testing/temp_dir.h"

namespace lakeshift::store {
namespace {

// A network body: it knows its length but hands over a few odd-sized bytes at a time.
class TrickleStream final : public fs::InputStream {
 public:
  explicit TrickleStream(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t got = std::min({n, data_.size() - pos_, size_t{7919}});
    std::memcpy(buf, data_.data() + pos_, got);
    pos_ += got;
    return got;
  }
  std::optional<uint64_t> RemainingSize() const override { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

using testing_util::RandomBytes;

std::string ReadRange(UniqueFd fd, int64_t offset, int64_t length, size_t read_size) {
  auto stream = MakeFileRangeStream(std::move(fd), offset, length);
  std::string out;
  std::string buf(read_size, '\0');
  while (true) {
    Result<size_t> n = stream->Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

// Large runs go around the page cache with aligned chunks; unaligned heads and tails do not. Whatever the
// split, the bytes read back are the bytes written, and the descriptor is left as it was given.
TEST(ContentFilesTest, LargeWritesAtOddOffsetsReadBackExactly) {
  testing_util::TempDir dir;
  ContentFiles files(dir.path() + "/data");
  ASSERT_OK(files.Init());
  std::string key = ContentFiles::NewKey();
  std::string expected;
  // (offset, length): aligned, unaligned start, unaligned end, one byte past a chunk, and a small write between.
  const std::pair<int64_t, size_t> writes[] = {{0, 3 << 20},
                                               {(3 << 20) + 0, 100},
                                               {(3 << 20) + 100, (1 << 20) + 4096 + 13},
                                               {(4 << 20) + 4096 + 113, 300 << 10},
                                               {(4 << 20) + 4096 + 113 + (300 << 10), (2 << 20) + 1}};
  unsigned seed = 1;
  for (const auto& [offset, length] : writes) {
    ASSERT_EQ(static_cast<int64_t>(expected.size()), offset);
    std::string bytes = RandomBytes(length, seed++);
    ASSERT_OK_AND_ASSIGN(UniqueFd fd, files.OpenForWrite(key));
    int flags = ::fcntl(fd.get(), F_GETFL);
    TrickleStream stream(bytes);
    ASSERT_OK_AND_ASSIGN(int64_t written, ContentFiles::WriteStreamAt(fd.get(), offset, stream));
    EXPECT_EQ(written, static_cast<int64_t>(length));
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL), flags) << "O_DIRECT was left set";
    expected += bytes;
  }
  // A tail written after a direct run is visible to a direct read of the same range (the kernel keeps the two
  // coherent), whatever the reader's buffer size.
  for (auto [offset, length] : {std::pair<int64_t, int64_t>{0, static_cast<int64_t>(expected.size())},
                                {4097, 1 << 20},
                                {(3 << 20) - 5, 300 << 10},
                                {static_cast<int64_t>(expected.size()) - (260 << 10), 260 << 10},
                                {12345, 10}}) {
    for (size_t read_size : {size_t{1000}, size_t{1} << 20, size_t{3} << 20}) {
      ASSERT_OK_AND_ASSIGN(UniqueFd fd, files.OpenForRead(key));
      std::string got = ReadRange(std::move(fd), offset, length, read_size);
      ASSERT_EQ(got.size(), static_cast<size_t>(length)) << offset;
      EXPECT_TRUE(got == expected.substr(static_cast<size_t>(offset), static_cast<size_t>(length)))
          << "bytes differ at offset " << offset << " length " << length << " read size " << read_size;
    }
  }
}

bool DirectIoWorksIn(const std::string& dir) {
  std::string probe = dir + "/direct-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  return fd >= 0;
}

// Pages of the file held in the page cache.
size_t CachedPages(const std::string& file, size_t bytes) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return SIZE_MAX;
  std::vector<unsigned char> resident((bytes + 4095) / 4096);
  size_t n = SIZE_MAX;
  if (::mincore(map, bytes, resident.data()) == 0)
    n = std::count_if(resident.begin(), resident.end(), [](auto r) { return r & 1; });
  ::munmap(map, bytes);
  return n;
}

TEST(ContentFilesTest, LargeRunsBypassThePageCache) {
  testing_util::TempDir dir;
  if (!DirectIoWorksIn(dir.path())) GTEST_SKIP() << "the file system of " << dir.path() << " has no direct I/O";
  ContentFiles files(dir.path() + "/data");
  ASSERT_OK(files.Init());
  std::string key = ContentFiles::NewKey();
  std::string bytes = RandomBytes((4 << 20) + 10, 3);
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, files.OpenForWrite(key));
  TrickleStream stream(bytes);
  ASSERT_OK(ContentFiles::WriteStreamAt(fd.get(), 0, stream));
  // Only the 10-byte tail's page went through the cache.
  EXPECT_LE(CachedPages(files.PathFor(key), bytes.size()), 1u);
  ASSERT_OK_AND_ASSIGN(UniqueFd reader, files.OpenForRead(key));
  EXPECT_EQ(ReadRange(std::move(reader), 0, static_cast<int64_t>(bytes.size()), 1 << 20), bytes);
  EXPECT_LE(CachedPages(files.PathFor(key), bytes.size()), 1u);
}

TEST(ContentFilesTest, ReadingPastTheFileIsAnError) {
  testing_util::TempDir dir;
  ContentFiles files(dir.path() + "/data");
  ASSERT_OK(files.Init());
  std::string key = ContentFiles::NewKey();
  std::string bytes = RandomBytes(512 << 10, 9);
  {
    ASSERT_OK_AND_ASSIGN(UniqueFd fd, files.OpenForWrite(key));
    TrickleStream stream(bytes);
    ASSERT_OK(ContentFiles::WriteStreamAt(fd.get(), 0, stream));
  }
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, files.OpenForRead(key));
  auto stream = MakeFileRangeStream(std::move(fd), 0, (512 << 10) + 4096);
  std::string buf(1 << 20, '\0');
  Status last;
  for (int i = 0; i < 4; ++i) {
    Result<size_t> n = stream->Read(buf.data(), buf.size());
    if (!n.ok()) {
      last = n.status();
      break;
    }
  }
  EXPECT_FALSE(last.ok());
  EXPECT_NE(last.message().find("shorter than its committed length"), std::string::npos) << last;
}

}  // namespace
}  // namespace lakeshift::store
