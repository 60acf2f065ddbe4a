#pragma once
// injectord --config FILE: every option of the command line is also a key
// of the file (TOML, or INI: `state-dir = "/var/lib/injectord"`), flags given
// on the command line win over the file, and a key the daemon does not know
// is an error naming it, so a typo never passes silently as a default.

#include <CLI/CLI.hpp>
#include <optional>

namespace injector {

// Adds --config FILE and --print-config (the effective settings as TOML, then
// exit 0) to app. Call after every other option is added.
void add_config_file(CLI::App& app);

// Parses the command line and the file it names. Throws CLI::ParseError as
// CLI11 does; an unknown key throws CLI::ConfigError "config file F: unknown
// key 'K'; the keys are: ...".
void parse_with_config(CLI::App& app, int argc, const char* const* argv);

// For main(): parses, prints errors, --help, --version and --print-config the
// CLI11 way, and returns the exit code when main must stop there.
std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv);

}  // namespace injector
