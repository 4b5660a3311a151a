#include "identity/principals.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "identity/secret_file.h"

namespace lakeshift::identity {
namespace {

constexpr char kA[] = "11111111-1111-4111-8111-111111111111";
constexpr char kB[] = "22222222-2222-4222-8222-222222222222";
constexpr char kG[] = "33333333-3333-4333-8333-333333333333";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "identity-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Entry(const std::string& client_id, const std::string& object_id, const std::string& extra = "") {
  return R"({"client_id":")" + client_id + R"(","client_secret":"s","object_id":")" + object_id + "\"" + extra + "}";
}

std::string ErrorOf(const std::string& json) {
  auto parsed = ParsePrincipals(json, "p.json");
  EXPECT_FALSE(parsed.ok()) << json;
  return parsed.ok() ? "" : parsed.status().message();
}

int Mode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return static_cast<int>(st.st_mode & 0777);
}

TEST(PrincipalsTest, ParsesAFile) {
  std::string upper = "AAAAAAAA-1111-4111-8111-111111111111";
  auto parsed = ParsePrincipals("[" + Entry(upper, kB, R"(,"groups":[")" + std::string(kG) + R"("],"superuser":true)") +
                                    "," + Entry(kB, kA) + "]",
                                "p.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].client_id, "aaaaaaaa-1111-4111-8111-111111111111");  // lower-cased
  EXPECT_EQ((*parsed)[0].client_secret, "s");
  EXPECT_EQ((*parsed)[0].object_id, kB);
  EXPECT_EQ((*parsed)[0].groups, std::vector<std::string>{kG});
  EXPECT_TRUE((*parsed)[0].superuser);
  EXPECT_TRUE((*parsed)[1].groups.empty());
  EXPECT_FALSE((*parsed)[1].superuser);
  EXPECT_TRUE(ParsePrincipals("[]", "p.json")->empty());
}

TEST(PrincipalsTest, ErrorsNameFileIndexAndField) {
  EXPECT_EQ(ErrorOf("{"), "p.json: not valid JSON");
  EXPECT_EQ(ErrorOf("{}"), "p.json: expected a JSON list of principals");
  EXPECT_EQ(ErrorOf("[1]"), "p.json: [0]: not a JSON object");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB) + R"(,{"client_secret":"s","object_id":")" + kA + "\"}]"),
            "p.json: [1].client_id: missing");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, "abc") + "]"),
            "p.json: [0].object_id: 'abc' is not a GUID (8-4-4-4-12 hex digits)");
  EXPECT_EQ(ErrorOf(R"([{"client_id":")" + std::string(kA) + R"(","client_secret":"","object_id":")" + kB + "\"}]"),
            "p.json: [0].client_secret: empty");
  EXPECT_EQ(ErrorOf(R"([{"client_id":5,"client_secret":"s","object_id":")" + std::string(kB) + "\"}]"),
            "p.json: [0].client_id: not a string");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB, R"(,"groups":"g")") + "]"),
            "p.json: [0].groups: not an array of group object ids");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB, R"(,"groups":[")" + std::string(kG) + R"(","x"])") + "]"),
            "p.json: [0].groups[1]: 'x' is not a GUID (8-4-4-4-12 hex digits)");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB, R"(,"groups":[")" + std::string(kG) + R"(",")" + kG + R"("])") + "]"),
            std::string("p.json: [0].groups[1]: group ") + kG + " is listed twice");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB, R"(,"superuser":"yes")") + "]"), "p.json: [0].superuser: not true or false");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB, R"(,"supeuser":true)") + "]"),
            "p.json: [0]: unknown field \"supeuser\" (fields: client_id, client_secret, object_id, groups, superuser)");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB) + "," + Entry(kA, kG) + "]"), "p.json: [1].client_id: same as [0].client_id");
  EXPECT_EQ(ErrorOf("[" + Entry(kA, kB) + "," + Entry(kG, kB) + "]"), "p.json: [1].object_id: same as [0].object_id");
}

TEST(PrincipalsTest, LoadsFilesWithTheirPath) {
  TempDir dir;
  std::string path = dir.path() + "/principals.json";
  auto missing = LoadPrincipalsFile(path);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
  std::ofstream(path) << "[" << Entry(kA, "nope") << "]";
  auto bad = LoadPrincipalsFile(path);
  EXPECT_EQ(bad.status().message(), path + ": [0].object_id: 'nope' is not a GUID (8-4-4-4-12 hex digits)");
  std::ofstream(path) << "[" << Entry(kA, kB) << "]";
  EXPECT_EQ(LoadPrincipalsFile(path)->size(), 1u);
}

TEST(PrincipalsTest, AdminSecretIsGeneratedOnceAndKept) {
  TempDir dir;
  auto admin = LoadOrCreateAdmin(dir.path());
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->client_id, kAdminClientId);
  EXPECT_EQ(admin->object_id, kAdminObjectId);
  EXPECT_TRUE(admin->superuser);
  EXPECT_EQ(admin->client_secret.size(), 40u);
  EXPECT_EQ(Mode(dir.path() + "/admin-client-secret"), 0600);
  auto again = LoadOrCreateAdmin(dir.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->client_secret, admin->client_secret);
  TempDir other;
  EXPECT_NE(LoadOrCreateAdmin(other.path())->client_secret, admin->client_secret);
  EXPECT_FALSE(LoadOrCreateAdmin(dir.path() + "/missing").ok());
}

TEST(PrincipalsTest, SecretFilesKeepTheFirstWriter) {
  TempDir dir;
  std::string path = dir.path() + "/secret";
  EXPECT_FALSE(ReadSecretFile(path)->has_value());
  EXPECT_EQ(*CreateSecretFileOnce(path, "first"), "first");
  EXPECT_EQ(*CreateSecretFileOnce(path, "second"), "first");
  EXPECT_EQ(**ReadSecretFile(path), "first");
  EXPECT_EQ(Mode(path), 0600);
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);  // no temporary files left behind
}

TEST(PrincipalsTest, DirectoryLookupsAndDuplicates) {
  Principal admin{std::string(kAdminClientId), "x", std::string(kAdminObjectId), {}, true};
  Principal a{kA, "s", kB, {kG}, false};
  auto dir = PrincipalDirectory::Create(admin, {a});
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->admin().client_id, kAdminClientId);
  ASSERT_NE(dir->FindByClientId("11111111-1111-4111-8111-111111111111"), nullptr);
  EXPECT_EQ(dir->FindByClientId("11111111-1111-4111-8111-111111111111")->object_id, kB);
  EXPECT_NE(dir->FindByObjectId("22222222-2222-4222-8222-222222222222"), nullptr);
  EXPECT_EQ(dir->FindByClientId(kG), nullptr);
  Principal clash{std::string(kAdminClientId), "s", kG, {}, false};
  EXPECT_FALSE(PrincipalDirectory::Create(admin, {clash}).ok());
  Principal clash_oid{kG, "s", std::string(kAdminObjectId), {}, false};
  EXPECT_FALSE(PrincipalDirectory::Create(admin, {clash_oid}).ok());
}

TEST(PrincipalsTest, GuidsAndSecrets) {
  EXPECT_TRUE(IsGuid(kA));
  EXPECT_TRUE(IsGuid("ABCDEF01-2345-6789-abcd-ef0123456789"));
  EXPECT_FALSE(IsGuid("{11111111-1111-4111-8111-111111111111}"));
  EXPECT_FALSE(IsGuid("11111111-1111-4111-8111-11111111111g"));
  EXPECT_FALSE(IsGuid("111111111111-4111-8111-1111-11111111"));
  std::string guid = RandomGuid();
  EXPECT_TRUE(IsGuid(guid)) << guid;
  EXPECT_EQ(guid[14], '4');
  EXPECT_NE(RandomGuid(), guid);
  EXPECT_EQ(RandomSecret().size(), 40u);
  EXPECT_NE(RandomSecret(), RandomSecret());
}

}  // namespace
}  // namespace lakeshift::identity
