#pragma once
// Subcommand registration for the `lakeshift` binary. Each file registers its subcommands on the app and
// returns the exit code through the shared `exit_code` slot.

namespace CLI {
class App;
}

namespace lakeshift::cli {

void AddStoreCommands(CLI::App& app, int& exit_code);
void AddDemoCommand(CLI::App& app, int& exit_code);
void AddEmulateCommand(CLI::App& app, int& exit_code);
void AddMigrateCommands(CLI::App& app, int& exit_code);

}  // namespace lakeshift::cli
