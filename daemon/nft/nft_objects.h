#pragma once
// Owners for libnftnl objects (each freed by its own nftnl_*_free), and the
// comment userdata that marks tables and rules as ours. The comment is stored
// in nft's own TLV layout (NFTNL_UDATA_*_COMMENT), so `nft list ruleset`
// shows it as `comment "..."` next to the object.

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace injector::nft {

struct TableFree {
  void operator()(nftnl_table* t) const noexcept { nftnl_table_free(t); }
};
struct ChainFree {
  void operator()(nftnl_chain* c) const noexcept { nftnl_chain_free(c); }
};
struct RuleFree {
  void operator()(nftnl_rule* r) const noexcept { nftnl_rule_free(r); }
};
struct SetFree {
  void operator()(nftnl_set* s) const noexcept { nftnl_set_free(s); }
};
struct ExprFree {
  void operator()(nftnl_expr* e) const noexcept { nftnl_expr_free(e); }
};
struct ElemFree {
  void operator()(nftnl_set_elem* e) const noexcept { nftnl_set_elem_free(e); }
};

using TablePtr = std::unique_ptr<nftnl_table, TableFree>;
using ChainPtr = std::unique_ptr<nftnl_chain, ChainFree>;
using RulePtr = std::unique_ptr<nftnl_rule, RuleFree>;
using SetPtr = std::unique_ptr<nftnl_set, SetFree>;
using ExprPtr = std::unique_ptr<nftnl_expr, ExprFree>;
using ElemPtr = std::unique_ptr<nftnl_set_elem, ElemFree>;

// Allocators that throw (std::bad_alloc) instead of returning null.
TablePtr make_table();
ChainPtr make_chain();
RulePtr make_rule();
SetPtr make_set();
ElemPtr make_elem();
ExprPtr make_expr(const char* name);

// Userdata holding one comment TLV of the given type (the table, chain and
// rule comment types are all 0 in libnftnl's enums).
std::vector<std::uint8_t> comment_userdata(std::string_view comment);
// The comment in such userdata; empty if there is none (or it is not TLV).
std::string comment_from_userdata(const void* data, std::uint32_t len);

}  // namespace injector::nft
