#include "aggregator/store/postgresql/connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdio>

namespace gridsight::pg {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string sqlstate_of(const PGresult* r) {
  if (!r) return {};
  const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return s ? s : "";
}

// What an operator should check, for the failures they can fix.
std::string hint_for(const std::string& message) {
  if (message.find("password authentication failed") != std::string::npos)
    return " (check the user and password in store.dsn)";
  if (message.find("does not exist") != std::string::npos)
    return " (create the database and role first: docs/scaling.md)";
  if (message.find("Connection refused") != std::string::npos ||
      message.find("could not connect") != std::string::npos)
    return " (is PostgreSQL running and listening there? check store.dsn)";
  if (message.find("SSL") != std::string::npos) return " (check the TLS settings in store.dsn)";
  return {};
}

}  // namespace

Param::Param(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  value_ = std::string(buf, r.ptr);
}

Result::~Result() {
  if (r_) PQclear(r_);
}

Result& Result::operator=(Result&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

int Result::rows() const {
  return r_ ? PQntuples(r_) : 0;
}
bool Result::is_null(int row, int col) const {
  return PQgetisnull(r_, row, col) != 0;
}
std::string Result::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
}
std::int64_t Result::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  const char* v = PQgetvalue(r_, row, col);
  std::int64_t out = 0;
  std::from_chars(v, v + PQgetlength(r_, row, col), out);
  return out;
}
double Result::real(int row, int col) const {
  if (is_null(row, col)) return 0;
  return std::stod(text(row, col));
}
bool Result::boolean(int row, int col) const {
  return !is_null(row, col) && PQgetvalue(r_, row, col)[0] == 't';
}
std::string Result::bytes(int row, int col) const {
  if (is_null(row, col)) return {};
  std::size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
  if (!raw) throw Error("PostgreSQL: cannot decode a bytea value", {});
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}
std::int64_t Result::affected() const {
  const char* n = PQcmdTuples(r_);
  std::int64_t out = 0;
  if (n && *n) std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

Connection::Connection(const std::string& dsn, ConnectOptions options) {
  // Options that apply whatever the DSN says: a bounded connect, UTC, a statement timeout.
  const std::string timeout = std::to_string(options.connect_timeout_s);
  const std::string pgopts =
      "-c statement_timeout=" + std::to_string(options.statement_timeout_ms) +
      " -c TimeZone=UTC -c client_encoding=UTF8";
  const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
  const char* values[] = {dsn.c_str(), timeout.c_str(), pgopts.c_str(),
                          options.application_name.c_str(), nullptr};
  c_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!c_) throw Error("PostgreSQL: out of memory while connecting", {});
  if (PQstatus(c_) != CONNECTION_OK) {
    std::string msg = trim(PQerrorMessage(c_));
    PQfinish(c_);
    c_ = nullptr;
    throw Error("PostgreSQL: cannot connect: " + msg + hint_for(msg), {});
  }
  where_ = std::string(PQhost(c_)) + ":" + PQport(c_) + "/" + PQdb(c_) + " as " + PQuser(c_);
}

Connection::~Connection() {
  if (c_) PQfinish(c_);
}

bool Connection::healthy() const {
  return c_ && PQstatus(c_) == CONNECTION_OK;
}

void Connection::fail(std::string_view what, PGresult* r) const {
  std::string state = sqlstate_of(r);
  std::string msg = r ? trim(PQresultErrorMessage(r)) : trim(PQerrorMessage(c_));
  if (r) PQclear(r);
  if (state == "25006")
    msg += " (the database is read-only: a standby, or default_transaction_read_only)";
  throw Error("PostgreSQL " + where_ + ": " + std::string(what) + ": " + msg, state);
}

Result Connection::check(PGresult* r, std::string_view sql) const {
  if (!r) fail(sql, nullptr);
  const auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(sql, r);
  return Result(r);
}

Result Connection::exec(std::string_view sql) {
  return check(PQexec(c_, std::string(sql).c_str()), sql);
}

Result Connection::exec(std::string_view sql, const std::vector<Param>& params) {
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& v = params[i].value();
    values[i] = v ? v->data() : nullptr;
    lengths[i] = v ? static_cast<int>(v->size()) : 0;
    formats[i] = params[i].binary() ? 1 : 0;
  }
  return check(PQexecParams(c_, std::string(sql).c_str(), static_cast<int>(params.size()), nullptr,
                            values.data(), lengths.data(), formats.data(), 0),
               sql);
}

bool Connection::read_only() {
  auto r = exec("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'");
  return r.boolean(0, 0);
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (const Error&) {
    // The connection is gone: the server rolled back already.
  }
}

}  // namespace gridsight::pg
