// Progress output (see progress.h).
#include "train/progress.h"

#include <unistd.h>

#include <cmath>

#include "engine/error.h"

namespace varstar::train {

std::string format_duration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

Progress::Progress(ProgressMode mode, double plain_interval) : mode_(mode), plain_interval_(plain_interval) {
  if (mode_ == ProgressMode::automatic) mode_ = ::isatty(fileno(stderr)) ? ProgressMode::terminal : ProgressMode::plain;
  last_ = std::chrono::steady_clock::now() - std::chrono::hours(1);
}

Progress::~Progress() {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_line();
}

std::string Progress::format(const ProgressState& s) const {
  std::string line;
  if (s.folds > 1) line += fmt::format("fold {}/{}  ", s.fold, s.folds);
  line += fmt::format("epoch {}/{}", s.epoch, s.epochs);
  if (s.batches > 0) line += fmt::format("  batch {}/{}", s.batch, s.batches);
  line += fmt::format("  loss {:.4f}  acc {:.1f}%  {:.0f} samples/s", s.loss, 100 * s.accuracy, s.samples_per_s);
  if (s.eta_seconds >= 0) line += "  ETA " + format_duration(s.eta_seconds);
  return line;
}

void Progress::clear_line() {
  if (line_open_) {
    std::fputs("\r\033[K", stderr);
    line_open_ = false;
  }
}

void Progress::update(const ProgressState& s) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (mode_ == ProgressMode::terminal && since >= 0.2) {
    std::fprintf(stderr, "\r\033[K%s", format(s).c_str());
    std::fflush(stderr);
    line_open_ = true;
    last_ = now;
  } else if (mode_ == ProgressMode::plain && since >= plain_interval_) {
    std::fprintf(stderr, "%s\n", format(s).c_str());
    last_ = now;
  }
}

void Progress::epoch_done(const ProgressState& s, const nlohmann::json& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  switch (mode_) {
    case ProgressMode::json:
      std::printf("%s\n", record.dump().c_str());
      std::fflush(stdout);
      break;
    case ProgressMode::terminal:
    case ProgressMode::plain:
    case ProgressMode::automatic:
      clear_line();
      std::fprintf(stderr, "%s\n", format(s).c_str());
      last_ = std::chrono::steady_clock::now();
      break;
    case ProgressMode::quiet: break;
  }
}

void Progress::message(const std::string& text, bool important) {
  if (mode_ == ProgressMode::quiet && !important) return;
  std::lock_guard<std::mutex> lock(mutex_);
  clear_line();
  std::fprintf(stderr, "%s\n", text.c_str());
}

void Progress::message_once(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!printed_once_.insert(text).second) return;
  clear_line();
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace varstar::train
