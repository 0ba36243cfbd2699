#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace vigil {
namespace {

constexpr size_t kMaxLog = 4 << 20;
std::mutex mu;
std::string captured;

int Print(enum libbpf_print_level level, const char *fmt, va_list args) {
  // Debug output is a trace of every relocation: too much to keep.
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(line, sizeof(line), fmt, copy);
  va_end(copy);
  std::lock_guard<std::mutex> lock(mu);
  if (n >= static_cast<int>(sizeof(line))) {
    std::string big(static_cast<size_t>(n) + 1, '\0');
    vsnprintf(big.data(), big.size(), fmt, args);
    big.resize(static_cast<size_t>(n));
    captured += big;
  } else if (n > 0) {
    captured.append(line, static_cast<size_t>(n));
  }
  if (captured.size() > kMaxLog) captured.erase(0, captured.size() - kMaxLog);
  return 0;
}

}  // namespace

void InstallLibbpfLog() { libbpf_set_print(Print); }

std::string TakeLibbpfLog() {
  std::lock_guard<std::mutex> lock(mu);
  std::string out;
  out.swap(captured);
  return out;
}

}  // namespace vigil
