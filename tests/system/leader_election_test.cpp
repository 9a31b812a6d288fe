// Leadership among aggregator instances through a PostgreSQL advisory lock, against a real
// PostgreSQL cluster made by the test: one leader, takeover when the leader's session ends
// (stopped, killed, terminated by the server), and no leader while the database is away.
#include "aggregator/cluster/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "tests/support/pg_cluster.h"

namespace gridsight::test {
namespace {

using aggregator::cluster::LeaderElection;

// One instance's view: its leadership and every change it was told of.
struct Instance {
  Instance(const std::string& name, const std::string& dsn, std::int64_t key) {
    LeaderElection::Options o;
    o.dsn = dsn;
    o.lock_key = key;
    o.instance = name;
    o.retry = 100ms;
    election = std::make_unique<LeaderElection>(o, [this](bool leader) {
      std::lock_guard lock(mu);
      changes.push_back(leader);
    });
  }
  std::vector<bool> seen() {
    std::lock_guard lock(mu);
    return changes;
  }
  std::mutex mu;
  std::vector<bool> changes;
  std::unique_ptr<LeaderElection> election;
};

// One cluster for the whole binary (initdb is the slow part); a fresh database and lock key
// per test.
class LeaderElectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("gridsight-leader");
    cluster_ = new PgCluster(dir_->path());
    cluster_->start();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete dir_;
  }
  void SetUp() override {
    if (!cluster_->is_running()) cluster_->start();
    static int n = 0;
    ++n;
    db_ = "t" + std::to_string(n);
    key_ = 1000 + n;
    cluster_->create_database(db_);
  }
  static inline TempDir* dir_ = nullptr;
  static inline PgCluster* cluster_ = nullptr;
  std::string db_;
  std::int64_t key_ = 0;
};

TEST_F(LeaderElectionTest, OneLeaderAndTakeoverWhenItStops) {
  Instance a("a", cluster_->dsn(db_), key_), b("b", cluster_->dsn(db_), key_);
  a.election->start();
  ASSERT_TRUE(wait_until([&] { return a.election->is_leader(); }, 60s));
  b.election->start();
  // b has tried (its session shows up at the server) and is a standby.
  ASSERT_TRUE(wait_until(
      [&] {
        return cluster_->psql(
                   "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE "
                   "application_name = 'gridsight-leader:b' AND datname = '" +
                   db_ +
                   "') THEN RAISE 'no b'; END IF; "
                   "END $$") == 0;
      },
      60s));
  EXPECT_TRUE(a.election->is_leader());
  EXPECT_FALSE(b.election->is_leader());

  a.election->stop();
  EXPECT_FALSE(a.election->is_leader());
  ASSERT_TRUE(wait_until([&] { return b.election->is_leader(); }, 60s));
  EXPECT_EQ(a.seen(), (std::vector<bool>{true, false}));
  EXPECT_EQ(b.seen(), (std::vector<bool>{true}));
}

TEST_F(LeaderElectionTest, ALeaderWhoseSessionIsTerminatedStepsDownAndTheStandbyTakesOver) {
  Instance a("a", cluster_->dsn(db_), key_), b("b", cluster_->dsn(db_), key_);
  a.election->start();
  ASSERT_TRUE(wait_until([&] { return a.election->is_leader(); }, 60s));
  b.election->start();
  // As the server does for a leader whose process was killed or whose host vanished.
  ASSERT_EQ(cluster_->psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           "application_name = 'gridsight-leader:a' AND datname = '" +
                           db_ + "'"),
            0);
  ASSERT_TRUE(wait_until([&] { return b.election->is_leader(); }, 60s));
  ASSERT_TRUE(wait_until([&] { return a.seen().size() >= 2; }, 60s));
  EXPECT_EQ(a.seen()[1], false);
  // a reconnects as a standby: b keeps the lead.
  ASSERT_TRUE(wait_until([&] { return a.election->problem().empty(); }, 60s));
  EXPECT_TRUE(b.election->is_leader());
  EXPECT_EQ(b.seen(), (std::vector<bool>{true}));
}

TEST_F(LeaderElectionTest, NoLeaderWhileTheDatabaseIsDownAndOneWhenItReturns) {
  Instance a("a", cluster_->dsn(db_), key_);
  a.election->start();
  ASSERT_TRUE(wait_until([&] { return a.election->is_leader(); }, 60s));
  cluster_->stop();
  ASSERT_TRUE(wait_until([&] { return !a.election->is_leader(); }, 60s));
  ASSERT_TRUE(wait_until([&] { return !a.election->problem().empty(); }, 60s));
  cluster_->start();
  ASSERT_TRUE(wait_until([&] { return a.election->is_leader(); }, 60s));
  EXPECT_TRUE(a.election->problem().empty());
  EXPECT_EQ(a.seen(), (std::vector<bool>{true, false, true}));
}

}  // namespace
}  // namespace gridsight::test
