// The migration engine end to end over real sockets: the Gen1 emulator (read through the Gen1 client with
// bearer tokens) to the Gen2 emulator (written through the Gen2 client with Shared Key), checked item by
// item through the engine's own verifier and directly.
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/log.h"
#include "emulator/gen1_emulator.h"
#include "emulator/gen2_emulator.h"
#include "gen1client/gen1_filesystem.h"
#include "gen2client/gen2_filesystem.h"
#include "identity/provider.h"
#include "migrate/journal.h"
#include "migrate/migrator.h"
#include "migrate/verify.h"
#include "testing/temp_dir.h"

namespace lakeshift::migrate {
namespace {

constexpr const char* kAlice = "a11ce000-0000-4000-8000-000000000001";
constexpr const char* kBob = "b0b00000-0000-4000-8000-000000000002";
constexpr const char* kTeam = "7ea30000-0000-4000-8000-000000000003";

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class MigrateEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("LAKESHIFT_DEBUG") != nullptr) log::SetLevel(log::Level::kDebug);
    identity::ProviderOptions po;
    po.data_dir = dir_.path() + "/identity";
    auto provider = identity::IdentityProvider::Open(po);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(*provider);

    emulator::Gen1EmulatorOptions g1;
    g1.port = 0;
    g1.data_dir = dir_.path() + "/gen1";
    g1.identity = provider_.get();
    auto gen1 = emulator::Gen1Emulator::Start(g1);
    ASSERT_TRUE(gen1.ok()) << gen1.status().ToString();
    gen1_ = std::move(*gen1);
    emulator::Gen2EmulatorOptions g2;
    g2.port = 0;
    g2.data_dir = dir_.path() + "/gen2";
    g2.identity = provider_.get();
    auto gen2 = emulator::Gen2Emulator::Start(g2);
    ASSERT_TRUE(gen2.ok()) << gen2.status().ToString();
    gen2_ = std::move(*gen2);

    gen1client::WebHdfsClientOptions o1;
    o1.endpoint = gen1_->url();
    identity::ClientCredentials admin{provider_->admin().client_id, provider_->admin().client_secret};
    const identity::IdentityProvider* p = provider_.get();
    o1.token = [p, admin]() -> Result<std::string> {
      ASSIGN_OR_RETURN(identity::IssuedToken t,
                       p->IssueClientCredentials(admin, identity::EndpointVersion::kV1, identity::kDataLakeAudience));
      return t.access_token;
    };
    source_ = std::make_shared<gen1client::Gen1FileSystem>(std::make_shared<gen1client::WebHdfsClient>(o1));
    gen2client::DfsClientOptions o2;
    o2.endpoint = gen2_->account_url();
    auto client = std::make_shared<gen2client::DfsClient>(
        o2, gen2client::Gen2Credential::SharedKey(emulator::kDevAccountName, emulator::kDevAccountKey));
    auto target = std::make_shared<gen2client::Gen2FileSystem>(client, "gen1");
    ASSERT_TRUE(target->CreateFilesystem().ok());
    target_ = target;
    auto journal = OpenSqliteJournal(dir_.path() + "/journal.db");
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    journal_ = std::move(*journal);
    options_.block_size = 1 << 20;  // so a few MiB make a "large" file
    options_.memory_limit = 16 << 20;
  }
  void TearDown() override {
    if (gen1_) gen1_->Stop();
    if (gen2_) gen2_->Stop();
  }

  void Write(const std::string& path, const std::string& data, const fs::CreateOptions& o = {}) {
    auto w = fs::WriteFile(*source_, path, data, o);
    ASSERT_TRUE(w.ok()) << path << ": " << w.status().ToString();
  }
  void SetAcl(const std::string& path, const std::string& spec) {
    fs::AccessControlChange c;
    c.acl_op = fs::AclOp::kModify;
    auto entries = acl::ParseAclSpec(spec);
    ASSERT_TRUE(entries.ok());
    c.acl_entries = *entries;
    auto r = source_->SetAccessControl(path, c);
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  }

  // A tree with every feature the migration carries.
  void BuildTree() {
    fs::CreateOptions dir;
    ASSERT_TRUE(source_->CreateDirectory("/lake/raw/2024", dir).ok());
    ASSERT_TRUE(source_->CreateDirectory("/lake/empty", dir).ok());
    Write("/lake/raw/2024/small.csv", "a,b\n1,2\n");
    Write("/lake/raw/2024/empty.bin", "");
    Write("/lake/raw/big.bin", Pattern((3 << 20) + 12345, 7));  // three blocks and a bit
    Write("/lake/raw/naïve résumé 12,+3#456?.txt", "unicode\n");
    SetAcl("/lake/raw", "user:" + std::string(kAlice) + ":r-x,group:" + kTeam + ":rwx,default:user:" + kBob + ":rwx");
    SetAcl("/lake/raw/2024/small.csv", "user:" + std::string(kBob) + ":rw-");
    fs::AccessControlChange owner;
    owner.owner = kAlice;
    owner.group = kTeam;
    ASSERT_TRUE(source_->SetAccessControl("/lake/raw/2024/small.csv", owner).ok());
    ASSERT_TRUE(source_->CreateDirectory("/lake/shared", dir).ok());
    fs::AccessControlChange sticky;
    sticky.mode = 01777;
    ASSERT_TRUE(source_->SetAccessControl("/lake/shared", sticky).ok());
    Write("/lake/shared/expiring.txt", "bye\n");
    fs::ExpirySpec expiry{fs::ExpirySpec::Kind::kAbsolute, 4102444800000};  // 2100-01-01
    ASSERT_TRUE(source_->SetExpiry("/lake/shared/expiring.txt", expiry).ok());
  }

  Result<MigrationReport> Run() {
    return Migrate({source_.get(), "/lake", "gen1:/lake"}, {target_.get(), "/", "gen2:/"}, *journal_, options_);
  }
  VerifyReport VerifyAll() {
    VerifyOptions vo;
    vo.journal = journal_.get();
    auto r = Verify({source_.get(), "/lake", "gen1:/lake"}, {target_.get(), "/", "gen2:/"}, vo);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  testing_util::TempDir dir_;
  std::unique_ptr<identity::IdentityProvider> provider_;
  std::unique_ptr<emulator::Gen1Emulator> gen1_;
  std::unique_ptr<emulator::Gen2Emulator> gen2_;
  std::shared_ptr<fs::FileSystem> source_;
  std::shared_ptr<fs::FileSystem> target_;
  std::unique_ptr<Journal> journal_;
  MigrateOptions options_;
};

TEST_F(MigrateEngineTest, CopiesEveryItemWithItsMetadataAndVerifiesClean) {
  BuildTree();
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->Summary();
  EXPECT_EQ(report->files_copied, 5);
  EXPECT_EQ(report->failed, 0);
  VerifyReport v = VerifyAll();
  EXPECT_EQ(v.difference_count, 0) << v.Summary();
  EXPECT_EQ(v.files, 5);

  auto big = fs::ReadFile(*target_, "/raw/big.bin");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(*big, Pattern((3 << 20) + 12345, 7));
  auto small = target_->GetAccessControl("/raw/2024/small.csv");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->owner, kAlice);
  EXPECT_EQ(small->group, kTeam);
  auto source_acl = source_->GetAccessControl("/lake/raw");
  auto target_acl = target_->GetAccessControl("/raw");
  ASSERT_TRUE(source_acl.ok() && target_acl.ok());
  EXPECT_EQ(source_acl->ToSpec(), target_acl->ToSpec());
  auto shared = target_->GetFileInfo("/shared");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->mode, 01777);
  auto expiring = target_->GetFileInfo("/shared/expiring.txt");
  ASSERT_TRUE(expiring.ok());
  EXPECT_EQ(expiring->expiry_time_ms, 4102444800000);
  auto source_small = source_->GetFileInfo("/lake/raw/2024/small.csv");
  auto target_small = target_->GetFileInfo("/raw/2024/small.csv");
  ASSERT_TRUE(source_small.ok() && target_small.ok());
  EXPECT_EQ(target_small->properties[kSourceModificationTimeProperty],
            std::to_string(source_small->modification_time_ms));
  EXPECT_TRUE(target_->GetFileInfo("/empty").ok());
}

TEST_F(MigrateEngineTest, ARerunTouchesOnlyWhatChanged) {
  BuildTree();
  ASSERT_TRUE(Run().ok());
  auto again = Run();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->files_copied, 0) << again->Summary();
  EXPECT_EQ(again->metadata_updated, 0) << again->Summary();
  EXPECT_EQ(again->deleted, 0);

  Write("/lake/raw/2024/new.csv", "new\n");
  Write("/lake/raw/2024/small.csv", "a,b\n1,2\n3,4\n", fs::CreateOptions{});
  ASSERT_TRUE(source_->Delete("/lake/raw/2024/empty.bin", fs::DeleteOptions{}).ok());
  fs::AccessControlChange chmod;
  chmod.mode = 0750;
  ASSERT_TRUE(source_->SetAccessControl("/lake/raw/naïve résumé 12,+3#456?.txt", chmod).ok());
  auto third = Run();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->files_copied, 2) << third->Summary();  // new.csv and small.csv
  EXPECT_EQ(third->metadata_updated, 1) << third->Summary();
  EXPECT_EQ(third->deleted, 1) << third->Summary();
  EXPECT_FALSE(target_->GetFileInfo("/raw/2024/empty.bin").ok());
  VerifyReport v = VerifyAll();
  EXPECT_EQ(v.difference_count, 0) << v.Summary();
}

TEST_F(MigrateEngineTest, VerifyReportsEveryKindOfDifference) {
  BuildTree();
  ASSERT_TRUE(Run().ok());
  ASSERT_TRUE(fs::WriteFile(*target_, "/raw/2024/small.csv", "tampered, and longer").ok());
  ASSERT_TRUE(fs::WriteFile(*target_, "/raw/naïve résumé 12,+3#456?.txt", "UNICODE\n").ok());
  ASSERT_TRUE(target_->Delete("/shared/expiring.txt", fs::DeleteOptions{}).ok());
  fs::AccessControlChange chmod;
  chmod.mode = 0700;
  ASSERT_TRUE(target_->SetAccessControl("/raw/big.bin", chmod).ok());
  ASSERT_TRUE(fs::WriteFile(*target_, "/extra.txt", "x").ok());
  VerifyReport v = VerifyAll();
  std::set<std::string> seen;
  for (const Difference& d : v.differences) seen.insert(d.path + " " + d.what);
  EXPECT_TRUE(seen.count("/raw/2024/small.csv size")) << v.Summary();
  EXPECT_TRUE(seen.count("/raw/naïve résumé 12,+3#456?.txt content")) << v.Summary();
  EXPECT_TRUE(seen.count("/shared/expiring.txt missing on target")) << v.Summary();
  EXPECT_TRUE(seen.count("/raw/big.bin permissions")) << v.Summary();
  EXPECT_TRUE(seen.count("/extra.txt only on target")) << v.Summary();
}

TEST_F(MigrateEngineTest, NamesGen2CannotHoldFollowThePolicy) {
  Write("/lake/ok.txt", "ok");
  Write("/lake/bad:name.txt", "colon");
  options_.names = NamePolicy::kStop;
  auto stopped = Run();
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->failed, 1);
  ASSERT_EQ(stopped->incompatible_names.size(), 1u);
  EXPECT_EQ(stopped->incompatible_names[0].path, "/bad:name.txt");

  options_.names = NamePolicy::kRename;
  auto renamed = Run();
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->failed, 0) << renamed->Summary();
  auto item = journal_->Get("/bad:name.txt");
  ASSERT_TRUE(item.ok() && item->has_value());
  EXPECT_NE((*item)->target_path, "/bad:name.txt");
  EXPECT_TRUE(target_->GetFileInfo((*item)->target_path).ok());
  VerifyReport v = VerifyAll();
  EXPECT_EQ(v.difference_count, 0) << v.Summary();
}

TEST_F(MigrateEngineTest, AJournalRefusesAnotherMigration) {
  ASSERT_TRUE(journal_->Bind("adl://a.azuredatalakestore.net/", "abfss://gen1@b.dfs.core.windows.net/").ok());
  Status other = journal_->Bind("adl://c.azuredatalakestore.net/", "abfss://gen1@b.dfs.core.windows.net/");
  EXPECT_EQ(other.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.message().find("belongs to the migration from adl://a"), std::string::npos) << other.message();
}

}  // namespace
}  // namespace lakeshift::migrate
