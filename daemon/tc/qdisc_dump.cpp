#include "daemon/tc/qdisc_dump.h"

#include <linux/gen_stats.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstring>
#include <memory>

namespace injector::tc {
namespace {

struct DumpContext {
  int ifindex = 0;
  std::vector<QdiscInfo>* out = nullptr;
};

void read_stats(nlattr* stats2, QdiscInfo& info) {
  nlattr* tb[TCA_STATS_MAX + 1] = {};
  if (nla_parse_nested(tb, TCA_STATS_MAX, stats2, nullptr) < 0) return;
  if (tb[TCA_STATS_BASIC] && nla_len(tb[TCA_STATS_BASIC]) >= static_cast<int>(sizeof(gnet_stats_basic))) {
    gnet_stats_basic basic{};
    std::memcpy(&basic, nla_data(tb[TCA_STATS_BASIC]), sizeof basic);
    info.bytes = basic.bytes;
    info.packets = basic.packets;
  }
  if (tb[TCA_STATS_QUEUE] && nla_len(tb[TCA_STATS_QUEUE]) >= static_cast<int>(sizeof(gnet_stats_queue))) {
    gnet_stats_queue queue{};
    std::memcpy(&queue, nla_data(tb[TCA_STATS_QUEUE]), sizeof queue);
    info.drops = queue.drops;
  }
}

int on_qdisc(nl_msg* msg, void* arg) {
  auto* ctx = static_cast<DumpContext*>(arg);
  nlmsghdr* hdr = nlmsg_hdr(msg);
  if (hdr->nlmsg_type != RTM_NEWQDISC || nlmsg_datalen(hdr) < static_cast<int>(sizeof(tcmsg))) return NL_SKIP;
  const auto* tcm = static_cast<const tcmsg*>(nlmsg_data(hdr));
  if (ctx->ifindex != 0 && tcm->tcm_ifindex != ctx->ifindex) return NL_SKIP;
  nlattr* tb[TCA_MAX + 1] = {};
  if (nlmsg_parse(hdr, sizeof(tcmsg), tb, TCA_MAX, nullptr) < 0) return NL_SKIP;
  QdiscInfo info;
  info.ifindex = tcm->tcm_ifindex;
  info.handle = tcm->tcm_handle;
  info.parent = tcm->tcm_parent;
  if (tb[TCA_KIND]) info.kind = nla_get_string(tb[TCA_KIND]);
  if (tb[TCA_STATS2]) read_stats(tb[TCA_STATS2], info);
  ctx->out->push_back(std::move(info));
  return NL_OK;
}

}  // namespace

std::vector<QdiscInfo> dump_qdiscs(const nl::Socket& sock, int ifindex) {
  tcmsg request{};
  request.tcm_family = AF_UNSPEC;
  request.tcm_ifindex = ifindex;
  nl::check("request qdisc dump",
            nl_send_simple(sock.get(), RTM_GETQDISC, NLM_F_DUMP, &request, sizeof request));
  std::vector<QdiscInfo> out;
  DumpContext ctx{ifindex, &out};
  std::unique_ptr<nl_cb, decltype(&nl_cb_put)> cb(nl_cb_clone(nl_socket_get_cb(sock.get())), &nl_cb_put);
  if (!cb) throw nl::NetlinkError("allocate netlink callback", -NLE_NOMEM);
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_qdisc, &ctx);
  nl::check("read qdisc dump", nl_recvmsgs(sock.get(), cb.get()));
  return out;
}

}  // namespace injector::tc
