#pragma once
// Text into XML, SVG and HTML. Names, summaries and details in a report come
// from users' YAML and from the systems under test (a probe's stdout), so
// every string is escaped and made valid XML 1.0 before it reaches markup: a
// name with `<&"'>` or a stray control byte must not break a CI's parser.

#include <string>
#include <string_view>

namespace injector::report {

// Escapes & < > " ' and replaces what XML 1.0 cannot carry at all (control
// characters other than tab, LF, CR; invalid UTF-8; U+FFFE/U+FFFF) with
// U+FFFD. Valid in element text and in attribute values alike.
std::string escape(std::string_view text);

}  // namespace injector::report
