// The WebHDFS front-end over a local store with the Gen1 rules, driven over a real socket: the request
// parsing and the behaviours the service's recordings pinned down (tests/python/test_gen1_recordings.py
// replays all of them; these keep each one visible on its own).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/client.h"
#include "http/server.h"
#include "store/local_store.h"
#include "testing/status_macros.h"
#include "testing/temp_dir.h"
#include "webhdfs/webhdfs_frontend.h"
#include "webhdfs/webhdfs_request.h"

namespace lakeshift::webhdfs {
namespace {

using nlohmann::json;

TEST(WebHdfsRequestTest, ResolvesPathsAsTheServiceDoes) {
  EXPECT_EQ(ResolvePath("/a/b").ValueOr(""), "/a/b");
  EXPECT_EQ(ResolvePath("a/b").ValueOr(""), "/a/b");  // RENAME destinations without the leading slash
  EXPECT_EQ(ResolvePath("//tmp//test/a/").ValueOr(""), "/tmp/test/a");
  EXPECT_EQ(ResolvePath("/.").ValueOr(""), "/");
  EXPECT_EQ(ResolvePath("").ValueOr(""), "/");
  EXPECT_EQ(ResolvePath("/a/./b/../c").ValueOr(""), "/a/c");
  EXPECT_EQ(ResolvePath("/../../a").ValueOr(""), "/a");
  EXPECT_EQ(ResolvePath("/a/.../b").ValueOr(""), "/a/.../b");  // only "." and ".." are special
  EXPECT_CODE(ResolvePath(std::string("/a\0b", 4)), StatusCode::kInvalidArgument);
}

TEST(WebHdfsRequestTest, ParsesNamespaceOpAndParametersCaseInsensitively) {
  auto r = ParseWebHdfsRequest("/webhdfs/v1/a%20b/12%2C%2B3%23456%3F.txt", "OP=liststatus&ListSize=2&api-version=x");
  ASSERT_OK(r);
  EXPECT_FALSE(r->extension);
  EXPECT_EQ(r->path, "/a b/12,+3#456?.txt");
  EXPECT_EQ(r->op, "LISTSTATUS");
  EXPECT_EQ(r->IntParam("listsize", 0).ValueOr(-1), 2);
  auto ext = ParseWebHdfsRequest("/webhdfsext/f", "op=SETEXPIRY");
  ASSERT_OK(ext);
  EXPECT_TRUE(ext->extension);
  EXPECT_CODE(ParseWebHdfsRequest("/other/f", "op=OPEN"), StatusCode::kNotFound);
  EXPECT_CODE(ParseWebHdfsRequest("/webhdfs/v1/f", "read=true"), StatusCode::kInvalidArgument);
}

TEST(WebHdfsRequestTest, ContinuationTokensCameWithApiVersion20180901) {
  auto with = [](std::string_view query) { return HasContinuationTokens(*ParseWebHdfsRequest("/webhdfs/v1/", query)); };
  EXPECT_FALSE(with("op=LISTSTATUS&api-version=2016-11-01"));
  EXPECT_FALSE(with("op=LISTSTATUS&api-version=2018-05-01"));
  EXPECT_TRUE(with("op=LISTSTATUS&api-version=2018-09-01"));
  EXPECT_TRUE(with("op=LISTSTATUS&api-version=2018-12-01"));
  EXPECT_TRUE(with("op=LISTSTATUS"));
}

// A Gen1-rules store served by the front-end, every caller a superuser.
class FrontEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::LocalStoreOptions so;
    so.directory = dir_.path() + "/store";
    so.policy = &acl::AclPolicy::Gen1();
    auto store = store::LocalStore::Open(so);
    ASSERT_OK(store);
    store_ = *store;
    FrontEndOptions fo;
    fo.bind = [this](const http::Request&) -> Result<std::shared_ptr<fs::FileSystem>> { return store_->AsSuperuser(); };
    frontend_ = std::make_unique<WebHdfsFrontEnd>(fo);
    auto server =
        http::Server::Start({}, [this](http::Request& req, http::ResponseWriter& out) { frontend_->Handle(req, out); });
    ASSERT_OK(server);
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(5));
  }

  http::ClientResponse Call(const std::string& method, const std::string& path_and_query, std::string body = "") {
    http::ClientRequest request;
    request.method = method;
    request.url = server_->base_url() + "/webhdfs/v1" + path_and_query;
    request.body_string = std::move(body);
    request.retry = http::RetryPolicy::None();
    auto response = client_.Send(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::ClientResponse{};
  }
  json Json(const std::string& method, const std::string& path_and_query) {
    return json::parse(Call(method, path_and_query).body, nullptr, false);
  }

  testing_util::TempDir dir_;
  std::shared_ptr<store::LocalStore> store_;
  std::unique_ptr<WebHdfsFrontEnd> frontend_;
  std::unique_ptr<http::Server> server_;
  http::HttpClient client_;
};

TEST_F(FrontEndTest, AFullPageCarriesItsLastNameAsTheToken) {
  for (const char* name : {"a", "b", "c", "d"}) {
    ASSERT_EQ(Call("PUT", std::string("/dir/") + name + "?op=CREATE&write=true").status, 201);
  }
  json page = Json("GET", "/dir?op=LISTSTATUS&listSize=2&api-version=2018-09-01");
  EXPECT_EQ(page["FileStatuses"]["continuationToken"], "b");
  page = Json("GET", "/dir?op=LISTSTATUS&listSize=2&listAfter=b&api-version=2018-09-01");
  EXPECT_EQ(page["FileStatuses"]["continuationToken"], "d");  // nothing follows, but the page is full
  page = Json("GET", "/dir?op=LISTSTATUS&listSize=2&listAfter=d&api-version=2018-09-01");
  EXPECT_EQ(page["FileStatuses"]["continuationToken"], "");
  EXPECT_TRUE(page["FileStatuses"]["FileStatus"].empty());
  page = Json("GET", "/dir?op=LISTSTATUS&listSize=5&api-version=2018-09-01");
  EXPECT_EQ(page["FileStatuses"]["continuationToken"], "");
  page = Json("GET", "/dir?op=LISTSTATUS&listBefore=c&api-version=2018-09-01");
  ASSERT_EQ(page["FileStatuses"]["FileStatus"].size(), 2u);
  EXPECT_EQ(page["FileStatuses"]["FileStatus"][1]["pathSuffix"], "b");
  // Before 2018-09-01 there were no tokens at all.
  page = Json("GET", "/dir?op=LISTSTATUS&listSize=2&api-version=2018-05-01");
  EXPECT_FALSE(page["FileStatuses"].contains("continuationToken"));
  EXPECT_EQ(page["FileStatuses"]["FileStatus"].size(), 2u);
}

TEST_F(FrontEndTest, CreateDataIsVisibleWhateverTheSyncFlag) {
  ASSERT_EQ(Call("PUT", "/f?op=CREATE&write=true&overwrite=true&syncFlag=DATA", "123--").status, 201);
  EXPECT_EQ(Json("GET", "/f?op=GETFILESTATUS")["FileStatus"]["length"], 5);
  // A later DATA append waits for a METADATA/CLOSE one to become visible.
  ASSERT_EQ(Call("POST", "/f?op=APPEND&append=true&syncFlag=DATA", "456--").status, 200);
  EXPECT_EQ(Json("GET", "/f?op=GETFILESTATUS")["FileStatus"]["length"], 5);
  ASSERT_EQ(Call("POST", "/f?op=APPEND&append=true&offset=10&syncFlag=CLOSE", "789").status, 200);
  EXPECT_EQ(Call("GET", "/f?op=OPEN&read=true").body, "123--456--789");
}

TEST_F(FrontEndTest, PathsAreResolvedLikeTheService) {
  ASSERT_EQ(Call("PUT", "//tmp//test/a?op=CREATE&write=true", "x").status, 201);
  EXPECT_EQ(Call("GET", "/tmp/test/a?op=OPEN&read=true").body, "x");
  EXPECT_EQ(Json("GET", "/.?op=GETFILESTATUS")["FileStatus"]["type"], "DIRECTORY");
  // RENAME destinations and MSCONCAT sources without a leading slash start at the root.
  EXPECT_EQ(Json("PUT", "/tmp/test/a?op=RENAME&destination=tmp%2Fb")["boolean"], true);
  EXPECT_EQ(Call("GET", "/tmp/b?op=OPEN&read=true").body, "x");
  ASSERT_EQ(Call("PUT", "/tmp/c?op=CREATE&write=true", "y").status, 201);
  http::ClientRequest concat;
  concat.method = "POST";
  concat.url = server_->base_url() + "/webhdfs/v1/tmp/d?op=MSCONCAT&deleteSourceDirectory=false";
  concat.headers.Set("Content-Type", "application/json");
  concat.body_string = R"({"sources":["tmp/b","/tmp/c"]})";
  auto response = client_.Send(concat);
  ASSERT_OK(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(Call("GET", "/tmp/d?op=OPEN&read=true").body, "xy");
}

TEST_F(FrontEndTest, ErrorsAreRemoteExceptions) {
  auto missing = Call("GET", "/nope?op=GETFILESTATUS");
  EXPECT_EQ(missing.status, 404);
  json body = json::parse(missing.body);
  EXPECT_EQ(body["RemoteException"]["exception"], "FileNotFoundException");
  EXPECT_EQ(body["RemoteException"]["javaClassName"], "java.io.FileNotFoundException");
  EXPECT_EQ(body["RemoteException"]["message"].get<std::string>().rfind("File/Folder does not exist: /nope [", 0), 0u);
  EXPECT_EQ(missing.headers.Get("Status").value_or(""), "0x8309000A");
  ASSERT_EQ(Call("PUT", "/f?op=CREATE&write=true", "abc").status, 201);
  auto bad_offset = Call("POST", "/f?op=APPEND&append=true&offset=1", "x");
  EXPECT_EQ(bad_offset.status, 400);
  EXPECT_EQ(json::parse(bad_offset.body)["RemoteException"]["exception"], "BadOffsetException");
  EXPECT_EQ(Json("PUT", "/nope?op=RENAME&destination=/x")["boolean"], false);
}

TEST_F(FrontEndTest, HeadersAreTheServices) {
  auto created = Call("PUT", "/f?op=CREATE&write=true&overwrite=true");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.headers.Get("Location").value_or(""),
            server_->base_url() + "/webhdfs/v1/f?op=CREATE&write=true&overwrite=true");
  EXPECT_EQ(created.headers.Get("Status").value_or(""), "0x0");
  EXPECT_TRUE(created.headers.Get("x-ms-webhdfs-version").has_value());
  auto empty_read = Call("GET", "/f?op=OPEN&read=true&offset=0&length=0");
  EXPECT_EQ(empty_read.status, 200);
  EXPECT_FALSE(empty_read.headers.Get("Content-Type").has_value());  // none for an empty body
  auto renamed = Call("PUT", "/nope?op=RENAME&destination=/x");
  EXPECT_EQ(renamed.headers.Get("Status").value_or(""), "0x8309000A");  // false, and why
  http::ClientRequest expiry;
  expiry.method = "PUT";
  expiry.url = server_->base_url() + "/WebHdfsExt/f?op=SETEXPIRY&expiryOption=NeverExpire";
  auto extension = client_.Send(expiry);
  ASSERT_OK(extension);
  EXPECT_EQ(extension->status, 200);
  EXPECT_FALSE(extension->headers.Get("x-ms-webhdfs-version").has_value());
}

}  // namespace
}  // namespace lakeshift::webhdfs
