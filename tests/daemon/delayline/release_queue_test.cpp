#include "daemon/delayline/release_queue.h"

#include <gtest/gtest.h>

#include <vector>

#include "daemon/delayline/packet_io.h"

namespace {

using injector::delayline::HeldPacket;
using injector::delayline::Released;
using injector::delayline::ReleaseQueue;

HeldPacket packet(std::uint32_t id) { return HeldPacket{id, 100, false, false, {}}; }

std::vector<std::uint32_t> ids(const std::vector<Released>& rs) {
  std::vector<std::uint32_t> out;
  for (const auto& r : rs) out.push_back(r.packet.packet_id);
  return out;
}

TEST(ReleaseQueue, ReleasesByTimeThenArrival) {
  ReleaseQueue q(100);
  q.push(30, packet(1));
  q.push(10, packet(2));
  q.push(20, packet(3));
  q.push(10, packet(4));  // same time as 2: arrival order decides
  EXPECT_EQ(q.earliest(), 10);
  std::vector<Released> out;
  q.pop_due(20, out);
  EXPECT_EQ(ids(out), (std::vector<std::uint32_t>{2, 4, 3}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.earliest(), 30);
  out.clear();
  q.pop_due(29, out);
  EXPECT_TRUE(out.empty()) << "nothing before its time";
  q.pop_all(out);
  EXPECT_EQ(ids(out), (std::vector<std::uint32_t>{1}));
  EXPECT_FALSE(q.earliest().has_value());
}

TEST(ReleaseQueue, DropTailAtTheLimitIsCounted) {
  ReleaseQueue q(3);
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(q.push(100, packet(i)));
  EXPECT_FALSE(q.push(1, packet(9))) << "full: even an earlier packet is refused";
  EXPECT_FALSE(q.push(200, packet(10)));
  EXPECT_EQ(q.overflow(), 2u);
  std::vector<Released> out;
  q.pop_due(100, out);
  EXPECT_EQ(ids(out), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_TRUE(q.push(5, packet(11))) << "room again";
}

TEST(ReleaseQueue, FlagsPacketsThatOvertakeEarlierArrivals) {
  ReleaseQueue q(100);
  q.push(50, packet(1));
  q.push(10, packet(2));  // overtakes 1
  q.push(60, packet(3));
  std::vector<Released> out;
  q.pop_all(out);
  ASSERT_EQ(ids(out), (std::vector<std::uint32_t>{2, 1, 3}));
  EXPECT_TRUE(out[0].overtook);
  EXPECT_FALSE(out[1].overtook);
  EXPECT_FALSE(out[2].overtook);
}

// A 20-byte IPv4 header + 8-byte UDP header + payload.
std::vector<std::uint8_t> udp4(std::size_t payload) {
  std::vector<std::uint8_t> p(28 + payload, 0);
  p[0] = 0x45;
  p[9] = 17;
  return p;
}

TEST(PacketIo, TransportPayloadOffsetSkipsIpAndTransportHeaders) {
  using injector::delayline::transport_payload_offset;
  EXPECT_EQ(transport_payload_offset(udp4(10)), 28u);
  auto tcp = udp4(40);
  tcp[9] = 6;
  tcp[20 + 12] = 8 << 4;  // 32-byte TCP header (options)
  EXPECT_EQ(transport_payload_offset(tcp), 52u);
  std::vector<std::uint8_t> v6(40 + 8 + 4, 0);
  v6[0] = 0x60;
  v6[6] = 58;  // ICMPv6
  EXPECT_EQ(transport_payload_offset(v6), 48u);
  EXPECT_EQ(transport_payload_offset(std::vector<std::uint8_t>{0x00, 0x01}), 0u) << "not IP";
}

TEST(PacketIo, CorruptionFlipsExactlyOneBitOfThePayload) {
  std::mt19937 rng(3);
  for (int round = 0; round < 200; ++round) {
    const auto original = udp4(16);
    auto p = original;
    injector::delayline::corrupt_one_bit(p, rng);
    int flipped = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const int bits = __builtin_popcount(p[i] ^ original[i]);
      if (bits) {
        EXPECT_GE(i, 28u) << "headers untouched";
      }
      flipped += bits;
    }
    EXPECT_EQ(flipped, 1);
  }
}

}  // namespace
