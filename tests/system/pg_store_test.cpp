// The aggregator's PostgreSQL store against a real PostgreSQL 15 made by the test
// (tests/support/pg_cluster.h): migrations, idempotency by event id across connections, the
// evidence index, untrusted bytes, and the errors an operator sees for a wrong DSN, a wrong
// password, a schema newer than the binary and a read-only database.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "aggregator/store/postgresql/connection.h"
#include "aggregator/store/postgresql/pg_event_store.h"
#include "aggregator/store/postgresql/schema.h"
#include "tests/support/pg_cluster.h"

namespace gridsight::test {
namespace {

using aggregator::PgEventStore;

protocol::Event event(const std::string& id, std::uint64_t seq,
                      const std::string& device = "edge-1") {
  protocol::Event e;
  e.event_id = id;
  e.device_id = device;
  e.camera_id = "cam-1";
  e.seq = seq;
  e.type = "zone.intrusion";
  e.start_ms = 1'700'000'000'000 + static_cast<std::int64_t>(seq);
  e.confidence = 0.9;
  e.location = protocol::GeoPoint{120.155, 30.274, protocol::Crs::kGcj02};
  e.evidence.push_back({"sha256:" + std::string(64, 'a'), 1234, "image/jpeg", "snapshot"});
  return e;
}

// One cluster for the whole binary (initdb is the slow part); a fresh database per test.
class PgStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("gridsight-pg");
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
    db_ = "t" + std::to_string(++n);
    cluster_->create_database(db_);
  }
  std::string dsn() const { return cluster_->dsn(db_); }
  void migrate() {
    pg::Connection c(dsn());
    pg::migrate(c);
  }
  std::int64_t count(const std::string& sql) {
    pg::Connection c(dsn());
    return c.exec(sql).int64(0, 0);
  }

  static inline TempDir* dir_ = nullptr;
  static inline PgCluster* cluster_ = nullptr;
  std::string db_;
};

TEST_F(PgStoreTest, MigrationsApplyOnceAndTheSchemaIsCurrent) {
  pg::Connection c(dsn());
  EXPECT_EQ(pg::schema_version(c), 0);
  EXPECT_EQ(pg::migrate(c), static_cast<int>(pg::migrations().size()));
  EXPECT_EQ(pg::schema_version(c), pg::known_schema_version());
  EXPECT_EQ(pg::migrate(c), 0);  // nothing left to apply
  EXPECT_NO_THROW(pg::require_current_schema(c));
}

TEST_F(PgStoreTest, InstancesMigratingTogetherApplyEachMigrationOnce) {
  std::atomic<int> applied{0};
  std::vector<std::thread> instances;
  for (int i = 0; i < 4; ++i) {
    instances.emplace_back([&] {
      pg::Connection c(dsn());
      applied += pg::migrate(c);
    });
  }
  for (auto& t : instances) t.join();
  EXPECT_EQ(applied.load(), static_cast<int>(pg::migrations().size()));
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_migrations"),
            static_cast<std::int64_t>(pg::migrations().size()));
}

TEST_F(PgStoreTest, AnEventIsStoredOnceWhicheverConnectionStoresIt) {
  migrate();
  PgEventStore a(dsn()), b(dsn());
  a.begin();
  EXPECT_TRUE(a.insert_event(event("0190a000-0000-7000-8000-000000000001", 1), "{\"x\":1}", 5));
  a.commit();
  b.begin();
  EXPECT_FALSE(b.insert_event(event("0190a000-0000-7000-8000-000000000001", 1), "{\"x\":1}", 6));
  b.commit();
  EXPECT_EQ(a.counts().events, 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM event_evidence"), 1);
  EXPECT_EQ(count("SELECT received_ms FROM events"), 5);  // the first store's row stands
}

// The evidence index the API reads through: an event's references by role (byte order, as
// SQLite sorts them), whichever connection stored the event.
TEST_F(PgStoreTest, AStoredEventsEvidenceReadsBackByRole) {
  migrate();
  PgEventStore a(dsn()), b(dsn());
  protocol::Event e = event("0190a000-0000-7000-8000-000000000002", 2);
  e.evidence.push_back({"sha256:" + std::string(64, 'c'), 4096, "video/mp4", "clip"});
  a.begin();
  ASSERT_TRUE(a.insert_event(e, "{}", 5));
  a.commit();
  aggregator::EventEvidenceIndex& index = b;
  const std::vector<aggregator::EventEvidence> expected{
      {"clip", "video/mp4", 4096, "sha256:" + std::string(64, 'c')},
      {"snapshot", "image/jpeg", 1234, "sha256:" + std::string(64, 'a')}};
  EXPECT_EQ(index.evidence_of_event(e.event_id), expected);
  EXPECT_TRUE(index.evidence_of_event("0190a000-0000-7000-8000-00000000ffff").empty());
}

TEST_F(PgStoreTest, ConcurrentInstancesStoreEachOfManyEventsExactlyOnce) {
  migrate();
  constexpr int kEvents = 200;
  std::atomic<int> inserted{0};
  std::vector<std::thread> instances;
  for (int i = 0; i < 3; ++i) {
    instances.emplace_back([&, i] {
      PgEventStore s(dsn());
      // Every instance receives every event (a broker re-delivery), in batches of 10.
      for (int n = 0; n < kEvents; n += 10) {
        s.begin();
        for (int k = n; k < n + 10; ++k) {
          char id[40];
          std::snprintf(id, sizeof id, "0190a000-0000-7000-8000-%012d", (k + i * 7) % kEvents);
          if (s.insert_event(event(id, static_cast<std::uint64_t>(k + 1)), "{}", k)) ++inserted;
        }
        s.commit();
      }
    });
  }
  for (auto& t : instances) t.join();
  EXPECT_EQ(inserted.load(), kEvents);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), kEvents);
}

TEST_F(PgStoreTest, RolledBackWorkLeavesNothing) {
  migrate();
  PgEventStore s(dsn());
  s.begin();
  EXPECT_TRUE(s.insert_event(event("0190a000-0000-7000-8000-000000000009", 9), "{}", 1));
  s.rollback();
  EXPECT_EQ(s.counts().events, 0u);
}

TEST_F(PgStoreTest, DeadLettersKeepRawBytesAndStoreValidText) {
  migrate();
  PgEventStore s(dsn());
  aggregator::DeadLetter d;
  d.device_id = "edge-1";
  d.topic = "gridsight/v1/edge-1/events";
  d.code = "invalid_json";
  d.field = "";
  d.reason = std::string("syntax error at byte 3: \xFF\xFE not UTF-8");
  d.payload = std::string("\xFF\xFE\x00{", 4);
  d.received_ms = 42;
  s.begin();
  s.add_dead_letter(d);
  s.commit();
  pg::Connection c(dsn());
  auto r = c.exec("SELECT reason, payload FROM dead_letters");
  ASSERT_EQ(r.rows(), 1);
  EXPECT_EQ(r.text(0, 0), "syntax error at byte 3: \\xFF\\xFE not UTF-8");
  EXPECT_EQ(r.bytes(0, 1), d.payload);
  EXPECT_EQ(s.counts().dead_letters, 1u);
}

TEST_F(PgStoreTest, SequencesStatesTelemetryAndEvidenceRoundTrip) {
  migrate();
  PgEventStore s(dsn());
  aggregator::SequenceState seq;
  seq.next_expected = 17;
  seq.replays = 2;
  seq.gaps = {{3, 5, false}, {9, 9, true}};
  s.begin();
  s.save_sequence("edge-1", seq);
  protocol::DeviceState birth;
  birth.device_id = "edge-1";
  birth.online = true;
  birth.version = "1.2.3";
  birth.session = "s1";
  birth.at_ms = 100;
  birth.clock_synced = true;
  s.record_state(birth, "{\"birth\":1}", 101);
  protocol::DeviceState will;
  will.device_id = "edge-1";
  will.reason = "lost";
  s.record_state(will, "{}", 200);
  s.record_telemetry("edge-1", "{\"t\":1}", 300, 301);
  aggregator::EvidenceRow ev;
  ev.hash = "sha256:" + std::string(64, 'b');
  ev.device_id = "edge-1";
  ev.event_id = "0190a000-0000-7000-8000-000000000001";
  ev.media_type = "video/mp4";
  ev.size = 1000;
  ev.received = 400;
  ev.updated_ms = 7;
  s.put_evidence(ev);
  ev.received = 1000;
  ev.complete = true;
  s.put_evidence(ev);
  s.commit();

  EXPECT_EQ(s.load_sequences().at("edge-1"), seq);
  auto got = s.evidence(ev.hash);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->complete);
  EXPECT_EQ(got->received, 1000u);
  EXPECT_EQ(s.evidence_bytes("edge-1"), 1000u);
  EXPECT_FALSE(s.evidence("sha256:" + std::string(64, 'c')).has_value());
  pg::Connection c(dsn());
  auto r = c.exec("SELECT online, state_reason, version, birth, last_telemetry FROM devices");
  ASSERT_EQ(r.rows(), 1);
  EXPECT_FALSE(r.boolean(0, 0));
  EXPECT_EQ(r.text(0, 1), "lost");
  EXPECT_EQ(r.text(0, 2), "1.2.3");          // kept from the birth
  EXPECT_EQ(r.text(0, 3), "{\"birth\":1}");  // kept from the birth
  EXPECT_EQ(r.text(0, 4), "{\"t\":1}");
}

TEST_F(PgStoreTest, ASchemaNewerThanTheBinaryIsRefusedByName) {
  migrate();
  ASSERT_EQ(
      cluster_->psql("INSERT INTO schema_migrations(version, name) VALUES(999, 'future')", db_), 0);
  try {
    PgEventStore s(dsn());
    FAIL() << "a schema newer than the binary was accepted";
  } catch (const pg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("schema is at version 999, newer than this"),
              std::string::npos)
        << e.what();
  }
  pg::Connection c(dsn());
  EXPECT_THROW(pg::migrate(c), pg::Error);
}

TEST_F(PgStoreTest, AnUnmigratedDatabaseNamesTheCommandToRun) {
  try {
    PgEventStore s(dsn());
    FAIL() << "an empty database was accepted";
  } catch (const pg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("run `gridsight-aggregator migrate`"), std::string::npos)
        << e.what();
  }
}

TEST_F(PgStoreTest, AWrongPasswordAndAWrongAddressAreNamed) {
  try {
    pg::Connection c(cluster_->dsn(db_, PgCluster::kUser, "not-the-password"));
    FAIL() << "a wrong password connected";
  } catch (const pg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("password authentication failed"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("check the user and password"), std::string::npos);
  }
  const int nobody = free_port();
  try {
    pg::Connection c("host=127.0.0.1 port=" + std::to_string(nobody) + " dbname=" + db_);
    FAIL() << "a port nobody listens on connected";
  } catch (const pg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("is PostgreSQL running"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pg::Connection("this is not a connection string"), pg::Error);
}

TEST_F(PgStoreTest, AReadOnlyDatabaseIsNamedAsSuch) {
  migrate();
  ASSERT_EQ(cluster_->psql("ALTER DATABASE " + db_ + " SET default_transaction_read_only = on"), 0);
  pg::Connection c(dsn());
  EXPECT_TRUE(c.read_only());
  try {
    pg::migrate(c);
    FAIL() << "migrated a read-only database";
  } catch (const pg::Error& e) {
    EXPECT_TRUE(e.read_only());
    EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos) << e.what();
  }
  PgEventStore s(dsn());
  s.begin();
  try {
    s.insert_event(event("0190a000-0000-7000-8000-000000000002", 2), "{}", 1);
    FAIL() << "wrote to a read-only database";
  } catch (const pg::Error& e) {
    EXPECT_TRUE(e.read_only()) << e.what();
  }
}

TEST_F(PgStoreTest, CommittedEventsSurviveAServerCrash) {
  migrate();
  {
    PgEventStore s(dsn());
    s.begin();
    for (int i = 1; i <= 20; ++i) {
      char id[40];
      std::snprintf(id, sizeof id, "0190a000-0000-7000-8000-%012d", i);
      s.insert_event(event(id, static_cast<std::uint64_t>(i)), "{}", i);
    }
    s.commit();
    cluster_->kill();                     // SIGKILL of the postmaster
    EXPECT_THROW(s.counts(), pg::Error);  // the connection is gone, and says so
  }
  cluster_->start();  // crash recovery from the WAL
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 20);
}

}  // namespace
}  // namespace gridsight::test
