#include "http/http_connections.h"

#include <gtest/gtest.h>

namespace lagoa::http {
namespace {

using Verdict = ConnectionTable::Verdict;

TEST(ConnectionTable, AtTheTotalEvictsTheOldestConnectionThatNeverSentARequestBeforeIdleOnes) {
  ConnectionTable table({.total_max = 3, .per_ip_max = 3});
  auto idle = table.Admit("10.0.0.1");
  ASSERT_TRUE(table.StartRequest(idle.id));
  table.FinishRequest(idle.id);  // served once, now idle between requests
  auto silent_a = table.Admit("10.0.0.2");
  auto silent_b = table.Admit("10.0.0.3");
  auto next = table.Admit("10.0.0.4");
  EXPECT_EQ(next.verdict, Verdict::kAdmitted);
  EXPECT_EQ(next.evicted, silent_a.id);
  EXPECT_FALSE(table.StartRequest(silent_a.id)) << "an evicted connection must not start a request";
  EXPECT_EQ(table.Admit("10.0.0.5").evicted, silent_b.id);
  EXPECT_EQ(table.Admit("10.0.0.6").evicted, next.id);
  EXPECT_EQ(table.size(), 3u);
}

TEST(ConnectionTable, NeverEvictsAConnectionServingARequestAndRefusesWhenAllAreBusy) {
  ConnectionTable table({.total_max = 2, .per_ip_max = 2});
  auto a = table.Admit("10.0.0.1");
  auto b = table.Admit("10.0.0.2");
  ASSERT_TRUE(table.StartRequest(a.id));
  ASSERT_TRUE(table.StartRequest(b.id));
  EXPECT_EQ(table.Admit("10.0.0.3").verdict, Verdict::kRefusedTotal);
  table.FinishRequest(b.id);
  auto c = table.Admit("10.0.0.3");
  EXPECT_EQ(c.verdict, Verdict::kAdmitted);
  EXPECT_EQ(c.evicted, b.id);
  table.Remove(a.id);
  EXPECT_EQ(table.Admit("10.0.0.4").evicted, std::nullopt);
}

TEST(ConnectionTable, AtTheLimitOfOneAddressEvictsOnlyThatAddresssConnections) {
  ConnectionTable table({.total_max = 10, .per_ip_max = 2});
  auto other = table.Admit("10.0.0.9");
  auto a = table.Admit("10.0.0.1");
  auto b = table.Admit("10.0.0.1");
  auto c = table.Admit("10.0.0.1");
  EXPECT_EQ(c.evicted, a.id) << "the address's own oldest waiting connection makes room, not 10.0.0.9's";
  EXPECT_EQ(table.CountOf("10.0.0.1"), 2u);
  ASSERT_TRUE(table.StartRequest(b.id));
  ASSERT_TRUE(table.StartRequest(c.id));
  EXPECT_EQ(table.Admit("10.0.0.1").verdict, Verdict::kRefusedPerIp);
  EXPECT_EQ(table.Admit("10.0.0.2").verdict, Verdict::kAdmitted);
  EXPECT_TRUE(table.StartRequest(other.id));
}

TEST(ConnectionTable, RemovingForgetsTheAddressAndAnEvictedConnectionTwice) {
  ConnectionTable table({.total_max = 1, .per_ip_max = 1});
  auto a = table.Admit("10.0.0.1");
  auto b = table.Admit("10.0.0.1");
  EXPECT_EQ(b.evicted, a.id);
  table.Remove(a.id);  // the evicted connection's own close: no double count
  EXPECT_EQ(table.CountOf("10.0.0.1"), 1u);
  table.Remove(b.id);
  EXPECT_EQ(table.CountOf("10.0.0.1"), 0u);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace lagoa::http
