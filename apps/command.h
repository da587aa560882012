#pragma once
// Subcommand registry of the varstar executable. Each apps/cmd_<name>.cpp
// registers itself with a static RegisterCommand; main() builds the CLI from
// the registry, ordered by `order`.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace varstar::app {

struct CommandSpec {
  std::string name;
  std::string description;
  int order = 100;                        // position in --help
  std::function<void(CLI::App&)> setup;   // adds options and sets the callback
};

inline std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> commands;
  return commands;
}

struct RegisterCommand {
  explicit RegisterCommand(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};

}  // namespace varstar::app
