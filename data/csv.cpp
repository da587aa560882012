// Line source, field splitters and strict number parsing for the data readers (see csv.h).
#include "data/csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace varstar::data {

OnBadRow parse_on_bad_row(std::string_view text) {
  if (text == "error") return OnBadRow::error;
  if (text == "skip") return OnBadRow::skip;
  throw Error(fmt::format("on-bad-row must be 'error' or 'skip', not '{}'", text));
}

std::string_view to_string(OnBadRow policy) { return policy == OnBadRow::error ? "error" : "skip"; }

void BadRowLog::add(const DataError& e) {
  ++count;
  if (examples.size() < max_examples) examples.emplace_back(e.what());
}

void BadRowLog::handle(OnBadRow policy, const DataError& e) {
  if (policy == OnBadRow::error) throw e;
  add(e);
}

// ---- LineSource --------------------------------------------------------------

LineSource LineSource::open_file(const std::string& path, size_t block_bytes) {
  LineSource src;
  src.name_ = path;
  src.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src.fd_ < 0) throw DataError(path, 0, "", fmt::format("cannot open file: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(src.fd_, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      ::close(src.fd_);
      src.fd_ = -1;
      throw DataError(path, 0, "", "is a directory, expected a file");
    }
    if (S_ISREG(st.st_mode)) src.total_ = st.st_size;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(src.fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  src.block_.resize(std::max<size_t>(block_bytes, 4096));
  src.data_ = std::string_view(src.block_.data(), 0);
  return src;
}

LineSource LineSource::from_buffer(std::string_view data, std::string name) {
  LineSource src;
  src.name_ = std::move(name);
  src.data_ = data;
  src.eof_ = true;
  src.total_ = static_cast<int64_t>(data.size());
  return src;
}

LineSource::LineSource(LineSource&& o) noexcept { *this = std::move(o); }

LineSource& LineSource::operator=(LineSource&& o) noexcept {
  if (this == &o) return *this;
  if (fd_ >= 0) ::close(fd_);
  // data_ may point into o.block_; vector moves keep the heap buffer, so views stay valid.
  name_ = std::move(o.name_);
  fd_ = o.fd_;
  o.fd_ = -1;
  block_ = std::move(o.block_);
  data_ = o.data_;
  eof_ = o.eof_;
  unterminated_ = o.unterminated_;
  line_number_ = o.line_number_;
  consumed_ = o.consumed_;
  total_ = o.total_;
  return *this;
}

LineSource::~LineSource() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineSource::refill() {
  if (eof_) return false;
  // Move the unread tail to the front, grow when one line fills the whole block.
  const size_t tail = data_.size();
  if (tail > 0 && data_.data() != block_.data()) std::memmove(block_.data(), data_.data(), tail);
  if (tail == block_.size()) {
    if (block_.size() >= kMaxLineBytes)
      throw DataError(name_, line_number_ + 1, "",
                      fmt::format("line longer than {} MiB; is this a text file?", kMaxLineBytes >> 20));
    block_.resize(std::min(block_.size() * 2, kMaxLineBytes));
  }
  size_t filled = tail;
  while (filled < block_.size()) {
    const ssize_t got = ::read(fd_, block_.data() + filled, block_.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw DataError(name_, line_number_ + 1, "", fmt::format("read error: {}", std::strerror(errno)));
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    filled += static_cast<size_t>(got);
    if (filled > tail) break;  // enough to make progress; keeps reads large but not blocking on pipes
  }
  data_ = std::string_view(block_.data(), filled);
  return true;
}

bool LineSource::next(std::string_view& line) {
  for (;;) {
    const void* nl = data_.empty() ? nullptr : std::memchr(data_.data(), '\n', data_.size());
    if (nl != nullptr) {
      const size_t pos = static_cast<size_t>(static_cast<const char*>(nl) - data_.data());
      line = data_.substr(0, pos);
      data_.remove_prefix(pos + 1);
      consumed_ += static_cast<int64_t>(pos + 1);
      unterminated_ = false;
      break;
    }
    if (eof_) {
      if (data_.empty()) return false;
      line = data_;
      consumed_ += static_cast<int64_t>(data_.size());
      data_ = {};
      unterminated_ = true;
      break;
    }
    refill();
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++line_number_;
  if (line_number_ == 1 && line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF &&
      static_cast<unsigned char>(line[1]) == 0xBB && static_cast<unsigned char>(line[2]) == 0xBF)
    line.remove_prefix(3);  // UTF-8 byte-order mark
  return true;
}

// ---- splitting ------------------------------------------------------------------

size_t split_whitespace(std::string_view line, std::string_view* fields, size_t max_fields) {
  // A field starts where a blank is followed by a non-blank and ends at the next
  // blank. SSE2 finds the blank/non-blank changes 16 bytes at a time; the tail
  // (and non-x86 machines) go byte by byte.
  const char* s = line.data();
  const size_t n = line.size();
  size_t count = 0, start = 0, i = 0;
  bool in_field = false;
  auto end_field = [&](size_t at) {
    if (count == max_fields) return false;
    fields[count++] = std::string_view(s + start, at - start);
    in_field = false;
    return true;
  };
#ifdef __SSE2__
  const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const unsigned blank =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab))));
    const unsigned before = (blank << 1) | (in_field ? 0u : 1u);  // blank-ness of the previous byte
    unsigned changes = (blank ^ before) & 0xFFFFu;
    while (changes != 0) {
      const size_t j = i + static_cast<size_t>(__builtin_ctz(changes));
      changes &= changes - 1;
      if (!in_field) {
        start = j;
        in_field = true;
      } else if (!end_field(j)) {
        return max_fields + 1;
      }
    }
  }
#endif
  for (; i < n; ++i) {
    const bool blank = s[i] == ' ' || s[i] == '\t';
    if (!in_field && !blank) {
      start = i;
      in_field = true;
    } else if (in_field && blank && !end_field(i)) {
      return max_fields + 1;
    }
  }
  if (in_field && !end_field(n)) return max_fields + 1;
  return count;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void split_csv(std::string_view line, std::vector<std::string_view>& fields, std::string& scratch,
               const CsvWhere& where) {
  fields.clear();
  scratch.clear();
  scratch.reserve(line.size());  // unescaped text never outgrows the line: views stay valid
  const size_t n = line.size();
  size_t i = 0;
  for (;;) {
    while (i < n && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < n && line[i] == '"') {
      const size_t start = scratch.size();
      size_t j = i + 1;
      for (;;) {
        const size_t q = line.find('"', j);
        if (q == std::string_view::npos)
          throw DataError(*where.file, where.line, fmt::format("field {}", fields.size() + 1),
                          "unterminated quoted field (quoted fields may not span lines)");
        scratch.append(line.data() + j, q - j);
        if (q + 1 < n && line[q + 1] == '"') {
          scratch.push_back('"');
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.emplace_back(scratch.data() + start, scratch.size() - start);
      while (i < n && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i == n) return;
      if (line[i] != ',')
        throw DataError(*where.file, where.line, fmt::format("field {}", fields.size()),
                        fmt::format("unexpected {} after a closing quote, expected ','",
                                    quote_field(line.substr(i, 1))));
      ++i;
    } else {
      const size_t c = line.find(',', i);
      const size_t stop = c == std::string_view::npos ? n : c;
      fields.push_back(trim(line.substr(i, stop - i)));
      if (c == std::string_view::npos) return;
      i = c + 1;
    }
    if (i == n) {  // trailing comma: one more, empty field
      fields.emplace_back();
      return;
    }
  }
}

// ---- numbers ---------------------------------------------------------------------

namespace {
// Exact powers of ten as doubles (10^22 is the largest exact one).
constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Fast path for plain decimals "[-]digits[.digits]" (what catalogs hold): with
// the digits as an integer m <= 2^53 and k <= 22 fraction digits, m / 10^k is
// one correctly rounded IEEE division of two exact doubles, so the result
// equals the correctly rounded value (Clinger 1990), as from_chars gives.
// Returns false when the text is not of that form; the caller falls back.
inline bool parse_plain_decimal(const char* b, const char* e, double& out) {
  bool negative = false;
  if (b != e && *b == '-') {
    negative = true;
    ++b;
  }
  uint64_t m = 0;
  int digits = 0, fraction = 0;
  const char* p = b;
  for (; p != e && static_cast<unsigned>(*p - '0') < 10; ++p, ++digits) m = m * 10 + static_cast<unsigned>(*p - '0');
  if (p != e && *p == '.') {
    ++p;
    for (; p != e && static_cast<unsigned>(*p - '0') < 10; ++p, ++digits, ++fraction)
      m = m * 10 + static_cast<unsigned>(*p - '0');
  }
  if (p != e || digits == 0 || digits > 19 || fraction > 22 || m > (uint64_t{1} << 53)) return false;
  const double v = static_cast<double>(m) / kPow10[fraction];
  out = negative ? -v : v;
  return true;
}
}  // namespace

bool parse_double(std::string_view text, double& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') {
    ++b;
    if (b != e && (*b == '-' || *b == '+')) return false;
  }
  if (b == e) return false;
  if (parse_plain_decimal(b, e, out)) return true;
  const auto [p, ec] = std::from_chars(b, e, out, std::chars_format::general);
  return ec == std::errc() && p == e && std::isfinite(out);
}

template <class T>
static bool parse_integer(std::string_view text, T& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') {
    ++b;
    if (b != e && (*b == '-' || *b == '+')) return false;
  }
  if (b == e) return false;
  const auto [p, ec] = std::from_chars(b, e, out, 10);
  return ec == std::errc() && p == e;
}

bool parse_int64(std::string_view text, int64_t& out) { return parse_integer(text, out); }
bool parse_int32(std::string_view text, int32_t& out) { return parse_integer(text, out); }

static bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = static_cast<char>(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
    if (x != b[i]) return false;
  }
  return true;
}

std::string describe_bad_number(std::string_view text, bool integer) {
  if (text.empty()) return "empty field (missing value); expected a number";
  std::string_view t = text;
  if (!t.empty() && (t.front() == '+' || t.front() == '-')) t.remove_prefix(1);
  if (iequals(t, "nan") || iequals(t, "inf") || iequals(t, "infinity"))
    return fmt::format("{} is not allowed; expected a finite number", quote_field(text));
  if (integer) {
    double d = 0;
    if (parse_double(text, d)) return fmt::format("expected an integer, found {}", quote_field(text));
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
    if (ec == std::errc::result_out_of_range && p == text.data() + text.size())
      return fmt::format("integer out of range: {}", quote_field(text));
    return fmt::format("expected an integer, found {}", quote_field(text));
  }
  double d = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d, std::chars_format::general);
  if (ec == std::errc::result_out_of_range && p == text.data() + text.size())
    return fmt::format("number out of range: {}", quote_field(text));
  return fmt::format("expected a number, found {}", quote_field(text));
}

std::string quote_field(std::string_view text) {
  constexpr size_t kShown = 40;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out.push_back(static_cast<char>(c));
  }
  if (text.size() > kShown) out += "...";
  out += "'";
  return out;
}

void write_text_file(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) throw Error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  const size_t written = std::fwrite(text.data(), 1, text.size(), f);
  const bool ok = written == text.size() && std::fflush(f) == 0;
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
}

FileWriter::FileWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (file_ == nullptr) throw Error(fmt::format("cannot write {}: {}", tmp_, std::strerror(errno)));
}

FileWriter::~FileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(tmp_.c_str());
  }
}

void FileWriter::flush() {
  if (buf_.size() > 0 && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size())
    throw Error(fmt::format("cannot write {}: {}", tmp_, std::strerror(errno)));
  buf_.clear();
}

void FileWriter::close() {
  flush();
  const bool ok = std::fflush(file_) == 0;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    throw Error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  }
}

}  // namespace varstar::data
