#include <gtest/gtest.h>

#include "lock/pool.h"
#include "scratch_dir.h"
#include "supervise/lock.h"

namespace supervise::lock {
namespace {

Ticket ticket(std::uint64_t seq, int priority, double since, double aging = 60) {
    Ticket t;
    t.seq = seq;
    t.priority = priority;
    t.since = since;
    t.aging = aging;
    return t;
}

std::vector<std::uint64_t> order(std::vector<Ticket> tickets, double now) {
    order_queue(tickets, now);
    std::vector<std::uint64_t> seqs;
    for (const auto& t : tickets) seqs.push_back(t.seq);
    return seqs;
}

TEST(QueuePriority, RisesOneStepPerAgingPeriod) {
    EXPECT_EQ(queue_priority(0, 0, 60), 0);
    EXPECT_EQ(queue_priority(0, 59.9, 60), 0);
    EXPECT_EQ(queue_priority(0, 60, 60), 1);
    EXPECT_EQ(queue_priority(-3, 125, 60), -1);
    EXPECT_EQ(queue_priority(5, -10, 60), 5);  // (a clock step back: no less than asked)
}

TEST(OrderQueue, HigherPriorityFirstThenArrival) {
    std::vector<Ticket> tickets{ticket(1, 0, 100), ticket(2, 0, 101), ticket(3, 5, 102),
                                ticket(4, -1, 103)};
    EXPECT_EQ(order(tickets, 110), (std::vector<std::uint64_t>{3, 1, 2, 4}));
    EXPECT_FALSE(plain_queue(tickets));
}

TEST(OrderQueue, AWaiterAgesPastLaterHigherPriorities) {
    // seq 1 has waited 10 minutes (10 steps) when seq 2 of priority 9 arrives: 1 goes first;
    // seq 3 of priority 11 outranks it.
    std::vector<Ticket> tickets{ticket(1, 0, 0), ticket(2, 9, 600), ticket(3, 11, 600)};
    EXPECT_EQ(order(tickets, 600), (std::vector<std::uint64_t>{3, 1, 2}));
}

TEST(OrderQueue, EqualPrioritiesKeepArrivalOrderWhateverTheTime) {
    std::vector<Ticket> tickets{ticket(2, 0, 50), ticket(1, 0, 10), ticket(3, 0, 90)};
    for (double now : {90.0, 130.0, 10000.0})
        EXPECT_EQ(order(tickets, now), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_TRUE(plain_queue(tickets));
    EXPECT_FALSE(next_reorder(tickets, 100));
}

TEST(NextReorder, IsTheNextStepOfAnyWaiter) {
    std::vector<Ticket> tickets{ticket(1, 0, 0, 10), ticket(2, 3, 4, 10)};
    EXPECT_DOUBLE_EQ(*next_reorder(tickets, 5), 10);
    EXPECT_DOUBLE_EQ(*next_reorder(tickets, 10), 14);
}

std::map<int, OwnerRecord> holding(std::initializer_list<std::uint64_t> reserved) {
    std::map<int, OwnerRecord> holders;
    int slot = 0;
    for (auto r : reserved) {
        holders[slot].slot = slot;
        holders[slot++].reserved = r;
    }
    return holders;
}

TEST(MayBackfill, OnlyWhatCannotDelayTheHead) {
    // budget 1000, a holder of 600: 400 left, the head needs 800
    auto holders = holding({600});
    EXPECT_TRUE(may_backfill(200, 800, 400, holders));   // 200 + 800 <= 400 + 600
    EXPECT_FALSE(may_backfill(300, 800, 400, holders));  // the head would wait for it
    EXPECT_FALSE(may_backfill(500, 100, 400, holders));  // does not fit now
    // Two holders: the first to end may be the smaller one.
    EXPECT_TRUE(may_backfill(200, 500, 300, holding({600})));
    EXPECT_FALSE(may_backfill(200, 500, 300, holding({300, 600})));
    EXPECT_TRUE(may_backfill(100, 800, 100, holding({800, 900})));
    // A head that fits now keeps its room.
    EXPECT_TRUE(may_backfill(100, 300, 400, holders));
    EXPECT_FALSE(may_backfill(200, 300, 400, holders));
    EXPECT_FALSE(may_backfill(100, 800, 400, {}));
}

class TicketFile : public testing::ScratchDir {};

TEST_F(TicketFile, KeepsWhatTheWaiterAskedFor) {
    PoolPaths paths{"p", path("pool")};
    auto lock = open_pool(paths);
    Ticket asked;
    asked.command = "make";
    asked.priority = -7;
    asked.aging = 2.5;
    asked.need = 123456789;
    asked.backfill = true;
    auto taken = take_ticket(paths, asked);
    auto leaf = taken.ticket.path.substr(taken.ticket.path.rfind('/') + 1);
    auto read = read_ticket(paths, leaf);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->priority, -7);
    EXPECT_DOUBLE_EQ(read->aging, 2.5);
    EXPECT_EQ(read->need, 123456789u);
    EXPECT_TRUE(read->backfill);
    EXPECT_EQ(read->command, "make");
    EXPECT_EQ(read->seq, taken.ticket.seq);
}

}  // namespace
}  // namespace supervise::lock
