#pragma once
// A thin RAII layer over SQLite: one connection, prepared statements, transactions.
// Errors are std::runtime_error naming the database file and the SQL that failed.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace gridsight::sqlite {

class Error : public std::runtime_error {
 public:
  Error(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Statement;

// Durability settings every gridsight store uses: WAL journal, synchronous=FULL (a commit
// survives power loss), foreign keys on, busy timeout for the rare second connection.
struct OpenOptions {
  bool read_only = false;
  int busy_timeout_ms = 5000;
};

class Database {
 public:
  explicit Database(const std::string& path, OpenOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // PRAGMA values, for checks and tests.
  std::string journal_mode();
  int synchronous();  // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA

 private:
  friend class Statement;
  [[noreturn]] void fail(const std::string& what, int rc) const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Bind by 1-based index. Strings and blobs are copied (SQLITE_TRANSIENT).
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::uint64_t value) {
    return bind(index, static_cast<std::int64_t>(value));
  }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& v) {
    return v ? bind(index, *v) : bind_null(index);
  }

  // Returns true while a row is available.
  bool step();
  // Runs to completion (for statements that return no rows).
  void run();
  void reset();  // also clears bindings

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::string_view text_view(int col) const;  // valid until the next step/reset
  std::string blob(int col) const;
  std::optional<std::int64_t> optional_int64(int col) const;

 private:
  friend class Database;
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace gridsight::sqlite
