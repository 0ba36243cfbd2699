// libbpf's messages, captured instead of printed: a load error carries the verifier log,
// and the rest is handed to the sensor's logger on request (stdout/stderr stay clean).
#pragma once
#include <string>

namespace vigil {

void InstallLibbpfLog();
// Messages since the last call, oldest first (bounded: the oldest are dropped first).
std::string TakeLibbpfLog();

}  // namespace vigil
