// Test helper: writes to a local store forever, printing "ok <i>" after each acknowledged operation, so a
// test can kill it with SIGKILL at any moment and check that everything acknowledged survived.
//   store_crash_writer <store-dir> <first-index>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/local_store.h"

using namespace lakeshift;

std::string Payload(int i) {
  std::string unit = "payload-" + std::to_string(i) + ";";
  std::string out;
  while (out.size() < static_cast<size_t>((i % 17) * 3000 + 1)) out += unit;
  return out;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: store_crash_writer <store-dir> <first-index>\n");
    return 2;
  }
  store::LocalStoreOptions options;
  options.directory = argv[1];
  auto store = store::LocalStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto fs = (*store)->AsSuperuser();
  for (const char* dir : {"/w", "/r"}) {
    Status made = fs->CreateDirectory(dir, {}).status();
    if (!made.ok()) {
      std::fprintf(stderr, "mkdir %s: %s\n", dir, made.ToString().c_str());
      return 1;
    }
  }
  for (int i = std::atoi(argv[2]);; ++i) {
    std::string path = "/w/" + std::to_string(i);
    std::string data = Payload(i);
    Status s = fs->CreateFile(path, {}).status();
    size_t half = data.size() / 2;
    fs::StringInputStream second(std::string_view(data).substr(half));
    fs::StringInputStream first(std::string_view(data).substr(0, half));
    if (s.ok()) s = fs->Append(path, static_cast<int64_t>(half), second, {}).status();
    if (s.ok()) s = fs->Append(path, 0, first, {}).status();
    if (s.ok()) s = fs->Flush(path, static_cast<int64_t>(data.size()), {}).status();
    // Idempotent steps, so a restart can redo the operation that a kill interrupted.
    fs::RenameOptions replace;
    replace.overwrite = true;
    if (s.ok() && i % 5 == 0) s = fs->Rename(path, "/r/" + std::to_string(i), replace);
    if (s.ok() && i % 7 == 0 && i >= 7) {
      // Delete an earlier file that stayed under /w (not renamed away).
      int victim = i - 1;
      if (victim % 5 != 0) {
        s = fs->Delete("/w/" + std::to_string(victim), {});
        if (s.code() == StatusCode::kNotFound) s = Status::Ok();
      }
    }
    if (!s.ok()) {
      std::fprintf(stderr, "op %d: %s\n", i, s.ToString().c_str());
      return 1;
    }
    std::printf("ok %d\n", i);
    std::fflush(stdout);
  }
}
