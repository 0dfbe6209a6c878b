#include "sql_database.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cicd::store {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Connection-level problems are worth retrying later; everything else is not.
ErrorCode classify(PGconn* conn, const PGresult* result) {
  if (PQstatus(conn) != CONNECTION_OK) {
    return ErrorCode::unavailable;
  }
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view sqlstate = state != nullptr ? state : "";
  if (sqlstate.starts_with("23")) {
    return ErrorCode::conflict;
  }
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57") || sqlstate == "53300" ||
      sqlstate.starts_with("40")) {
    return ErrorCode::unavailable;
  }
  return ErrorCode::internal;
}

[[noreturn]] void throw_pg(PGconn* conn, const PGresult* result) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  throw ErrorException(make_error(classify(conn, result), "PostgreSQL: " + message));
}

class PgConnection final : public SqlConnection {
public:
  explicit PgConnection(PGconn* conn) : m_conn(conn) {}

  std::vector<SqlRow> query(std::string_view sql, const std::vector<SqlValue>& params) override {
    std::string text(sql);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
      values.push_back(p ? p->c_str() : nullptr);
    }
    ResultPtr result(PQexecParams(m_conn, text.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0),
                     PQclear);
    auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      throw_pg(m_conn, result.get());
    }
    std::vector<SqlRow> rows;
    int count = PQntuples(result.get());
    int columns = PQnfields(result.get());
    rows.reserve(static_cast<std::size_t>(count));
    for (int r = 0; r < count; ++r) {
      SqlRow row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                       static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void execute_script(std::string_view sql) override {
    std::string text(sql);
    ResultPtr result(PQexec(m_conn, text.c_str()), PQclear);
    auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      throw_pg(m_conn, result.get());
    }
  }

private:
  PGconn* m_conn;
};

// A fixed-size pool of connections, opened on demand and re-opened after a failure, so a
// restarted server costs the requests in flight and nothing more.
// Thread safety: all members are guarded by m_mutex.
class PgDatabase final : public SqlDatabase {
public:
  PgDatabase(std::string url, int pool_size) : m_url(std::move(url)), m_capacity(pool_size) {
    PGconn* first = connect();
    if (PQstatus(first) != CONNECTION_OK) {
      std::string message = PQerrorMessage(first);
      PQfinish(first);
      throw Fatal("cannot connect to PostgreSQL: " + message +
                  "check --db (postgresql://user@host:port/database) and that the server runs");
    }
    m_idle.push_back(first);
    m_open = 1;
  }

  ~PgDatabase() override {
    for (auto* conn : m_idle) {
      PQfinish(conn);
    }
  }

  void transact(const std::function<void(SqlConnection&)>& work) override {
    Borrowed borrowed(*this);
    PgConnection connection(borrowed.conn);
    try {
      connection.execute_script("BEGIN");
      work(connection);
      connection.execute_script("COMMIT");
    } catch (...) {
      if (PQstatus(borrowed.conn) == CONNECTION_OK) {
        PQclear(PQexec(borrowed.conn, "ROLLBACK"));
      }
      throw;
    }
  }

  void autocommit(const std::function<void(SqlConnection&)>& work) override {
    Borrowed borrowed(*this);
    PgConnection connection(borrowed.conn);
    work(connection);
  }

  std::string_view lock_clause() const override { return " FOR UPDATE"; }
  std::span<const EmbeddedFile> migrations() const override { return postgresql_migrations(); }
  std::string_view migration_lock_statement() const override {
    return "SELECT pg_advisory_xact_lock(7261001)";
  }

private:
  // A pooled connection, given back on every way out.
  struct Borrowed {
    explicit Borrowed(PgDatabase& db) : database(db), conn(db.acquire()) {}
    ~Borrowed() { database.release(conn); }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
    PgDatabase& database;
    PGconn* conn;
  };

  PGconn* connect() {
    const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
    const char* values[] = {m_url.c_str(), "5", "-c statement_timeout=30000", "cicd", nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 1);
    // Notices ("relation already exists, skipping") are not errors: keep them off stderr.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    return conn;
  }

  PGconn* acquire() {
    std::unique_lock lock(m_mutex);
    bool ready = m_available.wait_for(lock, std::chrono::seconds(10),
                                      [&] { return !m_idle.empty() || m_open < m_capacity; });
    if (!ready) {
      throw ErrorException(
          make_error(ErrorCode::unavailable, "every PostgreSQL connection stayed busy for 10 s"));
    }
    PGconn* conn = nullptr;
    if (!m_idle.empty()) {
      conn = m_idle.back();
      m_idle.pop_back();
    } else {
      ++m_open;
    }
    lock.unlock();
    if (conn == nullptr) {
      conn = connect();
    } else if (PQstatus(conn) != CONNECTION_OK) {
      PQreset(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn);
      release(conn);
      throw ErrorException(make_error(ErrorCode::unavailable, "PostgreSQL: " + message));
    }
    return conn;
  }

  void release(PGconn* conn) {
    {
      std::lock_guard lock(m_mutex);
      m_idle.push_back(conn);
    }
    m_available.notify_one();
  }

  std::string m_url;
  int m_capacity;
  std::mutex m_mutex;
  std::condition_variable m_available;
  std::vector<PGconn*> m_idle;
  int m_open = 0;
};

} // namespace

std::unique_ptr<SqlDatabase> open_postgresql(const std::string& url, int pool_size) {
  return std::make_unique<PgDatabase>(url, pool_size);
}

} // namespace cicd::store
