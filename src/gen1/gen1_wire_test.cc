#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gen1/errors.h"
#include "gen1/wire.h"

namespace lakeshift::gen1 {
namespace {

fs::FileInfo SampleFile() {
  fs::FileInfo f;
  f.path = "/a/b.txt";
  f.type = fs::FileType::kFile;
  f.size = 6;
  f.owner = "9a23860e-03b0-4bad-a8b7-e1d081d592bd";
  f.group = "2e6c02d2-a364-4530-9137-d17403996cbf";
  f.mode = 0770;
  f.access_time_ms = 1495839590856;
  f.modification_time_ms = 1495839590893;
  return f;
}

TEST(Gen1WireTest, FileStatusHasTheServiceFieldsInOrder) {
  // The recorded GETFILESTATUS answer (gen1-api.md 2.3), field for field.
  EXPECT_EQ(FileStatusJson(SampleFile()),
            R"({"FileStatus":{"length":6,"pathSuffix":"","type":"FILE","blockSize":268435456,)"
            R"("accessTime":1495839590856,"modificationTime":1495839590893,"replication":1,"permission":"770",)"
            R"("owner":"9a23860e-03b0-4bad-a8b7-e1d081d592bd","group":"2e6c02d2-a364-4530-9137-d17403996cbf",)"
            R"("msExpirationTime":0,"aclBit":false}})");
}

// Names are written in runs between the characters JSON escapes: the result must be what nlohmann writes.
TEST(Gen1WireTest, NamesAreEscapedAsJsonAtEveryOffset) {
  const std::string plain = "abcdefghij";
  for (size_t at = 0; at <= plain.size(); ++at) {
    for (std::string special : {"\"", "\\", "\n", "\x01", "\x1f", "\xc3\xa9", "/"}) {
      std::string name = plain.substr(0, at) + special + plain.substr(at) + special;
      std::string object = FileStatusObject(SampleFile(), name);
      auto start = object.find("\"pathSuffix\":") + 13;
      auto end = object.find(",\"type\"");
      EXPECT_EQ(object.substr(start, end - start), nlohmann::json(name).dump()) << at;
      EXPECT_EQ(nlohmann::json::parse(object)["pathSuffix"], name);
    }
  }
}

TEST(Gen1WireTest, StickyBitIsTheFourthDigit) {
  fs::FileInfo f = SampleFile();
  f.mode = 01750;
  EXPECT_EQ(nlohmann::json::parse(FileStatusObject(f, ""))["permission"], "1750");
  f.mode = 0;
  EXPECT_EQ(nlohmann::json::parse(FileStatusObject(f, ""))["permission"], "000");
}

TEST(Gen1WireTest, DirectoriesHaveNoBlockSizeReplicationOrExpiry) {
  fs::FileInfo d = SampleFile();
  d.type = fs::FileType::kDirectory;
  d.mode = 01777;
  auto j = nlohmann::json::parse(FileStatusObject(d, "foo"));
  EXPECT_EQ(j["type"], "DIRECTORY");
  EXPECT_EQ(j["blockSize"], 0);
  EXPECT_EQ(j["replication"], 0);
  EXPECT_EQ(j["length"], 0);
  EXPECT_EQ(j["pathSuffix"], "foo");
  EXPECT_EQ(j["permission"], "1777");
  EXPECT_FALSE(j.contains("msExpirationTime"));
}

TEST(Gen1WireTest, FileStatusesPutTheTokenFirst) {
  std::string json = FileStatusesJson({SampleFile()}, {"b.txt"}, "b.txt");
  EXPECT_EQ(json.rfind(R"({"FileStatuses":{"continuationToken":"b.txt","FileStatus":[{"length":6)", 0), 0u) << json;
}

TEST(Gen1WireTest, ListingEntriesAreWrittenAsTheSingleFileStatusIs) {
  // Pages are written by hand for speed: each entry must be byte for byte the object FileStatusObject writes,
  // awkward names and owners included.
  fs::FileInfo dir = SampleFile();
  dir.type = fs::FileType::kDirectory;
  dir.mode = 01750;
  dir.has_extended_acl = true;
  fs::FileInfo file = SampleFile();
  file.owner = "o\"w\\n\x01er";
  file.expiry_time_ms = 1795750086123;
  std::vector<fs::FileInfo> entries = {dir, file};
  std::vector<std::string> names = {"d\u00e9j\u00e0 vu \u6587", "12,+3#456?.txt\t\n\x1f"};
  std::string page = FileStatusesJson(entries, names, "x");
  EXPECT_EQ(page, R"({"FileStatuses":{"continuationToken":"x","FileStatus":[)" + FileStatusObject(dir, names[0]) + "," +
                      FileStatusObject(file, names[1]) + "]}}");
  auto parsed = nlohmann::json::parse(page);
  EXPECT_EQ(parsed["FileStatuses"]["FileStatus"][1]["pathSuffix"], names[1]);
  EXPECT_EQ(parsed["FileStatuses"]["FileStatus"][1]["owner"], file.owner);
}

TEST(Gen1WireTest, FileStatusesBeforeApiVersion20180901HaveNoToken) {
  EXPECT_EQ(FileStatusesJson({}, {}, std::nullopt), R"({"FileStatuses":{"FileStatus":[]}})");
}

TEST(Gen1WireTest, AclStatusShowsEntriesAndStickyBitSeparately) {
  acl::AclState s = acl::AclState::FromMode("o", "g", 01770);
  auto j = nlohmann::json::parse(AclStatusJson(s));
  EXPECT_EQ(j["AclStatus"]["entries"], nlohmann::json::array({"user::rwx", "group::rwx", "other::---"}));
  EXPECT_EQ(j["AclStatus"]["permission"], "770");
  EXPECT_EQ(j["AclStatus"]["stickyBit"], true);
}

TEST(Gen1ErrorsTest, StatusesBecomeTheServiceExceptions) {
  auto not_found = ToRemoteException(NotFound("x"), "GETFILESTATUS", "/azure_test_dir/shfoshf");
  EXPECT_EQ(not_found.http_status, 404);
  EXPECT_EQ(not_found.exception, "FileNotFoundException");
  EXPECT_EQ(not_found.java_class, "java.io.FileNotFoundException");
  EXPECT_EQ(not_found.message, "File/Folder does not exist: /azure_test_dir/shfoshf");
  auto denied = ToRemoteException(Status(StatusCode::kPermissionDenied, "acl"), "LISTSTATUS", "/d");
  EXPECT_EQ(denied.http_status, 403);
  EXPECT_EQ(denied.java_class, "org.apache.hadoop.security.AccessControlException");
  EXPECT_EQ(denied.message.rfind("LISTSTATUS failed with error 0x83090aa2 (Forbidden. ACL verification failed.", 0),
            0u);
  auto bad_offset = ToRemoteException(MakeError(400, "BadOffsetException", "APPEND failed"), "APPEND", "/f");
  EXPECT_EQ(bad_offset.http_status, 400);
  EXPECT_EQ(bad_offset.java_class, "org.apache.hadoop.fs.adl.BadOffsetException");
}

TEST(Gen1ErrorsTest, RenderedErrorsEndWithRequestIdAndTime) {
  auto e = ToRemoteException(NotFound("x"), "OPEN", "/f");
  auto j = nlohmann::json::parse(RenderRemoteException(e, "rid", "2017-05-26T16:00:40.5724231+00:00"));
  EXPECT_EQ(j["RemoteException"]["message"], "File/Folder does not exist: /f [rid][2017-05-26T16:00:40.5724231+00:00]");
  EXPECT_EQ(ErrorTimestamp(0).back(), '0');
}

TEST(Gen1ErrorsTest, ClientsReadRemoteExceptionsBack) {
  Status s = FromRemoteException(
      400, R"({"RemoteException":{"exception":"BadOffsetException","message":"m","javaClassName":"x"}})");
  EXPECT_EQ(s.code(), StatusCode::kBadOffset);
  EXPECT_EQ(s.detail()->service_code, "BadOffsetException");
  EXPECT_EQ(FromRemoteException(404, "").code(), StatusCode::kNotFound);
  EXPECT_EQ(FromRemoteException(503, "oops").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lakeshift::gen1
