#pragma once
// Subcommand registration for the `lakeshift` binary. Each file registers its subcommands on the app and
// returns the exit code through the shared `exit_code` slot.

#include <cstdint>
#include <string>

#include "common/status.h"

namespace CLI {
class App;
}

namespace lakeshift::cli {

void AddStoreCommands(CLI::App& app, int& exit_code);
void AddDemoCommand(CLI::App& app, int& exit_code);
void AddEmulateCommand(CLI::App& app, int& exit_code);
void AddMigrateCommands(CLI::App& app, int& exit_code);
void AddGatewayCommands(CLI::App& app, int& exit_code);

// "127.0.0.1:10004" -> host, port (0 picks a free port). Errors name --listen and show the right form.
Status ParseListen(const std::string& text, std::string* host, uint16_t* port);

}  // namespace lakeshift::cli
