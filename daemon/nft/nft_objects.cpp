#include "daemon/nft/nft_objects.h"

#include <libnftnl/udata.h>

#include <new>

namespace injector::nft {
namespace {

template <class Ptr, class Raw>
Ptr owned(Raw* raw) {
  if (!raw) throw std::bad_alloc();
  return Ptr(raw);
}

// nft's comment type is 0 for tables, chains and rules alike; checked here so
// a libnftnl that renumbered them fails to build instead of writing nonsense.
static_assert(NFTNL_UDATA_TABLE_COMMENT == 0 && NFTNL_UDATA_CHAIN_COMMENT == 0 && NFTNL_UDATA_RULE_COMMENT == 0);
constexpr std::uint8_t kCommentType = 0;

}  // namespace

TablePtr make_table() { return owned<TablePtr>(nftnl_table_alloc()); }
ChainPtr make_chain() { return owned<ChainPtr>(nftnl_chain_alloc()); }
RulePtr make_rule() { return owned<RulePtr>(nftnl_rule_alloc()); }
SetPtr make_set() { return owned<SetPtr>(nftnl_set_alloc()); }
ElemPtr make_elem() { return owned<ElemPtr>(nftnl_set_elem_alloc()); }
ExprPtr make_expr(const char* name) { return owned<ExprPtr>(nftnl_expr_alloc(name)); }

std::vector<std::uint8_t> comment_userdata(std::string_view comment) {
  const std::string text(comment);
  std::unique_ptr<nftnl_udata_buf, void (*)(const nftnl_udata_buf*)> buf(
      nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8), nftnl_udata_buf_free);
  if (!buf) throw std::bad_alloc();
  if (!nftnl_udata_put_strz(buf.get(), kCommentType, text.c_str())) {
    throw std::length_error("nft comment too long: " + text);
  }
  const auto* data = static_cast<const std::uint8_t*>(nftnl_udata_buf_data(buf.get()));
  return {data, data + nftnl_udata_buf_len(buf.get())};
}

std::string comment_from_userdata(const void* data, std::uint32_t len) {
  // Parsed by hand with bounds checks: libnftnl's parser trusts the lengths,
  // and a foreign table's userdata can hold anything.
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t at = 0;
  while (p && at + 2 <= len) {
    const std::uint8_t type = p[at];
    const std::uint8_t size = p[at + 1];
    if (at + 2 + size > len) return {};
    if (type == kCommentType) {
      std::string s(reinterpret_cast<const char*>(p + at + 2), size);
      // Stored with its NUL (nftnl_udata_put_strz); tolerate one without.
      if (!s.empty() && s.back() == '\0') s.pop_back();
      return s;
    }
    at += 2u + size;
  }
  return {};
}

}  // namespace injector::nft
