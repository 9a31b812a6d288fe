#pragma once
// A thin RAII layer over libpq: one connection, parameterised statements, transactions.
// Errors are pg::Error carrying the SQLSTATE and a message that names the server and what
// failed (wrong DSN, wrong password, read-only database, statement timeout, ...).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace gridsight::pg {

class Error : public std::runtime_error {
 public:
  Error(const std::string& what, std::string sqlstate)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  // Five-character SQLSTATE ("23505" unique violation, "25006" read-only transaction, ...);
  // empty when the server never answered (connection failures).
  const std::string& sqlstate() const { return sqlstate_; }
  bool read_only() const { return sqlstate_ == "25006"; }
  bool connection_lost() const { return sqlstate_.empty() || sqlstate_.starts_with("08"); }

 private:
  std::string sqlstate_;
};

// A parameter: text in PostgreSQL's input syntax, NULL, or bytes (sent as binary: bytea).
class Param {
 public:
  Param(std::nullopt_t) {}
  Param(std::string_view text) : value_(text) {}
  Param(const std::string& text) : value_(text) {}
  Param(const char* text) : value_(std::string(text)) {}
  Param(std::int64_t v) : value_(std::to_string(v)) {}
  Param(std::uint64_t v) : value_(std::to_string(v)) {}
  Param(int v) : value_(std::to_string(v)) {}
  Param(bool v) : value_(v ? "true" : "false") {}
  Param(double v);
  template <typename T>
  Param(const std::optional<T>& v) : Param(v ? Param(*v) : Param(std::nullopt)) {}
  static Param bytes(std::string_view data) {
    Param p(data);
    p.binary_ = true;
    return p;
  }
  const std::optional<std::string>& value() const { return value_; }
  bool binary() const { return binary_; }

 private:
  std::optional<std::string> value_;
  bool binary_ = false;
};

// The rows a statement returned (text format).
class Result {
 public:
  explicit Result(pg_result* r) : r_(r) {}
  ~Result();
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const;
  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  double real(int row, int col) const;
  bool boolean(int row, int col) const;
  std::string bytes(int row, int col) const;  // a bytea column, decoded
  // Rows changed by INSERT/UPDATE/DELETE.
  std::int64_t affected() const;

 private:
  pg_result* r_;
};

struct ConnectOptions {
  int connect_timeout_s = 10;
  int statement_timeout_ms = 30'000;  // 0: none
  std::string application_name = "gridsight-aggregator";
};

class Connection {
 public:
  // Connects with a libpq connection string (key=value or postgresql:// URI), sets the
  // statement timeout and UTC. Throws pg::Error naming the cause.
  explicit Connection(const std::string& dsn, ConnectOptions options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Result exec(std::string_view sql);
  Result exec(std::string_view sql, const std::vector<Param>& params);
  // Where the connection goes, for messages: "host:port/db as user" (never the password).
  const std::string& describe() const { return where_; }
  // Whether the server is a standby or the session is read-only.
  bool read_only();
  bool healthy() const;
  pg_conn* handle() const { return c_; }

 private:
  [[noreturn]] void fail(std::string_view what, pg_result* r) const;
  Result check(pg_result* r, std::string_view sql) const;

  pg_conn* c_ = nullptr;
  std::string where_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& c) : c_(c) { c_.exec("BEGIN"); }
  ~Transaction();
  void commit() {
    c_.exec("COMMIT");
    done_ = true;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace gridsight::pg
