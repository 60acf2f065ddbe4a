#include "injector/report/markup.h"

#include <gtest/gtest.h>

namespace {

using injector::report::escape;

TEST(Markup, EscapesTheFiveMarkupCharacters) {
  EXPECT_EQ(escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
}

TEST(Markup, KeepsUtf8Text) {
  EXPECT_EQ(escape("杭州 → 深圳 ✓ 😀"), "杭州 → 深圳 ✓ 😀");
}

TEST(Markup, KeepsWhitespaceAsCharacterReferencesSoAttributesDoNotFoldIt) {
  EXPECT_EQ(escape("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
}

// XML 1.0 has no way to carry these, not even as references: a stray byte
// from a probe's stdout must not make junit.xml unparseable.
TEST(Markup, ReplacesWhatXmlCannotCarry) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(escape(std::string("a\0b", 3)), "a" + r + "b");
  EXPECT_EQ(escape("\x01\x1b[31m"), r + r + "[31m");
  EXPECT_EQ(escape("\xEF\xBF\xBE"), r);               // U+FFFE
  EXPECT_EQ(escape("x\xC3"), "x" + r);                // truncated sequence
  EXPECT_EQ(escape("\xC0\xAF"), r + r);               // overlong '/'
  EXPECT_EQ(escape("\xED\xA0\x80"), r + r + r);       // a UTF-16 surrogate
  EXPECT_EQ(escape("\xF4\x90\x80\x80"), r + r + r + r);  // beyond U+10FFFF
  EXPECT_EQ(escape("\xFF" "ok"), r + "ok");
}

TEST(Markup, EmptyStaysEmpty) { EXPECT_EQ(escape(""), ""); }

}  // namespace
