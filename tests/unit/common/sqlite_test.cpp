// Every gridsight store opens SQLite with WAL and synchronous=FULL (durable commits).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/sqlite/database.h"

namespace gridsight::sqlite {
namespace {

std::string temp_db(const char* name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("gridsight-sqlite-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

TEST(Sqlite, OpensWithWalAndFullSync) {
  Database db(temp_db("a.db"));
  EXPECT_EQ(db.journal_mode(), "wal");
  EXPECT_EQ(db.synchronous(), 2);  // FULL
}

TEST(Sqlite, TransactionRollsBackUnlessCommitted) {
  Database db(temp_db("b.db"));
  db.exec("CREATE TABLE t(x INTEGER)");
  {
    Transaction tx(db);
    db.prepare("INSERT INTO t VALUES(1)").run();
  }
  {
    Transaction tx(db);
    db.prepare("INSERT INTO t VALUES(2)").run();
    tx.commit();
  }
  auto st = db.prepare("SELECT group_concat(x) FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "2");
}

TEST(Sqlite, ErrorsNameTheFileAndStatement) {
  Database db(temp_db("c.db"));
  try {
    db.prepare("SELECT * FROM nowhere");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.db"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos);
  }
}

}  // namespace
}  // namespace gridsight::sqlite
