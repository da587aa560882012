#pragma once
// Fast text input for the data readers: a line source over a file (big
// buffered read(2) blocks, bounded memory) or an in-memory buffer (fuzzing,
// tests), field splitters for whitespace-separated and CSV lines, and strict
// number parsing (std::from_chars; NaN/inf and trailing junk are rejected).
// Also the bad-row policy shared by every reader (OnBadRow, BadRowLog).
//
// Memory: a LineSource holds one block (4 MiB by default) plus at most one
// line longer than that, up to kMaxLineBytes; a longer line is a DataError.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"

namespace varstar::data {

inline constexpr size_t kDefaultBlockBytes = size_t{4} << 20;
inline constexpr size_t kMaxLineBytes = size_t{16} << 20;

// What a reader does with a malformed row: throw a DataError (default), or
// skip the row and record it in a BadRowLog (never silently).
enum class OnBadRow { error, skip };
OnBadRow parse_on_bad_row(std::string_view text);  // "error" | "skip"
std::string_view to_string(OnBadRow policy);

// Count and first examples of rows skipped under OnBadRow::skip.
struct BadRowLog {
  int64_t count = 0;
  std::vector<std::string> examples;  // DataError messages, at most max_examples
  size_t max_examples = 10;
  void add(const DataError& e);
  // Throws `e` when policy is error, records it otherwise.
  void handle(OnBadRow policy, const DataError& e);
};

// Reports progress of a long read: bytes consumed so far and the total (0 when unknown).
using ReadProgressFn = std::function<void(int64_t bytes_done, int64_t bytes_total)>;

// Lines of a file or buffer, without their "\n" / "\r\n" terminators.
class LineSource {
 public:
  // Opens `path` for reading; throws DataError when it cannot be opened.
  static LineSource open_file(const std::string& path, size_t block_bytes = kDefaultBlockBytes);
  // Reads lines from `data`, which must outlive the source. `name` names it in errors.
  static LineSource from_buffer(std::string_view data, std::string name);

  LineSource(LineSource&&) noexcept;
  LineSource& operator=(LineSource&&) noexcept;
  ~LineSource();

  // Next line into `line` (valid until the next call); false at end of input.
  bool next(std::string_view& line);
  // 1-based number of the line last returned by next().
  int64_t line_number() const { return line_number_; }
  // True when the line last returned was the final one and had no terminator
  // (a file cut short usually ends like that).
  bool last_line_unterminated() const { return unterminated_; }
  const std::string& name() const { return name_; }
  int64_t bytes_consumed() const { return consumed_; }
  int64_t total_bytes() const { return total_; }  // 0 when unknown

 private:
  LineSource() = default;
  bool refill();
  std::string name_;
  int fd_ = -1;
  std::vector<char> block_;
  std::string_view data_;  // unread bytes (in block_ or the caller's buffer)
  bool eof_ = false;
  bool unterminated_ = false;
  int64_t line_number_ = 0;
  int64_t consumed_ = 0;
  int64_t total_ = 0;
};

// Splits `line` at runs of spaces/tabs into at most `max_fields` fields; returns
// the number of fields found, which is max_fields + 1 when there are more.
size_t split_whitespace(std::string_view line, std::string_view* fields, size_t max_fields);

// Splits one CSV line (RFC 4180: "," separator, fields optionally in double
// quotes, "" inside quotes is a quote). Unquoted fields are trimmed of spaces.
// Quoted fields that span lines are not supported. `scratch` stores unescaped
// quoted fields; fields may point into it. Throws DataError (with `where`
// supplying file and line) on an unterminated quote.
struct CsvWhere {
  const std::string* file;
  int64_t line;
};
void split_csv(std::string_view line, std::vector<std::string_view>& fields, std::string& scratch,
               const CsvWhere& where);

// Number parsing. Each returns false (and leaves `out` unspecified) when the
// whole of `text` is not a number of that kind; NaN and infinities are not numbers.
bool parse_double(std::string_view text, double& out);
bool parse_int64(std::string_view text, int64_t& out);
bool parse_int32(std::string_view text, int32_t& out);

// Why `text` is not a finite number, for error messages ("empty field",
// "NaN/inf not allowed", "not a number: 'abc'").
std::string describe_bad_number(std::string_view text, bool integer);

// Shows a field for an error message: quoted, control bytes escaped, cut to 40 chars.
std::string quote_field(std::string_view text);

// Trims spaces and tabs at both ends.
std::string_view trim(std::string_view s);

// Writes `text` to `path` atomically enough for our outputs (write to path + ".tmp", rename).
void write_text_file(const std::string& path, std::string_view text);

// Buffered writer for large outputs: format into buf(), call flush_if_full()
// now and then; close() renames path + ".tmp" to path. Destroyed unclosed, it
// removes the temporary file (an exception midway leaves no half-written output).
class FileWriter {
 public:
  explicit FileWriter(std::string path);
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  ~FileWriter();
  fmt::memory_buffer& buf() { return buf_; }
  void flush_if_full() {
    if (buf_.size() >= kFlushBytes) flush();
  }
  void close();

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  void flush();
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
  fmt::memory_buffer buf_;
};

}  // namespace varstar::data
