// quote_input() and printable(): the one way a message quotes what a user or a
// peer sent. Whatever goes in, what comes out is valid UTF-8 with nothing a
// terminal or a log reader would act on, and no longer than the cap.

#include "common/strings.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace {

using injector::printable;
using injector::quote_input;
using nlohmann::json;
constexpr std::size_t kCap = injector::limits::kMaxQuoted;

// Valid UTF-8 (a strict dump() throws otherwise) and no C0 control or DEL.
::testing::AssertionResult safe(const std::string& s) {
  try {
    (void)json(s).dump();
  } catch (const json::exception& e) {
    return ::testing::AssertionFailure() << "not valid UTF-8: " << e.what();
  }
  for (const unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return ::testing::AssertionFailure() << "control byte " << int(c) << " in " << json(s).dump();
  }
  return ::testing::AssertionSuccess();
}

TEST(Printable, PlainAndMultiByteTextIsUnchanged) {
  for (const std::string s : {"", "eth0", "10.0.0.0/8", "caf\xC3\xA9", "\xE4\xB8\xAD\xE6\x96\x87", "\xF0\x9F\x98\x80"}) {
    EXPECT_EQ(printable(s), s);
    EXPECT_EQ(quote_input(s), "'" + s + "'");
  }
}

TEST(Printable, ExactlyAtTheCapIsWholeAndOneMoreIsCut) {
  const std::string at(kCap, 'x');
  EXPECT_EQ(printable(at), at);
  EXPECT_EQ(quote_input(at), "'" + at + "'");
  const std::string over(kCap + 1, 'x');
  EXPECT_EQ(printable(over), at + "...");
  EXPECT_EQ(quote_input(over), "'" + at + "...' (65 bytes)");
  // The cap counts what is written: 16 invalid bytes are 64 bytes of \xNN.
  EXPECT_EQ(printable(std::string(16, '\xFF')).size(), kCap);
  EXPECT_EQ(printable(std::string(17, '\xFF')), printable(std::string(16, '\xFF')) + "...");
}

// The failure: a 2-, 3- or 4-byte character across the cut must not
// be halved. Every offset of each across the cap.
TEST(Printable, CutsBetweenCharactersNeverInsideOne) {
  for (const std::string ch : {"\xD5\xA2", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (std::size_t pad = kCap - 5; pad <= kCap + 1; ++pad) {
      std::string value(pad, '@');
      for (int i = 0; i < 10; ++i) value += ch;
      const std::string p = printable(value);
      EXPECT_TRUE(safe(p)) << "pad " << pad << " char of " << ch.size();
      ASSERT_TRUE(p.ends_with("...")) << p;
      const std::string kept = p.substr(0, p.size() - 3);
      EXPECT_LE(kept.size(), kCap);
      EXPECT_GT(kept.size() + ch.size(), kCap) << "cut earlier than it had to";
      EXPECT_EQ(value.substr(0, kept.size()), kept) << "the kept part is the start of the value, unchanged";
      EXPECT_TRUE(safe(quote_input(value)));
    }
  }
}

TEST(Printable, InvalidBytesBecomeHexEscapes) {
  EXPECT_EQ(printable("a\xFF" "b"), "a\\xFFb");
  EXPECT_EQ(printable("\x80"), "\\x80");                      // a lone continuation byte
  EXPECT_EQ(printable("x\xC3"), "x\\xC3");                    // a character cut short at the end
  EXPECT_EQ(printable("\xE2\x82" "A"), "\\xE2\\x82A");        // and in the middle
  EXPECT_EQ(printable("\xC0\xAF"), "\\xC0\\xAF");             // overlong '/'
  EXPECT_EQ(printable("\xED\xA0\x80"), "\\xED\\xA0\\x80");    // a UTF-16 surrogate
  EXPECT_EQ(printable("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // beyond U+10FFFF
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  EXPECT_TRUE(safe(printable(all, 4096)));
  EXPECT_TRUE(safe(quote_input(all)));
}

TEST(Printable, ControlAndInvisibleCharactersAreEscaped) {
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(printable("\x1B[31mred"), "\\x1B[31mred");        // a terminal colour sequence
  EXPECT_EQ(printable(std::string("\0x", 2)), "\\x00x");
  EXPECT_EQ(printable("\x7F"), "\\x7F");
  EXPECT_EQ(printable("\xC2\x85"), "\\u{0085}");               // C1 next line
  EXPECT_EQ(printable("abc\xE2\x80\xAE" "cba"), "abc\\u{202E}cba");  // right-to-left override
  EXPECT_EQ(printable("\xE2\x80\xA8"), "\\u{2028}");           // line separator
  EXPECT_EQ(printable("\xEF\xBB\xBF" "x"), "\\u{FEFF}x");        // byte order mark
  EXPECT_EQ(printable("\xE2\x80\x8B"), "\\u{200B}");           // zero width space
}

TEST(Printable, BackslashAndQuoteCannotForgeAnEscapeOrAnEnd) {
  EXPECT_EQ(printable("a\\xFF"), "a\\\\xFF");
  EXPECT_EQ(printable("it's"), "it's");
  EXPECT_EQ(quote_input("it's"), "'it\\'s'");
}

TEST(Printable, AnyCapHoldsEvenWhenItSplitsAnEscape) {
  for (std::size_t cap = 0; cap < 12; ++cap) {
    const std::string p = printable("\n\xFF\xE2\x80\xAE\xF0\x9F\x98\x80", cap);
    EXPECT_LE(p.size(), cap + 3) << cap;
    EXPECT_TRUE(safe(p)) << cap;
  }
  EXPECT_EQ(printable("\n\xFF", 3), "\\n...");  // \xFF (4 bytes) does not fit after \n
}

TEST(Utf8Sequence, ReadsValidCharactersAndRefusesTheRest) {
  std::uint32_t cp = 0;
  EXPECT_EQ(injector::utf8_sequence("\xF0\x9F\x98\x80", 0, cp), 4u);
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(injector::utf8_sequence("\xE2\x82", 0, cp), 0u);
  EXPECT_EQ(injector::utf8_sequence("\xE0\x80\x80", 0, cp), 0u);  // overlong NUL
}

}  // namespace
