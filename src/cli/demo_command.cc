// `lakeshift demo`: the Quick start's first command. Today it builds a sample Gen1-style lake in a local
// store (nested directories, awkward names, ACLs with default entries, a sticky directory, expiry) and
// shows it; as the emulators and the migration engine land it grows into an end-to-end migration.
#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "store/local_store.h"

namespace lakeshift::cli {
namespace {

constexpr const char* kAnalyst = "3883e0e8-9ad3-440d-b6f6-6ed492ae1ae7";
constexpr const char* kEngineers = "6d863d4c-7e16-4c1b-b0de-1f0f8dbb2afe";

Status BuildSampleLake(fs::FileSystem& lake) {
  fs::CreateOptions shared;
  shared.permission = 0770;
  RETURN_IF_ERROR(lake.CreateDirectory("/raw/sales", shared).status());
  fs::AccessControlChange team;
  team.acl_op = fs::AclOp::kModify;
  ASSIGN_OR_RETURN(team.acl_entries, acl::ParseAclSpec(std::string("group:") + kEngineers + ":r-x,default:group:" +
                                                       kEngineers + ":r-x,default:user:" + kAnalyst + ":r-x"));
  RETURN_IF_ERROR(lake.SetAccessControl("/raw/sales", team).status());
  // The analyst may traverse to the data (execute on every ancestor), as Gen1 requires.
  fs::AccessControlChange traverse;
  traverse.acl_op = fs::AclOp::kModify;
  ASSIGN_OR_RETURN(traverse.acl_entries, acl::ParseAclSpec(std::string("user:") + kAnalyst + ":--x"));
  for (const char* dir : {"/", "/raw", "/raw/sales"}) RETURN_IF_ERROR(lake.SetAccessControl(dir, traverse).status());
  // Created after the default ACL, so the partition and its files inherit the team's entries.
  RETURN_IF_ERROR(lake.CreateDirectory("/raw/sales/2026", {}).status());
  for (const char* name :
       {"/raw/sales/2026/january.csv", "/raw/sales/2026/12,+3#456?.txt", "/raw/sales/2026/unicode ÄÖÜ 日本語.csv"}) {
    RETURN_IF_ERROR(
        fs::WriteFile(lake, name, std::string("region,amount\nnorth,") + std::to_string(std::strlen(name)) + "\n")
            .status());
  }
  RETURN_IF_ERROR(lake.CreateDirectory("/raw/sales/empty-partition", {}).status());
  RETURN_IF_ERROR(lake.CreateDirectory("/tmp", {}).status());
  fs::AccessControlChange sticky;
  sticky.mode = 01777;
  RETURN_IF_ERROR(lake.SetAccessControl("/tmp", sticky).status());
  RETURN_IF_ERROR(fs::WriteFile(lake, "/tmp/scratch.bin", std::string(4096, 'x')).status());
  fs::ExpirySpec next_year{fs::ExpirySpec::Kind::kRelativeToNow, 365LL * 24 * 3600 * 1000};
  RETURN_IF_ERROR(lake.SetExpiry("/tmp/scratch.bin", next_year).status());
  RETURN_IF_ERROR(lake.SetTimes("/raw/sales/2026/january.csv", 1495839590893, 1495839590856).status());
  return Status::Ok();
}

}  // namespace

void AddDemoCommand(CLI::App& app, int& exit_code) {
  auto* demo = app.add_subcommand("demo", "Build a sample Gen1-style lake in a local store and show it");
  static std::string data = "lakeshift-demo";
  demo->add_option("--data", data, "Store directory (default ./lakeshift-demo; replaced if it holds a demo)");
  demo->callback([&exit_code] {
    store::LocalStoreOptions options;
    options.directory = data;
    options.policy = &acl::AclPolicy::Gen1();
    options.root_group = "00000000-0000-0000-0000-000000000000";  // Gen1's root owning group
    options.root_mode = 0770;
    auto store = store::LocalStore::Open(options);
    if (!store.ok()) {
      std::cerr << "lakeshift demo: " << store.status() << "\n";
      exit_code = 1;
      return;
    }
    auto lake = (*store)->AsSuperuser();
    fs::DeleteOptions everything;
    everything.recursive = true;
    for (const char* top : {"/raw", "/tmp"}) {
      Status gone = lake->Delete(top, everything);
      if (!gone.ok() && gone.code() != StatusCode::kNotFound) {
        std::cerr << "lakeshift demo: " << gone << "\n";
        exit_code = 1;
        return;
      }
    }
    Status built = BuildSampleLake(*lake);
    if (!built.ok()) {
      std::cerr << "lakeshift demo: building the sample lake failed: " << built << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "Sample Gen1-style lake in local store " << data << " (Gen1 ACL rules):\n";
    auto all = fs::ListAll(*lake, "/", /*recursive=*/true);
    for (const fs::FileInfo& e : all.ok() ? *all : std::vector<fs::FileInfo>{}) {
      std::cout << "  " << FormatLongListing(e) << "\n";
    }
    auto acl = lake->GetAccessControl("/raw/sales/2026/january.csv");
    if (acl.ok()) std::cout << "ACL inherited by /raw/sales/2026/january.csv: " << acl->ToSpec() << "\n";
    Status consistent = (*store)->CheckConsistency();
    std::cout << "Store check: " << (consistent.ok() ? "consistent" : consistent.ToString()) << "\n";
    std::cout << "Explore it with: lakeshift store --data " << data << " ls -R /\n"
              << "Next (coming with the emulators and the migration engine): serve it as a Gen1 account and "
                 "migrate it to a Gen2 emulator.\n";
    if (!consistent.ok()) exit_code = 1;
  });
}

}  // namespace lakeshift::cli
