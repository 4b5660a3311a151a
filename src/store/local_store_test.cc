#include "store/local_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "testing/status_macros.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace lakeshift::store {
namespace {

std::shared_ptr<LocalStore> OpenStore(const std::string& dir, const acl::AclPolicy& policy = acl::AclPolicy::Gen2()) {
  LocalStoreOptions options;
  options.directory = dir;
  options.policy = &policy;
  auto store = LocalStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *store : nullptr;
}

size_t CountContentFiles(const std::string& store_dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(store_dir + "/data")) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

TEST(LocalStoreTest, PersistsAcrossReopen) {
  testing_util::TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_OK(fs::WriteFile(*store->AsSuperuser(), "/a/b", "kept"));
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(*fs::ReadFile(*store->AsSuperuser(), "/a/b"), "kept");
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, RefusesAnotherPolicyOnReopen) {
  testing_util::TempDir dir;
  { OpenStore(dir.path(), acl::AclPolicy::Gen1()); }
  LocalStoreOptions options;
  options.directory = dir.path();
  options.policy = &acl::AclPolicy::Gen2();
  auto store = LocalStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("gen1"), std::string::npos) << store.status();
}

TEST(LocalStoreTest, BadDirectoryGivesClearError) {
  LocalStoreOptions options;
  options.directory = "/proc/definitely/not/here";
  auto store = LocalStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/proc/definitely/not/here"), std::string::npos);
}

TEST(LocalStoreTest, ReadersKeepTheVersionTheyOpened) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  ASSERT_OK(fs::WriteFile(*fs, "/f", "old content"));
  auto handle = fs->OpenRead("/f", {});
  ASSERT_OK(handle);
  ASSERT_OK(fs::WriteFile(*fs, "/f", "new"));
  EXPECT_EQ(*fs::ReadAll(*handle->stream), "old content");
  EXPECT_EQ(*fs::ReadFile(*fs, "/f"), "new");
}

// Contents up to 64 KiB are kept in the metadata database; these are larger.
const std::string kLarge(100000, 'L');

TEST(LocalStoreTest, DeletedContentIsRemovedFromDisk) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  for (int i = 0; i < 20; ++i) ASSERT_OK(fs::WriteFile(*fs, "/d/" + std::to_string(i), kLarge));
  EXPECT_EQ(CountContentFiles(dir.path()), 20u);
  ASSERT_OK(fs::WriteFile(*fs, "/d/0", kLarge + "overwritten"));  // the old version's file goes
  EXPECT_EQ(CountContentFiles(dir.path()), 20u);
  fs::DeleteOptions recursive;
  recursive.recursive = true;
  ASSERT_OK(fs->Delete("/d", recursive));
  EXPECT_EQ(CountContentFiles(dir.path()), 0u);
}

// A stream that fails after some bytes, like a client that goes away mid-upload.
class BrokenStream final : public fs::InputStream {
 public:
  Result<size_t> Read(char* buf, size_t n) override {
    if (sent_) return IoError("connection reset");
    sent_ = true;
    buf[0] = 'x';
    return std::min<size_t>(n, 1);
  }

 private:
  bool sent_ = false;
};

TEST(LocalStoreTest, PutFileLeavesOneContentFilePerFile) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  const std::string first_bytes = kLarge + "first";
  const std::string second_bytes = kLarge + "second";
  fs::StringInputStream first(first_bytes);
  ASSERT_OK(fs->PutFile("/f", first, {}));
  EXPECT_EQ(CountContentFiles(dir.path()), 1u);
  fs::StringInputStream second(second_bytes);
  ASSERT_OK(fs->PutFile("/f", second, {}));  // the replaced version is unlinked
  EXPECT_EQ(CountContentFiles(dir.path()), 1u);
  BrokenStream broken;
  EXPECT_FALSE(fs->PutFile("/f", broken, {}).ok());  // the half-written version is unlinked
  BrokenStream broken_new;
  EXPECT_FALSE(fs->PutFile("/g", broken_new, {}).ok());
  EXPECT_EQ(CountContentFiles(dir.path()), 1u);
  EXPECT_EQ(*fs::ReadFile(*fs, "/f"), second_bytes);
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, SmallContentsLiveInTheDatabase) {
  testing_util::TempDir dir;
  {
    auto store = OpenStore(dir.path());
    auto fs = store->AsSuperuser();
    for (int i = 0; i < 10; ++i) ASSERT_OK(fs::WriteFile(*fs, "/d/" + std::to_string(i), "small " + std::to_string(i)));
    fs::StringInputStream put("put whole");
    ASSERT_OK(fs->PutFile("/d/put", put, {}));
    EXPECT_EQ(CountContentFiles(dir.path()), 0u);
    EXPECT_EQ(*fs::ReadFile(*fs, "/d/3", 2, 3), "all");
    ASSERT_OK(store->CheckConsistency());
  }
  auto store = OpenStore(dir.path());  // and they survive a restart
  auto fs = store->AsSuperuser();
  EXPECT_EQ(*fs::ReadFile(*fs, "/d/9"), "small 9");
  EXPECT_EQ(*fs::ReadFile(*fs, "/d/put"), "put whole");
  fs::DeleteOptions recursive;
  recursive.recursive = true;
  ASSERT_OK(fs->Delete("/d", recursive));
  ASSERT_OK(store->CheckConsistency());  // no inline content left without its file
}

TEST(LocalStoreTest, SmallContentMovesToADataFileWhenItGrows) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  ASSERT_OK(fs::WriteFile(*fs, "/f", "head "));
  fs::StringInputStream more("more ");
  ASSERT_OK(fs->Append("/f", 5, more, {.flush = true}));  // still small
  EXPECT_EQ(CountContentFiles(dir.path()), 0u);
  fs::StringInputStream large(kLarge);
  ASSERT_OK(fs->Append("/f", 10, large, {.flush = true}));
  EXPECT_EQ(CountContentFiles(dir.path()), 1u);
  EXPECT_EQ(*fs::ReadFile(*fs, "/f"), "head more " + kLarge);
  fs::StringInputStream tail("tail");
  ASSERT_OK(fs->Append("/f", 10 + static_cast<int64_t>(kLarge.size()), tail, {.flush = true}));
  EXPECT_EQ(*fs::ReadFile(*fs, "/f"), "head more " + kLarge + "tail");
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, SmallContentKeepsStagedAppendRules) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  ASSERT_OK(fs->CreateFile("/f", {}));
  fs::StringInputStream first("0123456789");
  ASSERT_OK(fs->Append("/f", 0, first, {}));  // staged, not committed
  EXPECT_EQ(fs->GetFileInfo("/f")->size, 0);
  fs::StringInputStream out_of_order("abc");
  ASSERT_OK(fs->Append("/f", 20, out_of_order, {}));  // a gap: goes to a data file, the rest with it
  fs::StringInputStream gap("klmnopqrst");
  ASSERT_OK(fs->Append("/f", 10, gap, {}));
  ASSERT_OK(fs->Flush("/f", 23, {}));
  EXPECT_EQ(*fs::ReadFile(*fs, "/f"), "0123456789klmnopqrstabc");

  ASSERT_OK(fs->CreateFile("/g", {}));
  fs::StringInputStream staged("0123456789");
  ASSERT_OK(fs->Append("/g", 0, staged, {}));
  ASSERT_OK(fs->Flush("/g", 4, {}));  // commits 4 bytes and drops the rest (retain_uncommitted unset)
  EXPECT_EQ(*fs::ReadFile(*fs, "/g"), "0123");
  fs::StringInputStream after("xy");
  ASSERT_OK(fs->Append("/g", 4, after, {.flush = true}));
  EXPECT_EQ(*fs::ReadFile(*fs, "/g"), "0123xy");
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, ParallelAppendsToOneSmallFileLandWhole) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  ASSERT_OK(fs->CreateFile("/f", {}));
  // Eight writers append 8 KiB pieces at their positions at once, as the Gen2 SDKs upload; some pieces find the
  // content inline and some in the data file, and every piece must end up at its place.
  constexpr int kPieces = 16;
  constexpr int kPiece = 8192;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int p = t; p < kPieces; p += 8) {
        std::string piece(kPiece, static_cast<char>('a' + p));
        fs::StringInputStream in(piece);
        EXPECT_OK(fs->Append("/f", int64_t{p} * kPiece, in, {}));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_OK(fs->Flush("/f", int64_t{kPieces} * kPiece, {}));
  auto content = fs::ReadFile(*fs, "/f");
  ASSERT_OK(content.status());
  ASSERT_EQ(content->size(), size_t{kPieces} * kPiece);
  for (int p = 0; p < kPieces; ++p) EXPECT_EQ((*content)[size_t{p} * kPiece], 'a' + p) << p;
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, WritersSharingACommitFailAlone) {
  // Concurrent writes are committed together; one that fails must roll back only its own change.
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  for (int i = 0; i < 200; i += 2) ASSERT_OK(fs::WriteFile(*fs, "/d/f" + std::to_string(i), "old"));
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 200; i += 8) {
        fs::CreateOptions no_overwrite;
        no_overwrite.overwrite = false;
        fs::StringInputStream in("new");
        fs::PutOptions put;
        put.create = no_overwrite;
        auto written = fs->PutFile("/d/f" + std::to_string(i), in, put);
        if (!written.ok()) {
          EXPECT_EQ(written.status().code(), StatusCode::kAlreadyExists) << written.status();
          ++refused;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 100);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(*fs::ReadFile(*fs, "/d/f" + std::to_string(i)), i % 2 ? "new" : "old") << i;
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, ParallelPutFilesOfOnePathLeaveOneWholeVersion) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::string data(100000, static_cast<char>('a' + t));
      for (int i = 0; i < 5; ++i) {
        fs::StringInputStream in(data);
        EXPECT_OK(fs->PutFile("/shared/file", in, {}));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::string content = *fs::ReadFile(*fs, "/shared/file");
  ASSERT_EQ(content.size(), 100000u);
  EXPECT_EQ(content, std::string(100000, content[0]));  // one writer's bytes, never a mix
  EXPECT_EQ(CountContentFiles(dir.path()), 1u);
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, ConcurrentOperationsFromEightThreads) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  ASSERT_OK(fs->CreateFile("/shared/big", {}));
  constexpr int kThreads = 8;
  constexpr int kFilesPerThread = 60;
  constexpr int kChunk = 4096;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto fail = [&](const Status& s) {
        if (!s.ok()) {
          ADD_FAILURE() << "thread " << t << ": " << s;
          ++failures;
        }
      };
      std::string mine = "/t" + std::to_string(t);
      for (int i = 0; i < kFilesPerThread; ++i) {
        std::string p = mine + "/f" + std::to_string(i);
        fail(fs::WriteFile(*fs, p, p).status());
        if (i % 3 == 0)
          fail(fs->Rename(p, mine + "/renamed" + std::to_string(i), {}));
        else if (i % 4 == 1)
          fail(fs->Delete(p, {}));
        fail(fs::ListAll(*fs, mine).status());
        fail(fs::WriteFile(*fs, "/shared/f" + std::to_string(t) + "-" + std::to_string(i), "x").status());
      }
      // Parallel appends into one shared file at disjoint positions.
      std::string chunk(kChunk, static_cast<char>('a' + t));
      fs::StringInputStream in(chunk);
      fail(fs->Append("/shared/big", int64_t{t} * kChunk, in, {}).status());
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_OK(fs->Flush("/shared/big", kThreads * kChunk, {}));
  std::string big = *fs::ReadFile(*fs, "/shared/big");
  ASSERT_EQ(big.size(), static_cast<size_t>(kThreads * kChunk));
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(big[t * kChunk], 'a' + t);
  auto shared = fs::ListAll(*fs, "/shared");
  ASSERT_OK(shared);
  EXPECT_EQ(shared->size(), static_cast<size_t>(kThreads * kFilesPerThread + 1));
  for (int t = 0; t < kThreads; ++t) {
    auto mine = fs::ListAll(*fs, "/t" + std::to_string(t));
    ASSERT_OK(mine);
    // Files with i % 4 == 1 and i % 3 != 0 were deleted; the rest remain (some renamed).
    size_t expected = 0;
    for (int i = 0; i < kFilesPerThread; ++i) expected += (i % 3 == 0 || i % 4 != 1) ? 1 : 0;
    EXPECT_EQ(mine->size(), expected);
  }
  ASSERT_OK(store->CheckConsistency());
}

TEST(LocalStoreTest, RenameAndDeleteLargeTrees) {
  testing_util::TempDir dir;
  auto store = OpenStore(dir.path());
  auto fs = store->AsSuperuser();
  constexpr int kDirs = 50;
  constexpr int kFiles = 100;  // 5,000 files and 50 directories (plus 10 nested levels)
  std::string deep = "/tree";
  for (int level = 0; level < 10; ++level) deep += "/level" + std::to_string(level);
  ASSERT_OK(fs::WriteFile(*fs, deep + "/bottom", "deep"));
  for (int d = 0; d < kDirs; ++d) {
    for (int f = 0; f < kFiles; ++f) {
      ASSERT_OK(fs::WriteFile(*fs, "/tree/d" + std::to_string(d) + "/f" + std::to_string(f), "x"));
    }
  }
  ASSERT_OK(fs->Rename("/tree", "/moved", {}));
  EXPECT_EQ(fs->GetFileInfo("/tree").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*fs::ReadFile(*fs, "/moved" + deep.substr(5) + "/bottom"), "deep");
  auto all = fs::ListAll(*fs, "/moved", /*recursive=*/true);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), static_cast<size_t>(kDirs * kFiles + kDirs + 10 + 1));
  fs::DeleteOptions recursive;
  recursive.recursive = true;
  ASSERT_OK(fs->Delete("/moved", recursive));
  EXPECT_TRUE(fs::ListAll(*fs, "/")->empty());
  EXPECT_EQ(CountContentFiles(dir.path()), 0u);
  ASSERT_OK(store->CheckConsistency());
}

// Runs the crash writer until it has acknowledged `acks` more operations, then SIGKILLs it.
// Returns the last acknowledged index.
int RunWriterAndKill(const std::string& store_dir, int first, int acks) {
  const char* bin_dir = std::getenv("LAKESHIFT_BIN");
  std::string writer = std::string(bin_dir ? bin_dir : ".") + "/store_crash_writer";
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string first_arg = std::to_string(first);
  char* argv[] = {writer.data(), const_cast<char*>(store_dir.c_str()), first_arg.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, writer.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  EXPECT_EQ(rc, 0) << "cannot start " << writer;
  FILE* lines = fdopen(out[0], "r");
  int last = first - 1;
  char line[64];
  while (last < first - 1 + acks && std::fgets(line, sizeof(line), lines)) {
    int index = 0;
    if (std::sscanf(line, "ok %d", &index) == 1) last = index;
  }
  kill(pid, SIGKILL);  // mid-operation: the writer never stops between acknowledgements
  int status = 0;
  waitpid(pid, &status, 0);
  std::fclose(lines);
  EXPECT_TRUE(WIFSIGNALED(status)) << "writer exited by itself (status " << status << ")";
  return last;
}

std::string ExpectedPayload(int i) {
  std::string unit = "payload-" + std::to_string(i) + ";";
  std::string out;
  while (out.size() < static_cast<size_t>((i % 17) * 3000 + 1)) out += unit;
  return out;
}

TEST(LocalStoreTest, ReopensConsistentAfterKillNineOfAWriter) {
  testing_util::TempDir dir;
  std::string store_dir = dir.path() + "/store";
  int next = 0;
  for (int round = 0; round < 3; ++round) {
    int last = RunWriterAndKill(store_dir, next, 60 + round * 17);
    ASSERT_GE(last, next) << "the writer acknowledged nothing in round " << round;
    auto store = OpenStore(store_dir);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CheckConsistency());
    auto fs = store->AsSuperuser();
    for (int i = 0; i <= last; ++i) {
      bool renamed = i % 5 == 0;
      bool deleted = !renamed && (i + 1) % 7 == 0 && i + 1 <= last;
      // The operation in flight at the kill may already have deleted its victim.
      bool maybe_deleted = !renamed && (i + 1) % 7 == 0 && i == last;
      std::string p = (renamed ? "/r/" : "/w/") + std::to_string(i);
      auto content = fs::ReadFile(*fs, p);
      if (maybe_deleted && content.status().code() == StatusCode::kNotFound) continue;
      if (deleted) {
        EXPECT_EQ(content.status().code(), StatusCode::kNotFound) << p;
      } else {
        ASSERT_TRUE(content.ok()) << "acknowledged file lost: " << p << ": " << content.status();
        EXPECT_EQ(*content, ExpectedPayload(i)) << p;
      }
    }
    // The operation in flight at the kill left either nothing, an empty uncommitted file, or its complete result.
    for (const char* dir : {"/w/", "/r/"}) {
      auto partial = fs::ReadFile(*fs, dir + std::to_string(last + 1));
      if (partial.ok()) {
        EXPECT_TRUE(partial->empty() || *partial == ExpectedPayload(last + 1)) << "half-written file visible";
      }
    }
    next = last + 1;
  }
}

}  // namespace
}  // namespace lakeshift::store
