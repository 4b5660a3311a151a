// POSIX specifics of the local directory FileSystem; the shared semantics are in tests/conformance.
#include "localfs/local_dir_filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "localfs/local_dir_impl.h"
#include "testing/status_macros.h"
#include "testing/temp_dir.h"

namespace lakeshift::localfs {
namespace {

namespace stdfs = std::filesystem;

class LocalDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/root";
    stdfs::create_directory(root_);
    auto opened = OpenLocalDirectory(root_);
    ASSERT_OK(opened);
    fs_ = std::move(*opened);
  }
  fs::FileSystem& fs() { return *fs_; }
  std::string Local(const std::string& path) const { return root_ + path; }
  struct stat Stat(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(::lstat(Local(path).c_str(), &st), 0) << path;
    return st;
  }
  void WriteLocal(const std::string& path, const std::string& data) const {
    std::ofstream(Local(path), std::ios::binary) << data;
  }
  std::vector<std::string> ListNames(const std::string& dir) {
    std::vector<std::string> names;
    auto all = fs::ListAll(fs(), dir);
    EXPECT_OK(all);
    if (all.ok()) {
      for (const fs::FileInfo& i : *all) names.push_back(i.path);
    }
    return names;
  }

  testing_util::TempDir dir_;
  std::string root_;
  std::unique_ptr<fs::FileSystem> fs_;
};

TEST_F(LocalDirTest, OpenNeedsAnExistingDirectory) {
  EXPECT_CODE(OpenLocalDirectory(dir_.path() + "/missing"), StatusCode::kNotFound);
  WriteLocal("/file", "x");
  EXPECT_CODE(OpenLocalDirectory(root_ + "/file"), StatusCode::kNotADirectory);
  EXPECT_CODE(OpenLocalDirectory(""), StatusCode::kInvalidArgument);
  ASSERT_OK(OpenLocalDirectory(root_ + "/"));  // trailing slash is fine
}

TEST_F(LocalDirTest, CapabilitiesAreHonest) {
  const fs::Capabilities& caps = fs().capabilities();
  EXPECT_FALSE(caps.acls);
  EXPECT_EQ(caps.set_owner, ::geteuid() == 0);
  EXPECT_TRUE(caps.host_accounts);
  EXPECT_TRUE(caps.set_times);
  EXPECT_TRUE(caps.staged_appends);
  EXPECT_TRUE(caps.stable_reads);
  EXPECT_TRUE(caps.list_before);
  EXPECT_FALSE(caps.recursive_listing);
  EXPECT_FALSE(caps.properties);
  EXPECT_FALSE(caps.expiry);
  EXPECT_FALSE(caps.content_md5);
  fs::ListOptions recursive;
  recursive.recursive = true;
  EXPECT_CODE(fs().List("/", recursive), StatusCode::kUnsupported);
}

TEST_F(LocalDirTest, StatComesFromTheLocalFile) {
  WriteLocal("/f", "hello");
  ::chmod(Local("/f").c_str(), 0640);
  auto info = fs().GetFileInfo("/f");
  ASSERT_OK(info);
  struct stat st = Stat("/f");
  EXPECT_TRUE(info->is_file());
  EXPECT_EQ(info->size, 5);
  EXPECT_EQ(info->mode, 0640);
  EXPECT_EQ(info->modification_time_ms, st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
  EXPECT_EQ(info->access_time_ms, st.st_atim.tv_sec * 1000 + st.st_atim.tv_nsec / 1000000);
  EXPECT_EQ(info->change_time_ms, st.st_ctim.tv_sec * 1000 + st.st_ctim.tv_nsec / 1000000);
  EXPECT_GT(info->creation_time_ms, 0);
  EXPECT_LE(info->creation_time_ms, info->modification_time_ms);
  struct passwd* pw = ::getpwuid(::geteuid());  // NOLINT(concurrency-mt-unsafe): single-threaded test
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(info->owner, pw->pw_name);
  auto root = fs().GetFileInfo("/");
  ASSERT_OK(root);
  EXPECT_TRUE(root->is_directory());
  EXPECT_EQ(root->path, "/");
  auto acl = fs().GetAccessControl("/f");
  ASSERT_OK(acl);
  EXPECT_EQ(acl->ToSpec(), "user::rw-,group::r--,other::---");
  EXPECT_EQ(acl->owner, info->owner);
}

TEST_F(LocalDirTest, ModesWithStickyBitAndNoUmask) {
  mode_t old_umask = ::umask(077);
  fs::CreateOptions open_file;
  open_file.permission = 0666;
  ASSERT_OK(fs().CreateFile("/wide", open_file));
  EXPECT_EQ(Stat("/wide").st_mode & 07777, 0666u);  // the requested mode, not 0666 & ~umask
  fs::CreateOptions sticky_dir;
  sticky_dir.permission = 01777;
  auto dir = fs().CreateDirectory("/tmpdir", sticky_dir);
  ASSERT_OK(dir);
  EXPECT_EQ(dir->mode, 01777);
  EXPECT_EQ(Stat("/tmpdir").st_mode & 07777, 01777u);
  fs::CreateOptions masked;
  masked.permission = 0777;
  masked.umask = 027;  // an explicit umask in the options is honoured
  EXPECT_EQ(fs().CreateDirectory("/masked", masked)->mode, 0750);
  ::umask(old_umask);

  fs::AccessControlChange chmod;
  chmod.mode = 01750;
  auto changed = fs().SetAccessControl("/wide", chmod);
  ASSERT_OK(changed);
  EXPECT_EQ(changed->mode, 01750);
  EXPECT_EQ(Stat("/wide").st_mode & 07777, 01750u);
  EXPECT_TRUE(fs().GetAccessControl("/wide")->sticky);

  // setuid and setgid are not part of a store mode: reported without them.
  ASSERT_EQ(::chmod(Local("/wide").c_str(), 06755), 0);
  EXPECT_EQ(fs().GetFileInfo("/wide")->mode, 0755);
}

TEST_F(LocalDirTest, TimesRoundTrip) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  auto info = fs().SetTimes("/f", 1495839590893, 1495839590856);
  ASSERT_OK(info);
  EXPECT_EQ(info->modification_time_ms, 1495839590893);
  EXPECT_EQ(info->access_time_ms, 1495839590856);
  struct stat st = Stat("/f");
  EXPECT_EQ(st.st_mtim.tv_sec, 1495839590);
  EXPECT_EQ(st.st_mtim.tv_nsec, 893000000);
  // One of the two alone leaves the other.
  ASSERT_OK(fs().SetTimes("/f", std::nullopt, 1000));
  EXPECT_EQ(fs().GetFileInfo("/f")->modification_time_ms, 1495839590893);
  EXPECT_EQ(fs().GetFileInfo("/f")->access_time_ms, 1000);
  // Before 1970.
  ASSERT_OK(fs().SetTimes("/f", -1500, std::nullopt));
  EXPECT_EQ(fs().GetFileInfo("/f")->modification_time_ms, -1500);
  ASSERT_OK(fs().CreateDirectory("/d", {}));
  EXPECT_EQ(fs().SetTimes("/d", 2000, 3000)->modification_time_ms, 2000);
}

TEST_F(LocalDirTest, OwnersAreHostAccounts) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  fs::AccessControlChange unknown;
  unknown.owner = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7";
  EXPECT_CODE(fs().SetAccessControl("/f", unknown), StatusCode::kInvalidArgument);
  fs::AccessControlChange unknown_group;
  unknown_group.group = "no-such-group-lakeshift";
  EXPECT_CODE(fs().SetAccessControl("/f", unknown_group), StatusCode::kInvalidArgument);
  fs::AccessControlChange acl;
  acl.acl_op = fs::AclOp::kModify;
  EXPECT_CODE(fs().SetAccessControl("/f", acl), StatusCode::kUnsupported);

  fs::AccessControlChange give;
  give.owner = "12345";  // numeric ids without a name on this host are shown as numbers
  give.group = "54321";
  if (::geteuid() != 0) {
    EXPECT_CODE(fs().SetAccessControl("/f", give), StatusCode::kPermissionDenied);
    fs::CreateOptions owned;
    owned.owner = "12345";
    EXPECT_CODE(fs().CreateFile("/g", owned), StatusCode::kPermissionDenied);
    EXPECT_CODE(fs().GetFileInfo("/g"), StatusCode::kNotFound);
    return;
  }
  auto info = fs().SetAccessControl("/f", give);
  ASSERT_OK(info);
  EXPECT_EQ(info->owner, "12345");
  EXPECT_EQ(info->group, "54321");
  EXPECT_EQ(Stat("/f").st_uid, 12345u);
  fs::AccessControlChange by_name;
  by_name.owner = "root";
  by_name.group = "root";
  EXPECT_EQ(fs().SetAccessControl("/f", by_name)->owner, "root");
  fs::CreateOptions owned;
  owned.owner = "12345";
  owned.group = "54321";
  owned.permission = 0600;
  auto created = fs().CreateFile("/g", owned);
  ASSERT_OK(created);
  EXPECT_EQ(created->owner, "12345");
  EXPECT_EQ(created->mode, 0600);
  auto dir = fs().CreateDirectory("/d", owned);
  ASSERT_OK(dir);
  EXPECT_EQ(dir->group, "54321");
}

TEST_F(LocalDirTest, NamesArePlainLocalNames) {
  const std::vector<std::string> names = {"12,+3#456?.txt", "with space", "%41%",      "ÄÖÜ-日本語", "emoji-😀", "a:b",
                                          "tab\tname",      ".dot",       "trailing.", "q\"uote"};
  for (const std::string& name : names) {
    ASSERT_OK(fs::WriteFile(fs(), "/n/" + name, name));
    EXPECT_TRUE(stdfs::exists(Local("/n/" + name))) << "stored under its own name: " << name;
    EXPECT_EQ(*fs::ReadFile(fs(), "/n/" + name), name);
  }
  std::vector<std::string> expected;
  expected.reserve(names.size());
  for (const std::string& name : names) expected.push_back("/n/" + name);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ListNames("/n"), expected);
}

TEST_F(LocalDirTest, PathsCannotEscapeTheRoot) {
  WriteLocal("/../outside", "secret");
  EXPECT_CODE(fs().GetFileInfo("/../outside"), StatusCode::kInvalidArgument);
  EXPECT_CODE(fs().CreateFile("/a/../../outside", {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(fs::ReadFile(fs(), "/./x"), StatusCode::kInvalidArgument);
  EXPECT_CODE(fs().Delete("/..", {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(fs().GetFileInfo("relative"), StatusCode::kInvalidArgument);
  EXPECT_FALSE(stdfs::exists(Local("/a")));
  EXPECT_TRUE(stdfs::exists(dir_.path() + "/outside"));
}

TEST_F(LocalDirTest, SymbolicLinksAreNeverFollowed) {
  WriteLocal("/target", "inside");
  stdfs::create_directory(dir_.path() + "/elsewhere");
  std::ofstream(dir_.path() + "/elsewhere/secret") << "outside";
  stdfs::create_symlink("target", Local("/link-in"));
  stdfs::create_symlink(dir_.path() + "/elsewhere/secret", Local("/link-out"));
  stdfs::create_directory_symlink(dir_.path() + "/elsewhere", Local("/dirlink"));
  stdfs::create_symlink("missing", Local("/dangling"));

  EXPECT_EQ(ListNames("/"), (std::vector<std::string>{"/target"}));  // links are left out of listings
  for (const char* link : {"/link-in", "/link-out", "/dirlink", "/dangling"}) {
    auto info = fs().GetFileInfo(link);
    EXPECT_CODE(info, StatusCode::kUnsupported);
    EXPECT_NE(info.status().message().find(link), std::string::npos) << info.status();
    EXPECT_NE(info.status().message().find("symbolic link"), std::string::npos) << info.status();
    EXPECT_CODE(fs::ReadFile(fs(), link), StatusCode::kUnsupported);
  }
  // Through a link to a directory: refused, naming the link.
  auto through = fs().GetFileInfo("/dirlink/secret");
  EXPECT_CODE(through, StatusCode::kUnsupported);
  EXPECT_NE(through.status().message().find("/dirlink"), std::string::npos) << through.status();
  EXPECT_CODE(fs::ReadFile(fs(), "/dirlink/secret"), StatusCode::kUnsupported);
  EXPECT_CODE(fs().List("/dirlink", {}), StatusCode::kUnsupported);
  EXPECT_CODE(fs::WriteFile(fs(), "/dirlink/new", "x"), StatusCode::kUnsupported);
  EXPECT_CODE(fs().CreateDirectory("/dirlink/sub", {}), StatusCode::kUnsupported);
  fs::StringInputStream data("x");
  EXPECT_CODE(fs().PutFile("/dirlink/put", data, {}), StatusCode::kUnsupported);
  fs::AccessControlChange chmod;
  chmod.mode = 0777;
  EXPECT_CODE(fs().SetAccessControl("/link-out", chmod), StatusCode::kUnsupported);
  EXPECT_CODE(fs().SetTimes("/link-out", 1000, 1000), StatusCode::kUnsupported);
  EXPECT_FALSE(stdfs::exists(dir_.path() + "/elsewhere/new"));
  EXPECT_NE(stdfs::status(dir_.path() + "/elsewhere/secret").permissions(), stdfs::perms::all);

  // A recursive delete removes links, never what they point to.
  stdfs::create_directory(Local("/tree"));
  stdfs::create_directory_symlink(dir_.path() + "/elsewhere", Local("/tree/escape"));
  fs::DeleteOptions recursive;
  recursive.recursive = true;
  ASSERT_OK(fs().Delete("/tree", recursive));
  EXPECT_FALSE(stdfs::exists(Local("/tree")));
  EXPECT_TRUE(stdfs::exists(dir_.path() + "/elsewhere/secret"));
}

TEST_F(LocalDirTest, SpecialFilesAreReportedNotRead) {
  ASSERT_EQ(::mkfifo(Local("/fifo").c_str(), 0644), 0);
  WriteLocal("/file", "x");
  EXPECT_EQ(ListNames("/"), (std::vector<std::string>{"/file"}));
  auto info = fs().GetFileInfo("/fifo");
  EXPECT_CODE(info, StatusCode::kUnsupported);
  EXPECT_NE(info.status().message().find("/fifo"), std::string::npos);
  EXPECT_NE(info.status().message().find("a FIFO"), std::string::npos);
  EXPECT_CODE(fs::ReadFile(fs(), "/fifo"), StatusCode::kUnsupported);  // and does not block on it
}

TEST_F(LocalDirTest, PartialFilesStayInvisibleUntilFlush) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "old"));
  fs::StringInputStream more("-new");
  ASSERT_OK(fs().Append("/f", 3, more, {}));
  // Staged: the file and a reader see the committed bytes only, and the listing has no partial file.
  EXPECT_EQ(fs().GetFileInfo("/f")->size, 3);
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "old");
  EXPECT_EQ(stdfs::file_size(Local("/f")), 3u);
  EXPECT_TRUE(stdfs::exists(Local("/.f.lakeshift-partial")));
  EXPECT_EQ(ListNames("/"), (std::vector<std::string>{"/f"}));
  auto reader = fs().OpenRead("/f", {});
  ASSERT_OK(reader);
  ASSERT_OK(fs().Flush("/f", 7, {}));
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "old-new");
  EXPECT_EQ(*fs::ReadAll(*reader->stream), "old");  // the reader keeps its version
  EXPECT_FALSE(stdfs::exists(Local("/.f.lakeshift-partial")));
  EXPECT_EQ(ListNames("/"), (std::vector<std::string>{"/f"}));
}

TEST_F(LocalDirTest, FlushKeepsModeAndOwner) {
  fs::CreateOptions options;
  options.permission = 01604;
  ASSERT_OK(fs().CreateFile("/f", options));
  fs::StringInputStream data("abc");
  ASSERT_OK(fs().Append("/f", 0, data, {}));
  auto info = fs().Flush("/f", 3, {});
  ASSERT_OK(info);
  EXPECT_EQ(info->mode, 01604);
  EXPECT_EQ(Stat("/f").st_mode & 07777, 01604u);
}

TEST_F(LocalDirTest, StagedDataOfAnotherInstanceIsNotTrusted) {
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::StringInputStream data("abc");
  ASSERT_OK(fs().Append("/f", 0, data, {}));
  // A second FileSystem (another process, or this one after a crash) does not know what was staged.
  auto other = OpenLocalDirectory(root_);
  ASSERT_OK(other);
  EXPECT_CODE((*other)->Flush("/f", 3, {}), StatusCode::kInvalidFlushPosition);
  EXPECT_EQ(ListNames("/"), (std::vector<std::string>{"/f"}));  // the stale partial file is hidden
  fs::StringInputStream again("xyz");
  ASSERT_OK((*other)->Append("/f", 0, again, {}));  // and replaced by new staging
  ASSERT_OK((*other)->Flush("/f", 3, {}));
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "xyz");
}

TEST_F(LocalDirTest, ReplacingDiscardsStagedAppends) {
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::StringInputStream data("abc");
  ASSERT_OK(fs().Append("/f", 0, data, {}));
  ASSERT_OK(fs().CreateFile("/f", {}));  // overwrite: a new empty file
  EXPECT_FALSE(stdfs::exists(Local("/.f.lakeshift-partial")));
  EXPECT_CODE(fs().Flush("/f", 3, {}), StatusCode::kInvalidFlushPosition);
  fs::StringInputStream more("abc");
  ASSERT_OK(fs().Append("/f", 0, more, {}));
  ASSERT_OK(fs().Delete("/f", {}));
  EXPECT_FALSE(stdfs::exists(Local("/.f.lakeshift-partial")));
}

TEST_F(LocalDirTest, EveryQuickChangeGetsANewEtag) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  std::set<std::string> etags{fs().GetFileInfo("/f")->etag};
  for (int i = 0; i < 20; ++i) {
    fs::AccessControlChange chmod;
    chmod.mode = i % 2 == 0 ? 0600 : 0644;
    auto info = fs().SetAccessControl("/f", chmod);
    ASSERT_OK(info);
    EXPECT_TRUE(etags.insert(info->etag).second) << "etag repeated at change " << i;
  }
  // A change by another program is seen too.
  std::string before = fs().GetFileInfo("/f")->etag;
  WriteLocal("/f", "changed elsewhere");
  EXPECT_NE(fs().GetFileInfo("/f")->etag, before);
}

TEST_F(LocalDirTest, UnflushedAppendsAreDiscardedWithTheFileSystem) {
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::StringInputStream data("abc");
  ASSERT_OK(fs().Append("/f", 0, data, {}));
  EXPECT_TRUE(stdfs::exists(Local("/.f.lakeshift-partial")));
  fs_.reset();
  EXPECT_FALSE(stdfs::exists(Local("/.f.lakeshift-partial")));
  EXPECT_EQ(stdfs::file_size(Local("/f")), 0u);
}

TEST_F(LocalDirTest, ConcurrentWriters) {
  // Threads write their own files, and all append disjoint blocks of one shared file, which is then flushed.
  ASSERT_OK(fs().CreateFile("/shared", {}));
  constexpr int kThreads = 4;
  constexpr int kBlocks = 8;
  constexpr int kBlockSize = 1000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string name = "/t" + std::to_string(t) + "/f" + std::to_string(i);
        EXPECT_OK(fs::WriteFile(fs(), name, name));
      }
      for (int b = t; b < kBlocks; b += kThreads) {
        std::string block(kBlockSize, static_cast<char>('a' + b));
        fs::StringInputStream in(block);
        EXPECT_OK(fs().Append("/shared", int64_t{b} * kBlockSize, in, {}));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_OK(fs().Flush("/shared", int64_t{kBlocks} * kBlockSize, {}));
  std::string expected;
  for (int b = 0; b < kBlocks; ++b) expected.append(kBlockSize, static_cast<char>('a' + b));
  EXPECT_EQ(*fs::ReadFile(fs(), "/shared"), expected);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ListNames("/t" + std::to_string(t)).size(), 10u);
}

TEST_F(LocalDirTest, RenameNeverReplacesWithoutOverwrite) {
  ASSERT_OK(fs::WriteFile(fs(), "/a", "a"));
  ASSERT_OK(fs::WriteFile(fs(), "/b", "b"));
  EXPECT_CODE(fs().Rename("/a", "/b", {}), StatusCode::kAlreadyExists);
  EXPECT_EQ(*fs::ReadFile(fs(), "/a"), "a");
  EXPECT_EQ(*fs::ReadFile(fs(), "/b"), "b");
  ASSERT_OK(fs().CreateDirectory("/d1/x", {}));
  ASSERT_OK(fs().CreateDirectory("/d2/y", {}));
  fs::RenameOptions overwrite;
  overwrite.overwrite = true;
  EXPECT_CODE(fs().Rename("/d1", "/d2", overwrite), StatusCode::kDirectoryNotEmpty);
  ASSERT_OK(fs().Delete("/d2/y", {}));
  ASSERT_OK(fs().Rename("/d1", "/d2", overwrite));  // onto an empty directory
  EXPECT_TRUE(fs().GetFileInfo("/d2/x")->is_directory());
}

TEST_F(LocalDirTest, ListingPagesAndBounds) {
  for (const char* name : {"b", "a", "d", "c", "e"}) ASSERT_OK(fs::WriteFile(fs(), std::string("/l/") + name, ""));
  stdfs::create_symlink("a", Local("/l/bb"));  // skipped without disturbing the pages
  fs::ListOptions options;
  options.max_results = 2;
  auto page = fs().List("/l", options);
  ASSERT_OK(page);
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[1].path, "/l/b");
  EXPECT_EQ(page->continuation, "b");
  options.start_after = "b";
  page = fs().List("/l", options);
  EXPECT_EQ(page->entries[0].path, "/l/c");
  EXPECT_EQ(page->continuation, "d");
  options.start_after = "d";
  page = fs().List("/l", options);
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_TRUE(page->continuation.empty());
  fs::ListOptions before;
  before.end_before = "c";
  EXPECT_EQ(fs().List("/l", before)->entries.size(), 2u);
}

TEST_F(LocalDirTest, DeepTreesAreDeletedWithoutRecursion) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "/d";
  ASSERT_OK(fs::WriteFile(fs(), deep + "/leaf", "x"));
  ASSERT_OK(fs::WriteFile(fs(), "/d/d/side", "y"));
  fs::DeleteOptions recursive;
  recursive.recursive = true;
  ASSERT_OK(fs().Delete("/d", recursive));
  EXPECT_FALSE(stdfs::exists(Local("/d")));
}

TEST_F(LocalDirTest, LeftoversDoNotKeepADirectoryNonEmpty) {
  ASSERT_OK(fs().CreateDirectory("/d", {}));
  WriteLocal("/d/.lakeshift-put-0123456789abcdef", "interrupted");
  WriteLocal("/d/.x.lakeshift-partial", "interrupted");
  EXPECT_TRUE(ListNames("/d").empty());
  ASSERT_OK(fs().Delete("/d", {}));
  EXPECT_FALSE(stdfs::exists(Local("/d")));
  WriteLocal("/e", "");
  stdfs::remove(Local("/e"));
  ASSERT_OK(fs().CreateDirectory("/e", {}));
  WriteLocal("/e/real", "");
  EXPECT_CODE(fs().Delete("/e", {}), StatusCode::kDirectoryNotEmpty);
}

TEST_F(LocalDirTest, FailedPutCreatesNoParents) {
  class Broken final : public fs::InputStream {
   public:
    Result<size_t> Read(char*, size_t) override { return IoError("the source went away"); }
  };
  Broken broken;
  EXPECT_CODE(fs().PutFile("/new/dir/file", broken, {}), StatusCode::kIoError);
  EXPECT_FALSE(stdfs::exists(Local("/new")));
  EXPECT_TRUE(ListNames("/").empty());
  fs::StringInputStream data("content");
  fs::PutOptions options;
  options.create.permission = 0640;
  auto put = fs().PutFile("/new/dir/file", data, options);
  ASSERT_OK(put);
  EXPECT_EQ(put->mode, 0640);
  EXPECT_EQ(*fs::ReadFile(fs(), "/new/dir/file"), "content");
}

TEST_F(LocalDirTest, UnsupportedMetadataIsRefused) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  EXPECT_CODE(fs().SetProperties("/f", {{"k", "v"}}, std::nullopt, {}), StatusCode::kUnsupported);
  EXPECT_CODE(fs().SetExpiry("/f", {}), StatusCode::kUnsupported);
  EXPECT_CODE(fs().SetContentMd5("/f", "AQIDBA==", {}), StatusCode::kUnsupported);
  fs::CreateOptions with_properties;
  with_properties.properties = {{"k", "v"}};
  EXPECT_CODE(fs().CreateFile("/g", with_properties), StatusCode::kUnsupported);
  fs::CreateOptions with_acl;
  with_acl.acl = std::vector<acl::AclEntry>{};
  EXPECT_CODE(fs().CreateDirectory("/h", with_acl), StatusCode::kUnsupported);
}

TEST_F(LocalDirTest, CheckAccess) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  ASSERT_OK(fs().CheckAccess("/f", acl::kRead | acl::kWrite));
  ASSERT_OK(fs().CheckAccess("/", acl::kRead | acl::kExecute));
  EXPECT_CODE(fs().CheckAccess("/missing", acl::kRead), StatusCode::kNotFound);
  fs::AccessControlChange none;
  none.mode = 0;
  ASSERT_OK(fs().SetAccessControl("/f", none));
  // Execute needs an x bit even for root.
  EXPECT_CODE(fs().CheckAccess("/f", acl::kExecute), StatusCode::kPermissionDenied);
}

TEST_F(LocalDirTest, PermissionErrorsNameThePathAndTheCall) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads and writes regardless of permission bits";
  ASSERT_OK(fs::WriteFile(fs(), "/d/f", "x"));
  ASSERT_EQ(::chmod(Local("/d/f").c_str(), 0), 0);
  auto read = fs::ReadFile(fs(), "/d/f");
  EXPECT_CODE(read, StatusCode::kPermissionDenied);
  EXPECT_EQ(read.status().message(), "open /d/f (local " + Local("/d/f") + "): Permission denied");
  ASSERT_EQ(::chmod(Local("/d").c_str(), 0500), 0);  // no write: nothing can be created in /d
  EXPECT_CODE(fs().CreateFile("/d/g", {}), StatusCode::kPermissionDenied);
  EXPECT_CODE(fs().Delete("/d/f", {}), StatusCode::kPermissionDenied);
  ASSERT_EQ(::chmod(Local("/d").c_str(), 0600), 0);  // no search: nothing below /d can be reached
  EXPECT_CODE(fs().GetFileInfo("/d/f"), StatusCode::kPermissionDenied);
  ASSERT_EQ(::chmod(Local("/d").c_str(), 0700), 0);
}

TEST(LocalFsErrors, ErrnoMapping) {
  using internal::CodeForErrno;
  EXPECT_EQ(CodeForErrno(ENOENT), StatusCode::kNotFound);
  EXPECT_EQ(CodeForErrno(EEXIST), StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeForErrno(ENOTDIR), StatusCode::kNotADirectory);
  EXPECT_EQ(CodeForErrno(EISDIR), StatusCode::kIsADirectory);
  EXPECT_EQ(CodeForErrno(ENOTEMPTY), StatusCode::kDirectoryNotEmpty);
  EXPECT_EQ(CodeForErrno(EACCES), StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForErrno(EPERM), StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForErrno(EIO), StatusCode::kIoError);
  EXPECT_EQ(CodeForErrno(ENOSPC), StatusCode::kIoError);
  Status status = internal::SyscallError("open", "/a/b (local /data/a/b)", EACCES);
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "open /a/b (local /data/a/b): Permission denied");
  EXPECT_TRUE(IsInternalName(".f.lakeshift-partial"));
  EXPECT_TRUE(IsInternalName(".lakeshift-put-0011223344556677"));
  EXPECT_FALSE(IsInternalName("f.lakeshift-partial"));
  EXPECT_FALSE(IsInternalName(".hidden"));
}

}  // namespace
}  // namespace lakeshift::localfs
