#include "daemon/config_file.h"
#include "common/strings.h"

#include <iostream>
#include <string>

namespace injector {
namespace {

constexpr const char* kPrintConfig = "--print-config";

std::string known_keys(const CLI::App& app) {
  std::string keys;
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->get_configurable() || opt->get_lnames().empty()) continue;
    keys += (keys.empty() ? "" : ", ") + opt->get_lnames().front();
  }
  return keys;
}

}  // namespace

void add_config_file(CLI::App& app) {
  app.set_config("--config", "",
                 "Read settings from this TOML (or INI) file: each key is a long flag's name without the dashes; "
                 "flags on the command line win");
  app.allow_config_extras(CLI::config_extras_mode::error);
  static const std::string help = "Print the effective settings (file and flags) as TOML and exit";
  app.add_flag(kPrintConfig, help)->configurable(false);
}

void parse_with_config(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    // CLI11 says "INI was not able to parse KEY" for a key no option claims.
    const std::string prefix = "INI was not able to parse ";
    const std::string what = e.what();
    if (what.rfind(prefix, 0) != 0) throw;
    const CLI::Option* file = app.get_config_ptr();
    throw CLI::ConfigError("config file " + (file ? file->as<std::string>() : std::string("?")) + ": unknown key " +
                           quote_input(what.substr(prefix.size())) + "; the keys are: " + known_keys(app));
  }
}

std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv) {
  try {
    parse_with_config(app, argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.get_option(kPrintConfig)->count() > 0) {
    std::cout << app.config_to_str(true, false);
    return 0;
  }
  return std::nullopt;
}

}  // namespace injector
