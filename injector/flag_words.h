#pragma once
// The CLI's words for the API's fields: an error about `lifetime.duration_ms`
// is shown to someone who typed `--for`, so it says `--for`.

#include <string>
#include <iosfwd>
#include <string_view>

namespace injector::cli {

// "lifetime.duration_ms" -> "--for", "match.to[3]" -> "--to", "impairments.delay.time_us" -> "--delay";
// a field with no flag of its own comes back unchanged.
std::string flag_for_field(std::string_view field);

}  // namespace injector::cli

namespace CLI {
class App;
}

namespace injector::cli {

// CLI11 checks for required flags and subcommands before it reports what it
// did not recognise, so `--device eth0` read as "--dev is required" and
// `fault aply` as "A subcommand is required". After a parse error: prints
// what was not understood, where, and the nearest valid name; false when
// everything was recognised (the parse error itself is then the news).
bool explain_unrecognised(const CLI::App& app, std::ostream& err);

}  // namespace injector::cli
