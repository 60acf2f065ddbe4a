#include "etcd_codec.h"

#include <stdexcept>

#include "base64.h"

namespace payments {

using nlohmann::json;

int64_t json_int(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    size_t used = 0;
    int64_t v = std::stoll(s, &used);
    if (used != s.size()) throw std::invalid_argument(std::string("etcd: bad integer in ") + name);
    return v;
  }
  throw std::invalid_argument(std::string("etcd: field ") + name + " is not an integer");
}

std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd: "\0" as range_end means every key
}

Op put_op(std::string key, std::string value, int64_t lease) {
  return Op{Op::Kind::Put, std::move(key), std::move(value), lease, {}, false, nullptr};
}

Op range_op(std::string key, std::string range_end) {
  return Op{Op::Kind::Range, std::move(key), {}, 0, std::move(range_end), false, nullptr};
}

Op serializable_range_op(std::string key) {
  Op op = range_op(std::move(key));
  op.serializable = true;
  return op;
}

Op txn_op(Txn txn) { return Op{Op::Kind::Txn, {}, {}, 0, {}, false, std::make_shared<const Txn>(std::move(txn))}; }

namespace {

json compare_json(const Compare& c) {
  json j{{"key", base64_encode(c.key)}, {"result", "EQUAL"}};
  std::string v = std::to_string(c.value);
  switch (c.target) {
    case CmpTarget::Version: j["target"] = "VERSION"; j["version"] = v; break;
    case CmpTarget::Create: j["target"] = "CREATE"; j["create_revision"] = v; break;
    case CmpTarget::Mod: j["target"] = "MOD"; j["mod_revision"] = v; break;
  }
  return j;
}

json op_json(const Op& op) {
  if (op.kind == Op::Kind::Txn) return json{{"request_txn", txn_to_json(*op.txn)}};
  if (op.kind == Op::Kind::Put) {
    json put{{"key", base64_encode(op.key)}, {"value", base64_encode(op.value)}};
    if (op.lease != 0) put["lease"] = std::to_string(op.lease);
    return json{{"request_put", put}};
  }
  return json{{"request_range", range_request(op.key, op.range_end, 0, 0, op.serializable)}};
}

json ops_json(const std::vector<Op>& ops) {
  json arr = json::array();
  for (const auto& op : ops) arr.push_back(op_json(op));
  return arr;
}

// The gateway writes proto field names (snake_case); accept the camelCase
// spelling too, which other gateway configurations emit.
const json* field(const json& obj, const char* snake, const char* camel) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(snake);
  if (it != obj.end()) return &*it;
  it = obj.find(camel);
  return it != obj.end() ? &*it : nullptr;
}

int64_t int_field(const json& obj, const char* snake, const char* camel) {
  if (obj.contains(snake)) return json_int(obj, snake);
  return json_int(obj, camel);
}

KeyValue kv_from_json(const json& j) {
  KeyValue kv;
  if (!j.is_object()) throw std::invalid_argument("etcd: kv is not an object");
  kv.key = base64_decode(j.value("key", ""));
  kv.value = base64_decode(j.value("value", ""));
  kv.create_revision = int_field(j, "create_revision", "createRevision");
  kv.mod_revision = int_field(j, "mod_revision", "modRevision");
  kv.version = json_int(j, "version");
  kv.lease = json_int(j, "lease");
  return kv;
}

int64_t header_revision(const json& answer) {
  const json* h = field(answer, "header", "header");
  return h ? json_int(*h, "revision") : 0;
}

}  // namespace

json txn_to_json(const Txn& txn) {
  json cmp = json::array();
  for (const auto& c : txn.compares) cmp.push_back(compare_json(c));
  return json{{"compare", cmp}, {"success", ops_json(txn.success)}, {"failure", ops_json(txn.failure)}};
}

json range_request(const std::string& key, const std::string& range_end, int64_t revision, int64_t limit,
                   bool serializable) {
  json j{{"key", base64_encode(key)}};
  if (serializable) j["serializable"] = true;
  if (!range_end.empty()) j["range_end"] = base64_encode(range_end);
  if (revision != 0) j["revision"] = std::to_string(revision);
  if (limit != 0) j["limit"] = std::to_string(limit);
  return j;
}

RangeResult range_from_json(const json& answer) {
  if (!answer.is_object()) throw std::invalid_argument("etcd: range answer is not an object");
  RangeResult r;
  r.revision = header_revision(answer);
  if (const json* kvs = field(answer, "kvs", "kvs")) {
    if (!kvs->is_array()) throw std::invalid_argument("etcd: kvs is not an array");
    for (const auto& kv : *kvs) r.kvs.push_back(kv_from_json(kv));
  }
  r.count = json_int(answer, "count");
  r.more = answer.value("more", false);
  return r;
}

TxnResult txn_from_json(const json& answer) {
  if (!answer.is_object()) throw std::invalid_argument("etcd: txn answer is not an object");
  TxnResult t;
  t.revision = header_revision(answer);
  t.succeeded = answer.value("succeeded", false);
  if (const json* rs = field(answer, "responses", "responses")) {
    for (const auto& r : *rs) {
      const json* range = field(r, "response_range", "responseRange");
      t.responses.push_back(range ? range_from_json(*range) : RangeResult{});
      if (const json* nested = field(r, "response_txn", "responseTxn")) t.txns.push_back(txn_from_json(*nested));
    }
  }
  return t;
}

}  // namespace payments
