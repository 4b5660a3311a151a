// Benchmark of the local namespace store, in-process (no HTTP): creates per second, parallel append
// throughput, listing rate. Prints figures; asserts nothing.
//   store_bench [--files N] [--append-mib M] [--threads T] [--dir DIR]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/local_store.h"

using namespace lakeshift;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// Produces `size` bytes without holding them: the same 1 MiB block repeated.
class PatternStream final : public fs::InputStream {
 public:
  explicit PatternStream(int64_t size) : remaining_(size), block_(1 << 20, 'x') {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t count = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(std::min(n, block_.size()))));
    std::memcpy(buf, block_.data(), count);
    remaining_ -= static_cast<int64_t>(count);
    return count;
  }

 private:
  int64_t remaining_;
  std::string block_;
};

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int files = 10000;
  int append_mib = 1024;
  int threads = 8;
  std::string dir = (std::filesystem::temp_directory_path() / "lakeshift-store-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--files") files = std::atoi(argv[i + 1]);
    else if (flag == "--append-mib") append_mib = std::atoi(argv[i + 1]);
    else if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  store::LocalStoreOptions options;
  options.directory = dir;
  auto opened = store::LocalStore::Open(options);
  Check(opened.status(), "open");
  auto fs = (*opened)->AsSuperuser();

  auto start = Clock::now();
  for (int i = 0; i < files; ++i) Check(fs->CreateFile("/many/f" + std::to_string(i), {}).status(), "create");
  double create_s = Seconds(start);
  std::printf("create empty files   : %d files in %.2f s = %.0f creates/s\n", files, create_s, files / create_s);

  start = Clock::now();
  auto all = fs::ListAll(*fs, "/many");
  Check(all.status(), "list");
  double list_s = Seconds(start);
  std::printf("list one directory   : %zu entries in %.3f s = %.0f entries/s (pages of 5000)\n", all->size(), list_s,
              static_cast<double>(all->size()) / list_s);

  const int64_t chunk = 8LL << 20;
  const int64_t total = static_cast<int64_t>(append_mib) << 20;
  Check(fs->CreateFile("/big", {}).status(), "create big");
  start = Clock::now();
  std::vector<std::thread> workers;
  std::atomic<int64_t> next{0};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (true) {
        int64_t offset = next.fetch_add(chunk);
        if (offset >= total) return;
        PatternStream data(std::min(chunk, total - offset));
        Check(fs->Append("/big", offset, data, {}).status(), "append");
      }
    });
  }
  for (auto& w : workers) w.join();
  Check(fs->Flush("/big", total, {}).status(), "flush");
  double append_s = Seconds(start);
  std::printf("parallel appends     : %d MiB in 8 MiB appends on %d threads in %.2f s = %.0f MiB/s\n", append_mib,
              threads, append_s, append_mib / append_s);

  start = Clock::now();
  auto handle = fs->OpenRead("/big", {});
  Check(handle.status(), "open read");
  std::vector<char> buf(4 << 20);
  int64_t read = 0;
  while (true) {
    auto n = handle->stream->Read(buf.data(), buf.size());
    Check(n.status(), "read");
    if (*n == 0) break;
    read += static_cast<int64_t>(*n);
  }
  double read_s = Seconds(start);
  std::printf("sequential read      : %lld MiB in %.2f s = %.0f MiB/s\n", static_cast<long long>(read >> 20), read_s,
              static_cast<double>(read >> 20) / read_s);
  std::filesystem::remove_all(dir);
  return 0;
}
