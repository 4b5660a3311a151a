#include "emulator/gen2_copy.h"

#include <gtest/gtest.h>

#include "store/local_store.h"
#include "testing/status_macros.h"
#include "testing/temp_dir.h"

namespace lakeshift::emulator {
namespace {

constexpr const char* kOid = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7";

std::shared_ptr<store::LocalStore> Open(const std::string& dir) {
  store::LocalStoreOptions options;
  options.directory = dir;
  auto opened = store::LocalStore::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *opened : nullptr;
}

class MoveAcrossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    from_store_ = Open(dir_.path() + "/from");
    to_store_ = Open(dir_.path() + "/to");
    from_ = from_store_->AsSuperuser();
    to_ = to_store_->AsSuperuser();
  }

  testing_util::TempDir dir_;
  std::shared_ptr<store::LocalStore> from_store_, to_store_;
  std::shared_ptr<fs::FileSystem> from_, to_;
  acl::Caller caller_ = acl::Caller::Superuser();
};

TEST_F(MoveAcrossTest, MovesATreeWithEverythingARenameKeeps) {
  fs::CreateOptions dir_options;
  dir_options.acl = *acl::ParseAclSpec(std::string("user::rwx,group::r-x,other::---,user:") + kOid +
                                       ":r-x,mask::r-x,default:user::rwx,default:group::r-x,default:other::---");
  ASSERT_OK(from_->CreateDirectory("/src", dir_options));
  ASSERT_OK(from_->CreateDirectory("/src/sub/deeper", {}));
  fs::CreateOptions file_options;
  file_options.properties = {{"origin", "gen1"}};
  file_options.content.content_type = "text/csv";
  file_options.owner = "11111111-1111-1111-1111-111111111111";
  file_options.permission = 01640;
  ASSERT_OK(from_->CreateFile("/src/sub/data.csv", file_options));
  fs::StringInputStream data("a,b\n1,2\n");
  ASSERT_OK(from_->Append("/src/sub/data.csv", 0, data, {}));
  fs::FlushOptions flush;
  flush.content_md5 = "kAFQmDzST7DWlj99KOF/cg==";
  ASSERT_OK(from_->Flush("/src/sub/data.csv", 8, flush));
  ASSERT_OK(from_->CreateFile("/src/empty", {}));
  auto before = from_->GetFileInfo("/src/sub/data.csv");
  ASSERT_OK(before);
  ASSERT_OK(to_->CreateDirectory("/target", {}));

  ASSERT_OK(MoveAcross(*from_, "/src", *to_, "/target/moved", caller_));

  EXPECT_CODE(from_->GetFileInfo("/src"), StatusCode::kNotFound);
  EXPECT_TRUE(to_->GetFileInfo("/target/moved/sub/deeper")->is_directory());
  EXPECT_EQ(to_->GetFileInfo("/target/moved/empty")->size, 0);
  EXPECT_EQ(*fs::ReadFile(*to_, "/target/moved/sub/data.csv"), "a,b\n1,2\n");
  auto after = to_->GetFileInfo("/target/moved/sub/data.csv");
  ASSERT_OK(after);
  EXPECT_EQ(after->properties, before->properties);
  EXPECT_EQ(after->content.content_type, "text/csv");
  EXPECT_EQ(after->content_md5, "kAFQmDzST7DWlj99KOF/cg==");
  EXPECT_EQ(after->owner, "11111111-1111-1111-1111-111111111111");
  EXPECT_EQ(after->mode, before->mode);  // the sticky bit included
  EXPECT_EQ(after->has_extended_acl, before->has_extended_acl);
  EXPECT_EQ(to_->GetAccessControl("/target/moved")->ToSpec(),
            std::string("user::rwx,user:") + kOid +
                ":r-x,group::r-x,mask::r-x,other::---,default:user::rwx,default:group::r-x,default:other::---");
}

TEST_F(MoveAcrossTest, ReplacesTheDestinationAndRefusesWhatARenameRefuses) {
  ASSERT_OK(fs::WriteFile(*from_, "/f", "new"));
  ASSERT_OK(fs::WriteFile(*to_, "/f", "old"));
  ASSERT_OK(MoveAcross(*from_, "/f", *to_, "/f", caller_));
  EXPECT_EQ(*fs::ReadFile(*to_, "/f"), "new");

  ASSERT_OK(fs::WriteFile(*from_, "/g", "x"));
  ASSERT_OK(to_->CreateDirectory("/dir", {}));
  EXPECT_CODE(MoveAcross(*from_, "/g", *to_, "/dir", caller_), StatusCode::kConflict);
  EXPECT_CODE(MoveAcross(*from_, "/g", *to_, "/missing/g", caller_), StatusCode::kParentNotFound);
  EXPECT_CODE(MoveAcross(*from_, "/nothing", *to_, "/h", caller_), StatusCode::kNotFound);
  ASSERT_OK(from_->CreateDirectory("/d", {}));
  ASSERT_OK(fs::WriteFile(*to_, "/full/child", "x"));
  EXPECT_CODE(MoveAcross(*from_, "/d", *to_, "/full", caller_), StatusCode::kDirectoryNotEmpty);
  EXPECT_TRUE(from_->GetFileInfo("/g").ok());  // nothing moved
}

}  // namespace
}  // namespace lakeshift::emulator
