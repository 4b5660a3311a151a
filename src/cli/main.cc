// lakeshift: migrate Azure Data Lake Storage Gen1 to Gen2, with local emulators of both services.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "common/log.h"
#include "lakeshift_version.h"

int main(int argc, char** argv) {
  CLI::App app{"lakeshift " LAKESHIFT_VERSION
               ": migrates Azure Data Lake Storage Gen1 to Gen2 (data, ACLs, owners, times, expiry),\n"
               "with local emulators of both services.",
               "lakeshift"};
  app.set_version_flag("--version", "lakeshift " LAKESHIFT_VERSION);
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug detail to stderr");
  app.parse_complete_callback([&] {
    if (verbose) lakeshift::log::SetLevel(lakeshift::log::Level::kDebug);
  });
  int exit_code = 0;
  lakeshift::cli::AddDemoCommand(app, exit_code);
  lakeshift::cli::AddEmulateCommand(app, exit_code);
  lakeshift::cli::AddMigrateCommands(app, exit_code);
  lakeshift::cli::AddGatewayCommands(app, exit_code);
  lakeshift::cli::AddStoreCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
