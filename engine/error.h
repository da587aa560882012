#pragma once
// varstar's exceptions and checking macros. Library code throws, never exits.
//   VARSTAR_CHECK(cond, "fmt {}", args...)  -> throws varstar::Error with the
//   failed condition, file:line and the formatted message.
#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace varstar {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input data: names the file, the 1-based line and column (0 = unknown)
// and what was expected there.
class DataError : public Error {
 public:
  DataError(std::string file, int64_t line, std::string column, const std::string& what)
      : Error(format_message(file, line, column, what)),
        file_(std::move(file)), line_(line), column_(std::move(column)), detail_(what) {}
  const std::string& file() const { return file_; }
  int64_t line() const { return line_; }
  const std::string& column() const { return column_; }
  const std::string& detail() const { return detail_; }

 private:
  static std::string format_message(const std::string& file, int64_t line, const std::string& column,
                                    const std::string& what) {
    std::string where = file;
    if (line > 0) where += fmt::format(":{}", line);
    if (!column.empty()) where += fmt::format(" (column {})", column);
    return fmt::format("{}: {}", where, what);
  }
  std::string file_;
  int64_t line_;
  std::string column_;
  std::string detail_;
};

class CudaError : public Error {
 public:
  using Error::Error;
};
class CublasError : public CudaError {
 public:
  using CudaError::CudaError;
};
class CudnnError : public CudaError {
 public:
  using CudaError::CudaError;
};

namespace detail {
[[noreturn]] inline void throw_check_failure(const char* cond, const char* file, int line,
                                             const std::string& message) {
  throw Error(fmt::format("{} [check '{}' failed at {}:{}]", message, cond, file, line));
}
}  // namespace detail

}  // namespace varstar

#define VARSTAR_CHECK(cond, ...)                                                             \
  do {                                                                                       \
    if (!(cond)) [[unlikely]]                                                                \
      ::varstar::detail::throw_check_failure(#cond, __FILE__, __LINE__, fmt::format(__VA_ARGS__)); \
  } while (0)
