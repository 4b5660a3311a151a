// `lakeshift store ...`: inspect and change a local namespace store directory (an emulator's --data DIR)
// directly, without a server.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/path.h"
#include "store/local_store.h"

namespace lakeshift::cli {
namespace {

struct StoreArgs {
  std::string data;
  std::string rules;  // empty: the rules the store was created with (gen2 for a new store)
  std::string as_user;
  std::vector<std::string> groups;
};

// Reads a local file as a stream, so `put` never holds a whole file in memory.
class LocalFileStream final : public fs::InputStream {
 public:
  explicit LocalFileStream(const std::string& file) : in_(file, std::ios::binary) {}
  bool ok() const { return static_cast<bool>(in_); }
  Result<size_t> Read(char* buf, size_t n) override {
    in_.read(buf, static_cast<std::streamsize>(n));
    if (in_.bad()) return IoError("read error");
    return static_cast<size_t>(in_.gcount());
  }

 private:
  std::ifstream in_;
};

Result<std::shared_ptr<fs::FileSystem>> OpenView(const StoreArgs& args, std::shared_ptr<store::LocalStore>* keep) {
  store::LocalStoreOptions options;
  options.directory = args.data;
  if (args.rules == "gen1") {
    options.policy = &acl::AclPolicy::Gen1();
  } else if (args.rules == "gen2") {
    options.policy = &acl::AclPolicy::Gen2();
  } else if (args.rules.empty()) {
    options.policy = nullptr;  // whatever the store was created with
  } else {
    return InvalidArgument("--rules must be gen1 or gen2, not \"" + args.rules + "\"");
  }
  ASSIGN_OR_RETURN(*keep, store::LocalStore::Open(options));
  if (args.as_user.empty()) return (*keep)->AsSuperuser();
  return (*keep)->ForCaller(acl::Caller{args.as_user, args.groups, false});
}

int Fail(const Status& status, const std::string& what) {
  std::cerr << "lakeshift store " << what << ": " << status.ToString() << "\n";
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

// Registers a subcommand whose body gets an open FileSystem view.
CLI::App* AddStoreSubcommand(CLI::App& store, const StoreArgs& args, int& exit_code, const std::string& name,
                             const std::string& help, const std::function<Status(fs::FileSystem&)>& body) {
  CLI::App* sub = store.add_subcommand(name, help);
  sub->callback([&args, &exit_code, name, body] {
    std::shared_ptr<store::LocalStore> keep;
    auto view = OpenView(args, &keep);
    if (!view.ok()) {
      exit_code = Fail(view.status(), name);
      return;
    }
    Status s = body(**view);
    if (!s.ok()) exit_code = Fail(s, name);
  });
  return sub;
}

}  // namespace

void AddStoreCommands(CLI::App& app, int& exit_code) {
  auto* store = app.add_subcommand("store", "Inspect or change a local store directory (an emulator's --data DIR)");
  store->require_subcommand(1);
  static StoreArgs args;
  store->add_option("--data", args.data, "Store directory (created if missing)")->required();
  store->add_option("--rules", args.rules, "ACL rules of a new store: gen1 or gen2 (default: as created, else gen2)")
      ->check(CLI::IsMember({"gen1", "gen2"}));
  store->add_option("--as", args.as_user, "Act as this user object id instead of a superuser");
  store->add_option("--groups", args.groups, "Groups of the --as user")->delimiter(',');

  static std::string path_arg = "/", second_arg, spec_arg;
  static bool recursive = false;
  static std::string mode_arg;

  auto* ls = AddStoreSubcommand(*store, args, exit_code, "ls", "List a directory", [](fs::FileSystem& fs) -> Status {
    ASSIGN_OR_RETURN(fs::FileInfo info, fs.GetFileInfo(path_arg));
    if (!info.is_directory()) {
      std::cout << FormatLongListing(info) << "\n";
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(auto entries, fs::ListAll(fs, path_arg, recursive));
    for (const fs::FileInfo& e : entries) std::cout << FormatLongListing(e) << "\n";
    return Status::Ok();
  });
  ls->add_option("path", path_arg, "Path (default /)");
  ls->add_flag("-R,--recursive", recursive, "List the whole subtree");

  auto* stat = AddStoreSubcommand(*store, args, exit_code, "stat", "Show one item", [](fs::FileSystem& fs) -> Status {
    ASSIGN_OR_RETURN(fs::FileInfo i, fs.GetFileInfo(path_arg));
    std::cout << FormatLongListing(i) << "\n  etag " << i.etag << "\n  created " << FormatUtcMillis(i.creation_time_ms)
              << "\n  accessed " << FormatUtcMillis(i.access_time_ms) << "\n  expires "
              << (i.expiry_time_ms ? FormatUtcMillis(i.expiry_time_ms) : std::string("never")) << "\n";
    for (const auto& [k, v] : i.properties) std::cout << "  property " << k << "=" << v << "\n";
    return Status::Ok();
  });
  stat->add_option("path", path_arg, "Path")->required();

  auto* mkdir = AddStoreSubcommand(*store, args, exit_code, "mkdir", "Create a directory and its parents",
                                   [](fs::FileSystem& fs) -> Status {
                                     fs::CreateOptions options;
                                     if (!mode_arg.empty()) {
                                       ASSIGN_OR_RETURN(acl::Mode mode, acl::ParseMode(mode_arg));
                                       options.permission = mode;
                                     }
                                     return fs.CreateDirectory(path_arg, options).status();
                                   });
  mkdir->add_option("path", path_arg, "Path")->required();
  mkdir->add_option("-m,--mode", mode_arg, "Permission, octal (0750) or symbolic (rwxr-x---)");

  auto* put =
      AddStoreSubcommand(*store, args, exit_code, "put", "Upload a local file", [](fs::FileSystem& fs) -> Status {
        LocalFileStream in(second_arg);
        if (!in.ok()) return InvalidArgument("cannot open local file " + second_arg);
        RETURN_IF_ERROR(fs.CreateFile(path_arg, {}).status());
        ASSIGN_OR_RETURN(int64_t end, fs.Append(path_arg, 0, in, {}));
        return fs.Flush(path_arg, end, {}).status();
      });
  put->add_option("local", second_arg, "Local file")->required();
  put->add_option("path", path_arg, "Store path")->required();

  auto* cat = AddStoreSubcommand(*store, args, exit_code, "cat", "Print a file", [](fs::FileSystem& fs) -> Status {
    ASSIGN_OR_RETURN(fs::ReadHandle h, fs.OpenRead(path_arg, {}));
    char buf[1 << 16];
    while (true) {
      ASSIGN_OR_RETURN(size_t n, h.stream->Read(buf, sizeof(buf)));
      if (n == 0) break;
      std::cout.write(buf, static_cast<std::streamsize>(n));
    }
    return Status::Ok();
  });
  cat->add_option("path", path_arg, "Path")->required();

  auto* rm = AddStoreSubcommand(*store, args, exit_code, "rm", "Delete a file or directory", [](fs::FileSystem& fs) {
    fs::DeleteOptions options;
    options.recursive = recursive;
    return fs.Delete(path_arg, options);
  });
  rm->add_option("path", path_arg, "Path")->required();
  rm->add_flag("-r,--recursive", recursive, "Delete a non-empty directory and everything in it");

  auto* mv = AddStoreSubcommand(*store, args, exit_code, "mv", "Rename a file or directory",
                                [](fs::FileSystem& fs) { return fs.Rename(path_arg, second_arg, {}); });
  mv->add_option("source", path_arg, "Source path")->required();
  mv->add_option("destination", second_arg, "Destination path")->required();

  auto* getfacl = AddStoreSubcommand(*store, args, exit_code, "getfacl", "Show owner, group and ACL",
                                     [](fs::FileSystem& fs) -> Status {
                                       ASSIGN_OR_RETURN(acl::AclState s, fs.GetAccessControl(path_arg));
                                       std::cout << "# owner: " << s.owner << "\n# group: " << s.group
                                                 << "\n# flags: " << (s.sticky ? "--t" : "---") << "\n";
                                       for (const acl::AclEntry& e : s.AllEntries()) std::cout << e.ToString() << "\n";
                                       return Status::Ok();
                                     });
  getfacl->add_option("path", path_arg, "Path")->required();

  static std::string acl_mode = "set";
  auto* setfacl =
      AddStoreSubcommand(*store, args, exit_code, "setfacl", "Change an ACL", [](fs::FileSystem& fs) -> Status {
        fs::AccessControlChange change;
        if (acl_mode == "set") change.acl_op = fs::AclOp::kSet;
        if (acl_mode == "modify") change.acl_op = fs::AclOp::kModify;
        if (acl_mode == "remove") change.acl_op = fs::AclOp::kRemoveEntries;
        if (acl_mode == "remove-all") change.acl_op = fs::AclOp::kRemoveAll;
        if (acl_mode == "remove-default") change.acl_op = fs::AclOp::kRemoveDefault;
        if (acl_mode == "set" || acl_mode == "modify" || acl_mode == "remove") {
          if (spec_arg.empty()) return InvalidArgument("--" + acl_mode + " needs an ACL spec");
          ASSIGN_OR_RETURN(change.acl_entries, acl::ParseAclSpec(spec_arg, acl_mode != "remove"));
        }
        return fs.SetAccessControl(path_arg, change).status();
      });
  setfacl->add_option("path", path_arg, "Path")->required();
  setfacl->add_option("spec", spec_arg, "ACL spec, e.g. user::rwx,group::r-x,other::---,user:<oid>:r-x");
  setfacl->add_option("--op", acl_mode, "set (default), modify, remove, remove-all or remove-default")
      ->check(CLI::IsMember({"set", "modify", "remove", "remove-all", "remove-default"}));

  auto* chmod =
      AddStoreSubcommand(*store, args, exit_code, "chmod", "Set permission bits", [](fs::FileSystem& fs) -> Status {
        fs::AccessControlChange change;
        ASSIGN_OR_RETURN(change.mode, acl::ParseMode(mode_arg));
        return fs.SetAccessControl(path_arg, change).status();
      });
  chmod->add_option("mode", mode_arg, "Octal (1750) or symbolic (rwxr-x--T)")->required();
  chmod->add_option("path", path_arg, "Path")->required();

  auto* chown = AddStoreSubcommand(*store, args, exit_code, "chown", "Set owner and/or group", [](fs::FileSystem& fs) {
    fs::AccessControlChange change;
    size_t colon = second_arg.find(':');
    std::string owner = second_arg.substr(0, colon);
    if (!owner.empty()) change.owner = owner;
    if (colon != std::string::npos && colon + 1 < second_arg.size()) change.group = second_arg.substr(colon + 1);
    if (!change.owner && !change.group) return InvalidArgument("give OWNER, OWNER:GROUP or :GROUP");
    return fs.SetAccessControl(path_arg, change).status();
  });
  chown->add_option("owner", second_arg, "OWNER, OWNER:GROUP or :GROUP (object ids)")->required();
  chown->add_option("path", path_arg, "Path")->required();

  auto* check = store->add_subcommand("check", "Check the store's metadata and content files for damage");
  check->callback([&exit_code] {
    std::shared_ptr<store::LocalStore> keep;
    auto view = OpenView(args, &keep);
    Status s = view.ok() ? keep->CheckConsistency() : view.status();
    if (!s.ok()) {
      exit_code = Fail(s, "check");
      return;
    }
    std::cout << "store " << args.data << " is consistent\n";
  });
}

}  // namespace lakeshift::cli
