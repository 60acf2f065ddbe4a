#include "daemon/tc/u32_filter.h"

#include <linux/if_ether.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>

#include "daemon/tc/handles.h"

namespace injector::tc {
namespace {

nl::Ptr<rtnl_cls> u32_on_root(int ifindex, std::uint16_t prio, Family family) {
  auto cls = nl::owned(rtnl_cls_alloc(), "u32 filter");
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls.get()), root_handle());
  nl::check("set filter kind u32", rtnl_tc_set_kind(TC_CAST(cls.get()), "u32"));
  rtnl_cls_set_prio(cls.get(), prio);
  rtnl_cls_set_protocol(cls.get(), family == Family::v4 ? ETH_P_IP : ETH_P_IPV6);
  return cls;
}

}  // namespace

void add_u32_filter(nl::Batch& batch, int ifindex, std::uint16_t prio, const U32Rule& rule,
                    std::uint32_t classid) {
  auto cls = u32_on_root(ifindex, prio, rule.family);
  for (const auto& key : rule.keys) {
    nl::check("add u32 key", rtnl_u32_add_key(cls.get(), key.value, key.mask, key.offset, 0));
  }
  nl::check("set u32 classid", rtnl_u32_set_classid(cls.get(), classid));
  // Like tc's "flowid": a match ends classification here.
  nl::check("set u32 terminal", rtnl_u32_set_cls_terminal(cls.get()));
  nl_msg* msg = nullptr;
  nl::check("build u32 filter", rtnl_cls_build_add_request(cls.get(), NLM_F_CREATE, &msg));
  batch.add(msg, "add u32 filter (prio " + std::to_string(prio) + ")");
}

void delete_u32_filters(const nl::Socket& sock, int ifindex, std::uint16_t prio, Family family) {
  auto cls = u32_on_root(ifindex, prio, family);
  const int rc = rtnl_cls_delete(sock.get(), cls.get(), 0);
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_INVAL) {
    nl::check("delete u32 filters (prio " + std::to_string(prio) + ")", rc);
  }
}

}  // namespace injector::tc
