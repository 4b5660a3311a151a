// The FileSystem conformance suite: semantics of every operation, error cases, ACL behaviour and paging.
#include "conformance/filesystem_conformance.h"

#include <algorithm>
#include <set>

namespace lakeshift::conformance {
namespace {

using fs::FileInfo;

std::vector<std::string> Names(const std::vector<FileInfo>& infos) {
  std::vector<std::string> out;
  for (const FileInfo& i : infos) out.push_back(i.path);
  return out;
}

// Awkward names every store must hold: the characters that break naive URL and path handling.
const std::vector<std::string> kAwkwardNames = {"12,+3#456?.txt",     "with space", "per%cent",   "plus+sign",
                                                "unicode-ÄÖÜ-日本語", "emoji-😀",    "semi;colon", "a=b&c"};

TEST_P(FileSystemConformance, WriteStatAndReadFile) {
  ASSERT_OK(fs::WriteFile(fs(), "/dir/file.txt", "hello world"));
  auto info = fs().GetFileInfo("/dir/file.txt");
  ASSERT_OK(info);
  EXPECT_EQ(info->path, "/dir/file.txt");
  EXPECT_TRUE(info->is_file());
  EXPECT_EQ(info->size, 11);
  EXPECT_FALSE(info->etag.empty());
  EXPECT_GT(info->modification_time_ms, 0);
  auto dir = fs().GetFileInfo("/dir");
  ASSERT_OK(dir);
  EXPECT_TRUE(dir->is_directory());
  EXPECT_EQ(dir->size, 0);
  EXPECT_EQ(*fs::ReadFile(fs(), "/dir/file.txt"), "hello world");
}

TEST_P(FileSystemConformance, EmptyFileAndEmptyDirectory) {
  ASSERT_OK(fs().CreateFile("/empty", {}));
  ASSERT_OK(fs().Flush("/empty", 0, {}));
  EXPECT_EQ(fs().GetFileInfo("/empty")->size, 0);
  EXPECT_EQ(*fs::ReadFile(fs(), "/empty"), "");
  ASSERT_OK(fs().CreateDirectory("/emptydir", {}));
  auto listing = fs::ListAll(fs(), "/emptydir");
  ASSERT_OK(listing);
  EXPECT_TRUE(listing->empty());
}

TEST_P(FileSystemConformance, RangedReads) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "0123456789"));
  EXPECT_EQ(*fs::ReadFile(fs(), "/f", 2, 3), "234");
  EXPECT_EQ(*fs::ReadFile(fs(), "/f", 7), "789");
  EXPECT_EQ(*fs::ReadFile(fs(), "/f", 8, 100), "89");  // clamped to the end
  EXPECT_EQ(*fs::ReadFile(fs(), "/f", 10), "");        // at the end: nothing
  EXPECT_CODE(fs::ReadFile(fs(), "/f", 11), StatusCode::kOutOfRange);
  EXPECT_CODE(fs::ReadFile(fs(), "/f", -1), StatusCode::kInvalidArgument);
  EXPECT_CODE(fs::ReadFile(fs(), "/missing"), StatusCode::kNotFound);
  ASSERT_OK(fs().CreateDirectory("/d", {}));
  EXPECT_CODE(fs::ReadFile(fs(), "/d"), StatusCode::kIsADirectory);
}

TEST_P(FileSystemConformance, CreateOverwriteRules) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "first"));
  std::string etag = fs().GetFileInfo("/f")->etag;
  fs::CreateOptions no_overwrite;
  no_overwrite.overwrite = false;
  EXPECT_CODE(fs().CreateFile("/f", no_overwrite), StatusCode::kAlreadyExists);
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "first");  // a refused create loses nothing
  ASSERT_OK(fs::WriteFile(fs(), "/f", "second!"));
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "second!");
  EXPECT_NE(fs().GetFileInfo("/f")->etag, etag);
  fs::CreateOptions if_none_match;
  if_none_match.conditions.if_none_match = "*";
  EXPECT_CODE(fs().CreateFile("/f", if_none_match), StatusCode::kAlreadyExists);
}

TEST_P(FileSystemConformance, CreateMakesParentsAndRejectsTypeClashes) {
  ASSERT_OK(fs::WriteFile(fs(), "/a/b/c/file", "x"));
  EXPECT_TRUE(fs().GetFileInfo("/a/b/c")->is_directory());
  ASSERT_OK(fs().CreateDirectory("/a/b", {}));  // existing directory: fine
  EXPECT_CODE(fs().CreateDirectory("/a/b/c/file", {}), StatusCode::kAlreadyExists);
  EXPECT_CODE(fs().CreateFile("/a/b", {}), StatusCode::kIsADirectory);
  EXPECT_CODE(fs().CreateFile("/a/b/c/file/below", {}), StatusCode::kNotADirectory);
  fs::CreateOptions exclusive;
  exclusive.conditions.if_none_match = "*";
  EXPECT_CODE(fs().CreateDirectory("/a/b", exclusive), StatusCode::kAlreadyExists);
}

// A stream that fails after delivering some bytes (a client that drops mid-upload).
class FailingStream final : public fs::InputStream {
 public:
  explicit FailingStream(std::string head) : head_(std::move(head)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (done_) return IoError("the client went away");
    done_ = true;
    size_t count = std::min(n, head_.size());
    head_.copy(buf, count);
    return count;
  }

 private:
  std::string head_;
  bool done_ = false;
};

TEST_P(FileSystemConformance, PutFileCreatesAndReplacesAtomically) {
  fs::StringInputStream first("first version");
  fs::PutOptions options;
  if (caps().properties) {
    options.create.properties = {{"k", "v"}};
    options.create.content.content_type = "text/plain";
  }
  auto created = fs().PutFile("/p/q/file", first, options);
  ASSERT_OK(created);
  EXPECT_EQ(created->size, 13);
  EXPECT_TRUE(fs().GetFileInfo("/p/q")->is_directory());  // parents appear with the file
  auto info = fs().GetFileInfo("/p/q/file");
  ASSERT_OK(info);
  if (caps().properties) {
    EXPECT_EQ(info->properties, (fs::Properties{{"k", "v"}}));
    EXPECT_EQ(info->content.content_type, "text/plain");
  }
  if (caps().cheap_put) {
    EXPECT_EQ(info->content_md5, "6eI3FXDa7C57cPqk8PHquA==");  // Put Blob stores the MD5 it computed
  } else {
    EXPECT_TRUE(info->content_md5.empty());
  }

  // A reader of the old version keeps reading it after the replacement.
  auto reader = fs().OpenRead("/p/q/file", {});
  ASSERT_OK(reader);
  fs::StringInputStream second("second");
  fs::PutOptions replace;
  replace.compute_md5 = true;
  auto replaced = fs().PutFile("/p/q/file", second, replace);
  ASSERT_OK(replaced);
  EXPECT_NE(replaced->etag, info->etag);
  if (caps().content_md5) EXPECT_EQ(replaced->content_md5, "qfDmGhN9hqqdtTRl4IAWEg==");  // MD5("second")
  EXPECT_TRUE(replaced->properties.empty());
  if (caps().stable_reads) {
    EXPECT_EQ(*fs::ReadAll(*reader->stream), "first version");
  } else {
    EXPECT_FALSE(fs::ReadAll(*reader->stream).ok());  // the old version is gone: an error, never mixed bytes
  }
  EXPECT_EQ(*fs::ReadFile(fs(), "/p/q/file"), "second");

  fs::StringInputStream third("third");
  fs::PutOptions given;
  given.content_md5 = "eV8yArF8trw9S3cdjGyerw==";  // MD5("other")
  auto third_info = fs().PutFile("/p/q/file", third, given);
  if (caps().cheap_put) {
    // Checked against the bytes received: refused, and the file keeps its content.
    EXPECT_CODE(third_info, StatusCode::kInvalidArgument);
    EXPECT_EQ(*fs::ReadFile(fs(), "/p/q/file"), "second");
  } else {
    ASSERT_OK(third_info);
    if (caps().content_md5) EXPECT_EQ(third_info->content_md5, "eV8yArF8trw9S3cdjGyerw==");
  }
}

// What the migration engine sends with a small file: everything lands at once, whatever the parent's default ACL
// would have given, and the etag returned without a status request is the file's current one.
TEST_P(FileSystemConformance, PutFileCarriesOwnerAclPropertiesAndExpiry) {
  if (!caps().acls || !caps().set_owner || caps().host_accounts) GTEST_SKIP();
  const std::string oid = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7";
  fs::CreateOptions dir;
  dir.acl = *acl::ParseAclSpec(
      "user::rwx,group::r-x,other::---,default:user::rwx,default:group::r-x,"
      "default:other::---,default:user:" +
      oid + ":rwx");
  ASSERT_OK(fs().CreateDirectory("/d", dir));
  fs::StringInputStream data("payload");
  fs::PutOptions put;
  put.create.owner = "11111111-1111-1111-1111-111111111111";
  put.create.group = "22222222-2222-2222-2222-222222222222";
  put.create.acl = *acl::ParseAclSpec("user::rw-,group::r--,other::r--");
  if (caps().properties) put.create.properties = {{"lakeshift_source_mtime", "1495839590893"}};
  if (caps().expiry) put.create.expiry_time_ms = 4102444800000;  // 2100-01-01
  put.create.return_info = false;
  put.content_md5 = "Mhw89IbtUJFk7eweGYH+yA==";  // MD5("payload")
  auto written = fs().PutFile("/d/f", data, put);
  ASSERT_OK(written);
  auto info = fs().GetFileInfo("/d/f");
  ASSERT_OK(info);
  EXPECT_EQ(written->etag, info->etag);
  EXPECT_EQ(info->size, 7);
  EXPECT_EQ(info->owner, "11111111-1111-1111-1111-111111111111");
  EXPECT_EQ(info->group, "22222222-2222-2222-2222-222222222222");
  EXPECT_EQ(fs().GetAccessControl("/d/f")->ToSpec(), "user::rw-,group::r--,other::r--");
  if (caps().properties) EXPECT_EQ(info->properties, (fs::Properties{{"lakeshift_source_mtime", "1495839590893"}}));
  if (caps().expiry) EXPECT_EQ(info->expiry_time_ms, 4102444800000);
  if (caps().content_md5) EXPECT_EQ(info->content_md5, "Mhw89IbtUJFk7eweGYH+yA==");
}

TEST_P(FileSystemConformance, PutFileFailuresLeaveTheOldFile) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "keep me"));
  std::string etag = fs().GetFileInfo("/f")->etag;
  FailingStream broken("partial");
  EXPECT_CODE(fs().PutFile("/f", broken, {}), StatusCode::kIoError);
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "keep me");
  EXPECT_EQ(fs().GetFileInfo("/f")->etag, etag);
  FailingStream broken_new("partial");
  EXPECT_CODE(fs().PutFile("/new/g", broken_new, {}), StatusCode::kIoError);
  EXPECT_CODE(fs().GetFileInfo("/new/g"), StatusCode::kNotFound);

  fs::PutOptions exclusive;
  exclusive.create.conditions.if_none_match = "*";
  fs::StringInputStream data("x");
  EXPECT_CODE(fs().PutFile("/f", data, exclusive), StatusCode::kAlreadyExists);
  fs::PutOptions stale;
  stale.create.conditions.if_match = "0xNOTTHEETAG";
  EXPECT_CODE(fs().PutFile("/f", data, stale), StatusCode::kPreconditionFailed);
  fs::PutOptions no_overwrite;
  no_overwrite.create.overwrite = false;
  EXPECT_CODE(fs().PutFile("/f", data, no_overwrite), StatusCode::kAlreadyExists);
  ASSERT_OK(fs().CreateDirectory("/d", {}));
  EXPECT_CODE(fs().PutFile("/d", data, {}), StatusCode::kIsADirectory);
  EXPECT_CODE(fs().PutFile("/f/below", data, {}), StatusCode::kNotADirectory);
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "keep me");
}

TEST_P(FileSystemConformance, AwkwardNamesRoundTrip) {
  for (const std::string& name : kAwkwardNames) {
    std::string p = "/names/" + name;
    ASSERT_OK(fs::WriteFile(fs(), p, name));
    EXPECT_EQ(*fs::ReadFile(fs(), p), name) << name;
  }
  auto listing = fs::ListAll(fs(), "/names");
  ASSERT_OK(listing);
  std::vector<std::string> expected;
  for (const std::string& n : kAwkwardNames) expected.push_back("/names/" + n);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Names(*listing), expected);
}

TEST_P(FileSystemConformance, MalformedPathsAreRejected) {
  EXPECT_CODE(fs().GetFileInfo("relative"), StatusCode::kInvalidArgument);
  EXPECT_CODE(fs().CreateFile("/a//b", {}), StatusCode::kInvalidArgument);
  EXPECT_CODE(fs().CreateFile("/a/../b", {}), StatusCode::kInvalidArgument);
}

TEST_P(FileSystemConformance, OutOfOrderAppendsThenFlush) {
  if (!caps().staged_appends) GTEST_SKIP() << "store has no staged appends";
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::StringInputStream second("world");
  fs::StringInputStream first("hello ");
  ASSERT_OK(fs().Append("/f", 6, second, {}));
  EXPECT_EQ(fs().GetFileInfo("/f")->size, 0);  // staged, not committed
  auto end = fs().Append("/f", 0, first, {});
  ASSERT_OK(end);
  EXPECT_EQ(*end, 11);
  auto info = fs().Flush("/f", 11, {});
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 11);
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "hello world");
}

TEST_P(FileSystemConformance, AppendsCheckedAgainstTheirMd5KeepNothingOnAMismatch) {
  if (!caps().append_md5) GTEST_SKIP() << "store does not check an append's MD5";
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::AppendOptions wrong;
  wrong.content_md5 = "AAAAAAAAAAAAAAAAAAAAAA==";
  fs::StringInputStream bytes("hello");
  EXPECT_FALSE(fs().Append("/f", 0, bytes, wrong).ok());
  EXPECT_CODE(fs().Flush("/f", 5, {}), StatusCode::kInvalidFlushPosition);  // nothing was staged
  fs::AppendOptions right;
  right.content_md5 = "XUFAKrxLKna5cZ2REBfFkg==";  // MD5 of "hello"
  fs::StringInputStream again("hello");
  ASSERT_OK(fs().Append("/f", 0, again, right));
  ASSERT_OK(fs().Flush("/f", 5, {}));
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "hello");
}

TEST_P(FileSystemConformance, FlushPositionRules) {
  if (!caps().staged_appends) GTEST_SKIP() << "store has no staged appends";
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::StringInputStream gap("later");
  ASSERT_OK(fs().Append("/f", 10, gap, {}));
  EXPECT_CODE(fs().Flush("/f", 15, {}), StatusCode::kInvalidFlushPosition);  // bytes 0..10 never appended
  fs::StringInputStream head("0123456789");
  ASSERT_OK(fs().Append("/f", 0, head, {}));
  ASSERT_OK(fs().Flush("/f", 15, {}));
  EXPECT_CODE(fs().Flush("/f", 5, {}), StatusCode::kInvalidFlushPosition);  // below the committed length
  fs::StringInputStream before("x");
  EXPECT_CODE(fs().Append("/f", 3, before, {}), StatusCode::kBadOffset);
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "0123456789later");
}

TEST_P(FileSystemConformance, FlushRetainsUncommittedDataWhenAsked) {
  if (!caps().staged_appends) GTEST_SKIP() << "store has no staged appends";
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::StringInputStream data("abcdefgh");
  ASSERT_OK(fs().Append("/f", 0, data, {}));
  fs::FlushOptions retain;
  retain.retain_uncommitted = true;
  ASSERT_OK(fs().Flush("/f", 4, retain));
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "abcd");
  ASSERT_OK(fs().Flush("/f", 8, {}));
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "abcdefgh");
  fs::StringInputStream more("XY");
  ASSERT_OK(fs().Append("/f", 8, more, {}));
  ASSERT_OK(fs().Flush("/f", 8, {}));  // without retain the staged bytes are dropped
  EXPECT_CODE(fs().Flush("/f", 10, {}), StatusCode::kInvalidFlushPosition);
}

TEST_P(FileSystemConformance, SequentialAppendsCheckTheOffset) {
  if (!caps().sequential_appends) GTEST_SKIP() << "store has no sequential-append check";
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::AppendOptions at_end;
  at_end.require_at_end = true;
  at_end.flush = true;
  fs::StringInputStream a("123");
  ASSERT_OK(fs().Append("/f", 0, a, at_end));
  fs::StringInputStream stale("xxx");
  EXPECT_CODE(fs().Append("/f", 0, stale, at_end), StatusCode::kBadOffset);
  EXPECT_CODE(fs().Append("/f", 5, stale, at_end), StatusCode::kBadOffset);
  fs::StringInputStream b("456");
  ASSERT_OK(fs().Append("/f", 3, b, at_end));
  fs::StringInputStream empty("");
  ASSERT_OK(fs().Append("/f", 6, empty, at_end));  // zero-length append at the end: the SDKs' landing check
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "123456");
  EXPECT_EQ(fs().GetFileInfo("/f")->size, 6);
}

// A client that remembers where a file ends (the Gen2 client: the service does not say) must follow what
// others did since: another writer's appends (a second gateway, a Gen2 application), a rename, a delete.
// The Gen2 client checks require_at_end itself (not atomically; nothing here is concurrent).
TEST_P(FileSystemConformance, AppendOffsetsFollowOtherWritersRenamesAndDeletes) {
  if (!caps().sequential_appends && !caps().staged_appends) GTEST_SKIP() << "store has no offset check";
  fs::AppendOptions at_end;
  at_end.require_at_end = true;
  at_end.flush = true;
  fs::AccessControlChange open;
  open.mode = 0777;
  ASSERT_OK(fs().CreateDirectory("/w", {}));
  ASSERT_OK(fs().SetAccessControl("/", open));
  ASSERT_OK(fs().SetAccessControl("/w", open));
  ASSERT_OK(fs().CreateFile("/w/f", {}));
  ASSERT_OK(fs().SetAccessControl("/w/f", open));
  fs::StringInputStream a("123");
  ASSERT_OK(fs().Append("/w/f", 0, a, at_end));
  if (auto other = instance().As(Principals::Other())) {
    fs::StringInputStream b("45");
    ASSERT_OK(other->Append("/w/f", 3, b, at_end));
    fs::StringInputStream stale("x");
    EXPECT_CODE(fs().Append("/w/f", 3, stale, at_end), StatusCode::kBadOffset);
    fs::StringInputStream c("6");
    ASSERT_OK(fs().Append("/w/f", 5, c, at_end));
    EXPECT_EQ(*fs::ReadFile(fs(), "/w/f"), "123456");
  }
  const int64_t end = fs().GetFileInfo("/w/f")->size;
  ASSERT_OK(fs().Rename("/w/f", "/w/g", {}));
  fs::StringInputStream d("7");
  EXPECT_CODE(fs().Append("/w/f", end, d, at_end), StatusCode::kNotFound);
  EXPECT_CODE(fs().Append("/w/f", end + 4, d, at_end), StatusCode::kNotFound);
  ASSERT_OK(fs().Append("/w/g", end, d, at_end));
  ASSERT_OK(fs().Delete("/w/g", {}));
  ASSERT_OK(fs::WriteFile(fs(), "/w/g", "ab"));
  fs::StringInputStream e("c");
  ASSERT_OK(fs().Append("/w/g", 2, e, at_end));
  EXPECT_EQ(*fs::ReadFile(fs(), "/w/g"), "abc");
}

TEST_P(FileSystemConformance, AppendsAtTheEndNeedNoOffset) {
  if (!caps().sequential_appends) GTEST_SKIP() << "store has no append-at-end";
  ASSERT_OK(fs::WriteFile(fs(), "/f", "ab"));
  fs::AppendOptions end;
  end.at_end = true;
  end.flush = true;
  fs::StringInputStream c("cd");
  EXPECT_EQ(*fs().Append("/f", /*ignored*/ 999, c, end), 4);
  if (!caps().staged_appends) return;
  // Unflushed data counts: the next append lands after it.
  fs::AppendOptions staged;
  staged.at_end = true;
  fs::StringInputStream e("ef");
  EXPECT_EQ(*fs().Append("/f", 0, e, staged), 6);
  fs::StringInputStream g("g");
  EXPECT_EQ(*fs().Append("/f", 0, g, end), 7);
  EXPECT_EQ(*fs::ReadFile(fs(), "/f"), "abcdefg");
}

TEST_P(FileSystemConformance, ContentMd5AndHeadersAreStoredAtFlush) {
  if (!caps().content_md5) GTEST_SKIP();
  ASSERT_OK(fs().CreateFile("/f", {}));
  fs::StringInputStream data("abc");
  ASSERT_OK(fs().Append("/f", 0, data, {}));
  fs::FlushOptions flush;
  flush.content_md5 = "kAFQmDzST7DWlj99KOF/cg==";
  flush.content = fs::ContentHeaders{"text/plain", "", "", "", "no-cache"};
  ASSERT_OK(fs().Flush("/f", 3, flush));
  auto info = fs().GetFileInfo("/f");
  EXPECT_EQ(info->content_md5, "kAFQmDzST7DWlj99KOF/cg==");
  EXPECT_EQ(info->content.content_type, "text/plain");
  EXPECT_EQ(info->content.cache_control, "no-cache");
  // Set afterwards (Blob Set Blob Properties), and cleared.
  auto set = fs().SetContentMd5("/f", "AQIDBA==", {});
  ASSERT_OK(set);
  EXPECT_EQ(set->content_md5, "AQIDBA==");
  EXPECT_NE(set->etag, info->etag);
  ASSERT_OK(fs().SetContentMd5("/f", "", {}));
  EXPECT_EQ(fs().GetFileInfo("/f")->content_md5, "");
  ASSERT_OK(fs().CreateDirectory("/d", {}));
  EXPECT_CODE(fs().SetContentMd5("/d", "AQIDBA==", {}), StatusCode::kIsADirectory);
}

TEST_P(FileSystemConformance, ListingIsPagedInNameOrder) {
  std::vector<std::string> expected;
  for (int i = 0; i < 23; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "f%02d", (i * 7) % 23);  // created out of order
    ASSERT_OK(fs::WriteFile(fs(), std::string("/list/") + name, ""));
  }
  for (int i = 0; i < 23; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "/list/f%02d", i);
    expected.push_back(name);
  }
  fs::ListOptions options;
  options.max_results = 5;
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    auto page = fs().List("/list", options);
    ASSERT_OK(page);
    EXPECT_LE(page->entries.size(), 5u);
    for (const FileInfo& e : page->entries) seen.push_back(e.path);
    ++pages;
    if (page->continuation.empty()) break;
    options.start_after = page->continuation;
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 5);
  // start_after is a plain name, so a Gen1 listAfter maps onto it.
  options = {};
  options.start_after = "f19";
  EXPECT_EQ(Names(fs().List("/list", options)->entries),
            (std::vector<std::string>{"/list/f20", "/list/f21", "/list/f22"}));
}

TEST_P(FileSystemConformance, ListBeforeStopsEarly) {
  if (!caps().list_before) GTEST_SKIP();
  for (const char* n : {"a", "b", "c", "d"}) ASSERT_OK(fs::WriteFile(fs(), std::string("/l/") + n, ""));
  fs::ListOptions options;
  options.start_after = "a";
  options.end_before = "d";
  EXPECT_EQ(Names(fs().List("/l", options)->entries), (std::vector<std::string>{"/l/b", "/l/c"}));
}

TEST_P(FileSystemConformance, RecursiveListingIsPreOrderAndPagesConsistently) {
  if (!caps().recursive_listing) GTEST_SKIP();
  for (const char* p : {"/t/a/x", "/t/a/y/z", "/t/b", "/t/c/d/e/f", "/t/c/g"}) ASSERT_OK(fs::WriteFile(fs(), p, ""));
  ASSERT_OK(fs().CreateDirectory("/t/empty", {}));
  std::vector<std::string> expected = {"/t/a",   "/t/a/x",   "/t/a/y",     "/t/a/y/z", "/t/b",    "/t/c",
                                       "/t/c/d", "/t/c/d/e", "/t/c/d/e/f", "/t/c/g",   "/t/empty"};
  auto all = fs::ListAll(fs(), "/t", /*recursive=*/true);
  ASSERT_OK(all);
  EXPECT_EQ(Names(*all), expected);
  for (int page_size = 1; page_size <= 4; ++page_size) {
    fs::ListOptions options;
    options.recursive = true;
    options.max_results = page_size;
    std::vector<std::string> seen;
    while (true) {
      auto page = fs().List("/t", options);
      ASSERT_OK(page);
      for (const FileInfo& e : page->entries) seen.push_back(e.path);
      if (page->continuation.empty()) break;
      options.start_after = page->continuation;
    }
    EXPECT_EQ(seen, expected) << "page size " << page_size;
  }
}

TEST_P(FileSystemConformance, ListingErrors) {
  ASSERT_OK(fs::WriteFile(fs(), "/file", "x"));
  EXPECT_CODE(fs().List("/file", {}), StatusCode::kNotADirectory);
  EXPECT_CODE(fs().List("/missing", {}), StatusCode::kNotFound);
}

TEST_P(FileSystemConformance, RenameFilesAndDirectories) {
  ASSERT_OK(fs::WriteFile(fs(), "/src/sub/f1", "one"));
  ASSERT_OK(fs::WriteFile(fs(), "/src/f2", "two"));
  ASSERT_OK(fs().CreateDirectory("/dst", {}));
  ASSERT_OK(fs().Rename("/src", "/dst/moved", {}));
  EXPECT_CODE(fs().GetFileInfo("/src"), StatusCode::kNotFound);
  EXPECT_EQ(*fs::ReadFile(fs(), "/dst/moved/sub/f1"), "one");
  EXPECT_EQ(*fs::ReadFile(fs(), "/dst/moved/f2"), "two");
  ASSERT_OK(fs().Rename("/dst/moved/f2", "/dst/f2-renamed", {}));
  EXPECT_EQ(*fs::ReadFile(fs(), "/dst/f2-renamed"), "two");
}

TEST_P(FileSystemConformance, RenameErrors) {
  ASSERT_OK(fs::WriteFile(fs(), "/a/f", "a"));
  ASSERT_OK(fs::WriteFile(fs(), "/b", "b"));
  EXPECT_CODE(fs().Rename("/missing", "/x", {}), StatusCode::kNotFound);
  EXPECT_CODE(fs().Rename("/a", "/a/inside", {}), StatusCode::kInvalidRename);
  EXPECT_CODE(fs().Rename("/a/f", "/nodir/f", {}), StatusCode::kParentNotFound);
  EXPECT_CODE(fs().Rename("/a/f", "/b", {}), StatusCode::kAlreadyExists);
  EXPECT_CODE(fs().Rename("/", "/x", {}), StatusCode::kInvalidRename);
  EXPECT_EQ(*fs::ReadFile(fs(), "/b"), "b");  // refused renames lose nothing
  fs::RenameOptions overwrite;
  overwrite.overwrite = true;
  ASSERT_OK(fs().Rename("/a/f", "/b", overwrite));
  EXPECT_EQ(*fs::ReadFile(fs(), "/b"), "a");
  EXPECT_CODE(fs().Rename("/a", "/b", overwrite), StatusCode::kConflict);  // directory over file
}

TEST_P(FileSystemConformance, DeleteRules) {
  ASSERT_OK(fs::WriteFile(fs(), "/d/sub/f", "x"));
  EXPECT_CODE(fs().Delete("/d", {}), StatusCode::kDirectoryNotEmpty);
  EXPECT_TRUE(fs().GetFileInfo("/d/sub/f").ok());
  ASSERT_OK(fs().Delete("/d/sub/f", {}));
  EXPECT_CODE(fs().GetFileInfo("/d/sub/f"), StatusCode::kNotFound);
  ASSERT_OK(fs::WriteFile(fs(), "/d/sub/g", "x"));
  fs::DeleteOptions recursive;
  recursive.recursive = true;
  ASSERT_OK(fs().Delete("/d", recursive));
  EXPECT_CODE(fs().GetFileInfo("/d"), StatusCode::kNotFound);
  EXPECT_CODE(fs().Delete("/d", recursive), StatusCode::kNotFound);
  EXPECT_FALSE(fs().Delete("/", recursive).ok());
}

TEST_P(FileSystemConformance, ConditionsGuardChanges) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  std::string etag = fs().GetFileInfo("/f")->etag;
  fs::DeleteOptions wrong;
  wrong.conditions.if_match = "0xDEADBEEF";
  EXPECT_CODE(fs().Delete("/f", wrong), StatusCode::kPreconditionFailed);
  fs::ReadOptions read;
  read.conditions.if_match = etag;
  EXPECT_TRUE(fs().OpenRead("/f", read).ok());
  fs::DeleteOptions right;
  right.conditions.if_match = etag;
  ASSERT_OK(fs().Delete("/f", right));
}

TEST_P(FileSystemConformance, EveryChangeGivesANewEtag) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  std::set<std::string> etags{fs().GetFileInfo("/f")->etag};
  auto record = [&](const Result<FileInfo>& r) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(etags.insert(r->etag).second) << "etag repeated: " << r->etag;
  };
  fs::AccessControlChange chmod;
  chmod.mode = 0640;
  record(fs().SetAccessControl("/f", chmod));
  if (caps().properties) record(fs().SetProperties("/f", {{"k", "v"}}, std::nullopt, {}));
  if (caps().set_times) record(fs().SetTimes("/f", 1000, 2000));
  fs::StringInputStream more("y");
  ASSERT_OK(fs().Append("/f", 1, more, {}));
  record(fs().Flush("/f", 2, {}));
}

TEST_P(FileSystemConformance, PermissionBitsAndOwner) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  // Owners here are Entra-style object ids; a store that takes only host accounts (a local directory) cannot hold
  // them, and one that cannot set owners at all is only chmod-ed.
  const bool any_owner = caps().set_owner && !caps().host_accounts;
  fs::AccessControlChange change;
  change.mode = 01755;
  if (any_owner) {
    change.owner = "11111111-1111-1111-1111-111111111111";
    change.group = "22222222-2222-2222-2222-222222222222";
  }
  auto info = fs().SetAccessControl("/f", change);
  ASSERT_OK(info);
  EXPECT_EQ(info->mode, 01755);
  if (any_owner) {
    EXPECT_EQ(info->owner, "11111111-1111-1111-1111-111111111111");
    EXPECT_EQ(info->group, "22222222-2222-2222-2222-222222222222");
  }
  auto acl = fs().GetAccessControl("/f");
  ASSERT_OK(acl);
  EXPECT_TRUE(acl->sticky);
  EXPECT_EQ(acl->ToSpec(), "user::rwx,group::r-x,other::r-x");
}

TEST_P(FileSystemConformance, AclOperations) {
  if (!caps().acls) GTEST_SKIP();
  const std::string oid = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7";
  ASSERT_OK(fs().CreateDirectory("/d", {}));
  fs::AccessControlChange set;
  set.acl_op = fs::AclOp::kSet;
  set.acl_entries = *acl::ParseAclSpec("user::rwx,group::rwx,other::---,user:" + oid + ":rwx");
  ASSERT_OK(fs().SetAccessControl("/d", set));
  auto state = fs().GetAccessControl("/d");
  ASSERT_OK(state);
  EXPECT_EQ(state->ToSpec(), "user::rwx,user:" + oid + ":rwx,group::rwx,mask::rwx,other::---");
  EXPECT_TRUE(fs().GetFileInfo("/d")->has_extended_acl);

  fs::AccessControlChange modify;
  modify.acl_op = fs::AclOp::kModify;
  modify.acl_entries = *acl::ParseAclSpec("user:" + oid + ":r-x,default:user:" + oid + ":rwx");
  ASSERT_OK(fs().SetAccessControl("/d", modify));
  std::string spec = fs().GetAccessControl("/d")->ToSpec();
  EXPECT_NE(spec.find("user:" + oid + ":r-x"), std::string::npos) << spec;
  EXPECT_NE(spec.find("default:user:" + oid + ":rwx"), std::string::npos) << spec;

  // A new child inherits the named entry of the default ACL.
  ASSERT_OK(fs::WriteFile(fs(), "/d/child", "x"));
  std::string child = fs().GetAccessControl("/d/child")->ToSpec();
  EXPECT_NE(child.find("user:" + oid + ":"), std::string::npos) << child;
  EXPECT_EQ(child.find("default:"), std::string::npos) << "files get no default ACL: " << child;

  fs::AccessControlChange remove_default;
  remove_default.acl_op = fs::AclOp::kRemoveDefault;
  ASSERT_OK(fs().SetAccessControl("/d", remove_default));
  EXPECT_EQ(fs().GetAccessControl("/d")->ToSpec().find("default:"), std::string::npos);

  fs::AccessControlChange remove_entries;
  remove_entries.acl_op = fs::AclOp::kRemoveEntries;
  remove_entries.acl_entries = *acl::ParseAclSpec("user:" + oid, /*perms_required=*/false);
  ASSERT_OK(fs().SetAccessControl("/d", remove_entries));
  EXPECT_EQ(fs().GetAccessControl("/d")->ToSpec().find(oid), std::string::npos);

  ASSERT_OK(fs().SetAccessControl("/d", set));
  fs::AccessControlChange remove_all;
  remove_all.acl_op = fs::AclOp::kRemoveAll;
  ASSERT_OK(fs().SetAccessControl("/d", remove_all));
  EXPECT_FALSE(fs().GetFileInfo("/d")->has_extended_acl);

  fs::AccessControlChange file_default;
  file_default.acl_op = fs::AclOp::kModify;
  file_default.acl_entries = *acl::ParseAclSpec("default:user:" + oid + ":rwx");
  EXPECT_CODE(fs().SetAccessControl("/d/child", file_default), StatusCode::kInvalidArgument);
}

TEST_P(FileSystemConformance, PropertiesTimesAndExpiry) {
  ASSERT_OK(fs::WriteFile(fs(), "/f", "x"));
  if (caps().properties) {
    ASSERT_OK(fs().SetProperties("/f", {{"mtime", "2020-01-01"}, {"k", "v"}}, std::nullopt, {}));
    EXPECT_EQ(fs().GetFileInfo("/f")->properties, (fs::Properties{{"mtime", "2020-01-01"}, {"k", "v"}}));
    ASSERT_OK(fs().SetProperties("/f", {{"only", "this"}}, std::nullopt, {}));  // full replacement
    EXPECT_EQ(fs().GetFileInfo("/f")->properties, (fs::Properties{{"only", "this"}}));
  } else {
    EXPECT_CODE(fs().SetProperties("/f", {{"k", "v"}}, std::nullopt, {}), StatusCode::kUnsupported);
  }
  if (caps().set_times) {
    ASSERT_OK(fs().SetTimes("/f", 1495839590893, 1495839590856));
    auto info = fs().GetFileInfo("/f");
    EXPECT_EQ(info->modification_time_ms, 1495839590893);
    EXPECT_EQ(info->access_time_ms, 1495839590856);
  }
  if (caps().expiry) {
    fs::ExpirySpec far{fs::ExpirySpec::Kind::kAbsolute, 4102444800000};  // 2100-01-01
    EXPECT_EQ(fs().SetExpiry("/f", far)->expiry_time_ms, 4102444800000);
    fs::ExpirySpec never{fs::ExpirySpec::Kind::kNever, 0};
    EXPECT_EQ(fs().SetExpiry("/f", never)->expiry_time_ms, 0);
    ASSERT_OK(fs().CreateDirectory("/dir", {}));
    EXPECT_CODE(fs().SetExpiry("/dir", far), StatusCode::kInvalidArgument);
    fs::ExpirySpec past{fs::ExpirySpec::Kind::kAbsolute, 1000};
    ASSERT_OK(fs().SetExpiry("/f", past));
    EXPECT_CODE(fs().GetFileInfo("/f"), StatusCode::kNotFound);  // expired files are gone
    ASSERT_OK(fs::WriteFile(fs(), "/f", "reborn"));              // and their name is free again
  }
}

TEST_P(PermissionMatrix, OwnerNamedGroupOtherSuperuser) {
  if (!caps().acls || instance().As(Principals::Other()) == nullptr) GTEST_SKIP() << "cannot act as other callers";
  Build(0750, "r-x");  // owner rwx, group r-x, other ---, named user r-x (mask r-x)
  struct Row {
    const char* who;
    acl::Caller caller;
    bool read, write, list, create, set_acl;
  };
  const Row rows[] = {
      {"owner", Principals::Owner(), true, true, true, true, true},
      {"named", Principals::Named(), true, false, true, false, false},
      {"member", Principals::Member(), true, false, true, false, false},
      {"other", Principals::Other(), false, false, false, false, false},
      {"superuser", acl::Caller::Superuser("root-oid"), true, true, true, true, true},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(CanRead(row.caller), row.read) << row.who << " read";
    EXPECT_EQ(CanWrite(row.caller), row.write) << row.who << " write";
    EXPECT_EQ(CanList(row.caller), row.list) << row.who << " list";
    EXPECT_EQ(CanCreate(row.caller), row.create) << row.who << " create";
    EXPECT_EQ(CanSetAcl(row.caller), row.set_acl) << row.who << " set ACL";
  }
}

TEST_P(PermissionMatrix, CheckAccessAnswersLikeTheOperations) {
  if (!caps().check_access || instance().As(Principals::Other()) == nullptr) GTEST_SKIP() << "no CheckAccess";
  Build(0750, "r-x");
  auto owner = instance().As(Principals::Owner());
  auto named = instance().As(Principals::Named());
  auto other = instance().As(Principals::Other());
  const char* kDir = "/open/dir";
  ASSERT_OK(owner->CheckAccess(kDir, acl::kRead | acl::kWrite | acl::kExecute));
  ASSERT_OK(named->CheckAccess(kDir, acl::kRead | acl::kExecute));
  EXPECT_CODE(named->CheckAccess(kDir, acl::kWrite), StatusCode::kPermissionDenied);
  EXPECT_CODE(other->CheckAccess(kDir, acl::kRead), StatusCode::kPermissionDenied);
  EXPECT_CODE(owner->CheckAccess("/missing", acl::kRead), StatusCode::kNotFound);
}

TEST_P(PermissionMatrix, TraverseNeedsExecuteOnEveryAncestor) {
  if (!caps().acls || instance().As(Principals::Other()) == nullptr) GTEST_SKIP();
  Build(0777, "rwx");
  fs::AccessControlChange lock_parent;
  lock_parent.mode = 0776;  // other: rw- on /open: no traverse
  ASSERT_OK(fs().SetAccessControl("/open", lock_parent));
  auto other = instance().As(Principals::Other());
  EXPECT_CODE(other->GetFileInfo("/open/dir/file"), StatusCode::kPermissionDenied);
  EXPECT_CODE(fs::ReadFile(*other, "/open/dir/file"), StatusCode::kPermissionDenied);
}

TEST_P(PermissionMatrix, StickyDirectoryProtectsOthersFiles) {
  if (!caps().acls || instance().As(Principals::Other()) == nullptr) GTEST_SKIP();
  Build(0777, "rwx");
  fs::AccessControlChange sticky;
  sticky.mode = 01777;
  ASSERT_OK(fs().SetAccessControl("/open/dir", sticky));
  auto other = instance().As(Principals::Other());
  EXPECT_CODE(other->Delete("/open/dir/file", {}), StatusCode::kPermissionDenied);
  EXPECT_CODE(other->Rename("/open/dir/file", "/open/dir/stolen", {}), StatusCode::kPermissionDenied);
  ASSERT_OK(fs::WriteFile(*other, "/open/dir/mine", "x"));
  ASSERT_OK(other->Delete("/open/dir/mine", {}));  // its own file it may delete
  ASSERT_OK(instance().As(Principals::Owner())->Delete("/open/dir/file", {}));
}

TEST_P(PermissionMatrix, OnlySuperusersChangeOwners) {
  if (!caps().acls || instance().As(Principals::Other()) == nullptr) GTEST_SKIP();
  Build(0770, "rwx");
  fs::AccessControlChange chown;
  chown.owner = Principals::kOther;
  EXPECT_CODE(instance().As(Principals::Owner())->SetAccessControl("/open/dir/file", chown),
              StatusCode::kPermissionDenied);
  fs::AccessControlChange chgrp;
  chgrp.group = "cccccccc-0000-0000-0000-000000000009";
  EXPECT_CODE(instance().As(Principals::Owner())->SetAccessControl("/open/dir/file", chgrp),
              StatusCode::kPermissionDenied);  // the owner is not a member of that group
  ASSERT_OK(fs().SetAccessControl("/open/dir/file", chown));
}

}  // namespace
}  // namespace lakeshift::conformance
